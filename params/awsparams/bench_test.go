package awsparams_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/faasport/faasport/params"
	"github.com/faasport/faasport/params/awsparams"
)

// BenchmarkGetParameter compares a read through params.Cache (what a
// function pays per invocation after the first) with the bare SDK call it
// replaces, against the same loopback Parameter Store.
func BenchmarkGetParameter(b *testing.B) {
	f := newAWSFake(b, func(string, map[string]any) answer { return ssmParameter("/p", "value", 1) })
	client := f.ssmClient()
	ctx := context.Background()

	b.Run("bare-sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p"), WithDecryption: aws.Bool(true)})
			if err != nil || *out.Parameter.Value != "value" {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		c := params.New(awsparams.NewParameterStore(client))
		if _, err := c.Get(ctx, "/p"); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			s, err := c.Get(ctx, "/p")
			if err != nil || s.Len() != 5 {
				b.Fatal(err)
			}
		}
	})
}
