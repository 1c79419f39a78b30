package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// ErrTimeout is matched, with [errors.Is], by the error [Timeout] returns
// when the handler overran its time. That error also matches
// [context.DeadlineExceeded] and is retryable.
var ErrTimeout = errors.New("middleware: invocation timed out")

// DefaultReserve is the time [Timeout] keeps back before the platform's
// deadline, by default, for the function to report its result and clean up.
const DefaultReserve = 500 * time.Millisecond

// TimeoutOption configures [Timeout] and [TimeoutHTTP].
type TimeoutOption func(*timeoutSettings)

type timeoutSettings struct {
	reserve time.Duration
	budget  time.Duration
	now     func() time.Time
}

// TimeoutReserve sets how long before the platform's deadline the handler's
// context ends (default [DefaultReserve]). It is also the time
// [CleanupContext] grants.
func TimeoutReserve(d time.Duration) TimeoutOption {
	return func(s *timeoutSettings) {
		if d >= 0 {
			s.reserve = d
		}
	}
}

// TimeoutBudget sets a fixed budget per invocation, which applies when it
// ends before the platform's deadline less the reserve (or when there is no
// platform deadline, as under plain net/http).
func TimeoutBudget(d time.Duration) TimeoutOption {
	return func(s *timeoutSettings) { s.budget = d }
}

// TimeoutNow sets the clock that the deadline is computed from (tests).
func TimeoutNow(now func() time.Time) TimeoutOption {
	return func(s *timeoutSettings) {
		if now != nil {
			s.now = now
		}
	}
}

func newTimeoutSettings(opts []TimeoutOption) timeoutSettings {
	s := timeoutSettings{reserve: DefaultReserve, now: time.Now}
	for _, o := range opts {
		o(&s)
	}
	return s
}

// deadline returns the deadline the handler's context should end at, and
// whether it must derive a context for it: not when there is no deadline at
// all, nor when ctx already ends at or before it.
func (s *timeoutSettings) deadline(ctx context.Context) (time.Time, bool) {
	var d time.Time
	if inv, ok := invocationOf(ctx); ok && !inv.Deadline.IsZero() {
		d = inv.Deadline.Add(-s.reserve)
	}
	if s.budget > 0 {
		if b := s.now().Add(s.budget); d.IsZero() || b.Before(d) {
			d = b
		}
	}
	if d.IsZero() {
		return d, false
	}
	if cd, ok := ctx.Deadline(); ok && !cd.After(d) {
		return d, false
	}
	return d, true
}

// Timeout ends the handler's context at the platform's deadline less a
// reserve ([TimeoutReserve], default 500 ms, like Middy's early timeout), or
// after a fixed [TimeoutBudget], whichever comes first. When the handler
// fails after that context ended, Timeout returns a retryable error matching
// [ErrTimeout] and [context.DeadlineExceeded] that wraps the handler's
// error. The handler must honour its context: Timeout cannot stop code that
// ignores it.
//
// The reserve is left for reporting the result and for cleanup: code that
// must still run after the timeout (releasing a lock, writing a checkpoint)
// takes its context from [CleanupContext].
//
// When no deadline applies (no platform deadline and no budget), or the
// context already ends in time, Timeout calls the handler directly and
// allocates nothing.
func Timeout(opts ...TimeoutOption) function.Middleware {
	s := newTimeoutSettings(opts)
	return func(next function.Handler) function.Handler {
		return &timeout{s: s, next: next}
	}
}

type timeout struct {
	s    timeoutSettings
	next function.Handler
}

func (t *timeout) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	d, derive := t.s.deadline(ctx)
	if !derive {
		return t.next.Handle(ctx, e)
	}
	tctx, cancel := withTimeout(ctx, d, t.s.reserve)
	defer cancel()
	reply, err := t.next.Handle(tctx, e)
	if err != nil && tctx.Err() != nil && ctx.Err() == nil {
		return nil, function.Retryable(&timeoutError{deadline: d, err: err})
	}
	return reply, err
}

// Unwrap returns the wrapped handler, so lifecycle hooks stay reachable.
func (t *timeout) Unwrap() function.Handler { return t.next }

type timeoutError struct {
	deadline time.Time
	err      error
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("middleware: invocation timed out at %s, before the platform's deadline; it will be redelivered (raise the function's timeout or lower the work per invocation): %v",
		e.deadline.Format(time.RFC3339Nano), e.err)
}

func (e *timeoutError) Unwrap() error { return e.err }

func (e *timeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

// Timeout reports true, like net errors that time out.
func (e *timeoutError) Timeout() bool { return true }

// timeoutCtx is the context Timeout derives: the deadline context, plus what
// CleanupContext needs to know.
type timeoutCtx struct {
	context.Context
	parent  context.Context
	reserve time.Duration
}

type cleanupKey struct{}

func (c *timeoutCtx) Value(key any) any {
	if _, ok := key.(cleanupKey); ok {
		return c
	}
	return c.Context.Value(key)
}

func withTimeout(ctx context.Context, d time.Time, reserve time.Duration) (context.Context, context.CancelFunc) {
	dctx, cancel := context.WithDeadline(ctx, d)
	return &timeoutCtx{Context: dctx, parent: ctx, reserve: reserve}, cancel
}

// DefaultCleanup is the time [CleanupContext] grants when the context did
// not come from [Timeout].
const DefaultCleanup = time.Second

// CleanupContext returns a context for cleanup work that must run even after
// the handler's context ended (a timeout, a cancelled request): it keeps
// ctx's values (the invocation, the trace span, the logger) but not its
// cancellation, and ends after the reserve of the enclosing [Timeout] (else
// [DefaultCleanup]) or at the platform's deadline, whichever comes first.
// Call the returned cancel function when done.
//
//	defer func() {
//		cctx, cancel := middleware.CleanupContext(ctx)
//		defer cancel()
//		lock.Release(cctx)
//	}()
func CleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	grant := DefaultCleanup
	var limit time.Time
	if tc, ok := ctx.Value(cleanupKey{}).(*timeoutCtx); ok {
		grant = tc.reserve
		if d, ok := tc.parent.Deadline(); ok {
			limit = d
		}
	}
	if inv, ok := invocationOf(ctx); ok && !inv.Deadline.IsZero() && (limit.IsZero() || inv.Deadline.Before(limit)) {
		limit = inv.Deadline
	}
	end := time.Now().Add(grant)
	if !limit.IsZero() && limit.Before(end) {
		end = limit
	}
	return context.WithDeadline(context.WithoutCancel(ctx), end)
}

// TimeoutHTTP is [Timeout] for HTTP handlers: the request's context ends at
// the platform's deadline less the reserve, or after the budget. When the
// handler returns after that without having written a response, TimeoutHTTP
// answers 504 Gateway Timeout.
func TimeoutHTTP(opts ...TimeoutOption) func(http.Handler) http.Handler {
	s := newTimeoutSettings(opts)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d, derive := s.deadline(r.Context())
			if !derive {
				next.ServeHTTP(w, r)
				return
			}
			tctx, cancel := withTimeout(r.Context(), d, s.reserve)
			defer cancel()
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r.WithContext(tctx))
			if sw.status == 0 && tctx.Err() != nil && r.Context().Err() == nil {
				http.Error(w, http.StatusText(http.StatusGatewayTimeout), http.StatusGatewayTimeout)
			}
		})
	}
}
