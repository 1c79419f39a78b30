package lambda_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/lambda"
)

// TestSQSRecordForms runs a batch whose records take each way through the
// adapter's decoding: the common form, forms the adapter's own decoder
// leaves to encoding/json (case-folded and escaped keys, a field given
// twice), and records encoding/json rejects. Every handled record's Native
// must be what encoding/json makes of it, and a record that cannot be read
// fails alone, acknowledged.
func TestSQSRecordForms(t *testing.T) {
	records := []string{
		`{"messageId":"m1","body":"{\"a\":\"\u00e9\"}","attributes":{"ApproximateReceiveCount":"2","SentTimestamp":"1700000000000"},"messageAttributes":{"k":{"stringValue":"v","dataType":"String"}},"eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:1:q"}`,
		`{"MessageId":"m2","eventSource":"aws:sqs","EventSourceARN":"arn:aws:sqs:us-east-1:1:q","attributes":{"ApproximateReceiveCount":"3"}}`,
		`{"message\u0049d":"m3","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:1:q"}`,
		`{"messageId":"x","messageId":"m4","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:1:q"}`,
		`{"messageId":5,"eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:1:q"}`,
		`{"messageId":"m6","attributes":{"SentTimestamp":1},"eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:1:q"}`,
	}
	payload := []byte(`{"Records":[` + records[0])
	for _, r := range records[1:] {
		payload = append(payload, ',')
		payload = append(payload, r...)
	}
	payload = append(payload, "]}"...)
	rec := &recorder{}
	h := lambda.New(lambda.Events(rec), lambda.WithLogger(quietLogger()), lambda.WithConcurrency(1))
	out, err := h.Invoke(lambdaCtx(t), payload)
	require.NoError(t, err)
	assert.JSONEq(t, `{"batchItemFailures":[]}`, string(out), "unreadable records are acknowledged")

	require.Equal(t, []string{"m1", "m2", "m3", "m4"}, rec.order)
	for i, inv := range rec.invs {
		var want events.SQSMessage
		require.NoError(t, json.Unmarshal([]byte(records[i]), &want))
		assert.Equal(t, want, inv.Native, "record %d", i)
	}
	assert.Equal(t, 2, rec.invs[0].Attempt)
	assert.Equal(t, 3, rec.invs[1].Attempt)
	assert.JSONEq(t, records[0], string(rec.events[0].Data()), "the event's data is the record as it came")
}

// TestSQSFailedItemIDs checks the batchItemFailures identifiers come from
// each failed record's messageId.
func TestSQSFailedItemIDs(t *testing.T) {
	payload := []byte(`{"Records":[
		{"messageId":"ok-1","body":"fine","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:1:q"},
		{"messageId":"bad-\"2\"","body":"FAIL","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:1:q"},
		{"MessageId":"bad-3","body":"FAIL","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:1:q"}]}`)
	h := lambda.New(lambda.Events(&recorder{}), lambda.WithLogger(quietLogger()))
	out, err := h.Invoke(lambdaCtx(t), payload)
	require.NoError(t, err)
	assert.JSONEq(t, `{"batchItemFailures":[{"itemIdentifier":"bad-\"2\""},{"itemIdentifier":"bad-3"}]}`, string(out))
}
