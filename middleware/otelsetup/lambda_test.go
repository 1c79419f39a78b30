package otelsetup_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware/otelsetup"
)

func TestLambdaBatchOneFlush(t *testing.T) {
	r := newReceiver(t)
	tel := newTelemetry(t, r, otelsetup.WithoutMetrics())
	h := lambda.New(lambda.Events(chain(tel, function.HandlerFunc(ok))))
	var recs []string
	for i := range 5 {
		recs = append(recs, fmt.Sprintf(`{"messageId":"m-%d","receiptHandle":"r","body":"{}","attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1700000000000"},"messageAttributes":{},"md5OfBody":"x","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:q","awsRegion":"us-east-1"}`, i))
	}
	payload := `{"Records":[` + strings.Join(recs, ",") + `]}`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := h.Invoke(ctx, []byte(payload))
	require.NoError(t, err)
	spans, _, _ := r.received()
	assert.Len(t, spans, 5)
	assert.Equal(t, int32(1), r.exports.Load(), "one flush for the batch")
}
