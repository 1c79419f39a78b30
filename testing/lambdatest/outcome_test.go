package lambdatest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/fntest"
	"github.com/faasport/faasport/testing/lambdatest"
	"github.com/faasport/faasport/trigger"
)

func lambdaPayload(t *testing.T, in fntest.Input) []byte {
	t.Helper()
	b, err := in.Payload(function.PlatformLambda)
	require.NoError(t, err)
	return b
}

func TestRecordIDs(t *testing.T) {
	kinesis := lambdatest.RecordIDs(lambdaPayload(t, fntest.Kinesis("x", fntest.ID("49"), fntest.Batch(2))))
	assert.Equal(t, []string{"49-1", "49-2"}, kinesis, "the Kinesis sequence numbers")
	dynamo := lambdatest.RecordIDs(lambdaPayload(t, fntest.DynamoDB("t", map[string]any{"id": "1"}, map[string]any{"id": "1"}, nil, fntest.Batch(2))))
	require.Len(t, dynamo, 2, "the DynamoDB sequence numbers")
	assert.NotEqual(t, dynamo[0], dynamo[1])

	tests := []struct {
		name string
		in   fntest.Input
		want []string
	}{
		{"SQS messageId", fntest.SQS("x", fntest.Batch(2), fntest.ID("m")), []string{"m-1", "m-2"}},
		{"SNS MessageId", fntest.SNS("x", fntest.ID("n-1")), []string{"n-1"}},
		{"Kafka topic-partition:offset", fntest.Kafka("", fntest.Bodies("a", "b")), []string{"fntest-0:0", "fntest-0:1"}},
		{"no batch", fntest.EventBridge("t", "s", "{}"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, lambdatest.RecordIDs(lambdaPayload(t, tt.in)))
		})
	}
	assert.Nil(t, lambdatest.RecordIDs([]byte("not json")))
}

func TestRecordID(t *testing.T) {
	assert.Equal(t, "m-1", lambdatest.RecordID([]byte(`{"messageId":"m-1","eventSource":"aws:sqs"}`)))
	assert.Equal(t, "495", lambdatest.RecordID([]byte(`{"kinesis":{"sequenceNumber":"495"},"eventID":"shardId-0:495"}`)))
	assert.Equal(t, "100", lambdatest.RecordID([]byte(`{"dynamodb":{"SequenceNumber":"100"},"eventID":"e-1"}`)))
	assert.Equal(t, "n-1", lambdatest.RecordID([]byte(`{"Sns":{"MessageId":"n-1"}}`)))
	assert.Equal(t, "e-2", lambdatest.RecordID([]byte(`{"eventID":"e-2"}`)))
	assert.Empty(t, lambdatest.RecordID([]byte(`[1]`)))
}

func TestOutcome(t *testing.T) {
	sqs := lambdaPayload(t, fntest.SQS("", fntest.Bodies("a", "b", "c"), fntest.ID("m")))
	acked, failed := lambdatest.Outcome(sqs, []byte(`{"batchItemFailures":[{"itemIdentifier":"m-3"},{"itemIdentifier":"m-2"}]}`))
	assert.Equal(t, []string{"m-1"}, acked)
	assert.Equal(t, []string{"m-3", "m-2"}, failed, "in the response's order")

	kafka := lambdaPayload(t, fntest.Kafka("", fntest.Bodies("a", "b", "c")))
	acked, failed = lambdatest.Outcome(kafka, []byte(`{"batchItemFailures":[{"itemIdentifier":{"partition":"fntest-0","offset":1}},{"itemIdentifier":{"partition":"fntest-0","offset":2}}]}`))
	assert.Equal(t, []string{"fntest-0:0"}, acked)
	assert.Equal(t, []string{"fntest-0:1", "fntest-0:2"}, failed, "Kafka's object itemIdentifiers name the records as their ids do")

	acked, failed = lambdatest.Outcome(sqs, []byte(`null`))
	assert.Equal(t, []string{"m-1", "m-2", "m-3"}, acked, "no failures: all acknowledged")
	assert.Nil(t, failed)

	assert.Equal(t, []string{`17`}, lambdatest.FailedRecordIDs([]byte(`{"batchItemFailures":[{"itemIdentifier":17}]}`)), "an unknown itemIdentifier as it is")
	assert.Nil(t, lambdatest.FailedRecordIDs([]byte(`{`)))
}

// What the real Lambda adapter answers reads back through Outcome: the
// failing Kafka record and every later one of its partition.
func TestOutcomeOfTheAdapter(t *testing.T) {
	for _, tt := range []struct {
		name          string
		in            fntest.Input
		acked, failed []string
	}{
		{"SQS", fntest.SQS("", fntest.Bodies("ok", "fail", "ok"), fntest.ID("m")), []string{"m-1", "m-3"}, []string{"m-2"}},
		{"Kafka", fntest.Kafka("", fntest.Bodies("ok", "fail", "ok")), []string{"fntest-0:0"}, []string{"fntest-0:1", "fntest-0:2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := fntest.Invoke(function.PlatformLambda, failOn("fail"), tt.in)
			require.NoError(t, err)
			acked, failed := lambdatest.Outcome(lambdaPayload(t, tt.in), r.Response)
			assert.Equal(t, tt.acked, acked)
			assert.Equal(t, tt.failed, failed)
			assert.Equal(t, r.Acknowledged, acked, "fntest reads the same outcome")
			assert.Equal(t, r.Failed, failed)
		})
	}
}

// failOn is a queue handler that fails, retryably, the messages with body.
func failOn(body string) function.Handler {
	return trigger.Queue(func(_ context.Context, m trigger.Message) error {
		if string(m.Body) == body {
			return errors.New("try again")
		}
		return nil
	})
}
