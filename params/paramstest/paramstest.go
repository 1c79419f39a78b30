// Package paramstest holds the checks every params.Provider's tests run
// against a real client talking to a fake service on loopback, so the
// provider modules (awsparams, gcpparams, azureparams) share one copy.
package paramstest

import (
	"context"
	"sync"
	"testing"

	"github.com/faasport/faasport/params"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ColdStart describes one cold-start check: the cache under test, the
// secret to ask for and what it holds, and the fake service's hooks.
type ColdStart struct {
	// Cache is the params.Cache over the provider under test, empty.
	Cache *params.Cache
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
}

// Callers is how many goroutines CheckConcurrentColdStart starts.
const Callers = 100

// CheckConcurrentColdStart starts Callers goroutines that ask cs.Cache for
// cs.Ref at once while the service holds its answer, then releases it. It
// fails t unless every caller gets cs.Secret at cs.Version and the service
// saw exactly one fetch: a cold start under load costs one call.
func CheckConcurrentColdStart(t testing.TB, cs ColdStart) {
	t.Helper()
	var started, done sync.WaitGroup
	started.Add(Callers)
	done.Add(Callers)
	errs := make([]error, Callers)
	vals := make([]params.Value, Callers)
	for i := range Callers {
		go func() {
			defer done.Done()
			started.Done()
			vals[i], errs[i] = cs.Cache.Value(context.Background(), cs.Ref)
		}()
	}
	started.Wait()
	cs.Release()
	done.Wait()
	for i := range Callers {
		require.NoError(t, errs[i], "caller %d", i)
		assert.Equal(t, cs.Secret, vals[i].Secret.Reveal(), "caller %d", i)
		assert.Equal(t, cs.Version, vals[i].Version, "caller %d", i)
	}
	assert.EqualValues(t, 1, cs.Calls(), "one fetch for %d callers", Callers)
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
