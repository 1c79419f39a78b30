package trigger

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// Message is one message from a queue, a topic or a stream.
type Message struct {
	// ID is the broker's id of the message (SQS MessageId, Pub/Sub
	// messageId, a Kinesis sequence number, a Kafka topic-partition:offset).
	ID string
	// Body is the payload, base64-decoded where the broker encodes it.
	Body []byte
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

// ParseMessage reads a Message from e.
func ParseMessage(e event.Event) (Message, error) {
	m := Message{ID: e.ID(), Source: e.Source(), Time: e.Time(), Event: e}
	t := e.Type()
	var err error
	switch {
	case t == typeSQS:
		err = m.fromSQS(e)
	case strings.HasPrefix(t, typeSNSPrefix):
		err = m.fromSNS(e)
	case strings.HasPrefix(t, typeKinesis):
		err = m.fromKinesis(e)
	case t == typeKafka:
		err = m.fromKafka(e)
	case t == typeMQ:
		err = m.fromMQ(e)
	case t == typePubSub:
		err = m.fromPubSub(e)
	default:
		m.Body = e.Data()
		m.Attributes = extensions(e)
	}
	if err != nil {
		return Message{}, malformed("message", e, err)
	}
	return m, nil
}

func (m *Message) fromSQS(e event.Event) error {
	var r events.SQSMessage
	if err := decode("message", e, &r); err != nil {
		return err
	}
	m.ID, m.Body, m.Source = r.MessageId, []byte(r.Body), r.EventSourceARN
	m.OrderingKey = r.Attributes["MessageGroupId"]
	m.Attempt, _ = strconv.Atoi(r.Attributes["ApproximateReceiveCount"])
	if ms, err := strconv.ParseInt(r.Attributes["SentTimestamp"], 10, 64); err == nil {
		m.Time = time.UnixMilli(ms)
	}
	for k, a := range r.MessageAttributes {
		if a.StringValue != nil {
			m.setAttr(k, *a.StringValue)
		}
	}
	return nil
}

func (m *Message) fromSNS(e event.Event) error {
	var r events.SNSEntity
	if err := decode("message", e, &r); err != nil {
		return err
	}
	m.ID, m.Body, m.Source, m.Time = r.MessageID, []byte(r.Message), r.TopicArn, r.Timestamp
	for k, v := range r.MessageAttributes {
		if a, ok := v.(map[string]any); ok {
			if s, ok := a["Value"].(string); ok {
				m.setAttr(k, s)
			}
		}
	}
	return nil
}

func (m *Message) fromKinesis(e event.Event) error {
	var r events.KinesisEventRecord
	if err := decode("message", e, &r); err != nil {
		return err
	}
	m.ID, m.Body, m.Source = r.Kinesis.SequenceNumber, r.Kinesis.Data, r.EventSourceArn
	m.OrderingKey, m.Time = r.Kinesis.PartitionKey, r.Kinesis.ApproximateArrivalTimestamp.Time
	return nil
}

func (m *Message) fromKafka(e event.Event) error {
	var r events.KafkaRecord
	if err := decode("message", e, &r); err != nil {
		return err
	}
	body, err := base64.StdEncoding.DecodeString(r.Value)
	if err != nil {
		return err
	}
	key, err := base64.StdEncoding.DecodeString(r.Key)
	if err != nil {
		return err
	}
	m.Body, m.Source, m.OrderingKey, m.Time = body, r.Topic, string(key), r.Timestamp.Time
	for _, h := range r.Headers {
		for k, v := range h {
			m.setAttr(k, string(v))
		}
	}
	return nil
}

// fromMQ reads an ActiveMQ or RabbitMQ message; both carry base64 data.
func (m *Message) fromMQ(e event.Event) error {
	var r struct {
		events.ActiveMQMessage
		BasicProperties *events.RabbitMQBasicProperties `json:"basicProperties"`
	}
	if err := decode("message", e, &r); err != nil {
		return err
	}
	body, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		return err
	}
	m.Body = body
	if r.MessageID != "" {
		m.ID = r.MessageID
	}
	for k, v := range r.Properties {
		m.setAttr(k, v)
	}
	if r.BasicProperties != nil && r.BasicProperties.MessageID != nil {
		m.ID = *r.BasicProperties.MessageID
	}
	return nil
}

func (m *Message) fromPubSub(e event.Event) error {
	var r struct {
		Message struct {
			Data        []byte            `json:"data"`
			Attributes  map[string]string `json:"attributes"`
			MessageID   string            `json:"messageId"`
			PublishTime time.Time         `json:"publishTime"`
			OrderingKey string            `json:"orderingKey"`
		} `json:"message"`
		Subscription string `json:"subscription"`
	}
	if err := decode("message", e, &r); err != nil {
		return err
	}
	msg := r.Message
	m.ID, m.Body, m.Attributes, m.OrderingKey = msg.MessageID, msg.Data, msg.Attributes, msg.OrderingKey
	if !msg.PublishTime.IsZero() {
		m.Time = msg.PublishTime
	}
	if m.ID == "" {
		m.ID = e.ID()
	}
	return nil
}

func (m *Message) setAttr(k, v string) {
	if m.Attributes == nil {
		m.Attributes = map[string]string{}
	}
	m.Attributes[k] = v
}

// extensions returns the event's string extension attributes.
func extensions(e event.Event) map[string]string {
	ext := e.Extensions()
	if len(ext) == 0 {
		return nil
	}
	out := make(map[string]string, len(ext))
	for k, v := range ext {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}
