// Package adaptertest is the conformance suite every faasport adapter
// passes, in the spirit of Go CDK's drivertest: an adapter supplies a
// [Harness] that builds it and delivers events to it in its platform's
// native form, declares the [Features] it has, and [Run] checks the same
// table of outcomes on it — nil, retryable, permanent, RetryAfter, a typed
// handler's decode error, a panic, a failed start hook, the body limit, the
// deadline, the delivery attempt, cold start, batches, replies and stop
// hooks. Adding an adapter means passing the suite, nothing else:
//
//	func TestConformance(t *testing.T) {
//		adaptertest.Run(t, adaptertest.NetHTTP())
//	}
//
// The harnesses of the adapters in this module are here too
// ([Harnesses]), so testing/fntest can run a function through each of them.
// Neighbours: testing/statetest is the same idea for state backends.
package adaptertest

import (
	"context"
	"net/http"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// Features are what an adapter can do beyond the outcomes every adapter
// must get right; Run skips the cases of the features it lacks.
type Features struct {
	// Batches: one invocation delivers several events.
	Batches bool
	// PartialFailures: a batch reports which events failed, so only those
	// are redelivered (Lambda's batchItemFailures); without it a retryable
	// failure redelivers the whole batch.
	PartialFailures bool
	// Replies: a reply event goes back to the caller.
	Replies bool
	// Streaming: HTTP responses can stream (informational).
	Streaming bool
	// RetryAfter: the answer tells the sender when to retry.
	RetryAfter bool
	// BodyLimit: the adapter refuses bodies over Options.MaxBodyBytes before
	// the handler runs (the platform does, where it does not).
	BodyLimit bool
	// Attempt: the platform reports the delivery attempt.
	Attempt bool
}

// Options configure the adapter a Harness builds. Zero values leave the
// adapter's defaults.
type Options struct {
	// MaxBodyBytes is the body limit (Features.BodyLimit).
	MaxBodyBytes int64
	// Timeout is the invocation deadline.
	Timeout time.Duration
}

// Harness builds one adapter and delivers to it.
type Harness interface {
	// Name names the adapter ("nethttp", "gcf", "lambda", …).
	Name() string
	// Platform is the platform its invocations report.
	Platform() function.Platform
	// Features are what the adapter can do.
	Features() Features
	// New builds the adapter around h. It is called once per case.
	New(h function.Handler, o Options) (Adapter, error)
}

// HTTPHarness is a Harness whose adapter is an http.Handler, for test kits
// that send their own requests (testing/fntest).
type HTTPHarness interface {
	Harness
	// Handler builds the adapter serving events with h and plain HTTP
	// with web; either may be nil.
	Handler(h function.Handler, web http.Handler) (http.Handler, error)
}

// Adapter is one built adapter.
type Adapter interface {
	// Deliver sends d in the platform's native form and reports what the
	// platform would make of the answer. An error means the delivery could
	// not be made at all.
	Deliver(ctx context.Context, d Delivery) (Result, error)
	// Stop runs the adapter's shutdown: stop hooks, after every handler
	// call returned.
	Stop(ctx context.Context) error
}

// Delivery is what the platform delivers.
type Delivery struct {
	// Events are delivered in one invocation: one, or a batch
	// (Features.Batches).
	Events []event.Event
	// Attempt is the delivery attempt the platform reports; 0: not said.
	Attempt int
}

// Result is what the platform makes of an adapter's answer.
type Result struct {
	// Redelivered: the platform delivers (some of) it again.
	Redelivered bool
	// Failed lists the ids of the events to be delivered again: all of a
	// redelivered batch, or those reported failed (Features.PartialFailures).
	Failed []string
	// RetryAfter is when the sender should retry, where the answer says.
	RetryAfter time.Duration
	// Status is the HTTP status, for HTTP adapters.
	Status int
	// Reply is the reply's data as the caller received it; nil if none.
	Reply []byte
	// Response is the raw answer.
	Response []byte
}
