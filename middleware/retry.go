package middleware

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// RetryOption configures [Retry].
type RetryOption func(*retrySettings)

type retrySettings struct {
	attempts   int
	initial    time.Duration
	max        time.Duration
	multiplier float64
	maxElapsed time.Duration
	reserve    time.Duration
	retryIf    func(error) bool
	clock      Clock
	random     func(n int64) int64
}

// RetryAttempts sets the most attempts per invocation, the first included
// (default 3). One or less disables retries.
func RetryAttempts(n int) RetryOption { return func(s *retrySettings) { s.attempts = n } }

// RetryBackoff sets the exponential backoff: the delay before retry n is
// drawn uniformly from [0, min(max, initial·multiplier^(n-1))] ("full
// jitter"). The defaults are 100 ms, 5 s and 2.
func RetryBackoff(initial, max time.Duration, multiplier float64) RetryOption {
	return func(s *retrySettings) {
		if initial > 0 {
			s.initial = initial
		}
		if max > 0 {
			s.max = max
		}
		if multiplier >= 1 {
			s.multiplier = multiplier
		}
	}
}

// RetryMaxElapsed bounds the time from the first attempt to the start of the
// last one (default: none beyond the deadline).
func RetryMaxElapsed(d time.Duration) RetryOption {
	return func(s *retrySettings) { s.maxElapsed = d }
}

// RetryReserve sets how long before the invocation's deadline the retries
// stop (default 500 ms), leaving time to report the error so the platform
// redelivers. A context deadline set by [Timeout] already includes its own
// reserve and is used as it is.
func RetryReserve(d time.Duration) RetryOption { return func(s *retrySettings) { s.reserve = d } }

// RetryIf sets a predicate that an error must also satisfy to be retried.
// Permanent errors ([function.IsPermanent]) are never retried, whatever it
// says.
func RetryIf(f func(error) bool) RetryOption { return func(s *retrySettings) { s.retryIf = f } }

// RetryClock sets the clock that times attempts and sleeps between them
// (tests use a fake one).
func RetryClock(c Clock) RetryOption { return func(s *retrySettings) { s.clock = c } }

// RetryRandom sets the source of jitter: f(n) returns a number in [0, n).
// The default is math/rand/v2's Int64N.
func RetryRandom(f func(n int64) int64) RetryOption {
	return func(s *retrySettings) { s.random = f }
}

// RetryError is the error [Retry] returns when it gives up: the last
// attempt's error and how many attempts were made. It unwraps to the last
// error, so errors.Is, errors.As and [function.IsPermanent] see through it.
type RetryError struct {
	Attempts int
	Err      error
}

func (e *RetryError) Error() string {
	if e.Attempts <= 1 {
		return e.Err.Error()
	}
	return fmt.Sprintf("middleware: handler failed %d attempts, last: %v", e.Attempts, e.Err)
}

// Unwrap returns the last attempt's error.
func (e *RetryError) Unwrap() error { return e.Err }

type retryAttemptKey struct{}

// RetryAttempt reports the in-process attempt of the current invocation
// under [Retry]: 1 for the first, 2 for the first retry, and so on. It is 1
// outside Retry. The platform's own delivery attempt is
// [function.Invocation].Attempt.
func RetryAttempt(ctx context.Context) int {
	if n, ok := ctx.Value(retryAttemptKey{}).(int); ok {
		return n
	}
	return 1
}

// Retry retries the handler in-process when it fails with a retryable
// error, with exponential backoff and full jitter. Before each sleep it
// checks that the delay plus the typical attempt time (a moving average of
// the attempts it has seen) fits before the deadline less a reserve; if not,
// it returns at once so the platform can redeliver. A delay asked for with
// [function.RetryAfter] is honoured as the least delay. Errors come back as
// [*RetryError].
//
// The first attempt allocates nothing; put Retry inside [Tracing] and
// [Logging] so an invocation is one span and one log line.
func Retry(opts ...RetryOption) function.Middleware {
	s := retrySettings{
		attempts:   3,
		initial:    100 * time.Millisecond,
		max:        5 * time.Second,
		multiplier: 2,
		reserve:    500 * time.Millisecond,
		clock:      systemClock{},
		random:     rand.Int64N,
	}
	for _, o := range opts {
		o(&s)
	}
	if s.clock == nil {
		s.clock = systemClock{}
	}
	if s.random == nil {
		s.random = rand.Int64N
	}
	return func(next function.Handler) function.Handler {
		return &retry{s: s, next: next}
	}
}

type retry struct {
	s    retrySettings
	next function.Handler
	// typical is a moving average of attempt durations in nanoseconds,
	// shared by all invocations; lost updates under contention are harmless.
	typical atomic.Int64
}

func (r *retry) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	start := r.s.clock.Now()
	reply, err := r.next.Handle(ctx, e)
	end := r.s.clock.Now()
	r.observe(end.Sub(start))
	if err == nil {
		return reply, nil
	}
	return r.again(ctx, e, start, end, err)
}

// again runs the retries after a failed first attempt; kept apart so the
// success path stays small.
func (r *retry) again(ctx context.Context, e event.Event, first, now time.Time, err error) (*event.Event, error) {
	for attempt := 1; ; attempt++ {
		if attempt >= r.s.attempts || !r.retryable(err) {
			return nil, &RetryError{Attempts: attempt, Err: err}
		}
		delay := r.delay(attempt, err)
		if r.s.maxElapsed > 0 && now.Add(delay).Sub(first) > r.s.maxElapsed {
			return nil, &RetryError{Attempts: attempt, Err: err}
		}
		if deadline, ok := deadlineOf(ctx, r.s.reserve); ok {
			if now.Add(delay).Add(time.Duration(r.typical.Load())).After(deadline) {
				return nil, &RetryError{Attempts: attempt, Err: err}
			}
		}
		if r.s.clock.Sleep(ctx, delay) != nil {
			return nil, &RetryError{Attempts: attempt, Err: err}
		}
		start := r.s.clock.Now()
		var reply *event.Event
		reply, err = r.next.Handle(context.WithValue(ctx, retryAttemptKey{}, attempt+1), e)
		now = r.s.clock.Now()
		r.observe(now.Sub(start))
		if err == nil {
			return reply, nil
		}
	}
}

func (r *retry) retryable(err error) bool {
	if function.IsPermanent(err) {
		return false
	}
	return r.s.retryIf == nil || r.s.retryIf(err)
}

// delay returns the full-jitter backoff before retry n (n ≥ 1), at least the
// delay err asks for with function.RetryAfter.
func (r *retry) delay(n int, err error) time.Duration {
	ceiling := float64(r.s.initial)
	for i := 1; i < n && ceiling < float64(r.s.max); i++ {
		ceiling *= r.s.multiplier
	}
	if ceiling > float64(r.s.max) {
		ceiling = float64(r.s.max)
	}
	var d time.Duration
	if c := int64(ceiling); c > 0 {
		d = time.Duration(r.s.random(c + 1))
	}
	if after, ok := function.RetryDelay(err); ok && after > d {
		d = after
	}
	return d
}

func (r *retry) observe(d time.Duration) {
	if d < 0 {
		return
	}
	old := r.typical.Load()
	if old == 0 {
		r.typical.Store(int64(d))
		return
	}
	r.typical.Store(old + (int64(d)-old)/4)
}

// Unwrap returns the wrapped handler, so lifecycle hooks stay reachable.
func (r *retry) Unwrap() function.Handler { return r.next }
