package paramstest_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/params"
	"github.com/faasport/faasport/params/paramstest"
)

// gated is a provider that holds every fetch until its gate closes or the
// caller gives up, as a client waiting on a held service does.
type gated struct {
	gate  chan struct{}
	calls atomic.Int64
}

func (g *gated) Fetch(ctx context.Context, ref params.Ref) (string, string, error) {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return "", "", ctx.Err()
	}
	g.calls.Add(1)
	return "s-" + ref.Name, "v1", nil
}

func newGated() *gated { return &gated{gate: make(chan struct{})} }

func (g *gated) coldStart(c paramstest.ValueGetter) paramstest.ColdStart {
	return paramstest.ColdStart{
		Cache: c, Ref: params.Ref{Name: "k"},
		Secret: "s-k", Version: "v1",
		Release: func() { close(g.gate) }, Calls: g.calls.Load,
	}
}

// perCaller fetches for every caller: no cache at all.
type perCaller struct{ p params.Provider }

func (c perCaller) Value(ctx context.Context, ref params.Ref) (params.Value, error) {
	v, ver, err := c.p.Fetch(ctx, ref)
	return params.Value{Secret: params.NewSecret(v), Version: ver}, err
}

// unshared caches what it fetched but does not share a fetch in flight:
// every caller that misses fetches. When callers straggle in after the
// first fetch has answered, it makes one call, which is why the check must
// hold the service until all of them are waiting.
type unshared struct {
	p  params.Provider
	mu sync.Mutex
	m  map[params.Ref]params.Value
}

func (c *unshared) Value(ctx context.Context, ref params.Ref) (params.Value, error) {
	c.mu.Lock()
	v, ok := c.m[ref]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	s, ver, err := c.p.Fetch(ctx, ref)
	if err != nil {
		return params.Value{}, err
	}
	v = params.Value{Secret: params.NewSecret(s), Version: ver}
	c.mu.Lock()
	c.m[ref] = v
	c.mu.Unlock()
	return v, nil
}

// serialized lets one caller at a time in and never watches the waiting
// callers' contexts, so they cannot be seen waiting.
type serialized struct {
	mu sync.Mutex
	unshared
}

func (c *serialized) Value(ctx context.Context, ref params.Ref) (params.Value, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unshared.Value(ctx, ref)
}

// recorder is a testing.TB that records failures instead of failing the
// test, so a test can assert that a check fails. Run the check on its own
// goroutine: FailNow ends the goroutine, as testing.T's does.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	msgs   []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) FailNow() {
	r.Fail()
	runtime.Goexit()
}

func (r *recorder) Fail() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
}

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// run runs check against a recorder and returns what it recorded.
func run(t *testing.T, check func(testing.TB)) (failed bool, msgs string) {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(r)
	}()
	<-done
	return r.Failed(), strings.Join(r.msgs, "\n")
}

// The check fails every cache that does not share one fetch among callers
// that pile up on a cold start, however the goroutines are scheduled.
func TestCheckConcurrentColdStartFailsWithoutSharing(t *testing.T) {
	tests := []struct {
		name  string
		cache func(params.Provider) paramstest.ValueGetter
		want  string
	}{
		{name: "no cache", cache: func(p params.Provider) paramstest.ValueGetter { return perCaller{p} },
			want: "should cost one fetch"},
		{name: "cache without a shared fetch",
			cache: func(p params.Provider) paramstest.ValueGetter {
				return &unshared{p: p, m: map[params.Ref]params.Value{}}
			},
			want: "should cost one fetch"},
		{name: "callers not seen waiting",
			cache: func(p params.Provider) paramstest.ValueGetter {
				return &serialized{unshared: unshared{p: p, m: map[params.Ref]params.Value{}}}
			},
			want: "callers were waiting in the cache after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 5 {
				g := newGated()
				cs := g.coldStart(tt.cache(g))
				cs.ArrivalTimeout = 200 * time.Millisecond
				failed, msgs := run(t, func(tb testing.TB) { paramstest.CheckConcurrentColdStart(tb, cs) })
				require.True(t, failed, "the check passed a cache that does not share its fetch")
				assert.Contains(t, msgs, tt.want)
			}
		})
	}
}

// Every caller is waiting in the cache before the service answers: none
// of them can have been served from a value cached by an earlier fetch.
func TestCheckConcurrentColdStartHoldsUntilAllWait(t *testing.T) {
	g := newGated()
	c := params.New(g)
	cs := g.coldStart(c)
	var early atomic.Int64
	release := cs.Release
	cs.Release = func() {
		// All callers wait on the one flight; none has an answer yet.
		early.Store(g.calls.Load())
		release()
	}
	failed, msgs := run(t, func(tb testing.TB) { paramstest.CheckConcurrentColdStart(tb, cs) })
	require.False(t, failed, msgs)
	assert.Zero(t, early.Load(), "the service answered before it was released")
}

func TestCheckConcurrentColdStart(t *testing.T) {
	g := newGated()
	paramstest.CheckConcurrentColdStart(t, g.coldStart(params.New(g)))
}

func TestCheckMapped(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{name: "not found", err: fmt.Errorf("p: get x: %w", params.ErrNotFound), want: params.ErrNotFound},
		{name: "throttled", err: fmt.Errorf("p: get x: %w", params.ErrThrottled), want: params.ErrThrottled},
		{name: "server fault", err: fmt.Errorf("p: get x: 500")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			paramstest.CheckMapped(t, tt.err, tt.want)
		})
	}
}
