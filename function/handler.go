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
// handles an event as a(b(h)). Every layer stays reachable (see
// [NewLifecycle]), so lifecycle hooks of h and of the middleware's handlers
// are found.
func Chain(h Handler, mw ...Middleware) Handler {
	wrapped := h
	for i := len(mw) - 1; i >= 0; i-- {
		if mw[i] != nil {
			wrapped = layer{Handler: mw[i](wrapped), next: wrapped}
		}
	}
	return wrapped
}

// layer is one middleware's handler in a chain, with the handler it wraps.
type layer struct {
	Handler
	next Handler
}

// Unwrap returns the handler this layer wraps.
func (l layer) Unwrap() Handler { return l.next }

// Unwrapper is implemented by handlers that wrap another one, so that code
// looking for optional interfaces ([Starter], [Stopper]) can find them on the
// wrapped handler.
type Unwrapper interface {
	Unwrap() Handler
}
