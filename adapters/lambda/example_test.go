package lambda_test

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
)

func Example() {
	orders := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		inv := function.FromContext(ctx)
		fmt.Println(e.Type(), e.ID(), inv.Trigger, inv.Attempt)
		if e.ID() == "m2" {
			return nil, fmt.Errorf("inventory service unavailable") // retryable
		}
		return nil, nil
	})
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello "+r.URL.Query().Get("name"))
	})
	h := lambda.New(lambda.Events(orders), lambda.HTTP(hello), lambda.WithConcurrency(1))

	sqs := `{"Records":[
	  {"messageId":"m1","body":"{}","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:orders","attributes":{"ApproximateReceiveCount":"1"}},
	  {"messageId":"m2","body":"{}","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:orders","attributes":{"ApproximateReceiveCount":"3"}}]}`
	out, err := h.Invoke(context.Background(), []byte(sqs))
	fmt.Println(string(out), err)

	api := `{"version":"2.0","rawPath":"/hi","rawQueryString":"name=gopher","requestContext":{"http":{"method":"GET"}}}`
	out, err = h.Invoke(context.Background(), []byte(api))
	fmt.Println(string(out), err)
	// Output:
	// com.amazonaws.sqs.message m1 pubsub 1
	// com.amazonaws.sqs.message m2 pubsub 3
	// {"batchItemFailures":[{"itemIdentifier":"m2"}]} <nil>
	// {"statusCode":200,"headers":{"Content-Type":"text/plain; charset=utf-8"},"multiValueHeaders":null,"body":"hello gopher","cookies":null} <nil>
}
