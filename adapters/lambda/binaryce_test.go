package lambda_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/payload"
)

// binaryModeRecord is an SQS record carrying a CloudEvent in binary mode:
// its attributes as "ce_" message attributes, its data as the body.
func binaryModeRecord(msgID, ceID, body string) events.SQSMessage {
	r := sqsRecord(msgID, body, "arn:aws:sqs:us-east-1:123456789012:orders", "", 1)
	str := func(v string) events.SQSMessageAttribute {
		return events.SQSMessageAttribute{StringValue: &v, DataType: "String"}
	}
	r.MessageAttributes = map[string]events.SQSMessageAttribute{
		"ce_specversion":     str("1.0"),
		"ce_id":              str(ceID),
		"ce_source":          str("/shop/orders"),
		"ce_type":            str("com.example.order.placed"),
		"ce_time":            str("2026-03-04T05:06:07Z"),
		"ce_datacontenttype": str("application/json"),
		"ce_tenant":          str("t-9"),
		"ce_traceparent":     str("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
		"origin":             {BinaryValue: []byte("web"), DataType: "Binary"},
	}
	return r
}

// A typed handler behind the Lambda adapter gets the data of a CloudEvent
// sent in binary mode over SQS, and the event's attributes in its Message;
// a failure is still reported by the SQS message id.
func TestTypedSQSBinaryModeCloudEvent(t *testing.T) {
	type placed struct {
		OrderID string `json:"orderId"`
	}
	var mu sync.Mutex
	got := map[string]*payload.Message{}
	ins := map[string]placed{}
	h := lambda.New(lambda.Events(function.Typed(func(ctx context.Context, in placed) (placed, error) {
		m, ok := payload.FromContext(ctx)
		if !ok {
			return placed{}, errors.New("no message")
		}
		mu.Lock()
		got[m.ID], ins[m.ID] = m, in
		mu.Unlock()
		if in.OrderID == "FAIL" {
			return placed{}, errors.New("retry me")
		}
		return in, nil
	})), lambda.WithLogger(quietLogger()))

	out, err := h.Invoke(lambdaCtx(t), mustJSON(t, events.SQSEvent{Records: []events.SQSMessage{
		binaryModeRecord("m1", "evt-1", `{"orderId":"o-1"}`),
		binaryModeRecord("m2", "evt-2", `{"orderId":"FAIL"}`),
	}}))
	require.NoError(t, err)
	assert.Equal(t, []string{"m2"}, failures(t, out), "failures name the SQS message, not the CloudEvent")

	require.Len(t, got, 2)
	assert.Equal(t, placed{OrderID: "o-1"}, ins["evt-1"])
	m := got["evt-1"]
	assert.Equal(t, "/shop/orders", m.Source)
	assert.Equal(t, "com.example.order.placed", m.Type)
	assert.Equal(t, "application/json", m.ContentType)
	assert.True(t, m.PublishTime.Equal(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)), "%v", m.PublishTime)
	assert.Equal(t, map[string]string{"tenant": "t-9", "origin": "web", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, m.Attributes)
	assert.Equal(t, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", m.Trace.TraceParent)
	assert.Equal(t, 1, m.Attempt)
}
