package idempotency

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/payload"
	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/memstate"
)

func eventKeyOf(t *testing.T, g *Guard, ctx context.Context, e event.Event) string {
	t.Helper()
	var msg payload.Message
	m, ok, err := g.eventKey(ctx, e, &msg, eventPayload(e, &msg))
	require.NoError(t, err)
	require.True(t, ok)
	return g.o.storeKey(ctx, m)
}

func TestDuplicates(t *testing.T) {
	type order struct {
		ID  string `json:"id"`
		Qty int    `json:"qty"`
	}
	cases := []struct {
		name     string
		opts     []Option
		first    event.Event
		second   event.Event
		wantRuns int64
		wantErr  error
	}{
		{
			name:     "same event replays",
			first:    newEvent(t, "src", "1", order{"o-1", 1}),
			second:   newEvent(t, "src", "1", order{"o-1", 1}),
			wantRuns: 1,
		},
		{
			name:     "other id runs",
			first:    newEvent(t, "src", "1", order{"o-1", 1}),
			second:   newEvent(t, "src", "2", order{"o-1", 1}),
			wantRuns: 2,
		},
		{
			name:     "other source runs",
			first:    newEvent(t, "src-a", "1", order{"o-1", 1}),
			second:   newEvent(t, "src-b", "1", order{"o-1", 1}),
			wantRuns: 2,
		},
		{
			name:     "different payload is a mismatch",
			first:    newEvent(t, "src", "1", order{"o-1", 1}),
			second:   newEvent(t, "src", "1", order{"o-1", 2}),
			wantRuns: 1,
			wantErr:  ErrPayloadMismatch,
		},
		{
			name:     "without validation a different payload replays",
			opts:     []Option{WithoutPayloadValidation()},
			first:    newEvent(t, "src", "1", order{"o-1", 1}),
			second:   newEvent(t, "src", "1", order{"o-1", 2}),
			wantRuns: 1,
		},
		{
			name:     "validated fields equal replays",
			opts:     []Option{WithPayloadFields("id")},
			first:    newEvent(t, "src", "1", order{"o-1", 1}),
			second:   newEvent(t, "src", "1", order{"o-1", 2}),
			wantRuns: 1,
		},
		{
			name:     "validated fields differ is a mismatch",
			opts:     []Option{WithPayloadFields("qty")},
			first:    newEvent(t, "src", "1", order{"o-1", 1}),
			second:   newEvent(t, "src", "1", order{"o-2", 2}),
			wantRuns: 1,
			wantErr:  ErrPayloadMismatch,
		},
		{
			name:     "key field: same order id from other deliveries replays",
			opts:     []Option{WithKeyField("id")},
			first:    newEvent(t, "src", "1", order{"o-1", 1}),
			second:   newEvent(t, "src", "2", order{"o-1", 1}),
			wantRuns: 1,
		},
		{
			name: "custom key function",
			opts: []Option{WithEventKey(func(_ context.Context, e event.Event) (string, error) {
				return e.Type(), nil
			})},
			first:    newEvent(t, "src", "1", order{"o-1", 1}),
			second:   newEvent(t, "src", "2", order{"o-1", 1}),
			wantRuns: 1,
		},
		{
			name:     "key field missing runs without idempotency",
			opts:     []Option{WithKeyField("customer")},
			first:    newEvent(t, "src", "1", order{"o-1", 1}),
			second:   newEvent(t, "src", "1", order{"o-1", 1}),
			wantRuns: 2,
		},
		{
			name:     "key field missing and required",
			opts:     []Option{WithKeyField("customer"), WithRequireKey()},
			first:    newEvent(t, "src", "1", order{"o-1", 1}),
			second:   newEvent(t, "src", "1", order{"o-1", 1}),
			wantRuns: 0,
			wantErr:  ErrMissingKey,
		},
		{
			name:     "disabled",
			opts:     []Option{WithDisabled(true)},
			first:    newEvent(t, "src", "1", order{"o-1", 1}),
			second:   newEvent(t, "src", "1", order{"o-1", 1}),
			wantRuns: 2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := &echo{}
			mw := New(memstate.New(), tc.opts...)(h)
			ctx := invocation("orders", time.Time{})
			first, err1 := mw.Handle(ctx, tc.first)
			second, err2 := mw.Handle(ctx, tc.second)
			assert.Equal(t, tc.wantRuns, h.runs.Load())
			if errors.Is(tc.wantErr, ErrMissingKey) {
				require.ErrorIs(t, err1, ErrMissingKey)
				assert.True(t, function.IsPermanent(err1))
				assert.Equal(t, http.StatusBadRequest, function.HTTPStatus(err1))
				return
			}
			require.NoError(t, err1)
			require.NotNil(t, first)
			if tc.wantErr != nil {
				require.ErrorIs(t, err2, tc.wantErr)
				assert.True(t, function.IsPermanent(err2))
				assert.Equal(t, http.StatusUnprocessableEntity, function.HTTPStatus(err2))
				return
			}
			require.NoError(t, err2)
			require.NotNil(t, second)
			if tc.wantRuns == 1 {
				assert.Equal(t, first.String(), second.String(), "replay must equal the first reply")
			} else {
				assert.NotEqual(t, first.Extensions()["run"], second.Extensions()["run"])
			}
		})
	}
}

func TestKeyNamespaces(t *testing.T) {
	g := NewGuard(memstate.New())
	e := newEvent(t, "src", "1", "x")
	a := eventKeyOf(t, g, invocation("fn-a", time.Time{}), e)
	b := eventKeyOf(t, g, invocation("fn-b", time.Time{}), e)
	assert.NotEqual(t, a, b, "functions must not share keys")
	assert.Regexp(t, `^idempotency/fn-a/[A-Za-z0-9_-]{43}$`, a)

	p := NewGuard(memstate.New(), WithKeyPrefix("shop:"))
	assert.Regexp(t, `^shop:[A-Za-z0-9_-]{43}$`, eventKeyOf(t, p, invocation("fn-a", time.Time{}), e))
	assert.Equal(t, eventKeyOf(t, p, invocation("fn-a", time.Time{}), e), eventKeyOf(t, p, invocation("fn-b", time.Time{}), e))

	// Length-prefixed parts: ("ab","c") and ("a","bc") differ.
	assert.NotEqual(t, eventKeyOf(t, g, context.Background(), newEvent(t, "ab", "c", "x")),
		eventKeyOf(t, g, context.Background(), newEvent(t, "a", "bc", "x")))
}

func TestHandlerErrors(t *testing.T) {
	errBoom := errors.New("boom")
	cases := []struct {
		name       string
		opts       []Option
		err        error
		wantRuns   int64 // after two deliveries
		wantReplay bool
	}{
		{name: "retryable error removes the record", err: errBoom, wantRuns: 2},
		{name: "permanent error removes the record by default", err: function.Permanent(errBoom), wantRuns: 2},
		{name: "permanent error is recorded with WithPermanentFailures", opts: []Option{WithPermanentFailures()},
			err: function.Permanent(function.WithStatus(http.StatusBadRequest, errBoom)), wantRuns: 1, wantReplay: true},
		{name: "retryable error is never recorded", opts: []Option{WithPermanentFailures()}, err: errBoom, wantRuns: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := memstate.New()
			h := &echo{err: tc.err}
			mw := New(store, tc.opts...)(h)
			e := newEvent(t, "src", "1", "x")
			_, err := mw.Handle(context.Background(), e)
			require.ErrorIs(t, err, errBoom)
			_, err = mw.Handle(context.Background(), e)
			assert.Equal(t, tc.wantRuns, h.runs.Load())
			if tc.wantReplay {
				var re *ReplayedError
				require.ErrorAs(t, err, &re)
				assert.Contains(t, re.Message, "boom")
				assert.True(t, function.IsPermanent(err))
				assert.Equal(t, http.StatusBadRequest, function.HTTPStatus(err))
				return
			}
			require.ErrorIs(t, err, errBoom)
			assert.Equal(t, 0, store.Len(), "the record must be removed")
		})
	}
}

func TestInProgress(t *testing.T) {
	clk := newClock()
	store := memstate.New(memstate.WithClock(clk.Now))
	started, release := make(chan struct{}), make(chan struct{})
	var runs atomic.Int64
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		runs.Add(1)
		close(started)
		<-release
		return nil, nil
	})
	mw := New(store, WithClock(clk.Now), WithLeaseMargin(5*time.Second))(h)
	deadline := clk.Now().Add(30 * time.Second)
	ctx := invocation("fn", deadline)
	e := newEvent(t, "src", "1", "x")

	done := make(chan error)
	go func() { _, err := mw.Handle(ctx, e); done <- err }()
	<-started
	clk.Add(10 * time.Second)
	_, err := mw.Handle(ctx, e)
	require.ErrorIs(t, err, ErrInProgress)
	assert.True(t, function.IsRetryable(err))
	assert.Equal(t, http.StatusConflict, function.HTTPStatus(err))
	d, ok := function.RetryDelay(err)
	require.True(t, ok)
	assert.Equal(t, 25*time.Second, d, "retry after the rest of the lease: deadline+margin-now")

	close(release)
	require.NoError(t, <-done)
	_, err = mw.Handle(ctx, e)
	require.NoError(t, err)
	assert.Equal(t, int64(1), runs.Load())
}

func TestLease(t *testing.T) {
	clk := newClock()
	cases := []struct {
		name         string
		ctx          func() (context.Context, context.CancelFunc)
		wantUntil    time.Duration // after now
		wantDeadline time.Duration // handler context deadline after now
	}{
		{
			name: "invocation deadline plus margin; the handler's context ends at the deadline",
			ctx: func() (context.Context, context.CancelFunc) {
				return invocation("fn", clk.Now().Add(time.Minute)), func() {}
			},
			wantUntil:    time.Minute + 7*time.Second,
			wantDeadline: time.Minute,
		},
		{
			name:         "no deadline: fallback lease, and the handler gets it as deadline",
			ctx:          func() (context.Context, context.CancelFunc) { return context.Background(), func() {} },
			wantUntil:    3*time.Minute + 7*time.Second,
			wantDeadline: 3 * time.Minute,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := memstate.New(memstate.WithClock(clk.Now))
			g := NewGuard(store, WithClock(clk.Now), WithLeaseMargin(7*time.Second), WithFallbackLease(3*time.Minute))
			e := newEvent(t, "src", "1", "x")
			ctx, cancel := tc.ctx()
			defer cancel()
			key := eventKeyOf(t, g, ctx, e)
			var sawDeadline time.Time
			var sawToken uint64
			h := function.HandlerFunc(func(hctx context.Context, _ event.Event) (*event.Event, error) {
				sawDeadline, _ = hctx.Deadline()
				sawToken, _ = FencingToken(hctx)
				r, _ := recordAt(t, store, key)
				assert.Equal(t, statusInProgress, r.status)
				assert.Equal(t, clk.Now().Add(tc.wantUntil), r.until.UTC())
				return nil, nil
			})
			began := time.Now()
			_, err := g.Middleware()(h).Handle(ctx, e)
			require.NoError(t, err)
			assert.NotZero(t, sawToken)
			// The fake clock stands still; the context's deadline is real
			// time, so it lies between began+d and now+d.
			assert.False(t, sawDeadline.Before(began.Add(tc.wantDeadline)), "deadline %v", sawDeadline)
			assert.False(t, sawDeadline.After(time.Now().Add(tc.wantDeadline)), "deadline %v", sawDeadline)
			r, item := recordAt(t, store, key)
			assert.Equal(t, statusCompleted, r.status)
			assert.Equal(t, clk.Now().Add(DefaultExpiry), item.ExpiresAt.UTC(), "completed records expire after the expiry")
		})
	}
}

// TestLeaseTooShort: a lease that leaves less than the minimum before the
// invocation's deadline once taken (a slow store, or a delivery already
// past its deadline) never starts the handler; the record is released so
// the redelivery runs at once.
func TestLeaseTooShort(t *testing.T) {
	cases := []struct {
		name     string
		deadline time.Duration // after the clock's now, when the delivery starts
		latency  time.Duration // the store's answer to the lease write
		minLease time.Duration
		wantRun  bool
	}{
		{name: "deadline already past", deadline: -time.Minute, minLease: DefaultMinLease},
		{name: "store answers after the deadline", deadline: time.Second, latency: 2 * time.Second, minLease: DefaultMinLease},
		{name: "store answers with less than the minimum left", deadline: 3 * time.Second, latency: 2500 * time.Millisecond, minLease: time.Second},
		{name: "store answers with the minimum left", deadline: 3 * time.Second, latency: 2 * time.Second, minLease: time.Second, wantRun: true},
		{name: "fast store", deadline: time.Second, minLease: DefaultMinLease, wantRun: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			mem := memstate.New(memstate.WithClock(clk.Now))
			store := &slowLeaseStore{Store: mem, clk: clk, latency: tc.latency}
			h := &echo{}
			g := NewGuard(store, WithClock(clk.Now), WithLeaseMargin(time.Second), WithMinLease(tc.minLease), quiet())
			e := newEvent(t, "src", "1", "x")
			ctx := invocation("fn", clk.Now().Add(tc.deadline))
			key := eventKeyOf(t, g, ctx, e)
			_, err := g.Middleware()(h).Handle(ctx, e)
			if tc.wantRun {
				require.NoError(t, err)
				assert.Equal(t, int64(1), h.runs.Load())
				return
			}
			require.ErrorIs(t, err, ErrLeaseExpired)
			assert.True(t, function.IsRetryable(err))
			assert.Equal(t, http.StatusServiceUnavailable, function.HTTPStatus(err))
			assert.Zero(t, h.runs.Load(), "the handler must not start on a lease that cannot cover it")
			_, err = mem.Get(context.Background(), key)
			require.ErrorIs(t, err, state.ErrNotFound, "the lease is released for the redelivery")

			// The redelivery, with a fresh deadline and a fast store, runs.
			store.latency = 0
			_, err = g.Middleware()(h).Handle(invocation("fn", clk.Now().Add(time.Minute)), e)
			require.NoError(t, err)
			assert.Equal(t, int64(1), h.runs.Load())
		})
	}
}

// TestFencing: an execution that outlives its lease is taken over, and its
// late completion or release never touches the new owner's record.
func TestFencing(t *testing.T) {
	for _, outcome := range []string{"completes", "fails"} {
		t.Run("stalled execution "+outcome, func(t *testing.T) {
			clk := newClock()
			store := memstate.New(memstate.WithClock(clk.Now))
			g := NewGuard(store, WithClock(clk.Now), WithLeaseMargin(time.Second))
			e := newEvent(t, "src", "1", "x")
			ctx := invocation("fn", clk.Now().Add(10*time.Second))
			key := eventKeyOf(t, g, ctx, e)

			stalled, resume := make(chan struct{}), make(chan struct{})
			var runs atomic.Int64
			var tokens sync.Map
			h := function.HandlerFunc(func(hctx context.Context, e event.Event) (*event.Event, error) {
				n := runs.Add(1)
				tok, _ := FencingToken(hctx)
				tokens.Store(n, tok)
				if n == 1 {
					close(stalled)
					<-resume
					if outcome == "fails" {
						return nil, errors.New("late failure")
					}
				}
				r := event.New()
				r.SetID("reply")
				r.SetSource("test")
				r.SetType("reply")
				r.SetExtension("run", int32(n))
				return &r, nil
			})
			mw := g.Middleware()(h)
			first := make(chan error)
			go func() { _, err := mw.Handle(ctx, e); first <- err }()
			<-stalled

			clk.Add(11*time.Second + time.Nanosecond) // past deadline + margin
			ctx2 := invocation("fn", clk.Now().Add(10*time.Second))
			reply, err := mw.Handle(ctx2, e)
			require.NoError(t, err, "the redelivery takes the expired lease over")
			assert.Equal(t, int32(2), reply.Extensions()["run"])
			owner, ownerItem := recordAt(t, store, key)

			close(resume)
			err = <-first
			if outcome == "completes" {
				require.ErrorIs(t, err, ErrLeaseLost)
				assert.True(t, function.IsRetryable(err))
			} else {
				require.ErrorContains(t, err, "late failure")
			}
			after, afterItem := recordAt(t, store, key)
			assert.Equal(t, ownerItem.Version, afterItem.Version, "the new owner's record must be untouched")
			assert.Equal(t, owner.token, after.token)

			again, err := mw.Handle(ctx2, e)
			require.NoError(t, err)
			assert.Equal(t, int32(2), again.Extensions()["run"], "duplicates get the new owner's reply")
			assert.Equal(t, int64(2), runs.Load())
			t1, _ := tokens.Load(int64(1))
			t2, _ := tokens.Load(int64(2))
			assert.Greater(t, t2.(uint64), t1.(uint64), "fencing tokens grow with each lease")
		})
	}
}

func TestStoreFailure(t *testing.T) {
	cases := []struct {
		name     string
		opts     []Option
		wantRuns int64
	}{
		{name: "fail closed", wantRuns: 0},
		{name: "fail open", opts: []Option{WithFailOpen()}, wantRuns: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := &failingStore{Store: memstate.New()}
			store.down.Store(true)
			h := &echo{}
			mw := New(store, tc.opts...)(h)
			e := newEvent(t, "src", "1", "x")
			_, err := mw.Handle(context.Background(), e)
			assert.Equal(t, tc.wantRuns, h.runs.Load())
			if tc.wantRuns == 0 {
				require.ErrorIs(t, err, ErrStore)
				require.ErrorIs(t, err, errDown)
				assert.True(t, function.IsRetryable(err))
				assert.Equal(t, http.StatusServiceUnavailable, function.HTTPStatus(err))
			} else {
				require.NoError(t, err)
			}
			store.down.Store(false)
			_, err = mw.Handle(context.Background(), e)
			require.NoError(t, err)
			_, err = mw.Handle(context.Background(), e)
			require.NoError(t, err)
			assert.Equal(t, tc.wantRuns+1, h.runs.Load(), "after the outage the key runs once more, then replays")
		})
	}
}

func TestStoreFailsAfterTheWork(t *testing.T) {
	store := &failingStore{Store: memstate.New()}
	h := function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) {
		store.down.Store(true) // the store goes down while the handler runs
		return nil, nil
	})
	g := NewGuard(store, WithFallbackLease(50*time.Millisecond), WithLeaseMargin(0), WithMinLease(time.Millisecond), quiet())
	g.o.writeTimeout = 10 * time.Millisecond
	_, err := g.Middleware()(h).Handle(context.Background(), newEvent(t, "src", "1", "x"))
	assert.NoError(t, err, "the work is done: an error would only make the platform run it again")
}

func TestRoundTrips(t *testing.T) {
	cases := []struct {
		name          string
		store         func() state.Store
		opts          []Option
		wantFirst     int64
		wantDuplicate int64
	}{
		{name: "memstate", store: func() state.Store { return memstate.New() }, wantFirst: 2, wantDuplicate: 1},
		{name: "backend without current item", store: func() state.Store { return noCurrentStore{memstate.New()} }, wantFirst: 2, wantDuplicate: 2},
		{name: "cache", store: func() state.Store { return memstate.New() }, opts: []Option{WithCache(10)}, wantFirst: 2, wantDuplicate: 0},
		{name: "disabled", store: func() state.Store { return memstate.New() }, opts: []Option{WithDisabled(true)}, wantFirst: 0, wantDuplicate: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := &countingStore{Store: tc.store()}
			assertRoundTrips(t, store, tc.opts, tc.wantFirst, tc.wantDuplicate)
		})
	}
}

func assertRoundTrips(t *testing.T, store *countingStore, opts []Option, wantFirst, wantDuplicate int64) {
	t.Helper()
	h := &echo{}
	mw := New(store, opts...)(h)
	e := newEvent(t, "src", t.Name(), "x")
	first, err := mw.Handle(context.Background(), e)
	require.NoError(t, err)
	assert.Equal(t, wantFirst, store.total(), "first execution")
	store.reset()
	dup, err := mw.Handle(context.Background(), e)
	require.NoError(t, err)
	assert.Equal(t, wantDuplicate, store.total(), "duplicate")
	if wantFirst > 0 {
		assert.Equal(t, first.String(), dup.String())
		assert.Equal(t, int64(1), h.runs.Load())
	}
}

func TestCacheHoldsOnlyFinalRecords(t *testing.T) {
	store := &countingStore{Store: memstate.New()}
	g := NewGuard(store, WithCache(2))
	started, release := make(chan struct{}), make(chan struct{})
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		if e.ID() == "slow" {
			close(started)
			<-release
		}
		return nil, nil
	})
	mw := g.Middleware()(h)
	done := make(chan error)
	go func() { _, err := mw.Handle(context.Background(), newEvent(t, "s", "slow", "x")); done <- err }()
	<-started
	_, err := mw.Handle(context.Background(), newEvent(t, "s", "slow", "x"))
	require.ErrorIs(t, err, ErrInProgress)
	assert.Equal(t, 0, g.cache.order.Len(), "in-progress records are never cached")
	close(release)
	require.NoError(t, <-done)
	for _, id := range []string{"a", "b", "c"} {
		_, err := mw.Handle(context.Background(), newEvent(t, "s", id, "x"))
		require.NoError(t, err)
	}
	assert.Equal(t, 2, g.cache.order.Len(), "the cache is bounded")
	store.reset()
	_, err = mw.Handle(context.Background(), newEvent(t, "s", "c", "x"))
	require.NoError(t, err)
	assert.Zero(t, store.total(), "a cached duplicate needs no round trip")
	_, err = mw.Handle(context.Background(), newEvent(t, "s", "c", "y"))
	require.ErrorIs(t, err, ErrPayloadMismatch, "cached records validate the payload too")
}

func TestCacheExpiry(t *testing.T) {
	clk := newClock()
	store := &countingStore{Store: memstate.New(memstate.WithClock(clk.Now))}
	mw := New(store, WithCache(10), WithClock(clk.Now), WithExpiry(time.Minute))(&echo{})
	e := newEvent(t, "s", "1", "x")
	_, err := mw.Handle(context.Background(), e)
	require.NoError(t, err)
	clk.Add(time.Minute)
	store.reset()
	_, err = mw.Handle(context.Background(), e)
	require.NoError(t, err)
	assert.Equal(t, int64(2), store.total(), "an expired record is neither cached nor stored: the key runs again")
}

func TestWait(t *testing.T) {
	store := memstate.New()
	started, release := make(chan struct{}), make(chan struct{})
	var runs atomic.Int64
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		if runs.Add(1) == 1 {
			close(started)
			<-release
		}
		r := event.New()
		r.SetID("r")
		r.SetSource("s")
		r.SetType("t")
		return &r, nil
	})
	mw := New(store, WithWait(time.Millisecond))(h)
	e := newEvent(t, "src", "1", "x")
	first := make(chan error)
	go func() { _, err := mw.Handle(context.Background(), e); first <- err }()
	<-started
	second := make(chan *event.Event)
	go func() {
		r, err := mw.Handle(context.Background(), e)
		assert.NoError(t, err)
		second <- r
	}()
	close(release)
	require.NoError(t, <-first)
	r := <-second
	require.NotNil(t, r, "the waiting duplicate gets the first reply")
	assert.Equal(t, "r", r.ID())
	assert.Equal(t, int64(1), runs.Load())
}

func TestWaitGivesUpAtTheDeadline(t *testing.T) {
	store := memstate.New()
	g := NewGuard(store, WithWait(time.Millisecond))
	e := newEvent(t, "src", "1", "x")
	key := eventKeyOf(t, g, context.Background(), e)
	held := &record{status: statusInProgress, token: 1, hash: g.o.payloadHash(e.Data()), until: time.Now().Add(time.Hour)}
	_, err := store.Put(context.Background(), key, held.encode(), state.PutOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	h := &echo{}
	_, err = g.Middleware()(h).Handle(ctx, e)
	require.ErrorIs(t, err, ErrInProgress)
	assert.Zero(t, h.runs.Load())
}

func TestReplayHook(t *testing.T) {
	mw := New(memstate.New(), WithReplayHook(func(_ context.Context, key string, reply *event.Event) *event.Event {
		reply.SetExtension("replayed", true)
		return reply
	}))(&echo{})
	e := newEvent(t, "src", "1", "x")
	first, err := mw.Handle(context.Background(), e)
	require.NoError(t, err)
	assert.NotContains(t, first.Extensions(), "replayed")
	second, err := mw.Handle(context.Background(), e)
	require.NoError(t, err)
	assert.Equal(t, true, second.Extensions()["replayed"])
}

func TestNoReplyReplaysNoReply(t *testing.T) {
	var runs atomic.Int64
	mw := New(memstate.New())(function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) {
		runs.Add(1)
		return nil, nil
	}))
	e := newEvent(t, "src", "1", "x")
	for range 3 {
		r, err := mw.Handle(context.Background(), e)
		require.NoError(t, err)
		assert.Nil(t, r)
	}
	assert.Equal(t, int64(1), runs.Load())
}

func TestPanicReleases(t *testing.T) {
	store := memstate.New()
	mw := New(store)(function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) {
		panic("kaboom")
	}))
	assert.PanicsWithValue(t, "kaboom", func() { _, _ = mw.Handle(context.Background(), newEvent(t, "s", "1", "x")) })
	assert.Equal(t, 0, store.Len(), "a panicking execution must release its record")
}

func TestUnwrap(t *testing.T) {
	h := &echo{}
	mw := New(memstate.New())(h)
	u, ok := mw.(function.Unwrapper)
	require.True(t, ok)
	assert.Same(t, h, u.Unwrap())
}

func TestDo(t *testing.T) {
	g := NewGuard(memstate.New(), WithPermanentFailures())
	var runs atomic.Int64
	charge := func(context.Context) ([]byte, error) {
		runs.Add(1)
		return []byte("receipt-1"), nil
	}
	for range 2 {
		out, err := g.Do(context.Background(), "charge/42", []byte(`{"amount":5}`), charge)
		require.NoError(t, err)
		assert.Equal(t, "receipt-1", string(out))
	}
	assert.Equal(t, int64(1), runs.Load())
	_, err := g.Do(context.Background(), "charge/42", []byte(`{"amount":6}`), charge)
	require.ErrorIs(t, err, ErrPayloadMismatch)

	failing := func(context.Context) ([]byte, error) { return nil, function.Permanent(errors.New("card declined")) }
	_, err = g.Do(context.Background(), "charge/43", nil, failing)
	require.ErrorContains(t, err, "card declined")
	_, err = g.Do(context.Background(), "charge/43", nil, charge)
	var re *ReplayedError
	require.ErrorAs(t, err, &re, "the permanent failure replays")
	assert.Equal(t, int64(1), runs.Load())

	_, err = NewGuard(memstate.New(), WithRequireKey()).Do(context.Background(), "", nil, charge)
	require.ErrorIs(t, err, ErrMissingKey)
}

func TestCorruptRecord(t *testing.T) {
	store := memstate.New()
	g := NewGuard(store)
	e := newEvent(t, "src", "1", "x")
	_, err := store.Put(context.Background(), eventKeyOf(t, g, context.Background(), e), []byte("garbage"), state.PutOptions{})
	require.NoError(t, err)
	h := &echo{}
	_, err = g.Middleware()(h).Handle(context.Background(), e)
	require.ErrorIs(t, err, ErrStore)
	assert.True(t, function.IsRetryable(err))
	assert.Zero(t, h.runs.Load())
}

// TestWaitTakesOverAnExpiredLease: a waiting duplicate takes the key over
// when the owner's lease ends without a result.
func TestWaitTakesOverAnExpiredLease(t *testing.T) {
	clk := newClock()
	store := memstate.New(memstate.WithClock(clk.Now))
	g := NewGuard(store, WithWait(time.Millisecond), WithClock(clk.Now))
	e := newEvent(t, "src", "1", "x")
	key := eventKeyOf(t, g, context.Background(), e)
	crashed := &record{status: statusInProgress, token: 1, hash: g.o.payloadHash(e.Data()), until: clk.Now().Add(time.Second)}
	_, err := store.Put(context.Background(), key, crashed.encode(), state.PutOptions{})
	require.NoError(t, err)

	h := &echo{}
	done := make(chan error)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := g.Middleware()(h).Handle(ctx, e)
		done <- err
	}()
	clk.Add(2 * time.Second) // the crashed owner's lease ends
	require.NoError(t, <-done)
	assert.Equal(t, int64(1), h.runs.Load())
	r, _ := recordAt(t, store, key)
	assert.Equal(t, statusCompleted, r.status)
	assert.Greater(t, r.token, uint64(1))
}
