package azureparams_test

import (
	"context"
	"testing"

	"github.com/faasport/faasport/params"
	"github.com/faasport/faasport/params/azureparams"
)

// BenchmarkGetSecret compares a read through params.Cache with the bare
// client call it replaces, against the same loopback vault.
func BenchmarkGetSecret(b *testing.B) {
	v := newFakeVault(b)
	client := v.client(b, &fakeCredential{}, -1)
	ctx := context.Background()
	b.Run("bare-sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := client.GetSecret(ctx, "api-key", "", nil)
			if err != nil || *resp.Value != "two" {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		c := params.New(azureparams.New(client))
		if _, err := c.Get(ctx, "api-key"); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			s, err := c.Get(ctx, "api-key")
			if err != nil || s.Len() != 3 {
				b.Fatal(err)
			}
		}
	})
}
