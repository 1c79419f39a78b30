package middleware_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
)

var errFlaky = errors.New("downstream unavailable")

func TestRetryClassesErrors(t *testing.T) {
	tests := []struct {
		name         string
		errs         []error
		opts         []middleware.RetryOption
		wantCalls    int
		wantErr      bool
		wantAttempts int
		wantPerm     bool
	}{
		{name: "success first time", wantCalls: 1},
		{name: "success after two failures", errs: []error{errFlaky, errFlaky}, wantCalls: 3},
		{name: "permanent never retried", errs: []error{function.Permanent(errFlaky)}, wantCalls: 1, wantErr: true, wantAttempts: 1, wantPerm: true},
		{name: "4xx status never retried", errs: []error{function.WithStatus(400, errFlaky)}, wantCalls: 1, wantErr: true, wantAttempts: 1, wantPerm: true},
		{name: "permanent after a retryable stops", errs: []error{errFlaky, function.Permanent(errFlaky)}, wantCalls: 2, wantErr: true, wantAttempts: 2, wantPerm: true},
		{name: "gives up after max attempts", errs: []error{errFlaky, errFlaky, errFlaky, errFlaky}, wantCalls: 3, wantErr: true, wantAttempts: 3},
		{name: "more attempts", errs: []error{errFlaky, errFlaky, errFlaky, errFlaky}, opts: []middleware.RetryOption{middleware.RetryAttempts(5)}, wantCalls: 5},
		{name: "one attempt disables retries", errs: []error{errFlaky}, opts: []middleware.RetryOption{middleware.RetryAttempts(1)}, wantCalls: 1, wantErr: true, wantAttempts: 1},
		{name: "retry-if refuses", errs: []error{errFlaky}, opts: []middleware.RetryOption{middleware.RetryIf(func(err error) bool { return !errors.Is(err, errFlaky) })}, wantCalls: 1, wantErr: true, wantAttempts: 1},
		{name: "retry-if cannot retry permanent", errs: []error{function.Permanent(errFlaky)}, opts: []middleware.RetryOption{middleware.RetryIf(func(error) bool { return true })}, wantCalls: 1, wantErr: true, wantAttempts: 1, wantPerm: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			h := &countingHandler{errs: tt.errs}
			opts := append([]middleware.RetryOption{middleware.RetryClock(clock)}, tt.opts...)
			_, err := middleware.Retry(opts...)(h).Handle(context.Background(), testEvent(t, "e-1"))
			assert.Equal(t, tt.wantCalls, h.calls, "calls")
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, errFlaky, "the last error stays reachable")
			var re *middleware.RetryError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tt.wantAttempts, re.Attempts)
			assert.Equal(t, tt.wantPerm, function.IsPermanent(err), "class is kept")
		})
	}
}

func TestRetryReportsAttempts(t *testing.T) {
	var seen []int
	h := &countingHandler{errs: []error{errFlaky, errFlaky, errFlaky}, seen: func(ctx context.Context) {
		seen = append(seen, middleware.RetryAttempt(ctx))
	}}
	_, err := middleware.Retry(middleware.RetryClock(newFakeClock()), middleware.RetryAttempts(3))(h).Handle(context.Background(), testEvent(t, "e-1"))
	var re *middleware.RetryError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 3, re.Attempts)
	assert.Equal(t, []int{1, 2, 3}, seen, "RetryAttempt counts from 1")
	assert.Contains(t, err.Error(), "3 attempts")
	assert.Equal(t, 1, middleware.RetryAttempt(context.Background()))
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	clock := newFakeClock()
	h := &countingHandler{errs: []error{function.RetryAfter(errFlaky, 3*time.Second)}}
	_, err := middleware.Retry(middleware.RetryClock(clock), middleware.RetryBackoff(time.Millisecond, 10*time.Millisecond, 2))(h).Handle(context.Background(), testEvent(t, "e-1"))
	require.NoError(t, err)
	require.Len(t, clock.sleeps, 1)
	assert.Equal(t, 3*time.Second, clock.sleeps[0])
}

func TestRetryJitterWithinBounds(t *testing.T) {
	const (
		initial  = 10 * time.Millisecond
		ceil     = 80 * time.Millisecond
		attempts = 7
		samples  = 400
	)
	lo := make([]time.Duration, attempts) // per retry: smallest and largest delay seen
	hi := make([]time.Duration, attempts)
	for i := range lo {
		lo[i] = time.Hour
	}
	for range samples {
		clock := newFakeClock()
		h := &countingHandler{errs: []error{errFlaky, errFlaky, errFlaky, errFlaky, errFlaky, errFlaky, errFlaky}}
		_, err := middleware.Retry(middleware.RetryClock(clock), middleware.RetryAttempts(attempts),
			middleware.RetryBackoff(initial, ceil, 2))(h).Handle(context.Background(), testEvent(t, "e-1"))
		require.Error(t, err)
		require.Len(t, clock.sleeps, attempts-1)
		for n, d := range clock.sleeps {
			ceiling := min(ceil, initial<<n)
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.LessOrEqual(t, d, ceiling, "retry %d: delay %v above ceiling %v", n+1, d, ceiling)
			lo[n], hi[n] = min(lo[n], d), max(hi[n], d)
		}
	}
	for n := range attempts - 1 {
		ceiling := min(ceil, initial<<n)
		// Full jitter spreads delays over the whole range: with 400 samples
		// both ends are reached within a quarter of the ceiling.
		assert.Less(t, lo[n], ceiling/4, "retry %d: smallest delay %v", n+1, lo[n])
		assert.Greater(t, hi[n], ceiling*3/4, "retry %d: largest delay %v", n+1, hi[n])
	}
}

// TestRetryDeadline runs many random set-ups on a fake clock and checks that
// no sleep overshoots the deadline: each ends early enough for a typical
// attempt to finish before the deadline less the reserve.
func TestRetryDeadline(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		clock := newFakeClock()
		took := time.Duration(r.Int64N(int64(400 * time.Millisecond)))
		budget := time.Duration(r.Int64N(int64(10 * time.Second)))
		reserve := time.Duration(r.Int64N(int64(time.Second)))
		deadline := clock.Now().Add(budget)
		ctx := withInvocation(function.Invocation{Deadline: deadline})
		h := &countingHandler{errs: make([]error, 50), clock: clock, took: took}
		for j := range h.errs {
			h.errs[j] = errFlaky
		}
		_, err := middleware.Retry(middleware.RetryClock(clock), middleware.RetryAttempts(50), middleware.RetryReserve(reserve),
			middleware.RetryBackoff(50*time.Millisecond, 2*time.Second, 2), middleware.RetryRandom(r.Int64N))(h).Handle(ctx, testEvent(t, "e-1"))
		require.ErrorIs(t, err, errFlaky)
		for j, end := range clock.ends {
			require.False(t, end.Add(took).After(deadline.Add(-reserve)),
				"case %d (took %v, budget %v, reserve %v): sleep %d ends at +%v, leaving no time for an attempt",
				i, took, budget, reserve, j, end.Sub(deadline.Add(-budget)))
		}
	}
}

func TestRetryDeadlineStopsEarly(t *testing.T) {
	clock := newFakeClock()
	ctx := withInvocation(function.Invocation{Deadline: clock.Now().Add(2 * time.Second)})
	h := &countingHandler{errs: []error{errFlaky, errFlaky, errFlaky, errFlaky}, clock: clock, took: time.Second}
	_, err := middleware.Retry(middleware.RetryClock(clock), middleware.RetryAttempts(4), middleware.RetryRandom(func(n int64) int64 { return n - 1 }))(h).Handle(ctx, testEvent(t, "e-1"))
	var re *middleware.RetryError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 1, re.Attempts, "1 s attempt + backoff does not fit in the 0.5 s left before the reserve")
	assert.Empty(t, clock.sleeps)
}

func TestRetryContextDeadline(t *testing.T) {
	clock := newFakeClock()
	ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(time.Second))
	defer cancel()
	h := &countingHandler{errs: []error{errFlaky, errFlaky, errFlaky}, clock: clock, took: 400 * time.Millisecond}
	_, err := middleware.Retry(middleware.RetryClock(clock), middleware.RetryBackoff(300*time.Millisecond, time.Second, 2),
		middleware.RetryRandom(func(n int64) int64 { return n - 1 }))(h).Handle(ctx, testEvent(t, "e-1"))
	require.ErrorIs(t, err, errFlaky)
	assert.Equal(t, 1, h.calls, "0.4 s + 0.3 s delay + 0.4 s typical passes the context's 1 s deadline")
}

func TestRetryMaxElapsed(t *testing.T) {
	clock := newFakeClock()
	h := &countingHandler{errs: []error{errFlaky, errFlaky, errFlaky, errFlaky, errFlaky}, clock: clock, took: time.Second}
	_, err := middleware.Retry(middleware.RetryClock(clock), middleware.RetryAttempts(10), middleware.RetryMaxElapsed(2500*time.Millisecond),
		middleware.RetryBackoff(100*time.Millisecond, 100*time.Millisecond, 1), middleware.RetryRandom(func(n int64) int64 { return n - 1 }))(h).Handle(context.Background(), testEvent(t, "e-1"))
	var re *middleware.RetryError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 3, re.Attempts, "attempts start at 0, 1.1 and 2.2 s; a fourth would start at 3.3 s")
}

func TestRetryCancelledWhileSleeping(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	h := &countingHandler{errs: []error{errFlaky, errFlaky}, seen: func(context.Context) { cancel() }}
	_, err := middleware.Retry(middleware.RetryBackoff(time.Hour, time.Hour, 2), middleware.RetryRandom(func(n int64) int64 { return n - 1 }))(h).Handle(ctx, testEvent(t, "e-1"))
	require.ErrorIs(t, err, errFlaky, "the last handler error, not the context's")
	assert.Equal(t, 1, h.calls)
}

func TestRetryConcurrent(t *testing.T) {
	h := middleware.Retry(middleware.RetryBackoff(time.Microsecond, time.Microsecond, 1))(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		if middleware.RetryAttempt(ctx) < 2 {
			return nil, errFlaky
		}
		return nil, nil
	}))
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, err := h.Handle(context.Background(), testEvent(t, "e-1"))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
}

func TestRetrySuccessDoesNotAllocate(t *testing.T) {
	h := middleware.Retry()(function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) { return nil, nil }))
	ctx := withInvocation(function.Invocation{Deadline: time.Now().Add(time.Hour)})
	e := testEvent(t, "e-1")
	allocs := testing.AllocsPerRun(100, func() { _, _ = h.Handle(ctx, e) })
	assert.Zero(t, allocs)
}
