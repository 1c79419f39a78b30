package adaptertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
)

// Lambda is the harness of adapters/lambda, calling its Invoke as the
// runtime loop does: a single event as a synchronous direct invoke of a
// structured-mode CloudEvent (a permanent error is the caller's to see, not
// retried), a batch or an event with an attempt as an SQS batch whose
// bodies are structured-mode CloudEvents.
func Lambda() Harness { return lambdaHarness{} }

type lambdaHarness struct{}

func (lambdaHarness) Name() string                { return "lambda" }
func (lambdaHarness) Platform() function.Platform { return function.PlatformLambda }
func (lambdaHarness) Features() Features {
	// Lambda's own payload limit applies before the function runs, and it
	// has no way to say when to retry.
	return Features{Batches: true, PartialFailures: true, Replies: true, Streaming: true, Attempt: true}
}

func (lambdaHarness) New(h function.Handler, o Options) (Adapter, error) {
	return &lambdaAdapter{h: lambda.New(lambda.Events(h), lambda.WithLogger(quiet()), lambda.WithGetenv(noEnv)), timeout: o}, nil
}

type lambdaAdapter struct {
	h       *lambda.Handler
	timeout Options
	n       atomic.Int64
}

func (a *lambdaAdapter) Stop(ctx context.Context) error { return a.h.Stop(ctx) }

func (a *lambdaAdapter) Deliver(ctx context.Context, d Delivery) (Result, error) {
	if a.timeout.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.timeout.Timeout)
		defer cancel()
	}
	batch := len(d.Events) != 1 || d.Attempt > 0
	var payload []byte
	var err error
	if batch {
		var sqs events.SQSEvent
		for _, e := range d.Events {
			body, err := json.Marshal(e)
			if err != nil {
				return Result{}, err
			}
			attempt := d.Attempt
			if attempt == 0 {
				attempt = 1
			}
			sqs.Records = append(sqs.Records, events.SQSMessage{
				MessageId: e.ID(), ReceiptHandle: "rh-" + e.ID(), Body: string(body),
				Attributes:     map[string]string{"ApproximateReceiveCount": strconv.Itoa(attempt), "SentTimestamp": "1700000000000"},
				EventSource:    "aws:sqs",
				EventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:adaptertest",
				AWSRegion:      "eu-west-1",
			})
		}
		payload, err = json.Marshal(sqs)
	} else {
		payload, err = json.Marshal(d.Events[0])
	}
	if err != nil {
		return Result{}, err
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       fmt.Sprintf("adaptertest-%d", a.n.Add(1)),
		InvokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:adaptertest",
	})
	out, err := a.h.Invoke(ctx, payload)
	r := Result{Response: out}
	var lerr *lambda.Error
	switch {
	case errors.As(err, &lerr) && lerr.Type == lambda.ErrorTypePermanent:
		// A synchronous caller sees the error and does not retry.
		r.Response = []byte(lerr.Type)
		return r, nil
	case errors.As(err, &lerr):
		r.Response = []byte(lerr.Type)
		r.Redelivered = true
		for _, e := range d.Events {
			r.Failed = append(r.Failed, e.ID())
		}
		return r, nil
	case err != nil:
		return r, err
	}
	if batch {
		var resp events.SQSEventResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			return r, err
		}
		for _, f := range resp.BatchItemFailures {
			r.Failed = append(r.Failed, f.ItemIdentifier)
		}
		r.Redelivered = len(r.Failed) > 0
		return r, nil
	}
	if len(out) > 0 && string(out) != "null" {
		r.Reply = out
	}
	return r, nil
}
