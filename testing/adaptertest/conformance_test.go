package adaptertest_test

import (
	"testing"

	"github.com/faasport/faasport/testing/adaptertest"
)

// TestHarnesses runs the suite on every adapter of the module (Azure
// Functions under the test host of testing/azuretest); each adapter's own
// tests run it too.
func TestHarnesses(t *testing.T) {
	for _, h := range adaptertest.Harnesses() {
		t.Run(h.Name(), func(t *testing.T) { adaptertest.Run(t, h) })
	}
}
