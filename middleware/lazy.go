package middleware

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/faasport/faasport/function"
)

// Lazy holds a value that is expensive to make (a database client, fetched
// configuration) and is made on first use instead of at start-up, so a cold
// start pays for it only when an invocation needs it. Build one with
// [NewLazy] and keep it for the life of the process.
//
// Unlike sync.Once, a failed initialization is not remembered: the next
// [Lazy.Get] tries again. Concurrent first callers share one run of the
// initializer and its result.
type Lazy[T any] struct {
	name string
	init func(context.Context) (T, error)

	done  atomic.Bool
	value T // written once, before done is set

	mu      sync.Mutex
	running *lazyRun
}

type lazyRun struct {
	finished chan struct{}
	err      error
}

// NewLazy returns a [Lazy] whose value init makes. The name identifies it in
// errors and in the span event that records how long init took. init gets
// the context of the invocation that first needs the value; it must not keep
// that context, which ends with the invocation.
func NewLazy[T any](name string, init func(ctx context.Context) (T, error)) *Lazy[T] {
	return &Lazy[T]{name: name, init: init}
}

// Get returns the value, making it first if no earlier call has succeeded.
// Callers that arrive while it is being made wait for that attempt (or for
// their own ctx to end) and share its outcome. Once the value is made, Get
// is a single atomic load.
func (l *Lazy[T]) Get(ctx context.Context) (T, error) {
	if l.done.Load() {
		return l.value, nil
	}
	return l.slow(ctx)
}

// Peek returns the value and true if it has been made, without making it.
func (l *Lazy[T]) Peek() (T, bool) {
	if l.done.Load() {
		return l.value, true
	}
	var zero T
	return zero, false
}

func (l *Lazy[T]) slow(ctx context.Context) (T, error) {
	var zero T
	l.mu.Lock()
	if l.done.Load() {
		l.mu.Unlock()
		return l.value, nil
	}
	run := l.running
	if run == nil {
		run = &lazyRun{finished: make(chan struct{})}
		l.running = run
		l.mu.Unlock()
		l.run(ctx, run)
	} else {
		l.mu.Unlock()
	}
	select {
	case <-run.finished:
	case <-ctx.Done():
		return zero, fmt.Errorf("middleware: wait for %s to initialize: %w", l.name, ctx.Err())
	}
	if run.err != nil {
		return zero, run.err
	}
	return l.value, nil
}

// run makes the value and publishes the outcome to everyone waiting on run.
func (l *Lazy[T]) run(ctx context.Context, run *lazyRun) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			run.err = fmt.Errorf("middleware: initialize %s: %w (panic: %v); it is tried again on the next use", l.name, ErrPanic, p)
		}
		l.mu.Lock()
		l.running = nil
		l.mu.Unlock()
		trace.SpanFromContext(ctx).AddEvent("faasport.lazy_init", trace.WithAttributes(
			attribute.String("faasport.lazy.name", l.name),
			attribute.Float64("faasport.lazy.duration_ms", float64(time.Since(start))/float64(time.Millisecond)),
			attribute.Bool("faasport.lazy.ok", run.err == nil),
		))
		close(run.finished)
	}()
	v, err := l.init(ctx)
	if err != nil {
		run.err = fmt.Errorf("middleware: initialize %s: %w; it is tried again on the next use", l.name, err)
		return
	}
	l.value = v
	l.done.Store(true)
}

// Middleware makes the value before each invocation reaches the handler, so
// an initialization failure becomes a retryable error (whatever its class:
// it is not the event's fault) without running the handler, and the handler's
// own [Lazy.Get] is a single atomic load.
func (l *Lazy[T]) Middleware() function.Middleware {
	return func(next function.Handler) function.Handler {
		return &lazyHandler[T]{l: l, next: next}
	}
}

type lazyHandler[T any] struct {
	l    *Lazy[T]
	next function.Handler
}

func (h *lazyHandler[T]) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	if !h.l.done.Load() {
		if _, err := h.l.slow(ctx); err != nil {
			return nil, function.Retryable(err)
		}
	}
	return h.next.Handle(ctx, e)
}

// Unwrap returns the wrapped handler, so lifecycle hooks stay reachable.
func (h *lazyHandler[T]) Unwrap() function.Handler { return h.next }
