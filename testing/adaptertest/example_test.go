package adaptertest_test

import (
	"fmt"

	"github.com/faasport/faasport/testing/adaptertest"
)

// Every adapter of the module has a harness; an adapter's test runs the
// suite with adaptertest.Run(t, harness).
func ExampleHarnesses() {
	for _, h := range adaptertest.Harnesses() {
		f := h.Features()
		fmt.Println(h.Name(), h.Platform(), "partial failures:", f.PartialFailures, "Retry-After:", f.RetryAfter)
	}
	// Output:
	// lambda aws_lambda partial failures: true Retry-After: false
	// gcf gcp_cloud_functions partial failures: false Retry-After: true
	// nethttp http partial failures: false Retry-After: true
	// azure azure_functions partial failures: false Retry-After: true
}
