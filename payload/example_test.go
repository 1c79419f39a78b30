package payload_test

import (
	"encoding/json"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/payload"
)

// An SQS message's CloudEvent carries the whole SQS record; Of gives what
// the producer sent, with the broker's metadata.
func ExampleOf() {
	e := event.New()
	e.SetID("059f36b4-87a3-44ab-83d2-661975830a7d")
	e.SetSource("arn:aws:sqs:eu-west-1:123456789012:orders")
	e.SetType("com.amazonaws.sqs.message")
	_ = e.SetData(event.ApplicationJSON, json.RawMessage(`{
		"messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
		"body": "{\"id\":\"o-1\",\"qty\":2}",
		"attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "1545082649183"},
		"eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:orders"
	}`))

	m, err := payload.Of(e)
	if err != nil {
		fmt.Println(err)
		return
	}
	var o struct {
		ID  string `json:"id"`
		Qty int    `json:"qty"`
	}
	if err := json.Unmarshal(m.Data, &o); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(o.ID, o.Qty, m.ContentType, "attempt", m.Attempt)
	// Output: o-1 2 application/json attempt 2
}
