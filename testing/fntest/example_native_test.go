package fntest_test

import (
	"encoding/json"
	"testing"

	"context"
	"fmt"
	"github.com/aws/aws-lambda-go/events"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/fntest"
	"github.com/faasport/faasport/trigger"
)

// Options shape the native deliveries: here a FIFO batch of two redelivered
// messages, sent through the real Lambda adapter.
func ExampleSQS() {
	h := trigger.Queue(func(_ context.Context, m trigger.Message) error {
		fmt.Println(m.ID, string(m.Body), m.OrderingKey, m.Attempt)
		return nil
	})
	in := fntest.SQS("", fntest.Bodies(`{"n":1}`, `{"n":2}`), fntest.Group("customer-7"), fntest.Attempt(2), fntest.ID("m"))
	r, err := fntest.Invoke(function.PlatformLambda, h, in)
	if err != nil {
		panic(err)
	}
	fmt.Println("calls:", r.Calls, "redelivered:", r.Redelivered)
	// Output:
	// m-1 {"n":1} customer-7 2
	// m-2 {"n":2} customer-7 2
	// calls: 2 redelivered: false
}

// Payload gives the native shape a platform sends, to print or to feed to
// something else; faasport event prints the same.
func ExampleInput_Payload() {
	b, err := fntest.ScheduleTick("nightly").Payload(function.PlatformLambda)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
	// Output:
	// {"version":"0","id":"fntest-1","detail-type":"Scheduled Event","source":"aws.events","account":"000000000000","time":"2026-01-02T03:04:05Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:000000000000:rule/nightly"],"detail":{}}
}

// The HTTP builders turn a request into API Gateway, ALB or Function URL
// events; LambdaResponse reads the answer back as an *http.Response.
func ExampleAPIGatewayV1() {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "%s %s", r.Method, r.URL.Path)
	})
	req := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader("{}"))
	payload, err := fntest.APIGatewayV1(req).Payload(function.PlatformLambda)
	if err != nil {
		panic(err)
	}
	out, err := lambda.New(lambda.HTTP(h)).Invoke(context.Background(), payload)
	if err != nil {
		panic(err)
	}
	resp, err := fntest.LambdaResponse(out)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 201 POST /orders
}

// Native hands a test the bytes a platform would send, here the DynamoDB
// Streams record of an insert.
func ExampleNative() {
	t := &testing.T{} // in a test, the test's own t
	b := fntest.Native(t, fntest.DatabaseChange("orders", map[string]any{"id": "o-1"}, map[string]any{"id": "o-1", "qty": 2}, nil), function.PlatformLambda)
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		panic(err)
	}
	r := ev.Records[0]
	fmt.Println(r.EventName, r.EventSourceArn, r.Change.NewImage["qty"].Number())
	// Output:
	// INSERT arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/2026-01-02T03:04:05.000 2
}

// On Azure Functions the message arrives as the Functions host posts a
// Service Bus message; a retryable failure answers 5xx, and the host
// retries the whole invocation with the next DeliveryCount.
func ExampleServiceBus() {
	h := trigger.Queue(func(ctx context.Context, m trigger.Message) error {
		fmt.Println(m.ID, string(m.Body), m.OrderingKey, m.Attempt)
		if m.Attempt < 2 {
			return fmt.Errorf("the warehouse is busy")
		}
		return nil
	})
	sim := fntest.NewSim(nil, function.PlatformAzureFunctions, h)
	defer sim.Close()
	r := sim.Invoke(fntest.ServiceBus(`{"id":"o-1"}`, fntest.ID("m-1"), fntest.Group("customer-7")))
	fmt.Println("status:", r.Status, "failed:", r.Failed)
	r = sim.Redeliver(r)
	fmt.Println("status:", r.Status, "acknowledged:", r.Acknowledged)
	// Output:
	// m-1 {"id":"o-1"} customer-7 1
	// status: 503 failed: [m-1]
	// m-1 {"id":"o-1"} customer-7 2
	// status: 200 acknowledged: [m-1]
}
