package lambda_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
)

// fifoPayload is an SQS FIFO batch of n records spread over groups message
// groups.
func fifoPayload(b *testing.B, n, groups int) []byte {
	recs := make([]events.SQSMessage, n)
	for i := range recs {
		recs[i] = events.SQSMessage{
			MessageId: fmt.Sprintf("m-%07d", i), ReceiptHandle: "rh", Body: `{"n":1}`,
			Attributes: map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000",
				"MessageGroupId": fmt.Sprintf("g-%d", i%groups)},
			EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:orders.fifo",
		}
	}
	return mustJSON(b, events.SQSEvent{Records: recs})
}

// BenchmarkFIFOBatch10k is 10,000 records in 10,000 message groups: the
// time per invocation must grow linearly with the records, whatever the
// number of groups.
func BenchmarkFIFOBatch10k(b *testing.B) {
	for _, groups := range []int{1, 100, 10000} {
		payload := fifoPayload(b, 10000, groups)
		ctx := benchCtx(b)
		b.Run(fmt.Sprintf("groups=%d/faasport", groups), func(b *testing.B) {
			h := lambda.New(lambda.WithConcurrency(1), lambda.Events(function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) {
				return nil, nil
			})))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Invoke(ctx, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("groups=%d/bare", groups), func(b *testing.B) {
			h := awslambda.NewHandler(func(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
				var resp events.SQSEventResponse
				for range e.Records {
				}
				return resp, nil
			})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Invoke(ctx, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
