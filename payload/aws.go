package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// The CloudEvent types adapters/lambda gives broker records (see
// docs/aws-events.md).
const (
	awsSQS      = "com.amazonaws.sqs.message"
	awsSNS      = "com.amazonaws.sns."
	awsEvents   = "com.amazonaws.events."
	awsKinesis  = "com.amazonaws.kinesis."
	awsFirehose = "com.amazonaws.firehose.record"
	awsKafka    = "com.amazonaws.kafka.record"
	awsMQ       = "com.amazonaws.mq.message"
)

// awsReader returns the reader of an AWS event type, or nil for the types
// whose event is its own payload (S3, DynamoDB, direct invokes, ...).
func awsReader(typ string) func(*Message, event.Event) error {
	switch {
	case typ == awsSQS:
		return readSQS
	case strings.HasPrefix(typ, awsSNS):
		return readSNS
	case strings.HasPrefix(typ, awsEvents):
		return readEventBridge
	case strings.HasPrefix(typ, awsKinesis):
		return readKinesis
	case typ == awsFirehose:
		return readFirehose
	case typ == awsKafka:
		return readKafka
	case typ == awsMQ:
		return readMQ
	}
	return nil
}

// SQSRecord is an SQS record as Lambda delivers it, decoded by an adapter:
// the fields a Message is made from. An adapter that has decoded a record
// hands it over with [Carrier.PresetSQS], so the record's JSON is not
// decoded a second time.
type SQSRecord struct {
	// MessageID, Body and EventSourceARN are the record's messageId, body
	// and eventSourceARN.
	MessageID, Body, EventSourceARN string
	// Attributes are the record's system attributes (its "attributes"
	// object: ApproximateReceiveCount, SentTimestamp, MessageGroupId,
	// AWSTraceHeader, ...) by name.
	Attributes map[string]string
	// MessageAttributes are the record's message attributes by name.
	MessageAttributes map[string]SQSAttribute
}

// SQSAttribute is the value of an SQS message attribute: a string, or
// bytes (base64-decoded). The Message keeps bytes that are UTF-8 as they
// are, others base64-encoded.
type SQSAttribute struct {
	StringValue *string `json:"stringValue"`
	BinaryValue []byte  `json:"binaryValue"`
}

// An SQSSource gives the SQS record an adapter built an event from, when
// the event's Message is first needed: see [Carrier.PresetSQS].
type SQSSource interface {
	// SQSRecord fills r, which is zero, with the record's fields.
	SQSRecord(r *SQSRecord)
}

// sqsJSON is an SQS record's JSON, as readSQS decodes it.
type sqsJSON struct {
	MessageID         string                  `json:"messageId"`
	Body              string                  `json:"body"`
	Attributes        sqsSystem               `json:"attributes"`
	MessageAttributes map[string]SQSAttribute `json:"messageAttributes"`
	EventSourceARN    string                  `json:"eventSourceARN"`
}

// sqsSystem holds the system attributes a Message is made from.
type sqsSystem struct {
	ApproximateReceiveCount string `json:"ApproximateReceiveCount"`
	SentTimestamp           string `json:"SentTimestamp"`
	MessageGroupID          string `json:"MessageGroupId"`
	AWSTraceHeader          string `json:"AWSTraceHeader"`
}

func readSQS(m *Message, e event.Event) error {
	var r sqsJSON
	if err := unmarshal(e.Data(), &r); err != nil {
		return err
	}
	return r.fill(m)
}

// decoded returns r as readSQS would have decoded the record's JSON, and
// whether it can tell: the system attributes are a map in r, a struct in
// readSQS, which encoding/json fills differently when a name is given in
// another case, or given twice with null last (a map keeps "", the struct
// the earlier value). The adapter's decoder only turns null into "", so an
// empty value is not told apart from such a null either.
func (r *SQSRecord) decoded() (sqsJSON, bool) {
	j := sqsJSON{MessageID: r.MessageID, Body: r.Body, MessageAttributes: r.MessageAttributes, EventSourceARN: r.EventSourceARN}
	// sqsSystem's fields and their names.
	sys := [...]*string{&j.Attributes.ApproximateReceiveCount, &j.Attributes.SentTimestamp, &j.Attributes.MessageGroupID, &j.Attributes.AWSTraceHeader}
	names := [...]string{"ApproximateReceiveCount", "SentTimestamp", "MessageGroupId", "AWSTraceHeader"}
	for k, v := range r.Attributes {
		for i, name := range names {
			switch {
			case k == name:
				if v == "" {
					return sqsJSON{}, false
				}
				*sys[i] = v
			case strings.EqualFold(k, name):
				return sqsJSON{}, false
			}
		}
	}
	return j, true
}

// fill makes m the record's message.
func (r *sqsJSON) fill(m *Message) error {
	if r.MessageID == "" {
		return errors.New("the SQS record has no messageId")
	}
	m.ID, m.Data, m.Source = r.MessageID, []byte(r.Body), r.EventSourceARN
	m.OrderingKey = r.Attributes.MessageGroupID
	m.Trace.XRay = r.Attributes.AWSTraceHeader
	m.Attempt, _ = strconv.Atoi(r.Attributes.ApproximateReceiveCount)
	if t := millis(r.Attributes.SentTimestamp); !t.IsZero() {
		m.PublishTime = t
	}
	for k, a := range r.MessageAttributes {
		switch {
		case a.StringValue != nil:
			m.setAttr(k, *a.StringValue)
		case a.BinaryValue != nil:
			m.setAttr(k, text(a.BinaryValue))
		}
	}
	// The message may be a CloudEvent in binary mode, an SNS notification
	// (SNS to SQS without raw delivery), or an EventBridge event (an
	// EventBridge rule's SQS target).
	ce, err := m.binaryCloudEvent()
	if err != nil {
		return err
	}
	if !ce {
		sns, err := unwrapSNS(m, m.Data)
		if err != nil {
			return err
		}
		if !sns {
			unwrapEventBridge(m, m.Data)
		}
	}
	m.fromAttributes()
	return nil
}

// snsNotification is an SNS notification as Lambda and SQS receive it.
type snsNotification struct {
	Type              string    `json:"Type"`
	MessageID         string    `json:"MessageId"`
	TopicArn          string    `json:"TopicArn"`
	Message           *string   `json:"Message"`
	Timestamp         time.Time `json:"Timestamp"`
	MessageAttributes map[string]struct {
		Type  string `json:"Type"`
		Value string `json:"Value"`
	} `json:"MessageAttributes"`
}

// fill makes m the notification's message: its payload is a CloudEvent's
// data when the message attributes carry a CloudEvent in binary mode, else
// the detail of an EventBridge event in it, else the message.
func (n *snsNotification) fill(m *Message) error {
	m.Data = []byte(*n.Message)
	if !n.Timestamp.IsZero() {
		m.PublishTime = n.Timestamp
	}
	for k, a := range n.MessageAttributes {
		v := a.Value
		if a.Type == "Binary" {
			if b, err := decodeBase64(v); err == nil {
				v = text(b)
			}
		}
		m.setAttr(k, v)
	}
	if ce, err := m.binaryCloudEvent(); ce || err != nil {
		return err
	}
	unwrapEventBridge(m, m.Data)
	return nil
}

func readSNS(m *Message, e event.Event) error {
	var n snsNotification
	if err := unmarshal(e.Data(), &n); err != nil {
		return err
	}
	if n.Message == nil {
		return errors.New("the SNS notification has no Message")
	}
	if n.MessageID != "" {
		m.ID = n.MessageID
	}
	if n.TopicArn != "" {
		m.Source = n.TopicArn
	}
	if err := n.fill(m); err != nil {
		return err
	}
	m.fromAttributes()
	return nil
}

// unwrapSNS replaces m's data by the SNS notification it holds, if it holds
// one; the delivering queue's id, source and attempt stay (unless the
// notification is a CloudEvent in binary mode).
func unwrapSNS(m *Message, data []byte) (bool, error) {
	if !isObject(data) || !bytes.Contains(data, []byte(`"TopicArn"`)) || !bytes.Contains(data, []byte(`"Notification"`)) {
		return false, nil
	}
	var n snsNotification
	if json.Unmarshal(data, &n) != nil || n.Type != "Notification" || n.MessageID == "" || n.TopicArn == "" || n.Message == nil {
		return false, nil
	}
	return true, n.fill(m)
}

// eventBridgeEvent is an EventBridge event: the Lambda payload of a rule, or
// the body an SQS or SNS target receives.
type eventBridgeEvent struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Time       time.Time       `json:"time"`
	Detail     json.RawMessage `json:"detail"`
}

func readEventBridge(m *Message, e event.Event) error {
	var r eventBridgeEvent
	if err := unmarshal(e.Data(), &r); err != nil {
		return err
	}
	if r.Detail == nil {
		return errors.New("the EventBridge event has no detail")
	}
	r.fill(m, true)
	return nil
}

func (r *eventBridgeEvent) fill(m *Message, own bool) {
	m.Data, m.ContentType = r.Detail, ContentTypeJSON
	if !r.Time.IsZero() {
		m.PublishTime = r.Time
	}
	if own { // the event is the delivery: its id and source are the message's
		if r.ID != "" {
			m.ID = r.ID
		}
		if r.Source != "" {
			m.Source = r.Source
		}
	}
}

// unwrapEventBridge replaces m's data by the detail of the EventBridge event
// it holds, if it holds one.
func unwrapEventBridge(m *Message, data []byte) bool {
	if !isObject(data) || !bytes.Contains(data, []byte(`"detail-type"`)) {
		return false
	}
	var r eventBridgeEvent
	if json.Unmarshal(data, &r) != nil || r.ID == "" || r.DetailType == "" || r.Source == "" || r.Version == "" || r.Detail == nil {
		return false
	}
	r.fill(m, false)
	return true
}

func readKinesis(m *Message, e event.Event) error {
	var r struct {
		EventSourceARN string `json:"eventSourceARN"`
		Kinesis        struct {
			PartitionKey                string   `json:"partitionKey"`
			SequenceNumber              string   `json:"sequenceNumber"`
			Data                        []byte   `json:"data"`
			ApproximateArrivalTimestamp *float64 `json:"approximateArrivalTimestamp"`
		} `json:"kinesis"`
	}
	if err := unmarshal(e.Data(), &r); err != nil {
		return err
	}
	k := r.Kinesis
	if k.SequenceNumber == "" {
		return errors.New("the Kinesis record has no sequenceNumber")
	}
	m.ID, m.Data, m.OrderingKey = k.SequenceNumber, k.Data, k.PartitionKey
	if r.EventSourceARN != "" {
		m.Source = r.EventSourceARN
	}
	if k.ApproximateArrivalTimestamp != nil {
		m.PublishTime = seconds(*k.ApproximateArrivalTimestamp)
	}
	return nil
}

func readFirehose(m *Message, e event.Event) error {
	var r struct {
		RecordID                    string   `json:"recordId"`
		ApproximateArrivalTimestamp *float64 `json:"approximateArrivalTimestamp"`
		Data                        []byte   `json:"data"`
		Metadata                    *struct {
			PartitionKey string `json:"partitionKey"`
		} `json:"kinesisRecordMetadata"`
	}
	if err := unmarshal(e.Data(), &r); err != nil {
		return err
	}
	if r.RecordID == "" {
		return errors.New("the Firehose record has no recordId")
	}
	m.ID, m.Data = r.RecordID, r.Data
	if r.ApproximateArrivalTimestamp != nil && *r.ApproximateArrivalTimestamp > 0 {
		m.PublishTime = seconds(*r.ApproximateArrivalTimestamp / 1000)
	}
	if r.Metadata != nil {
		m.OrderingKey = r.Metadata.PartitionKey
	}
	return nil
}

func readKafka(m *Message, e event.Event) error {
	var r struct {
		Topic     string             `json:"topic"`
		Partition int64              `json:"partition"`
		Offset    int64              `json:"offset"`
		Timestamp float64            `json:"timestamp"`
		Key       string             `json:"key"`
		Value     *string            `json:"value"`
		Headers   []map[string][]int `json:"headers"`
	}
	if err := unmarshal(e.Data(), &r); err != nil {
		return err
	}
	if r.Topic == "" {
		return errors.New("the Kafka record names no topic")
	}
	var err error
	if r.Value != nil {
		if m.Data, err = decodeBase64(*r.Value); err != nil {
			return fmt.Errorf("value: %w", err)
		}
	}
	key, err := decodeBase64(r.Key)
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	m.ID = r.Topic + "-" + strconv.FormatInt(r.Partition, 10) + ":" + strconv.FormatInt(r.Offset, 10)
	m.Source, m.OrderingKey = r.Topic, string(key)
	if r.Timestamp > 0 {
		m.PublishTime = seconds(r.Timestamp / 1000)
	}
	for _, h := range r.Headers {
		for k, ints := range h {
			b := make([]byte, len(ints))
			for i, n := range ints {
				if n < math.MinInt8 || n > math.MaxUint8 {
					return fmt.Errorf("header %q: byte %d is out of range", k, n)
				}
				b[i] = byte(n)
			}
			m.setAttr(k, text(b))
		}
	}
	m.fromAttributes()
	return nil
}

// readMQ reads an ActiveMQ or a RabbitMQ message.
func readMQ(m *Message, e event.Event) error {
	var r struct {
		MessageID   string            `json:"messageID"`
		Data        string            `json:"data"`
		Redelivered bool              `json:"redelivered"`
		Timestamp   float64           `json:"timestamp"`
		Properties  map[string]string `json:"properties"`
		Destination struct {
			PhysicalName string `json:"physicalName"`
		} `json:"destination"`
		BasicProperties *struct {
			ContentType *string        `json:"contentType"`
			MessageID   *string        `json:"messageId"`
			Headers     map[string]any `json:"headers"`
		} `json:"basicProperties"`
	}
	if err := unmarshal(e.Data(), &r); err != nil {
		return err
	}
	var err error
	if m.Data, err = decodeBase64(r.Data); err != nil {
		return err
	}
	m.Attempt = 1
	if r.Redelivered {
		m.Attempt = 2
	}
	if r.MessageID != "" {
		m.ID = r.MessageID
	}
	if r.Timestamp > 0 {
		m.PublishTime = seconds(r.Timestamp / 1000)
	}
	m.Source = e.Subject() // the queue, as adapters/lambda names it
	if r.Destination.PhysicalName != "" {
		m.Source = r.Destination.PhysicalName
	}
	for k, v := range r.Properties {
		m.setAttr(k, v)
	}
	if p := r.BasicProperties; p != nil {
		if p.MessageID != nil && *p.MessageID != "" {
			m.ID = *p.MessageID
		}
		if p.ContentType != nil {
			m.ContentType = *p.ContentType
		}
		for k, v := range p.Headers {
			if s, ok := headerText(v); ok {
				m.setAttr(k, s)
			}
		}
	}
	m.fromAttributes()
	return nil
}

// headerText returns a RabbitMQ header value as text: Lambda gives strings
// as {"bytes":[...]}, other values as JSON.
func headerText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case map[string]any:
		ints, ok := v["bytes"].([]any)
		if !ok {
			return "", false
		}
		b := make([]byte, 0, len(ints))
		for _, n := range ints {
			f, ok := n.(float64)
			if !ok || f < math.MinInt8 || f > math.MaxUint8 {
				return "", false
			}
			b = append(b, byte(int(f)))
		}
		return text(b), true
	case float64, bool:
		j, _ := json.Marshal(v)
		return string(j), true
	}
	return "", false
}

// unmarshal decodes an envelope's JSON.
func unmarshal(data []byte, v any) error {
	if len(data) == 0 {
		return errors.New("the event has no data")
	}
	return json.Unmarshal(data, v)
}

func isObject(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '{'
}

func millis(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// seconds converts fractional epoch seconds, rounded to the millisecond.
func seconds(s float64) time.Time {
	if s <= 0 || s > 1e11 || math.IsNaN(s) {
		return time.Time{}
	}
	return time.UnixMilli(int64(math.Round(s * 1000)))
}
