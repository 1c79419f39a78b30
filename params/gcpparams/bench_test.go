package gcpparams_test

import (
	"context"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"

	"github.com/faasport/faasport/params"
	"github.com/faasport/faasport/params/gcpparams"
)

// BenchmarkAccessSecret compares a read through params.Cache with the bare
// client call it replaces, against the same loopback Secret Manager.
func BenchmarkAccessSecret(b *testing.B) {
	client := start(b, newFake())
	ctx := context.Background()
	b.Run("bare-sdk", func(b *testing.B) {
		b.ReportAllocs()
		req := &secretmanagerpb.AccessSecretVersionRequest{Name: "projects/my-project/secrets/api-key/versions/latest"}
		for b.Loop() {
			resp, err := client.AccessSecretVersion(ctx, req)
			if err != nil || len(resp.GetPayload().GetData()) != 6 {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		c := params.New(gcpparams.New(client, "my-project"))
		if _, err := c.Get(ctx, "api-key"); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			s, err := c.Get(ctx, "api-key")
			if err != nil || s.Len() != 6 {
				b.Fatal(err)
			}
		}
	})
}
