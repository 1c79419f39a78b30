package function

import (
	"context"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Handler handles one CloudEvent. It returns the reply event, or nil when
// there is no reply, and an error that says whether the platform should
// redeliver (see [Permanent], [IsRetryable]).
type Handler interface {
	Handle(ctx context.Context, e event.Event) (*event.Event, error)
}

// HandlerFunc adapts an ordinary function to a [Handler].
type HandlerFunc func(ctx context.Context, e event.Event) (*event.Event, error)

// Handle calls f(ctx, e).
func (f HandlerFunc) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	return f(ctx, e)
}

// Middleware wraps a Handler with behaviour of its own.
type Middleware func(Handler) Handler

// Chain wraps h in the middleware mw, the first one outermost: Chain(h, a, b)
// handles an event as a(b(h)). The returned handler unwraps to h (see
// [Unwrapper]) so lifecycle hooks of h stay reachable.
func Chain(h Handler, mw ...Middleware) Handler {
	if len(mw) == 0 {
		return h
	}
	wrapped := h
	for i := len(mw) - 1; i >= 0; i-- {
		if mw[i] != nil {
			wrapped = mw[i](wrapped)
		}
	}
	return chain{Handler: wrapped, inner: h}
}

type chain struct {
	Handler
	inner Handler
}

// Unwrap returns the handler the chain was built around.
func (c chain) Unwrap() Handler { return c.inner }

// Unwrapper is implemented by handlers that wrap another one, so that code
// looking for optional interfaces ([Starter], [Stopper]) can find them on the
// wrapped handler.
type Unwrapper interface {
	Unwrap() Handler
}
