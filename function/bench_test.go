package function_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/benchpair"
)

// BenchmarkConsume is the typed handler's own cost: one decode of small
// JSON data, with the content types producers send most, then an SQS
// record (the payload read out of its envelope). "bare" is the same decode
// with encoding/json alone, the floor.
func BenchmarkConsume(b *testing.B) {
	h := function.Consume(func(_ context.Context, o order) error { return nil })
	const data = `{"id":"o-1","items":[{"qty":2}]}`
	for _, ct := range []string{"application/json", "application/json; charset=utf-8"} {
		b.Run(ct, func(b *testing.B) {
			e := newEvent(b, ct, data)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Handle(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("sqs", func(b *testing.B) {
		e := newEvent(b, "application/json", `{"messageId":"m-1","receiptHandle":"rh","body":"{\"id\":\"o-1\",\"items\":[{\"qty\":2}]}","attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1545082649183"},"messageAttributes":{},"eventSourceARN":"arn:aws:sqs:eu-west-1:1:q"}`)
		e.SetType("com.amazonaws.sqs.message")
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Handle(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bare", func(b *testing.B) {
		e := newEvent(b, "application/json", data)
		b.ReportAllocs()
		for b.Loop() {
			var o order
			if err := json.Unmarshal(e.Data(), &o); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkConsumePaired is BenchmarkConsume's JSON case and its bare
// floor in one loop, alternating in chunks, so that a loaded machine slows
// both alike: ns/op is the pair, "typed-ns" and "bare-ns" each side, and
// "x-bare" their ratio.
func BenchmarkConsumePaired(b *testing.B) {
	h := function.Consume(func(_ context.Context, o order) error { return nil })
	e := newEvent(b, "application/json", `{"id":"o-1","items":[{"qty":2}]}`)
	ctx := context.Background()
	benchpair.Run(b, "typed", func() {
		if _, err := h.Handle(ctx, e); err != nil {
			b.Fatal(err)
		}
	}, "bare", func() {
		var o order
		if err := json.Unmarshal(e.Data(), &o); err != nil {
			b.Fatal(err)
		}
	})
}
