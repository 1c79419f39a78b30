package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
)

// exampleEvent is the event the examples handle.
func exampleEvent() event.Event {
	e := event.New()
	e.SetID("e-1")
	e.SetType("com.example.order.created")
	e.SetSource("/orders")
	return e
}

// exampleLogger writes text lines without the time and duration, so the
// examples' output is stable.
func exampleLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == middleware.LogKeyDuration || a.Key == "stack" {
				return slog.Attr{}
			}
			return a
		},
	}))
}

func ExampleDefault() {
	orders := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		middleware.Logger(ctx).Info("reserving", "order", e.Subject())
		return nil, nil
	})
	h := function.Chain(orders, middleware.Default(middleware.WithLogger(exampleLogger()))...)

	e := exampleEvent()
	e.SetSubject("o-1")
	ctx := function.NewContext(context.Background(), &function.Invocation{
		Platform: function.PlatformLambda, RequestID: "req-1", Deadline: time.Now().Add(time.Minute),
	})
	_, err := h.Handle(ctx, e)
	fmt.Println("error:", err)
	// Output:
	// level=INFO msg=reserving platform=aws_lambda request_id=req-1 event_id=e-1 event_type=com.example.order.created event_source=/orders order=o-1
	// level=INFO msg=invocation platform=aws_lambda request_id=req-1 event_id=e-1 event_type=com.example.order.created event_source=/orders outcome=ok
	// error: <nil>
}

func ExampleRetry() {
	calls := 0
	flaky := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		calls++
		if calls < 3 {
			return nil, errors.New("connection reset")
		}
		return nil, nil
	})
	h := middleware.Retry(middleware.RetryAttempts(5), middleware.RetryBackoff(time.Millisecond, 10*time.Millisecond, 2))(flaky)
	_, err := h.Handle(context.Background(), exampleEvent())
	fmt.Println(calls, err)

	bad := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		return nil, function.Permanent(errors.New("order has no id"))
	})
	_, err = middleware.Retry()(bad).Handle(context.Background(), exampleEvent())
	var re *middleware.RetryError
	if errors.As(err, &re) {
		fmt.Println(re.Attempts, function.IsPermanent(err), err)
	}
	// Output:
	// 3 <nil>
	// 1 true order has no id
}

func ExampleTimeout() {
	slow := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		<-ctx.Done() // a query honouring its context
		// Cleanup that must still run gets a context of its own.
		cctx, cancel := middleware.CleanupContext(ctx)
		defer cancel()
		fmt.Println("cleanup context live:", cctx.Err() == nil)
		return nil, ctx.Err()
	})
	// The platform stops the function in 150 ms; the handler's context ends
	// 100 ms before that.
	ctx := function.NewContext(context.Background(), &function.Invocation{Deadline: time.Now().Add(150 * time.Millisecond)})
	_, err := middleware.Timeout(middleware.TimeoutReserve(100*time.Millisecond))(slow).Handle(ctx, exampleEvent())
	fmt.Println(errors.Is(err, middleware.ErrTimeout), errors.Is(err, context.DeadlineExceeded), function.IsRetryable(err))
	// Output:
	// cleanup context live: true
	// true true true
}

func ExampleRecover() {
	h := middleware.Recover(middleware.RecoverLogger(exampleLogger()))(function.HandlerFunc(
		func(ctx context.Context, e event.Event) (*event.Event, error) {
			var orders []string
			return nil, fmt.Errorf("first order: %s", orders[0]) // index out of range
		}))
	_, err := h.Handle(context.Background(), exampleEvent())
	fmt.Println(err)
	fmt.Println(errors.Is(err, middleware.ErrPanic), function.IsRetryable(err))
	// Output:
	// level=ERROR msg="handler panicked" panic="runtime error: index out of range [0] with length 0" event_id=e-1
	// middleware: handler panicked on event "e-1"; the stack is in the function's log
	// true true
}

func ExampleRecoverHTTP() {
	h := middleware.RecoverHTTP(middleware.RecoverLogger(slog.New(slog.DiscardHandler)))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { panic("secret detail") }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Print(w.Code, " ", w.Body.String())
	// Output:
	// 500 Internal Server Error
}

func ExampleLogging() {
	h := middleware.Logging(middleware.LoggingLogger(exampleLogger()))(function.HandlerFunc(
		func(ctx context.Context, e event.Event) (*event.Event, error) {
			return nil, function.Permanent(errors.New("unknown product"))
		}))
	ctx := function.NewContext(context.Background(), &function.Invocation{
		Platform: function.PlatformCloudRun, FunctionName: "orders", RequestID: "req-2", ColdStart: true, Attempt: 1,
	})
	_, _ = h.Handle(ctx, exampleEvent())
	// Output:
	// level=ERROR msg=invocation platform=gcp_cloud_run function=orders request_id=req-2 cold_start=true attempt=1 event_id=e-1 event_type=com.example.order.created event_source=/orders outcome=permanent error="unknown product"
}

func ExampleTracing() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	h := middleware.Tracing(middleware.TracingProvider(tp))(function.HandlerFunc(
		func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil }))

	// Lambda gives the X-Ray header of the caller's trace.
	ctx := function.NewContext(context.Background(), &function.Invocation{
		Platform: function.PlatformLambda, FunctionName: "orders", RequestID: "req-1", Trigger: function.TriggerPubSub,
		TraceHeader: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
	})
	_, _ = h.Handle(ctx, exampleEvent())
	s := rec.Ended()[0]
	fmt.Println(s.Name(), s.SpanKind(), s.SpanContext().TraceID(), s.Parent().SpanID())
	for _, a := range s.Attributes()[:3] {
		fmt.Println(a.Key, a.Value.String())
	}
	// Output:
	// orders consumer 5759e988bd862e3fe1be46a994272793 53995c3f42cd8ad8
	// faas.trigger pubsub
	// faas.invocation_id req-1
	// faas.coldstart false
}

func ExampleMetrics() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	h := middleware.Metrics(middleware.MetricsProvider(mp))(function.HandlerFunc(
		func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil }))
	ctx := function.NewContext(context.Background(), &function.Invocation{Trigger: function.TriggerHTTP, ColdStart: true})
	_, _ = h.Handle(ctx, exampleEvent())

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
			fmt.Println(m.Name, sum.DataPoints[0].Value)
		}
	}
	// Unordered output:
	// faas.invocations 1
	// faas.coldstarts 1
	// faasport.invocations.active 0
}

func ExampleNewLazy() {
	type DB struct{ DSN string }
	db := middleware.NewLazy("database", func(ctx context.Context) (*DB, error) {
		fmt.Println("connecting")
		return &DB{DSN: "postgres://orders"}, nil
	})
	h := function.Chain(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		conn, err := db.Get(ctx) // an atomic load once connected
		if err != nil {
			return nil, err
		}
		fmt.Println("using", conn.DSN)
		return nil, nil
	}), db.Middleware())
	_, _ = h.Handle(context.Background(), exampleEvent())
	_, _ = h.Handle(context.Background(), exampleEvent())
	// Output:
	// connecting
	// using postgres://orders
	// using postgres://orders
}

func ExampleLimit() {
	// At most 2 invocations at once reach the database; others wait for a
	// slot until their deadline.
	h := middleware.Limit(2, middleware.LimitMaxWait(time.Second))(function.HandlerFunc(
		func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil }))
	_, err := h.Handle(context.Background(), exampleEvent())
	fmt.Println(err)
	// Output:
	// <nil>
}

func ExampleParseTraceHeader() {
	sc, ok := middleware.ParseTraceHeader("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	fmt.Println(ok, sc.TraceID(), sc.SpanID(), sc.IsSampled())
	// Output:
	// true 5759e988bd862e3fe1be46a994272793 53995c3f42cd8ad8 true
}
