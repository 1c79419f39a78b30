package benchpair_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/internal/benchpair"
)

// BenchmarkUnmarshal compares decoding into a struct with decoding into a
// map, alternately in one loop.
func BenchmarkUnmarshal(b *testing.B) {
	raw := []byte(`{"id":"o-1","qty":2}`)
	benchpair.Run(b, "struct", func() {
		var v struct {
			ID  string `json:"id"`
			Qty int    `json:"qty"`
		}
		_ = json.Unmarshal(raw, &v)
	}, "map", func() {
		var v map[string]any
		_ = json.Unmarshal(raw, &v)
	})
}

func TestRunReportsBoth(t *testing.T) {
	var ours, theirs int
	r := testing.Benchmark(func(b *testing.B) {
		benchpair.Run(b, "ours", func() { ours++ }, "theirs", func() { theirs++ })
	})
	require.Positive(t, ours)
	assert.Equal(t, ours, theirs, "both sides run as often")
	for _, m := range []string{"ours-ns", "theirs-ns", "x-theirs"} {
		assert.Contains(t, r.Extra, m)
	}
}

func Example() {
	// In a benchmark: benchpair.Run(b, "faasport", ours, "bare", theirs)
	// reports faasport-ns, bare-ns and x-bare, the ratio of the two.
	fmt.Println("x-bare = faasport-ns / bare-ns")
	// Output: x-bare = faasport-ns / bare-ns
}
