// Package quickstart holds the README's Quick Start handler, so that a test
// can prove it works unchanged on every platform: through the Lambda adapter
// under a real aws-lambda-go runtime loop (SQS, SNS, SNS to SQS, EventBridge,
// Kinesis), through the HTTP adapters (Eventarc Pub/Sub, Pub/Sub push
// wrapped and unwrapped) and as an Azure Functions custom handler started by
// adapters.Start (Service Bus, Queue Storage), and in-process through every
// adapter testing/fntest runs (its platform matrix, Azure Functions
// included), the handler receives the same Order, its poison order is
// acknowledged everywhere and a failing one redelivered everywhere.
//
// Nothing outside the tests imports it.
package quickstart

import (
	"context"
	"errors"
	"log"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/payload"
)

// Order is what the producer sends: an SQS body, an SNS message, an
// EventBridge detail, a Kinesis record, a Pub/Sub message's data...
type Order struct {
	ID  string `json:"id"`
	Qty int    `json:"qty"`
}

// Handler is the README's Quick Start handler, line for line (a test keeps
// the two equal), with reserve passed in.
func Handler(reserve func(ctx context.Context, o Order) error) function.Handler {
	h := function.Consume(func(ctx context.Context, o Order) error {
		if o.Qty <= 0 {
			return function.Permanent(errors.New("bad quantity")) // acknowledged, never retried
		}
		m, _ := payload.FromContext(ctx) // the broker's message id, attributes, attempt, trace context
		log.Printf("reserving %d of %s (message %s, attempt %d)", o.Qty, o.ID, m.ID, m.Attempt)
		return reserve(ctx, o) // an error makes the platform redeliver the order
	})
	return h
}
