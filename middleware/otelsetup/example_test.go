package otelsetup_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
	"github.com/faasport/faasport/middleware/otelsetup"
)

func Example() {
	// A collector on loopback; in production, the Lambda collector extension
	// or a sidecar.
	collector, stop, err := startReceiver()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()

	// A flush waits at most 100 ms by default; this collector was started
	// a moment ago, so give its first connection time.
	tel := otelsetup.New(otelsetup.WithEndpoint(collector.addr), otelsetup.WithInsecure(),
		otelsetup.WithFlushTimeout(5*time.Second))
	defer func() { _ = tel.Shutdown(context.Background()) }()

	orders := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil })
	h := function.Chain(orders, append([]function.Middleware{tel.Middleware()}, middleware.Default(
		middleware.WithTracerProvider(tel.TracerProvider()),
		middleware.WithMeterProvider(tel.MeterProvider()),
	)...)...)

	e := event.New()
	e.SetID("e-1")
	e.SetType("com.example.order.created")
	e.SetSource("/orders")
	ctx := function.NewContext(context.Background(), &function.Invocation{
		Platform: function.PlatformLambda, FunctionName: "orders", Deadline: time.Now().Add(time.Minute),
	})
	_, _ = h.Handle(ctx, e)

	// On Lambda the span is exported before the invocation returns.
	spans, _, _ := collector.received()
	fmt.Println(len(spans), spans[0].GetName())
	// Output:
	// 1 orders
}
