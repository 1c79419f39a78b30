package function

import (
	"context"
	"time"
)

// Platform names the platform an invocation runs on. The values follow the
// OpenTelemetry cloud.platform convention where one exists.
type Platform string

// The platforms faasport adapts.
const (
	PlatformLambda         Platform = "aws_lambda"
	PlatformCloudFunctions Platform = "gcp_cloud_functions"
	PlatformCloudRun       Platform = "gcp_cloud_run"
	PlatformHTTP           Platform = "http"
	PlatformAzureFunctions Platform = "azure_functions"
)

// Trigger names what kind of source invoked the function, following the
// OpenTelemetry faas.trigger convention.
type Trigger string

// The trigger kinds of the OpenTelemetry faas.trigger convention.
const (
	TriggerHTTP       Trigger = "http"
	TriggerPubSub     Trigger = "pubsub"
	TriggerDatasource Trigger = "datasource"
	TriggerTimer      Trigger = "timer"
	TriggerOther      Trigger = "other"
)

// Invocation describes the current invocation. Adapters put one in the
// context of every call; handlers and middleware read it with [FromContext].
// Treat it as read-only.
type Invocation struct {
	// Platform is where the function runs.
	Platform Platform
	// FunctionName is the deployed function's name, where the platform says.
	FunctionName string
	// RequestID is the platform's id of this invocation (Lambda's request id,
	// Cloud Functions' execution id, an HTTP request id header).
	RequestID string
	// Deadline is when the platform stops the invocation; zero if unknown.
	Deadline time.Time
	// ColdStart is true only for the first invocation an adapter serves in
	// this process.
	ColdStart bool
	// Attempt is the 1-based delivery attempt where the platform reports it
	// (SQS ApproximateReceiveCount, Pub/Sub deliveryAttempt); 0 if unknown.
	Attempt int
	// Batch is how many events the invocation delivered: the records of an
	// SQS, Kinesis, Kafka or other batch, the events of a CloudEvents batch;
	// 1 for a single event; 0 where the adapter does not say (treat it as 1).
	// Tracing uses it to follow the messaging conventions: the producer's
	// span is the parent of a message that is the whole invocation, and a
	// link of a message that is one of a batch.
	Batch int
	// Trigger is the kind of source that invoked the function.
	Trigger Trigger
	// TraceHeader is the platform's own trace header, verbatim, where it
	// gives one (X-Amzn-Trace-Id on Lambda, X-Cloud-Trace-Context on Google).
	TraceHeader string
	// Native is the platform's native event or request for this invocation
	// (for a batch, the record), so nothing the platform sent is lost. Use a
	// type assertion to the platform's own type, e.g. events.SQSMessage.
	Native any
}

type invocationKey struct{}

// NewContext returns a copy of ctx that carries inv.
func NewContext(ctx context.Context, inv *Invocation) context.Context {
	return context.WithValue(ctx, invocationKey{}, inv)
}

// FromContext returns the invocation carried by ctx. Outside an adapter (in a
// plain unit test, say) it returns an empty Invocation, never nil, so
// handlers can read fields without checking.
func FromContext(ctx context.Context) *Invocation {
	if inv, ok := ctx.Value(invocationKey{}).(*Invocation); ok && inv != nil {
		return inv
	}
	return &Invocation{}
}

// AttemptFromContext returns the delivery attempt the invocation in ctx
// reports ([Invocation] Attempt), 0 when ctx carries none or the platform
// does not say. It is the attempt func payload.Attach and payload.Carrier
// take.
func AttemptFromContext(ctx context.Context) int {
	if inv, ok := InvocationFromContext(ctx); ok {
		return inv.Attempt
	}
	return 0
}

// InvocationFromContext is like [FromContext] but reports whether ctx carried
// an invocation at all.
func InvocationFromContext(ctx context.Context) (*Invocation, bool) {
	inv, ok := ctx.Value(invocationKey{}).(*Invocation)
	return inv, ok && inv != nil
}
