package azure_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/function"
)

// An event handler served as a custom handler. Here the host's request is
// sent by hand to the handler mounted in an httptest server; on Azure,
// azure.ListenAndServe listens where the host expects it.
func Example() {
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		inv := function.FromContext(ctx)
		fmt.Println(e.Type(), e.Source(), e.ID(), "attempt", inv.Attempt, "on", inv.Platform)
		return nil, nil
	})
	door, err := azure.New(azure.Events(h), azure.WithScriptRoot("testdata/app"),
		azure.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(door)
	defer srv.Close()

	invocation := `{"Data":{"message":"{\"amount\":42}"},"Metadata":{"MessageId":"pay-1","DeliveryCount":2}}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/Payments", strings.NewReader(invocation))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(azure.HeaderInvocationID, "0e7a35c2-1d1c-4a8e-8f0e-4c9b7b9d6a02")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// com.microsoft.azure.servicebus.message /servicebus/queues/payments pay-1 attempt 2 on azure_functions
	// 200 {"Outputs":{},"Logs":[],"ReturnValue":null}
}
