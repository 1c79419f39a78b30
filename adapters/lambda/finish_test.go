package lambda_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
)

// finisher is an event and HTTP handler with a Finish hook: it counts the
// events it handled, whether each saw function.Finishing, and how many
// events had been handled when each Finish call came.
type finisher struct {
	mu        sync.Mutex
	handled   int
	finishing []bool
	finishes  []int // handled at each Finish call
	finishInv []*function.Invocation
}

func (f *finisher) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handled++
	f.finishing = append(f.finishing, function.Finishing(ctx))
	return nil, nil
}

func (f *finisher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.handled++
	f.finishing = append(f.finishing, function.Finishing(r.Context()))
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (f *finisher) Finish(ctx context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finishes = append(f.finishes, f.handled)
	f.finishInv = append(f.finishInv, function.FromContext(ctx))
}

func TestFinishOncePerInvocation(t *testing.T) {
	const arn = "arn:aws:sqs:us-east-1:123456789012:orders"
	var records []events.SQSMessage
	for _, id := range []string{"m1", "m2", "m3", "m4", "m5"} {
		records = append(records, sqsRecord(id, `{}`, arn, "", 1))
	}
	httpReq := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/x",
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}}}
	tests := []struct {
		name    string
		payload []byte
		handled int
	}{
		{name: "SQS batch of five: one Finish after the last record", payload: mustJSON(t, events.SQSEvent{Records: records}), handled: 5},
		{name: "single event", payload: []byte(`{"n":1}`), handled: 1},
		{name: "HTTP request", payload: mustJSON(t, httpReq), handled: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &finisher{}
			h := lambda.New(lambda.Events(f), lambda.HTTP(f), lambda.WithLogger(quietLogger()), lambda.WithConcurrency(3))
			_, err := h.Invoke(lambdaCtx(t), tt.payload)
			require.NoError(t, err)
			assert.Equal(t, tt.handled, f.handled)
			assert.Equal(t, []int{tt.handled}, f.finishes, "one Finish per invocation, after every event")
			for i, saw := range f.finishing {
				assert.True(t, saw, "event %d saw function.Finishing", i)
			}
			require.Len(t, f.finishInv, 1)
			require.NotNil(t, f.finishInv[0], "Finish's context carries the invocation")
			assert.Equal(t, "req-1", f.finishInv[0].RequestID)
		})
	}
}

func TestNoFinisherNoFinishing(t *testing.T) {
	var saw []bool
	h := lambda.New(lambda.Events(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		saw = append(saw, function.Finishing(ctx))
		return nil, nil
	})), lambda.WithLogger(quietLogger()))
	_, err := h.Invoke(lambdaCtx(t), []byte(`{"n":1}`))
	require.NoError(t, err)
	assert.Equal(t, []bool{false}, saw, "without a Finish hook, per-event work must not wait for one")
}
