package function_test

import (
	"context"
	"testing"

	"github.com/faasport/faasport/function"
)

// BenchmarkConsume is the typed handler's own cost: one decode of small
// JSON data, with the content types producers send most.
func BenchmarkConsume(b *testing.B) {
	h := function.Consume(func(_ context.Context, o order) error { return nil })
	for _, ct := range []string{"application/json", "application/json; charset=utf-8"} {
		b.Run(ct, func(b *testing.B) {
			e := newEvent(b, ct, `{"id":"o-1","items":[{"qty":2}]}`)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Handle(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
