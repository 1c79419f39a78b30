package trigger

import (
	"context"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/payload"
)

// Message is one message from a queue, a topic or a stream: the payload the
// producer sent and its metadata, read by [payload.Of] — the same payload a
// typed handler (function.Typed, function.Consume) decodes.
type Message struct {
	// ID is the broker's id of the message (SQS MessageId, Pub/Sub
	// messageId, a Kinesis sequence number, a Kafka topic-partition:offset).
	ID string
	// Body is the payload, base64-decoded where the broker encodes it: an
	// SQS body, an SNS Message (also inside an SQS body), an EventBridge
	// detail, a Pub/Sub message's data.
	Body []byte
	// ContentType is the payload's media type as the source states it, else
	// sniffed (see [payload.Message]).
	ContentType string
	// Attributes are the message's string attributes or headers.
	Attributes map[string]string
	// Source is the queue, topic or stream the message came from.
	Source string
	// OrderingKey groups messages that are delivered in order: the SQS FIFO
	// message group, the Pub/Sub ordering key, the Kinesis partition key.
	OrderingKey string
	// Time is when the broker accepted the message, if it says.
	Time time.Time
	// Attempt is the 1-based delivery attempt where the platform reports
	// it; 0 if unknown.
	Attempt int
	// Trace is the producer's trace context the message carries.
	Trace payload.Trace
	// Event is the CloudEvent the message arrived as.
	Event event.Event
}

// Queue builds a Handler that passes each message to f. Events that are not
// broker messages are handled as generic messages whose Body is the event
// data, so a handler can be exercised with any CloudEvent.
func Queue(f func(ctx context.Context, m Message) error) function.Handler {
	return view(ParseMessage, func(ctx context.Context, m Message) error {
		if m.Attempt == 0 {
			m.Attempt = function.FromContext(ctx).Attempt
		}
		return f(ctx, m)
	})
}

// PubSub is [Queue]: topics and queues deliver the same [Message] view. Use
// the name that reads best where the handler is built.
func PubSub(f func(ctx context.Context, m Message) error) function.Handler { return Queue(f) }

// ParseMessage reads a Message from e. An envelope that cannot be read is
// an error wrapping [payload.ErrMalformed].
func ParseMessage(e event.Event) (Message, error) {
	p, err := payload.Of(e)
	if err != nil {
		return Message{}, malformed("message", e, err)
	}
	return MessageOf(p, e), nil
}

// MessageOf is the Message view of a payload read from e.
func MessageOf(p *payload.Message, e event.Event) Message {
	return Message{
		ID: p.ID, Body: p.Data, ContentType: p.ContentType, Attributes: p.Attributes, Source: p.Source,
		OrderingKey: p.OrderingKey, Time: p.PublishTime, Attempt: p.Attempt, Trace: p.Trace, Event: e,
	}
}
