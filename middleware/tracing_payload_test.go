package middleware_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
	"github.com/faasport/faasport/payload"
)

// sqsOrder is an SQS record with a producer's traceparent, whose body is an
// order.
const sqsOrder = `{"messageId":"m-1","receiptHandle":"rh","body":"{\"id\":\"o-1\",\"qty\":2}","attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1767225600000"},"messageAttributes":{"traceparent":{"stringValue":"` + producerTP + `","dataType":"String"}},"eventSourceARN":"arn:aws:sqs:eu-west-1:1:orders"}`

type benchOrder struct {
	ID  string `json:"id"`
	Qty int    `json:"qty"`
}

func sqsOrderEvent(tb testing.TB) event.Event {
	tb.Helper()
	e := event.New()
	e.SetID("m-1")
	e.SetSource("arn:aws:sqs:eu-west-1:1:orders")
	e.SetType("com.amazonaws.sqs.message")
	e.SetDataContentType("application/json")
	e.DataEncoded = []byte(sqsOrder)
	return e
}

// BenchmarkTracingConsume is an SQS message through Tracing and a typed
// handler, each of which needs the message: "consume" is the typed handler
// alone, the floor of what the two can cost together.
func BenchmarkTracingConsume(b *testing.B) {
	consume := function.Consume(func(_ context.Context, o benchOrder) error { return nil })
	ctx := function.NewContext(context.Background(), &function.Invocation{Platform: function.PlatformLambda, Batch: 1, Attempt: 1})
	e := sqsOrderEvent(b)
	run := func(b *testing.B, h function.Handler) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Handle(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("consume", func(b *testing.B) { run(b, consume) })
	b.Run("noop", func(b *testing.B) {
		run(b, function.Chain(consume, middleware.Tracing(middleware.TracingProvider(noop.NewTracerProvider()))))
	})
	b.Run("sdk", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		run(b, function.Chain(consume, middleware.Tracing(middleware.TracingProvider(tp))))
	})
}

// spy is a middleware that records the Message its context carries, and
// hands next the event that swap returns (the same one when swap is nil).
func spy(seen *[]*payload.Message, swap func(event.Event) event.Event) function.Middleware {
	return func(next function.Handler) function.Handler {
		return function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
			m, _ := payload.FromContext(ctx)
			*seen = append(*seen, m)
			if swap != nil {
				e = swap(e)
			}
			return next.Handle(ctx, e)
		})
	}
}

// Tracing reads a broker message's envelope, and the typed handler below
// uses that reading instead of parsing the envelope again; another event
// handled with the same context is read afresh.
func TestTracingSharesTheMessageWithTypedHandlers(t *testing.T) {
	for name, tp := range map[string]trace.TracerProvider{
		"noop": noop.NewTracerProvider(),
		"sdk":  sdktrace.NewTracerProvider(),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := function.NewContext(context.Background(), &function.Invocation{Batch: 1, Attempt: 1})
			var inHandler []*payload.Message
			var got []benchOrder
			consume := function.Consume(func(ctx context.Context, o benchOrder) error {
				m, _ := payload.FromContext(ctx)
				inHandler = append(inHandler, m)
				got = append(got, o)
				return nil
			})

			var byTracing []*payload.Message
			h := function.Chain(consume, middleware.Tracing(middleware.TracingProvider(tp)), spy(&byTracing, nil))
			_, err := h.Handle(ctx, sqsOrderEvent(t))
			require.NoError(t, err)
			require.Len(t, byTracing, 1)
			require.NotNil(t, byTracing[0], "Tracing passes the message on")
			require.Len(t, inHandler, 1)
			assert.Same(t, byTracing[0], inHandler[0], "one reading of the envelope")
			assert.Equal(t, benchOrder{ID: "o-1", Qty: 2}, got[0])

			other := sqsOrderEvent(t)
			other.DataEncoded = []byte(strings.Replace(sqsOrder, `o-1`, `o-2`, 1))
			byTracing, inHandler, got = nil, nil, nil
			h = function.Chain(consume, middleware.Tracing(middleware.TracingProvider(tp)), spy(&byTracing, func(event.Event) event.Event { return other }))
			_, err = h.Handle(ctx, sqsOrderEvent(t))
			require.NoError(t, err)
			require.Len(t, inHandler, 1)
			assert.NotSame(t, byTracing[0], inHandler[0], "another event is read afresh")
			assert.Equal(t, benchOrder{ID: "o-2", Qty: 2}, got[0])
		})
	}
}

// Handlers below Tracing that handle the event concurrently share its
// Message without a race (run with -race).
func TestTracingSharedMessageConcurrently(t *testing.T) {
	ctx := function.NewContext(context.Background(), &function.Invocation{Batch: 1})
	var mu sync.Mutex
	var seen []*payload.Message
	consume := function.Consume(func(ctx context.Context, o benchOrder) error {
		m, _ := payload.FromContext(ctx)
		mu.Lock()
		seen = append(seen, m)
		mu.Unlock()
		return nil
	})
	fanOut := func(next function.Handler) function.Handler {
		return function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() { _, _ = next.Handle(ctx, e) })
			}
			wg.Wait()
			return nil, nil
		})
	}
	h := function.Chain(consume, middleware.Tracing(middleware.TracingProvider(sdktrace.NewTracerProvider())), fanOut)
	_, err := h.Handle(ctx, sqsOrderEvent(t))
	require.NoError(t, err)
	require.Len(t, seen, 4)
	for _, m := range seen[1:] {
		assert.Same(t, seen[0], m)
	}
	assert.Equal(t, 1, seen[0].Attempt, "the message's own attempt")
}
