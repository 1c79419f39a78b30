package params_test

import (
	"context"
	"testing"

	"github.com/faasport/faasport/params"
)

// BenchmarkCacheGet is a cached read: the cost every invocation pays.
func BenchmarkCacheGet(b *testing.B) {
	c := params.New(params.Static(map[string]string{"db/password": "pw"}))
	ctx := context.Background()
	if _, err := c.Get(ctx, "db/password"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s, err := c.Get(ctx, "db/password")
			if err != nil || s.Len() != 2 {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecodedGet is a cached read of a value decoded from JSON.
func BenchmarkDecodedGet(b *testing.B) {
	c := params.New(params.Static(map[string]string{"db": `{"User":"u","Password":"p"}`}))
	d := params.JSON[creds](c, params.Ref{Name: "db"})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		v, err := d.Get(ctx)
		if err != nil || v.User != "u" {
			b.Fatal(err)
		}
	}
}
