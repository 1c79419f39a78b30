package function_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

type Order struct {
	ID  string `json:"id"`
	Qty int    `json:"qty"`
}

// A typed handler: the event data is decoded into Order, and bad data is a
// permanent error that the platform will not redeliver.
func ExampleConsume() {
	h := function.Consume(func(ctx context.Context, o Order) error {
		if o.Qty <= 0 {
			return function.Permanent(errors.New("quantity must be positive"))
		}
		fmt.Println("reserving", o.Qty, "of", o.ID, "on", function.FromContext(ctx).Platform)
		return nil
	})

	e := event.New()
	e.SetID("1")
	e.SetSource("/shop")
	e.SetType("com.example.order.created")
	_ = e.SetData(event.ApplicationJSON, Order{ID: "o-1", Qty: 2})

	ctx := function.NewContext(context.Background(), &function.Invocation{Platform: function.PlatformHTTP})
	_, err := h.Handle(ctx, e)
	fmt.Println("error:", err)

	_ = e.SetData(event.ApplicationJSON, map[string]any{"id": "o-2", "qty": "two"})
	_, err = h.Handle(ctx, e)
	fmt.Println("permanent:", function.IsPermanent(err))
	// Output:
	// reserving 2 of o-1 on http
	// error: <nil>
	// permanent: true
}

// Chain wraps a handler in middleware, the first one outermost.
func ExampleChain() {
	logging := func(next function.Handler) function.Handler {
		return function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
			fmt.Println("handling", e.Type())
			return next.Handle(ctx, e)
		})
	}
	h := function.Chain(function.Typed(func(_ context.Context, s string) (string, error) {
		return s + "!", nil
	}), logging)

	e := event.New()
	e.SetID("1")
	e.SetSource("/greeter")
	e.SetType("com.example.greet")
	_ = e.SetData("text/plain", "hello")
	reply, _ := h.Handle(context.Background(), e)
	fmt.Println(string(reply.Data()))
	// Output:
	// handling com.example.greet
	// hello!
}
