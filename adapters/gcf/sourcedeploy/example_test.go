package sourcedeploy_test

import (
	"context"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/adapters/gcf/sourcedeploy"
	"github.com/faasport/faasport/function"
)

// In the deployed package (not main), register the function under the
// entry point's name; the generated main serves it.
func ExampleRegister() {
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		return nil, nil
	})
	if err := sourcedeploy.Register("ExampleOrders", gcf.Events(h)); err != nil {
		panic(err)
	}
	// Output:
}
