package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// ErrUnknownShape is wrapped by the error a view returns for an event it
// cannot read. The error is permanent.
var ErrUnknownShape = errors.New("trigger: event is not of a shape this view reads")

// The type prefixes of the CloudEvents the views read. AWS types are the ones
// adapters/lambda produces (see docs/aws-events.md).
const (
	typeSQS          = "com.amazonaws.sqs.message"
	typeSNSPrefix    = "com.amazonaws.sns."
	typeKinesis      = "com.amazonaws.kinesis."
	typeKafka        = "com.amazonaws.kafka.record"
	typeMQ           = "com.amazonaws.mq.message"
	typeS3Prefix     = "com.amazonaws.s3."
	typeDynamoPrefix = "com.amazonaws.dynamodb."
	typeEventsPrefix = "com.amazonaws.events."
	typeInvoke       = "com.amazonaws.lambda.invoke"
	typePubSub       = "google.cloud.pubsub.topic.v1.messagePublished"
	typeGCSPrefix    = "google.cloud.storage.object.v1."
	typeFirestore    = "google.cloud.firestore.document.v1."
)

// view builds a function.Handler from a parser and the user's function. A
// parse failure is permanent: redelivering the same event cannot help.
func view[V any](parse func(event.Event) (V, error), f func(context.Context, V) error) function.Handler {
	return function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		v, err := parse(e)
		if err != nil {
			return nil, function.Permanent(err)
		}
		return nil, f(ctx, v)
	})
}

func unknown(view string, e event.Event) error {
	return fmt.Errorf("%w: %s cannot read event %q of type %q from %q; route this event to another handler",
		ErrUnknownShape, view, e.ID(), e.Type(), e.Source())
}

func malformed(view string, e event.Event, err error) error {
	return fmt.Errorf("trigger: %s: decode data of event %q (type %q): %w", view, e.ID(), e.Type(), err)
}

// decode unmarshals the event's JSON data into v.
func decode(view string, e event.Event, v any) error {
	if err := json.Unmarshal(e.Data(), v); err != nil {
		return malformed(view, e, err)
	}
	return nil
}

type errMissing string

func (e errMissing) Error() string { return "missing " + string(e) }
