package function

import "context"

// Finisher is implemented by handlers (and the middleware layers of a
// chain) that must act once at the end of each invocation: after every
// event of a batch has been handled and before the adapter answers the
// platform. middleware/otelsetup flushes telemetry there, once per
// invocation rather than once per record, before AWS Lambda freezes the
// process. ctx carries the invocation (see [FromContext]) and its deadline.
type Finisher interface {
	Finish(ctx context.Context)
}

// Finishers holds the [Finisher] hooks of a handler chain. Adapters build one
// with [FindFinishers] next to their [Lifecycle] and call [Finishers.Begin]
// for every invocation.
type Finishers struct {
	list []Finisher
}

// FindFinishers finds the Finish hooks of each target and of what it wraps
// (see [Unwrapper]), as [NewLifecycle] does for Start and Stop. A hook found
// twice is kept once.
func FindFinishers(targets ...any) *Finishers {
	f := &Finishers{}
	add := func(t any) {
		fin, ok := t.(Finisher)
		if !ok {
			return
		}
		for _, have := range f.list {
			if same(have, fin) {
				return
			}
		}
		f.list = append(f.list, fin)
	}
	for _, t := range targets {
		for depth := 0; t != nil && depth < 64; depth++ {
			add(t)
			if c, ok := t.(layer); ok && !same(c.Handler, c.next) {
				add(c.Handler)
			}
			t = unwrapOnce(t)
		}
	}
	return f
}

type finishingKey struct{}

// Begin marks ctx as the context of an invocation whose adapter will call
// the hooks, so that [Finishing] reports true to the handlers, and returns
// the function that runs them. The adapter calls it exactly once, after the
// last event of the invocation, with a context that carries the invocation.
// With no hooks, Begin returns ctx unchanged and a no-op.
func (f *Finishers) Begin(ctx context.Context) (context.Context, func(context.Context)) {
	if f == nil || len(f.list) == 0 {
		return ctx, func(context.Context) {}
	}
	return context.WithValue(ctx, finishingKey{}, true), f.finish
}

func (f *Finishers) finish(ctx context.Context) {
	for _, fin := range f.list {
		fin.Finish(ctx)
	}
}

// Finishing reports whether the adapter serving ctx's invocation calls the
// [Finisher] hooks once at its end, so that per-event work (a telemetry
// flush) can wait for that single call.
func Finishing(ctx context.Context) bool {
	v, _ := ctx.Value(finishingKey{}).(bool)
	return v
}
