// Package benchpair measures two implementations of the same work in one
// benchmark loop, alternating them in short chunks, so that load drifting
// on the machine slows both alike and their ratio holds steady, unlike
// the ratio of two separate benchmark runs.
package benchpair

import (
	"testing"
	"time"
)

// chunk is how many calls of one side run before the other's.
const chunk = 64

// Run calls ours and theirs alternately, chunk calls at a time, at least
// b.N times each, and reports the time per call of each as
// "<oursName>-ns" and "<theirsName>-ns" and their ratio as
// "x-<theirsName>". Allocations reported are those of both together.
func Run(b *testing.B, oursName string, ours func(), theirsName string, theirs func()) {
	b.Helper()
	var tOurs, tTheirs time.Duration
	b.ReportAllocs()
	for i := 0; i < b.N; i += chunk {
		start := time.Now()
		for range chunk {
			ours()
		}
		mid := time.Now()
		for range chunk {
			theirs()
		}
		tOurs, tTheirs = tOurs+mid.Sub(start), tTheirs+time.Since(mid)
	}
	n := float64((b.N + chunk - 1) / chunk * chunk)
	b.ReportMetric(float64(tOurs.Nanoseconds())/n, oursName+"-ns")
	b.ReportMetric(float64(tTheirs.Nanoseconds())/n, theirsName+"-ns")
	b.ReportMetric(float64(tOurs)/float64(tTheirs), "x-"+theirsName)
}
