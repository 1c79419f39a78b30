package statetest_test

import (
	"testing"

	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/testing/statetest"
)

// A backend's conformance test and benchmarks. Return a fresh store per
// subtest, or a shared one: the suite keeps subtests apart by key.
func Example() {
	// In mystore_test.go:
	//
	//	func TestConformance(t *testing.T) {
	//		statetest.Run(t, func(t *testing.T) state.Store { return mystore.New(client(t)) })
	//	}
	//
	//	func BenchmarkStore(b *testing.B) {
	//		b.Run("mystore", func(b *testing.B) { statetest.Benchmark(b, mystore.New(client(b))) })
	//	}
	_ = func(t *testing.T) {
		statetest.Run(t, func(t *testing.T) state.Store { return memstate.New() }, statetest.RequireCurrent())
	}
}

func TestRunOnMemstate(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store { return memstate.New() }, statetest.RequireCurrent(), statetest.WithConcurrency(20, 3))
}
