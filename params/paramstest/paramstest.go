// Package paramstest holds the checks every params.Provider's tests run
// against a real client talking to a fake service on loopback, so the
// provider modules (awsparams, gcpparams, azureparams) share one copy.
package paramstest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/faasport/faasport/params"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ValueGetter is the part of a *params.Cache that CheckConcurrentColdStart
// calls. The provider modules pass a *params.Cache; the check's own tests
// pass caches that do not share fetches, to show that it fails them.
type ValueGetter interface {
	Value(ctx context.Context, ref params.Ref) (params.Value, error)
}

// ColdStart describes one cold-start check: the cache under test, the
// secret to ask for and what it holds, and the fake service's hooks.
type ColdStart struct {
	// Cache is the cache under test, empty: a *params.Cache over the
	// provider under test.
	Cache ValueGetter
	// Ref names the secret every caller asks for.
	Ref params.Ref
	// Secret and Version are what every caller must get.
	Secret, Version string
	// Release lets the fake service answer; until it is called the
	// service holds every request, so all callers pile up on a cold cache.
	Release func()
	// Calls reports how many fetches the service has answered since the
	// check began.
	Calls func() int64
	// ArrivalTimeout bounds the wait for every caller to be waiting in the
	// cache before the service is released; 0 means
	// DefaultArrivalTimeout.
	ArrivalTimeout time.Duration
}

// Callers is how many goroutines CheckConcurrentColdStart starts.
const Callers = 100

// DefaultArrivalTimeout is how long CheckConcurrentColdStart waits, by
// default, for its callers to be waiting in the cache.
const DefaultArrivalTimeout = 10 * time.Second

// CheckConcurrentColdStart starts Callers goroutines that ask cs.Cache for
// cs.Ref at once while the service holds its answer, waits until every one
// of them is waiting inside the cache, then releases the service. It fails
// t unless every caller gets cs.Secret at cs.Version and the service saw
// exactly one fetch: a cold start under load costs one call.
//
// A caller counts as waiting once the cache asks for its context's Done
// channel, which a *params.Cache does only after the caller has joined the
// fetch in flight, just before it blocks. (A caller that returns, which on
// a cold cache with the service held can only be with an error, counts
// too.) So no caller can reach the cache after the first fetch has
// answered, and a cache that fetched per caller, or that cached without
// sharing the fetch in flight, makes Callers calls and fails. If the
// callers are not all waiting within cs.ArrivalTimeout the check fails
// saying how many were.
func CheckConcurrentColdStart(t testing.TB, cs ColdStart) {
	t.Helper()
	timeout := cs.ArrivalTimeout
	if timeout <= 0 {
		timeout = DefaultArrivalTimeout
	}
	arrived := make(chan struct{}, Callers)
	var done sync.WaitGroup
	done.Add(Callers)
	errs := make([]error, Callers)
	vals := make([]params.Value, Callers)
	for i := range Callers {
		ctx := &arrivalContext{Context: context.Background(), arrived: arrived}
		go func() {
			defer done.Done()
			defer ctx.arrive()
			vals[i], errs[i] = cs.Cache.Value(ctx, cs.Ref)
		}()
	}
	n := waitArrivals(arrived, timeout)
	cs.Release()
	done.Wait()
	if n < Callers {
		t.Fatalf("only %d of %d callers were waiting in the cache after %v while the service held its answer: "+
			"the cache must wait on the caller's context for a fetch in flight, as params.Cache does", n, Callers, timeout)
	}
	for i := range Callers {
		require.NoError(t, errs[i], "caller %d", i)
		assert.Equal(t, cs.Secret, vals[i].Secret.Reveal(), "caller %d", i)
		assert.Equal(t, cs.Version, vals[i].Version, "caller %d", i)
	}
	assert.EqualValues(t, 1, cs.Calls(), "%d callers all waiting in the cache before the service answered should cost one fetch", Callers)
}

// waitArrivals counts arrivals until there are Callers of them or timeout
// passes, and returns the count.
func waitArrivals(arrived <-chan struct{}, timeout time.Duration) int {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for n := 0; ; n++ {
		if n == Callers {
			return n
		}
		select {
		case <-arrived:
		case <-timer.C:
			return n
		}
	}
}

// arrivalContext is one caller's context. It reports the caller's arrival
// once, the first time the cache asks for its Done channel (or when the
// caller returns), and otherwise behaves as the context it wraps.
type arrivalContext struct {
	context.Context
	arrived chan<- struct{}
	once    sync.Once
}

func (c *arrivalContext) Done() <-chan struct{} {
	c.arrive()
	return c.Context.Done()
}

func (c *arrivalContext) arrive() {
	c.once.Do(func() { c.arrived <- struct{}{} })
}

// sentinels are the errors a provider maps its service's answers to.
func sentinels() []error {
	return []error{params.ErrNotFound, params.ErrAccessDenied, params.ErrThrottled, params.ErrUnsupported}
}

// CheckMapped fails t unless err is want and none of the other params
// sentinels (ErrNotFound, ErrAccessDenied, ErrThrottled, ErrUnsupported).
// With want nil, err must be an error that maps to none of them, as a
// server fault must.
func CheckMapped(t testing.TB, err, want error) {
	t.Helper()
	require.Error(t, err)
	if want != nil {
		require.ErrorIs(t, err, want)
	}
	for _, s := range sentinels() {
		if s != want {
			assert.NotErrorIs(t, err, s)
		}
	}
}
