package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// ErrLimited is matched, with [errors.Is], by the retryable error [Limit]
// returns when an invocation found no free slot in time.
var ErrLimited = errors.New("middleware: concurrency limit reached")

// LimitOption configures [Limit] and [LimitHTTP].
type LimitOption func(*limitSettings)

type limitSettings struct {
	reserve    time.Duration
	maxWait    time.Duration
	retryAfter time.Duration
}

// LimitReserve sets how long before the invocation's deadline a waiting
// invocation gives up (default [DefaultReserve]), leaving time to report the
// error.
func LimitReserve(d time.Duration) LimitOption {
	return func(s *limitSettings) {
		if d >= 0 {
			s.reserve = d
		}
	}
}

// LimitMaxWait bounds how long an invocation waits for a slot, also when
// there is no deadline (default: until the deadline or the context ends).
func LimitMaxWait(d time.Duration) LimitOption {
	return func(s *limitSettings) { s.maxWait = d }
}

// LimitRetryAfter sets the delay the error asks the caller to wait before
// retrying ([function.RetryAfter]; HTTP sends it as Retry-After), default
// 1 s.
func LimitRetryAfter(d time.Duration) LimitOption {
	return func(s *limitSettings) {
		if d > 0 {
			s.retryAfter = d
		}
	}
}

type limiter struct {
	slots chan struct{}
	s     limitSettings
}

func newLimiter(n int, opts []LimitOption) *limiter {
	s := limitSettings{reserve: DefaultReserve, retryAfter: time.Second}
	for _, o := range opts {
		o(&s)
	}
	if n <= 0 {
		return nil
	}
	return &limiter{slots: make(chan struct{}, n), s: s}
}

// acquire takes a slot, waiting until the deadline less the reserve, the
// maximum wait, or the end of ctx. It allocates only when it has to wait.
func (l *limiter) acquire(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	deadline, ok := deadlineOf(ctx, l.s.reserve)
	if l.s.maxWait > 0 {
		if d := time.Now().Add(l.s.maxWait); !ok || d.Before(deadline) {
			deadline, ok = d, true
		}
	}
	var expired <-chan time.Time
	if ok {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		expired = t.C
	}
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-expired:
		return function.RetryAfter(fmt.Errorf("%w: all %d slots stayed busy until the deadline; the invocation will be redelivered (raise the limit or the function's concurrency)", ErrLimited, cap(l.slots)), l.s.retryAfter)
	case <-ctx.Done():
		return function.RetryAfter(fmt.Errorf("%w: all %d slots busy until the invocation ended: %w", ErrLimited, cap(l.slots), ctx.Err()), l.s.retryAfter)
	}
}

func (l *limiter) release() { <-l.slots }

// Limit bounds the invocations in progress in this process to n (to protect
// a downstream database, say). An invocation beyond the limit waits for a
// slot until its deadline less a reserve (or [LimitMaxWait], or the end of
// its context), then fails with a retryable error matching [ErrLimited]. A
// limit of zero or less imposes none. Each call of Limit makes a limiter of
// its own.
func Limit(n int, opts ...LimitOption) function.Middleware {
	l := newLimiter(n, opts)
	return func(next function.Handler) function.Handler {
		if l == nil {
			return next
		}
		return &limit{l: l, next: next}
	}
}

type limit struct {
	l    *limiter
	next function.Handler
}

func (h *limit) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	if err := h.l.acquire(ctx); err != nil {
		return nil, err
	}
	defer h.l.release()
	return h.next.Handle(ctx, e)
}

// Unwrap returns the wrapped handler, so lifecycle hooks stay reachable.
func (h *limit) Unwrap() function.Handler { return h.next }

// LimitHTTP is [Limit] for HTTP handlers: a request that finds no slot in
// time is answered 503 Service Unavailable with a Retry-After header.
func LimitHTTP(n int, opts ...LimitOption) func(http.Handler) http.Handler {
	l := newLimiter(n, opts)
	return func(next http.Handler) http.Handler {
		if l == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := l.acquire(r.Context()); err != nil {
				secs := int((l.s.retryAfter + time.Second - 1) / time.Second)
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
				return
			}
			defer l.release()
			next.ServeHTTP(w, r)
		})
	}
}
