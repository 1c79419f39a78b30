package memstate_test

import (
	"testing"

	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/testing/statetest"
)

func BenchmarkStore(b *testing.B) {
	b.Run("mem", func(b *testing.B) { statetest.Benchmark(b, memstate.New()) })
}
