package azuretest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/azuretest"
)

// A Service Bus message sent to a handler as the Functions host sends it.
// In a test, azuretest.Start(t, …) does the same and stops the handler when
// the test ends.
func Example() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		reply := event.New()
		reply.SetID("done-" + e.ID())
		reply.SetSource("/orders")
		reply.SetType("com.example.order.done")
		_ = reply.SetData(event.ApplicationJSON, map[string]string{"order": e.ID()})
		return &reply, nil
	})
	host, err := azuretest.Serve(ctx, "testdata/app", azure.Events(h),
		azure.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		panic(err)
	}
	res, err := host.Trigger(ctx, "Orders", `{"id":"o-1"}`, map[string]any{"MessageId": "m-1", "DeliveryCount": 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Failed(), string(res.ReturnValue))
	stop()
	fmt.Println(host.Wait())
	// Output:
	// 200 false {"order":"m-1"}
	// <nil>
}
