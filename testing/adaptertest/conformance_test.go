package adaptertest_test

import (
	"testing"

	"github.com/faasport/faasport/testing/adaptertest"
)

// TestHarnesses runs the suite on every adapter of the module; each
// adapter's own tests run it too.
func TestHarnesses(t *testing.T) {
	for _, h := range adaptertest.Harnesses() {
		t.Run(h.Name(), func(t *testing.T) { adaptertest.Run(t, h) })
	}
}

// TestAzure runs the suite on the Azure Functions custom handler, served
// under the test host of testing/azuretest.
func TestAzure(t *testing.T) { adaptertest.Run(t, adaptertest.Azure()) }
