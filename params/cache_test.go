package params_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/params"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// scripted is a provider whose answers the test sets, counting calls.
type scripted struct {
	calls atomic.Int64
	mu    sync.Mutex
	value string
	ver   int
	err   error
	gate  chan struct{} // when set, Fetch waits for it
}

func (p *scripted) Fetch(ctx context.Context, ref params.Ref) (string, string, error) {
	p.calls.Add(1)
	p.mu.Lock()
	gate := p.gate
	p.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return "", "", ctx.Err()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return "", "", p.err
	}
	p.ver++
	return p.value, fmt.Sprint(p.ver), nil
}

func (p *scripted) set(value string, err error) {
	p.mu.Lock()
	p.value, p.err = value, err
	p.mu.Unlock()
}

func TestCacheOneFetchForConcurrentCallers(t *testing.T) {
	p := &scripted{value: "v", gate: make(chan struct{})}
	c := params.New(p)
	const callers = 100
	var started, done sync.WaitGroup
	started.Add(callers)
	done.Add(callers)
	results := make([]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		go func() {
			defer done.Done()
			started.Done()
			s, err := c.Get(context.Background(), "db")
			results[i], errs[i] = s.Reveal(), err
		}()
	}
	started.Wait()
	close(p.gate)
	done.Wait()
	for i := range callers {
		require.NoError(t, errs[i])
		assert.Equal(t, "v", results[i])
	}
	assert.EqualValues(t, 1, p.calls.Load(), "100 concurrent callers must share one provider call")
}

func TestCacheTTL(t *testing.T) {
	clock := newClock()
	p := &scripted{value: "a"}
	c := params.New(p, params.WithTTL(time.Minute), params.WithClock(clock.Now))
	ctx := context.Background()

	v, err := c.Value(ctx, params.Ref{Name: "k"})
	require.NoError(t, err)
	assert.Equal(t, "a", v.Secret.Reveal())
	assert.Equal(t, "1", v.Version)

	p.set("b", nil)
	clock.Advance(59 * time.Second)
	v, err = c.Value(ctx, params.Ref{Name: "k"})
	require.NoError(t, err)
	assert.Equal(t, "a", v.Secret.Reveal(), "within the TTL the cached value is served")
	assert.EqualValues(t, 1, p.calls.Load())

	clock.Advance(time.Second)
	v, err = c.Value(ctx, params.Ref{Name: "k"})
	require.NoError(t, err)
	assert.Equal(t, "b", v.Secret.Reveal(), "after the TTL the value is fetched again")
	assert.Equal(t, "2", v.Version)
	assert.EqualValues(t, 2, p.calls.Load())

	c.Invalidate(params.Ref{Name: "k"})
	_, err = c.Value(ctx, params.Ref{Name: "k"})
	require.NoError(t, err)
	assert.EqualValues(t, 3, p.calls.Load(), "Invalidate forces a fetch")
}

func TestCacheTTLZeroAndNegative(t *testing.T) {
	tests := []struct {
		name  string
		ttl   time.Duration
		calls int64
	}{
		{"zero fetches every time", 0, 3},
		{"negative fetches once", -1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			p := &scripted{value: "a"}
			c := params.New(p, params.WithTTL(tt.ttl), params.WithClock(clock.Now))
			for range 3 {
				_, err := c.Get(context.Background(), "k")
				require.NoError(t, err)
				clock.Advance(time.Hour)
			}
			assert.Equal(t, tt.calls, p.calls.Load())
		})
	}
}

func TestCacheStaleIfError(t *testing.T) {
	clock := newClock()
	p := &scripted{value: "good"}
	c := params.New(p,
		params.WithTTL(time.Minute),
		params.WithStaleIfError(10*time.Minute),
		params.WithErrorBackoff(5*time.Second),
		params.WithClock(clock.Now))
	ctx := context.Background()
	ref := params.Ref{Name: "k"}

	_, err := c.Value(ctx, ref)
	require.NoError(t, err)

	outage := fmt.Errorf("store down: %w", params.ErrThrottled)
	p.set("", outage)
	clock.Advance(2 * time.Minute)
	v, err := c.Value(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, "good", v.Secret.Reveal())
	assert.True(t, v.Stale)
	assert.EqualValues(t, 2, p.calls.Load())

	clock.Advance(4 * time.Second)
	v, err = c.Value(ctx, ref)
	require.NoError(t, err)
	assert.True(t, v.Stale)
	assert.EqualValues(t, 2, p.calls.Load(), "within the back-off the provider is not called")

	clock.Advance(time.Second)
	_, err = c.Value(ctx, ref)
	require.NoError(t, err)
	assert.EqualValues(t, 3, p.calls.Load(), "after the back-off the provider is tried again")

	clock.Advance(10 * time.Minute) // past TTL + stale bound
	_, err = c.Value(ctx, ref)
	require.Error(t, err)
	assert.ErrorIs(t, err, params.ErrThrottled)
	assert.ErrorIs(t, err, outage)
	assert.Contains(t, err.Error(), "params: fetch k")

	p.set("fresh", nil)
	clock.Advance(5 * time.Second)
	v, err = c.Value(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, "fresh", v.Secret.Reveal())
	assert.False(t, v.Stale)
}

func TestCacheErrorWithoutValue(t *testing.T) {
	clock := newClock()
	p := &scripted{err: fmt.Errorf("no such secret: %w", params.ErrNotFound)}
	c := params.New(p, params.WithErrorBackoff(time.Second), params.WithClock(clock.Now))
	for range 3 {
		_, err := c.Get(context.Background(), "missing")
		require.ErrorIs(t, err, params.ErrNotFound)
	}
	assert.EqualValues(t, 1, p.calls.Load(), "a failure is remembered for the back-off")
	clock.Advance(time.Second)
	_, err := c.Get(context.Background(), "missing")
	require.ErrorIs(t, err, params.ErrNotFound)
	assert.EqualValues(t, 2, p.calls.Load())
}

func TestCacheCallerGivesUpFetchGoesOn(t *testing.T) {
	p := &scripted{value: "v", gate: make(chan struct{})}
	c := params.New(p)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Get(ctx, "k")
	require.ErrorIs(t, err, context.Canceled)

	close(p.gate)
	s, err := c.Get(context.Background(), "k")
	require.NoError(t, err)
	assert.Equal(t, "v", s.Reveal())
	assert.EqualValues(t, 1, p.calls.Load(), "the fetch started by the cancelled caller served the next one")
}

func TestCacheFetchTimeout(t *testing.T) {
	p := &scripted{value: "v", gate: make(chan struct{})}
	defer close(p.gate)
	c := params.New(p, params.WithFetchTimeout(time.Millisecond))
	_, err := c.Get(context.Background(), "k")
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestCacheProviderPanic(t *testing.T) {
	c := params.New(params.ProviderFunc(func(context.Context, params.Ref) (string, string, error) {
		panic("boom")
	}))
	_, err := c.Get(context.Background(), "k")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "provider panicked: boom")
}

func TestCacheRefsAreSeparate(t *testing.T) {
	var got []params.Ref
	var mu sync.Mutex
	c := params.New(params.ProviderFunc(func(_ context.Context, ref params.Ref) (string, string, error) {
		mu.Lock()
		got = append(got, ref)
		mu.Unlock()
		return ref.String(), ref.Version, nil
	}))
	refs := []params.Ref{{Name: "s"}, {Name: "s", Version: "3"}, {Name: "s", Label: "AWSPREVIOUS"}}
	for _, r := range refs {
		v, err := c.Value(context.Background(), r)
		require.NoError(t, err)
		assert.Equal(t, r.String(), v.Secret.Reveal())
	}
	assert.Equal(t, refs, got)
	assert.Equal(t, "s@3", refs[1].String())
	assert.Equal(t, "s#AWSPREVIOUS", refs[2].String())
}

func TestDecoded(t *testing.T) {
	clock := newClock()
	p := &scripted{value: `{"User":"app","Password":"` + hidden + `"}`}
	c := params.New(p, params.WithTTL(time.Minute), params.WithClock(clock.Now))
	var decodes atomic.Int64
	d := params.DecodedWith(c, params.Ref{Name: "db"}, func(s params.Secret) (creds, error) {
		decodes.Add(1)
		return params.Decode[creds](s)
	})
	ctx := context.Background()
	for range 3 {
		got, err := d.Get(ctx)
		require.NoError(t, err)
		assert.Equal(t, "app", got.User)
		assert.Equal(t, hidden, got.Password.Reveal())
	}
	assert.EqualValues(t, 1, decodes.Load(), "one decode per fetched value")

	p.set(`{"User":"app2","Password":"x"}`, nil)
	clock.Advance(time.Minute)
	got, err := d.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, "app2", got.User)
	assert.EqualValues(t, 2, decodes.Load())
}

func TestDecodeErrorsHideTheValue(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"syntax", `{"User":"` + hidden, "invalid JSON at byte offset"},
		{"type", `{"User":["` + hidden + `"]}`, `field "User"`},
		{"not json", hidden, "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := params.New(params.Static(map[string]string{"db": tt.value}))
			_, err := params.JSON[creds](c, params.Ref{Name: "db"}).Get(context.Background())
			require.ErrorIs(t, err, params.ErrDecode)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "params: decode db")
			assert.NotContains(t, err.Error(), hidden)
			assert.NotContains(t, err.Error(), "hunter")
		})
	}
}

func TestCacheProviderErrorIsWrapped(t *testing.T) {
	base := errors.New("sdk says no")
	c := params.New(params.ProviderFunc(func(context.Context, params.Ref) (string, string, error) {
		return "", "", fmt.Errorf("x: %w (%w)", params.ErrAccessDenied, base)
	}))
	_, err := c.Get(context.Background(), "k")
	assert.ErrorIs(t, err, params.ErrAccessDenied)
	assert.ErrorIs(t, err, base)
}
