package fntest_test

import (
	"context"
	"fmt"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/fntest"
	"github.com/faasport/faasport/trigger"
)

// Invoke runs one handler through a real adapter with a native input; in a
// test, OnEveryPlatform does this for every platform in subtests.
func ExampleInvoke() {
	h := trigger.Queue(func(_ context.Context, m trigger.Message) error {
		fmt.Printf("got %s\n", m.Body)
		return nil
	})
	for _, p := range []function.Platform{function.PlatformLambda, function.PlatformCloudFunctions, function.PlatformHTTP} {
		r, err := fntest.Invoke(p, h, fntest.QueueMessage(`{"id":"o-1"}`))
		if err != nil {
			panic(err)
		}
		fmt.Println(r.Platform, "calls:", r.Calls, "redelivered:", r.Redelivered)
	}
	// Output:
	// got {"id":"o-1"}
	// aws_lambda calls: 1 redelivered: false
	// got {"id":"o-1"}
	// gcp_cloud_functions calls: 1 redelivered: false
	// got {"id":"o-1"}
	// http calls: 1 redelivered: false
}
