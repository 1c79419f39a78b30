package middleware_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
)

func TestDefaultOrder(t *testing.T) {
	tests := []struct {
		name       string
		h          function.Handler
		wantErr    error
		wantCalls  int
		wantLevel  string
		wantStatus string
	}{
		{name: "retries inside one span and one log line", h: &countingHandler{errs: []error{errFlaky, errFlaky}}, wantCalls: 3, wantLevel: "INFO"},
		{name: "gives up with the last error", h: &countingHandler{errs: []error{errFlaky, errFlaky, errFlaky}}, wantErr: errFlaky, wantCalls: 3, wantLevel: "WARN"},
		{name: "panic recovered outermost, still logged and traced", h: function.HandlerFunc(panicking), wantErr: middleware.ErrPanic, wantLevel: "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			tp, rec := recorder(t)
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			h := function.Chain(tt.h, middleware.Default(
				middleware.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
				middleware.WithTracerProvider(tp),
				middleware.WithMeterProvider(mp),
				middleware.WithRetry(middleware.RetryClock(newFakeClock())),
				middleware.WithTimeout(middleware.TimeoutReserve(time.Second)),
			)...)
			ctx := withInvocation(function.Invocation{Platform: function.PlatformLambda, RequestID: "req-1", Deadline: time.Now().Add(time.Hour)})
			_, err := h.Handle(ctx, testEvent(t, "e-1"))
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.wantErr)
			}
			if c, ok := tt.h.(*countingHandler); ok {
				assert.Equal(t, tt.wantCalls, c.calls)
			}
			assert.Len(t, rec.Ended(), 1, "one span")
			var lines []map[string]any
			for _, l := range jsonLines(t, &logs) {
				if l["msg"] == "invocation" {
					lines = append(lines, l)
				}
			}
			require.Len(t, lines, 1, "one invocation line")
			assert.Equal(t, tt.wantLevel, lines[0]["level"])
			assert.Equal(t, "req-1", lines[0]["request_id"])
			assert.Equal(t, map[string]int64{"faas.trigger=other": 1}, sums(t, collect(t, reader)["faas.invocations"]))
		})
	}
}

func TestDefaultWithoutMetrics(t *testing.T) {
	assert.Len(t, middleware.Default(), 5)
	assert.Len(t, middleware.Default(middleware.WithMeterProvider(sdkmetric.NewMeterProvider())), 6)
}

func trivial(context.Context, event.Event) (*event.Event, error) { return nil, nil }

// BenchmarkChain measures what the middleware add to a trivial handler. The
// "none" case is the bare handler; retry, timeout and recover must report
// 0 allocs/op.
func BenchmarkChain(b *testing.B) {
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	tp := noop.NewTracerProvider()
	h := function.HandlerFunc(trivial)
	lambda := function.NewContext(context.Background(), &function.Invocation{
		Platform: function.PlatformLambda, FunctionName: "orders", RequestID: "req-1",
		Deadline: time.Now().Add(time.Hour), Trigger: function.TriggerPubSub,
	})
	local := function.NewContext(context.Background(), &function.Invocation{Platform: function.PlatformHTTP, RequestID: "req-1"})
	cases := []struct {
		name string
		ctx  context.Context
		h    function.Handler
	}{
		{name: "none", ctx: lambda, h: h},
		{name: "default", ctx: lambda, h: function.Chain(h, middleware.Default(middleware.WithLogger(discard), middleware.WithTracerProvider(tp))...)},
		{name: "default-no-deadline", ctx: local, h: function.Chain(h, middleware.Default(middleware.WithLogger(discard), middleware.WithTracerProvider(tp))...)},
		{name: "recover", ctx: lambda, h: middleware.Recover()(h)},
		{name: "retry", ctx: lambda, h: middleware.Retry()(h)},
		{name: "timeout-no-deadline", ctx: local, h: middleware.Timeout()(h)},
		{name: "timeout-deadline", ctx: lambda, h: middleware.Timeout()(h)},
		{name: "logging", ctx: lambda, h: middleware.Logging(middleware.LoggingLogger(discard))(h)},
		{name: "tracing-noop", ctx: lambda, h: middleware.Tracing(middleware.TracingProvider(tp))(h)},
		{name: "metrics-noop", ctx: lambda, h: middleware.Metrics()(h)},
		{name: "limit", ctx: lambda, h: middleware.Limit(8)(h)},
	}
	e := event.New()
	e.SetID("e-1")
	e.SetType("com.example.order.created")
	e.SetSource("/orders")
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.h.Handle(c.ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
