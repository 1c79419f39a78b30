package payload

import (
	"errors"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// The CloudEvent types of Pub/Sub messages: Eventarc's (also what the HTTP
// adapters make of a push request) and the legacy background-event types.
const (
	googlePubSub       = "google.cloud.pubsub.topic.v1.messagePublished"
	googleLegacyPubSub = "google.pubsub.topic.publish"
	googleFlatPubSub   = "providers/cloud.pubsub/eventTypes/topic.publish"
)

// googleReader returns the reader of a Google event type, or nil for the
// types whose event is its own payload (Cloud Storage, Firestore, ...).
func googleReader(typ string) func(*Message, event.Event) error {
	switch typ {
	case googlePubSub, googleLegacyPubSub, googleFlatPubSub:
		return readPubSub
	}
	return nil
}

// pubsubMessage is a Pub/Sub message in the JSON of the push and Eventarc
// formats, in both the camelCase and the snake_case spelling Google sends.
type pubsubMessage struct {
	Data             *string           `json:"data"`
	Attributes       map[string]string `json:"attributes"`
	MessageID        string            `json:"messageId"`
	MessageIDSnake   string            `json:"message_id"`
	PublishTime      string            `json:"publishTime"`
	PublishTimeSnake string            `json:"publish_time"`
	OrderingKey      string            `json:"orderingKey"`
	OrderingKeySnake string            `json:"ordering_key"`
}

func readPubSub(m *Message, e event.Event) error {
	// The push body (Eventarc's data too) wraps the message; a legacy
	// event's data is the message itself.
	var r struct {
		Message         *pubsubMessage `json:"message"`
		Subscription    string         `json:"subscription"`
		DeliveryAttempt int            `json:"deliveryAttempt"`
		pubsubMessage
	}
	if err := unmarshal(e.Data(), &r); err != nil {
		return err
	}
	msg := r.Message
	if msg == nil {
		if e.Type() == googlePubSub {
			return errors.New(`the Pub/Sub event has no "message"`)
		}
		msg = &r.pubsubMessage
	}
	if msg.Data != nil {
		var err error
		if m.Data, err = decodeBase64(*msg.Data); err != nil {
			return err
		}
	}
	if id := first(msg.MessageID, msg.MessageIDSnake); id != "" {
		m.ID = id
	}
	if s := first(msg.PublishTime, msg.PublishTimeSnake); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return err
		}
		m.PublishTime = t
	}
	m.OrderingKey = first(msg.OrderingKey, msg.OrderingKeySnake)
	m.Attempt = r.DeliveryAttempt
	if len(msg.Attributes) > 0 {
		m.Attributes = msg.Attributes
	}
	m.fromAttributes()
	return nil
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
