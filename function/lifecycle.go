package function

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
)

// Starter is implemented by handlers with expensive set-up (a database
// client, fetched configuration). Adapters call Start once, before the first
// invocation, instead of at process start, so a cold start pays for it only
// when a request actually arrives. A failed Start is tried again on the next
// invocation.
type Starter interface {
	Start(ctx context.Context) error
}

// Stopper is implemented by handlers that hold resources. Adapters call
// Stop once when the process is asked to shut down (SIGTERM), after in-flight
// invocations have drained.
type Stopper interface {
	Stop(ctx context.Context) error
}

// Lifecycle runs the optional [Starter] and [Stopper] hooks of the handlers
// it is given, and of the handlers they wrap (see [Unwrapper]). Adapters own
// one; call Start before each invocation (it is cheap once started) and Stop
// at shutdown.
type Lifecycle struct {
	starters []Starter
	stoppers []Stopper
	started  atomic.Bool
	mu       sync.Mutex
	ran      int // starters that have succeeded
}

// NewLifecycle finds the hooks of each target: [Handler]s, [net/http.Handler]s
// or any other value. Nil targets are skipped.
func NewLifecycle(targets ...any) *Lifecycle {
	l := &Lifecycle{}
	for _, t := range targets {
		// The depth bound guards against an Unwrap cycle.
		for depth := 0; t != nil && depth < 64; depth++ {
			l.add(t)
			if c, ok := t.(layer); ok && !same(c.Handler, c.next) {
				// A chain layer's own methods are not its handler's: look
				// at the middleware's handler too, then go on inward.
				l.add(c.Handler)
			}
			t = unwrapOnce(t)
		}
	}
	if len(l.starters) == 0 {
		l.started.Store(true)
	}
	return l
}

func (l *Lifecycle) add(t any) {
	if s, ok := t.(Starter); ok {
		l.starters = append(l.starters, s)
	}
	if s, ok := t.(Stopper); ok {
		l.stoppers = append(l.stoppers, s)
	}
}

// same reports whether a and b are the same handler; handlers of
// incomparable types are never the same.
func same(a, b any) (eq bool) {
	defer func() {
		if recover() != nil {
			eq = false
		}
	}()
	return a == b
}

func unwrapOnce(t any) any {
	switch u := t.(type) {
	case Unwrapper:
		if h := u.Unwrap(); h != nil {
			return h
		}
	case interface{ Unwrap() http.Handler }:
		if h := u.Unwrap(); h != nil {
			return h
		}
	}
	return nil
}

// HasStop reports whether any handler has a Stop hook, so an adapter can
// skip asking the platform for a shutdown signal nothing would act on.
func (l *Lifecycle) HasStop() bool { return len(l.stoppers) > 0 }

// Start runs every Start hook once. After a failure it returns the error and
// tries the failed hook (and those after it) again on the next call; concurrent callers wait for the one running.
func (l *Lifecycle) Start(ctx context.Context) error {
	if l.started.Load() {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started.Load() {
		return nil
	}
	for ; l.ran < len(l.starters); l.ran++ {
		if err := l.starters[l.ran].Start(ctx); err != nil {
			return Retryable(errors.Join(errors.New("function: start hook failed; it runs again on the next invocation"), err))
		}
	}
	l.started.Store(true)
	return nil
}

// Stop runs every Stop hook, in reverse order of discovery, and joins their
// errors. Hooks run only if Start succeeded or there was nothing to start.
func (l *Lifecycle) Stop(ctx context.Context) error {
	if !l.started.Load() {
		return nil
	}
	var errs []error
	for i := len(l.stoppers) - 1; i >= 0; i-- {
		if err := l.stoppers[i].Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
