package trigger_test

import (
	"context"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/trigger"
)

// A queue handler reads the same Message whether it came from SQS, SNS,
// Kinesis, Kafka, Amazon MQ or Google Pub/Sub.
func ExampleQueue() {
	h := trigger.Queue(func(_ context.Context, m trigger.Message) error {
		fmt.Printf("message %s: %s (ordering key %q)\n", m.ID, m.Body, m.OrderingKey)
		return nil
	})

	// A Pub/Sub message as Cloud Functions and Eventarc deliver it.
	e := event.New()
	e.SetID("1")
	e.SetType("google.cloud.pubsub.topic.v1.messagePublished")
	e.SetSource("//pubsub.googleapis.com/projects/shop/topics/orders")
	_ = e.SetData(event.ApplicationJSON, []byte(`{"message":{"data":"eyJpZCI6Im8tMSJ9","messageId":"m-7","orderingKey":"customer-9"}}`))

	_, err := h.Handle(context.Background(), e)
	fmt.Println("error:", err)
	// Output:
	// message m-7: {"id":"o-1"} (ordering key "customer-9")
	// error: <nil>
}
