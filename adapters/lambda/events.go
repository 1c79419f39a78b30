package lambda

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/cejson"
	"github.com/faasport/faasport/payload"
)

// The CloudEvent types of the sources whose type is fixed. The others are
// built from the record (see docs/aws-events.md).
const (
	TypeSQSMessage     = "com.amazonaws.sqs.message"
	TypeSNSPrefix      = "com.amazonaws.sns."
	TypeS3Prefix       = "com.amazonaws.s3."
	TypeKinesisPrefix  = "com.amazonaws.kinesis."
	TypeDynamoDBPrefix = "com.amazonaws.dynamodb."
	TypeEventsPrefix   = "com.amazonaws.events."
	TypeFirehoseRecord = "com.amazonaws.firehose.record"
	TypeKafkaRecord    = "com.amazonaws.kafka.record"
	TypeMQMessage      = "com.amazonaws.mq.message"
	TypeInvoke         = "com.amazonaws.lambda.invoke"
	// TypeSchedule is the type of a direct invoke by a function declared as
	// scheduled ([WithTrigger] with function.TriggerTimer): EventBridge
	// Scheduler sends its target input as it is, with no envelope that
	// tells it apart.
	TypeSchedule = "com.amazonaws.scheduler.schedule"
)

var jsonContentType = "application/json"

// maxLogsSize bounds decompressed CloudWatch Logs data (a gzip bomb guard);
// Lambda payloads are at most 6 MB, and logs compress well.
const maxLogsSize = 64 << 20

// builder turns records into events, caching the parsed source of the last
// record: the records of a batch share one.
type builder struct {
	ctx        context.Context
	base       *function.Invocation
	payload    []byte
	region     string
	declared   function.Trigger // what invokes the function directly (WithTrigger)
	lastSource string
	lastRef    types.URIRef
	// Slabs: a batch's records share a few allocations instead of each
	// making its own.
	contexts slab[event.EventContextV1]
	times    slab[types.Timestamp]
	sqsDec   jsonDecoder
}

// slab hands out pointers into chunks of n values.
type slab[T any] struct{ buf []T }

const slabSize = 16

func (s *slab[T]) next() *T {
	if len(s.buf) == cap(s.buf) {
		s.buf = make([]T, 0, slabSize)
	}
	s.buf = s.buf[:len(s.buf)+1]
	return &s.buf[len(s.buf)-1]
}

func (b *builder) sourceRef(s string) types.URIRef {
	if s != "" && s == b.lastSource {
		return b.lastRef
	}
	var ref types.URIRef
	if u := types.ParseURIRef(s); u != nil {
		ref = *u
	} else {
		ref.Path = s
	}
	b.lastSource, b.lastRef = s, ref
	return ref
}

// event builds a CloudEvent with JSON data. It reports a missing required
// attribute as an error naming the record's field it comes from.
func (b *builder) event(id, source, typ, subject string, t time.Time, data []byte) (event.Event, error) {
	if err := required(id, source); err != nil {
		return event.Event{}, err
	}
	var ts *types.Timestamp
	if !t.IsZero() {
		ts = b.times.next()
	}
	return b.eventIn(b.contexts.next(), ts, id, source, typ, subject, t, data), nil
}

// required reports a missing required attribute as an error naming the
// record's field it comes from.
func required(id, source string) error {
	switch {
	case id == "":
		return errors.New("the record has no id")
	case source == "":
		return errors.New("the record names no source resource")
	}
	return nil
}

// eventIn is event with its context and time in ec and ts (used only
// when t is set).
func (b *builder) eventIn(ec *event.EventContextV1, ts *types.Timestamp, id, source, typ, subject string, t time.Time, data []byte) event.Event {
	*ec = event.EventContextV1{ID: id, Type: typ, Source: b.sourceRef(source), DataContentType: &jsonContentType}
	if subject != "" {
		sj := subject
		ec.Subject = &sj
	}
	if !t.IsZero() {
		ts.Time = t
		ec.Time = ts
	}
	return event.Event{Context: ec, DataEncoded: data}
}

// invocationID identifies a delivery that carries no id of its own: the
// Lambda request id (the same on Lambda's own retries of an asynchronous
// invocation), else a hash of the payload.
func (b *builder) invocationID() string {
	if b.base.RequestID != "" {
		return b.base.RequestID
	}
	sum := sha256.Sum256(b.payload)
	return hex.EncodeToString(sum[:16])
}

// structured returns data as a CloudEvent when it is a valid structured-mode
// CloudEvent.
func structured(data []byte) (event.Event, bool) {
	d := trimValue(data)
	if len(d) == 0 || d[0] != '{' || !bytes.Contains(d, []byte(`"specversion"`)) {
		return event.Event{}, false
	}
	var e event.Event
	if err := cejson.Unmarshal(d, &e); err != nil || e.Validate() != nil {
		return event.Event{}, false
	}
	return e, true
}

func millis(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func invalid(k kind, err error) error {
	return &Error{Type: ErrorTypeInvalidEvent, Err: fmt.Errorf("lambda: decode %s: %w", k, err)}
}

// eachRecord calls fn with the index and span of every element of a
// "Records" array; an empty array is an error.
func eachRecord(s shape, fn func(i int, raw []byte)) error {
	n := 0
	err := eachElement(s.records, func(raw []byte) bool {
		fn(n, raw)
		n++
		return true
	})
	if err != nil {
		return invalid(s.kind, err)
	}
	if n == 0 {
		return invalid(s.kind, errors.New("the Records array is empty"))
	}
	return nil
}

// recordError wraps a record's decode failure; the record is acknowledged
// as permanently failed, never retried.
func recordError(k kind, i int, id string, err error) error {
	if id != "" {
		return fmt.Errorf("lambda: %s record %d (%q): %w; the record is acknowledged without being handled", k, i, id, err)
	}
	return fmt.Errorf("lambda: %s record %d: %w; the record is acknowledged without being handled", k, i, err)
}

// plan turns the payload into events.
func (b *builder) plan(s shape) (*plan, error) {
	switch s.kind {
	case kindSQS:
		return b.sqs(s)
	case kindKinesis:
		return b.kinesis(s)
	case kindDynamoDB:
		return b.dynamodb(s)
	case kindS3:
		return b.s3(s)
	case kindSNS:
		return b.sns(s)
	case kindSES:
		return b.ses(s)
	case kindCodeCommit:
		return b.codecommit(s)
	case kindEventBridge:
		return b.eventbridge(s)
	case kindCloudWatchLogs:
		return b.logs(s)
	case kindFirehose:
		return b.firehose(s)
	case kindKafka:
		return b.kafka(s)
	case kindActiveMQ:
		return b.activemq(s)
	case kindRabbitMQ:
		return b.rabbitmq(s)
	case kindCloudEvent:
		return b.cloudevent(s)
	default:
		return b.single(s)
	}
}

func (b *builder) sqs(s shape) (*plan, error) {
	p := &plan{trigger: function.TriggerPubSub, reply: replyItems, itemOf: sqsItem}
	spans := make([][]byte, 0, 10)
	if err := eachRecord(s, func(_ int, raw []byte) { spans = append(spans, raw) }); err != nil {
		return nil, err
	}
	// Each record is decoded on its own, so a bad one fails alone. The
	// decoder takes the common forms; json.Unmarshal decodes the others,
	// and gives the error for a record that is not an SQS message.
	p.units = make([]unit, len(spans))
	room := 0
	for _, raw := range spans {
		room += len(raw)
	}
	var m events.SQSMessage
	evs := make([]sqsEvent, len(spans))
	for i, raw := range spans {
		b.sqsDec.strs.room = room // what the records left can need
		room -= len(raw)
		m = events.SQSMessage{}
		if err := decodeWith(b.sqsDec.sqsMessage, raw, &m); err != nil {
			p.units[i] = unit{err: recordError(s.kind, i, "", err)}
			continue
		}
		b.sqsUnit(p, s, i, &m, raw, &evs[i])
	}
	return p, nil
}

// sqsEvent is what the event of an SQS record needs besides its unit; a
// batch's are one allocation.
type sqsEvent struct {
	ec     event.EventContextV1
	ts     types.Timestamp
	preset payload.Carrier // the record's context (see unit.preset)
}

// sqsSource is a unit of an SQS record as payload's source of it.
type sqsSource unit

// SQSRecord gives payload the unit's record.
func (s *sqsSource) SQSRecord(r *payload.SQSRecord) {
	m, _ := s.native.(events.SQSMessage)
	r.MessageID, r.Body, r.EventSourceARN, r.Attributes = m.MessageId, m.Body, m.EventSourceARN, m.Attributes
	if len(m.MessageAttributes) == 0 {
		return
	}
	r.MessageAttributes = make(map[string]payload.SQSAttribute, len(m.MessageAttributes))
	for k, a := range m.MessageAttributes {
		r.MessageAttributes[k] = payload.SQSAttribute{StringValue: a.StringValue, BinaryValue: a.BinaryValue}
	}
}

// sqsItem is an SQS record's batchItemFailures identifier: its message id
// (none for a record that could not be decoded).
func sqsItem(u *unit) any {
	if m, ok := u.native.(events.SQSMessage); ok {
		return m.MessageId
	}
	return nil
}

func (b *builder) sqsUnit(p *plan, s shape, i int, m *events.SQSMessage, raw []byte, se *sqsEvent) {
	u := &p.units[i]
	u.native = *m
	u.attempt, _ = strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
	if strings.HasSuffix(m.EventSourceARN, ".fifo") {
		p.ordered = true
		u.group = m.Attributes["MessageGroupId"]
	}
	if ce, ok := structuredString(m.Body); ok {
		u.ev = ce
		return
	}
	if err := required(m.MessageId, m.EventSourceARN); err != nil {
		u.err = recordError(s.kind, i, m.MessageId, err)
		return
	}
	u.ev = b.eventIn(&se.ec, &se.ts, m.MessageId, m.EventSourceARN, TypeSQSMessage, "", millis(m.Attributes["SentTimestamp"]), raw)
	u.preset = &se.preset
}

// structuredString is structured for a string field, skipping the copy
// when the string cannot hold a CloudEvent.
func structuredString(s string) (event.Event, bool) {
	if !strings.Contains(s, `"specversion"`) {
		return event.Event{}, false
	}
	return structured([]byte(s))
}

func afterColon(s string) string { return s[strings.LastIndexByte(s, ':')+1:] }

func (b *builder) kinesis(s shape) (*plan, error) {
	p := &plan{trigger: function.TriggerPubSub, reply: replyItems, ordered: true}
	err := eachRecord(s, func(i int, raw []byte) {
		var r events.KinesisEventRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			p.units = append(p.units, unit{err: recordError(s.kind, i, "", err)})
			return
		}
		// An eventID is "shardId-000000000006:<sequence number>".
		shard, _, _ := strings.Cut(r.EventID, ":")
		u := unit{native: r, item: r.Kinesis.SequenceNumber, group: shard}
		var err error
		u.ev, err = b.event(r.EventID, r.EventSourceArn, TypeKinesisPrefix+afterColon(r.EventName), r.Kinesis.PartitionKey, r.Kinesis.ApproximateArrivalTimestamp.Time, raw)
		if err == nil && r.Kinesis.SequenceNumber == "" {
			err = errors.New("the record has no sequenceNumber")
		}
		if err != nil {
			u.err = recordError(s.kind, i, r.EventID, err)
		}
		p.units = append(p.units, u)
	})
	return p, err
}

func (b *builder) dynamodb(s shape) (*plan, error) {
	// A DynamoDB Streams batch always comes from one shard: one group.
	p := &plan{trigger: function.TriggerDatasource, reply: replyItems, ordered: true}
	err := eachRecord(s, func(i int, raw []byte) {
		var r events.DynamoDBEventRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			p.units = append(p.units, unit{err: recordError(s.kind, i, "", err)})
			return
		}
		u := unit{native: r, item: r.Change.SequenceNumber}
		var err error
		u.ev, err = b.event(r.EventID, r.EventSourceArn, TypeDynamoDBPrefix+r.EventName, "", r.Change.ApproximateCreationDateTime.Time, raw)
		if err == nil && r.Change.SequenceNumber == "" {
			err = errors.New("the record has no SequenceNumber")
		}
		if err != nil {
			u.err = recordError(s.kind, i, r.EventID, err)
		}
		p.units = append(p.units, u)
	})
	return p, err
}

func (b *builder) s3(s shape) (*plan, error) {
	p := &plan{trigger: function.TriggerDatasource, async: true}
	err := eachRecord(s, func(i int, raw []byte) {
		var r events.S3EventRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			p.units = append(p.units, unit{err: recordError(s.kind, i, "", err)})
			return
		}
		u := unit{native: r}
		// The CloudEvents S3 adapter spec: id is the request id and host id.
		var id string
		if rid, hid := r.ResponseElements["x-amz-request-id"], r.ResponseElements["x-amz-id-2"]; rid != "" && hid != "" {
			id = rid + "." + hid
		}
		var err error
		source := r.EventSource + "." + r.AWSRegion + "." + r.S3.Bucket.Name
		if r.S3.Bucket.Name == "" {
			source = ""
		}
		u.ev, err = b.event(id, source, TypeS3Prefix+r.EventName, r.S3.Object.Key, r.EventTime, raw)
		if err != nil {
			u.err = recordError(s.kind, i, id, err)
		}
		p.units = append(p.units, u)
	})
	return p, err
}

func (b *builder) sns(s shape) (*plan, error) {
	p := &plan{trigger: function.TriggerPubSub, async: true}
	err := eachRecord(s, func(i int, raw []byte) {
		var r events.SNSEventRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			p.units = append(p.units, unit{err: recordError(s.kind, i, "", err)})
			return
		}
		u := unit{native: r}
		if ce, ok := structuredString(r.SNS.Message); ok {
			u.ev = ce
		} else {
			var err error
			u.ev, err = b.event(r.SNS.MessageID, r.EventSubscriptionArn, TypeSNSPrefix+r.SNS.Type, r.SNS.Subject, r.SNS.Timestamp, member(raw, "Sns"))
			if err != nil {
				u.err = recordError(s.kind, i, r.SNS.MessageID, err)
			}
		}
		p.units = append(p.units, u)
	})
	return p, err
}

func (b *builder) ses(s shape) (*plan, error) {
	p := &plan{trigger: function.TriggerPubSub, async: true}
	err := eachRecord(s, func(i int, raw []byte) {
		var r events.SimpleEmailRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			p.units = append(p.units, unit{err: recordError(s.kind, i, "", err)})
			return
		}
		u := unit{native: r}
		var err error
		u.ev, err = b.event(r.SES.Mail.MessageID, "aws:ses", "com.amazonaws.ses.email", r.SES.Mail.CommonHeaders.Subject, r.SES.Mail.Timestamp, raw)
		if err != nil {
			u.err = recordError(s.kind, i, r.SES.Mail.MessageID, err)
		}
		p.units = append(p.units, u)
	})
	return p, err
}

func (b *builder) codecommit(s shape) (*plan, error) {
	p := &plan{trigger: function.TriggerOther, async: true}
	err := eachRecord(s, func(i int, raw []byte) {
		var r events.CodeCommitRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			p.units = append(p.units, unit{err: recordError(s.kind, i, "", err)})
			return
		}
		u := unit{native: r}
		var err error
		u.ev, err = b.event(r.EventID, r.EventSourceARN, "com.amazonaws.codecommit."+r.EventName, r.EventTriggerName, time.Time(r.EventTime), raw)
		if err != nil {
			u.err = recordError(s.kind, i, r.EventID, err)
		}
		p.units = append(p.units, u)
	})
	return p, err
}

func (b *builder) eventbridge(s shape) (*plan, error) {
	var e events.EventBridgeEvent
	if err := json.Unmarshal(b.payload, &e); err != nil {
		return nil, invalid(s.kind, err)
	}
	p := &plan{trigger: function.TriggerPubSub, async: true}
	if e.DetailType == "Scheduled Event" {
		p.trigger = function.TriggerTimer
	}
	u := unit{native: e}
	if ce, ok := structured(e.Detail); ok {
		u.ev = ce
	} else {
		var subject string
		if len(e.Resources) > 0 {
			subject = e.Resources[0]
		}
		var err error
		u.ev, err = b.event(e.ID, e.Source, TypeEventsPrefix+e.DetailType, subject, e.Time, b.payload)
		if err != nil {
			return nil, invalid(s.kind, err)
		}
	}
	p.units = []unit{u}
	return p, nil
}

func (b *builder) logs(s shape) (*plan, error) {
	var e events.CloudwatchLogsEvent
	if err := json.Unmarshal(b.payload, &e); err != nil {
		return nil, invalid(s.kind, err)
	}
	zipped, err := base64.StdEncoding.DecodeString(e.AWSLogs.Data)
	if err != nil {
		return nil, invalid(s.kind, fmt.Errorf("awslogs.data is not base64: %w", err))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		return nil, invalid(s.kind, fmt.Errorf("awslogs.data is not gzip: %w", err))
	}
	data, err := io.ReadAll(io.LimitReader(zr, maxLogsSize+1))
	if err != nil {
		return nil, invalid(s.kind, fmt.Errorf("awslogs.data is not gzip: %w", err))
	}
	if len(data) > maxLogsSize {
		return nil, invalid(s.kind, fmt.Errorf("awslogs.data inflates to more than %d bytes", maxLogsSize))
	}
	var d events.CloudwatchLogsData
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, invalid(s.kind, fmt.Errorf("awslogs.data: %w", err))
	}
	id := b.invocationID()
	var t time.Time
	if len(d.LogEvents) > 0 {
		if d.LogEvents[0].ID != "" {
			id = d.LogEvents[0].ID
		}
		t = time.UnixMilli(d.LogEvents[0].Timestamp)
	}
	source := "arn:aws:logs:" + b.region + ":" + d.Owner + ":log-group:" + d.LogGroup
	ev, err := b.event(id, source, "com.amazonaws.logs."+d.MessageType, d.LogStream, t, data)
	if err != nil {
		return nil, invalid(s.kind, err)
	}
	return &plan{trigger: function.TriggerPubSub, async: true, units: []unit{{ev: ev, native: d}}}, nil
}

func (b *builder) firehose(s shape) (*plan, error) {
	var e events.KinesisFirehoseEvent
	if err := json.Unmarshal(b.payload, &e); err != nil {
		return nil, invalid(s.kind, err)
	}
	if len(e.Records) == 0 {
		return nil, invalid(s.kind, errors.New("records is empty"))
	}
	p := &plan{trigger: function.TriggerPubSub, reply: replyFirehose, units: make([]unit, len(e.Records))}
	for i, r := range e.Records {
		raw, _ := json.Marshal(r)
		u := unit{native: r, item: r.RecordID}
		var err error
		u.ev, err = b.event(r.RecordID, e.DeliveryStreamArn, TypeFirehoseRecord, "", r.ApproximateArrivalTimestamp.Time, raw)
		if err != nil {
			u.err = recordError(s.kind, i, r.RecordID, err)
		}
		p.units[i] = u
	}
	return p, nil
}

// kafkaItem is the batchItemFailures identifier of a Kafka record.
type kafkaItem struct {
	Partition string `json:"partition"`
	Offset    int64  `json:"offset"`
}

func (b *builder) kafka(s shape) (*plan, error) {
	var e events.KafkaEvent
	if err := json.Unmarshal(b.payload, &e); err != nil {
		return nil, invalid(s.kind, err)
	}
	source := e.EventSourceARN
	if source == "" && e.BootstrapServers != "" {
		first, _, _ := strings.Cut(e.BootstrapServers, ",")
		source = "kafka://" + first
	}
	keys := make([]string, 0, len(e.Records))
	for k := range e.Records {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	p := &plan{trigger: function.TriggerPubSub, reply: replyItems, ordered: true}
	for _, k := range keys {
		for _, r := range e.Records[k] {
			raw, _ := json.Marshal(r)
			partition := r.Topic + "-" + strconv.FormatInt(r.Partition, 10)
			id := partition + ":" + strconv.FormatInt(r.Offset, 10)
			u := unit{native: r, group: partition, item: kafkaItem{Partition: partition, Offset: r.Offset}}
			var err error
			u.ev, err = b.event(id, source, TypeKafkaRecord, r.Topic, r.Timestamp.Time, raw)
			if err == nil && r.Topic == "" {
				err = errors.New("the record names no topic")
			}
			if err != nil {
				u.err = recordError(s.kind, len(p.units), id, err)
			}
			p.units = append(p.units, u)
		}
	}
	if len(p.units) == 0 {
		return nil, invalid(s.kind, errors.New("records is empty"))
	}
	return p, nil
}

func (b *builder) activemq(s shape) (*plan, error) {
	var e events.ActiveMQEvent
	if err := json.Unmarshal(b.payload, &e); err != nil {
		return nil, invalid(s.kind, err)
	}
	if len(e.Messages) == 0 {
		return nil, invalid(s.kind, errors.New("messages is empty"))
	}
	p := &plan{trigger: function.TriggerPubSub, reply: replyWhole, units: make([]unit, len(e.Messages))}
	for i, m := range e.Messages {
		raw, _ := json.Marshal(m)
		u := unit{native: m, item: m.MessageID}
		if m.Redelivered {
			u.attempt = 2
		}
		var err error
		u.ev, err = b.event(m.MessageID, e.EventSourceARN, TypeMQMessage, m.Destination.PhysicalName, time.UnixMilli(m.Timestamp), raw)
		if err != nil {
			u.err = recordError(s.kind, i, m.MessageID, err)
		}
		p.units[i] = u
	}
	return p, nil
}

func (b *builder) rabbitmq(s shape) (*plan, error) {
	var e events.RabbitMQEvent
	if err := json.Unmarshal(b.payload, &e); err != nil {
		return nil, invalid(s.kind, err)
	}
	keys := make([]string, 0, len(e.MessagesByQueue))
	for k := range e.MessagesByQueue {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	p := &plan{trigger: function.TriggerPubSub, reply: replyWhole}
	for _, k := range keys {
		queue, _, _ := strings.Cut(k, "::") // "queue::vhost"
		for _, m := range e.MessagesByQueue[k] {
			raw, _ := json.Marshal(m)
			// RabbitMQ does not require message ids: fall back to a hash of
			// the message, stable across redeliveries.
			id := ""
			if m.BasicProperties.MessageID != nil {
				id = *m.BasicProperties.MessageID
			}
			if id == "" {
				sum := sha256.Sum256(raw)
				id = hex.EncodeToString(sum[:16])
			}
			u := unit{native: m, item: id}
			if m.Redelivered {
				u.attempt = 2
			}
			var err error
			u.ev, err = b.event(id, e.EventSourceARN, TypeMQMessage, queue, time.Time{}, raw)
			if err != nil {
				u.err = recordError(s.kind, len(p.units), id, err)
			}
			p.units = append(p.units, u)
		}
	}
	if len(p.units) == 0 {
		return nil, invalid(s.kind, errors.New("rmqMessagesByQueue is empty"))
	}
	return p, nil
}

func (b *builder) cloudevent(s shape) (*plan, error) {
	var e event.Event
	if err := cejson.Unmarshal(b.payload, &e); err != nil {
		return nil, invalid(s.kind, err)
	}
	if err := e.Validate(); err != nil {
		return nil, invalid(s.kind, err)
	}
	return &plan{trigger: function.TriggerOther, units: []unit{{ev: e, native: json.RawMessage(b.payload)}}}, nil
}

// single maps the sources that carry one event per invocation.
func (b *builder) single(s shape) (*plan, error) {
	p := &plan{trigger: function.TriggerOther, reply: replyEvent}
	var (
		native              any
		id, source, typ, sj string
		t                   time.Time
	)
	id = b.invocationID()
	decode := func(v any) error {
		if err := json.Unmarshal(b.payload, v); err != nil {
			return invalid(s.kind, err)
		}
		return nil
	}
	switch s.kind {
	case kindCognitoUserPool:
		var h events.CognitoEventUserPoolsHeader
		if err := decode(&h); err != nil {
			return nil, err
		}
		v := cognitoNative(h.TriggerSource)
		if err := decode(v); err != nil {
			return nil, err
		}
		native, p.reply = v, replyVerbatim
		typ, source, sj = "com.amazonaws.cognito-idp."+h.TriggerSource, "aws:cognito-idp."+h.Region+"."+h.UserPoolID, h.UserName
	case kindCognitoSync:
		var e events.CognitoEvent
		if err := decode(&e); err != nil {
			return nil, err
		}
		native, p.reply = e, replyVerbatim
		typ, source, sj = "com.amazonaws.cognito-sync."+e.EventType, "aws:cognito-sync."+e.Region+"."+e.IdentityPoolID, e.DatasetName
	case kindConfig:
		var e events.ConfigEvent
		if err := decode(&e); err != nil {
			return nil, err
		}
		msgType := stringValue(member([]byte(e.InvokingEvent), "messageType"))
		if msgType == "ScheduledNotification" {
			p.trigger = function.TriggerTimer
		}
		native, p.async = e, true
		typ, source, sj = "com.amazonaws.config."+msgType, e.ConfigRuleArn, e.ConfigRuleName
	case kindS3Batch:
		var e events.S3BatchJobEventV2
		if err := decode(&e); err != nil {
			return nil, err
		}
		if s.version == "1.0" || e.InvocationSchemaVersion == "1.0" {
			var v1 events.S3BatchJobEvent
			if err := decode(&v1); err != nil {
				return nil, err
			}
			native = v1
		} else {
			native = e
		}
		if len(e.Tasks) == 0 {
			return nil, invalid(s.kind, errors.New("tasks is empty"))
		}
		p.reply, p.trigger = replyS3Batch, function.TriggerDatasource
		id, typ, source, sj = e.InvocationID, "com.amazonaws.s3batch.task", "aws:s3batch.job."+e.Job.ID, e.Tasks[0].S3Key
	case kindSecretsManager:
		var e events.SecretsManagerSecretRotationEvent
		if err := decode(&e); err != nil {
			return nil, err
		}
		native = e
		id, typ, source = e.ClientRequestToken+"."+e.Step, "com.amazonaws.secretsmanager."+e.Step, e.SecretID
	case kindIoTButton:
		var e events.IoTButtonEvent
		if err := decode(&e); err != nil {
			return nil, err
		}
		native, p.async = e, true
		typ, source, sj = "com.amazonaws.iot.button", "aws:iot.button."+e.SerialNumber, e.ClickType
	case kindIoT1Click:
		var e events.IoTOneClickEvent
		if err := decode(&e); err != nil {
			return nil, err
		}
		native, p.async = e, true
		typ, source, sj = "com.amazonaws.iot1click.ButtonClicked", "aws:iot1click.device."+e.DeviceInfo.DeviceID, e.DeviceEvent.ButtonClicked.ClickType
		t, _ = time.Parse(time.RFC3339, e.DeviceEvent.ButtonClicked.ReportedTime)
	case kindIoTCustomAuth:
		var e events.IoTCoreCustomAuthorizerRequest
		if err := decode(&e); err != nil {
			return nil, err
		}
		native, p.reply = e, replyVerbatim
		typ, source = "com.amazonaws.iot.customauth", "aws:iot"
	case kindIoTPreProvision:
		var e events.IoTPreProvisionHookRequest
		if err := decode(&e); err != nil {
			return nil, err
		}
		native, p.reply = e, replyVerbatim
		typ, source, sj = "com.amazonaws.iot.preprovision", e.TemplateARN, e.CertificateID
	case kindCodePipelineJob:
		var e events.CodePipelineJobEvent
		if err := decode(&e); err != nil {
			return nil, err
		}
		native, p.async = e, true
		id, typ, source = e.CodePipelineJob.ID, "com.amazonaws.codepipeline.job", "aws:codepipeline."+e.CodePipelineJob.AccountID
	default: // a direct invoke with any other JSON
		if !json.Valid(b.payload) {
			return nil, invalid(s.kind, errors.New("the payload is not valid JSON"))
		}
		native, typ, source = json.RawMessage(b.payload), TypeInvoke, b.functionSource()
		if b.declared != "" {
			p.trigger = b.declared
		}
		if b.declared == function.TriggerTimer {
			typ, p.async = TypeSchedule, true
		}
	}
	ev, err := b.event(id, source, typ, sj, t, b.payload)
	if err != nil {
		return nil, invalid(s.kind, err)
	}
	p.units = []unit{{ev: ev, native: native}}
	return p, nil
}

// functionSource names the invoked function: its ARN where the runtime
// says, else its name.
func (b *builder) functionSource() string {
	if lc, ok := lambdacontext.FromContext(b.ctx); ok && lc.InvokedFunctionArn != "" {
		return lc.InvokedFunctionArn
	}
	if b.base.FunctionName != "" {
		return "aws:lambda." + b.region + ".function." + b.base.FunctionName
	}
	return "aws:lambda"
}

// cognitoNative returns a pointer to the aws-lambda-go type of a Cognito
// user pool trigger, by its triggerSource prefix.
func cognitoNative(triggerSource string) any {
	prefix, _, _ := strings.Cut(triggerSource, "_")
	switch prefix {
	case "PreSignUp":
		return &events.CognitoEventUserPoolsPreSignup{}
	case "PreAuthentication":
		return &events.CognitoEventUserPoolsPreAuthentication{}
	case "PostConfirmation":
		return &events.CognitoEventUserPoolsPostConfirmation{}
	case "PostAuthentication":
		return &events.CognitoEventUserPoolsPostAuthentication{}
	case "TokenGeneration":
		return &events.CognitoEventUserPoolsPreTokenGenV2_0{}
	case "UserMigration":
		return &events.CognitoEventUserPoolsMigrateUser{}
	case "DefineAuthChallenge":
		return &events.CognitoEventUserPoolsDefineAuthChallenge{}
	case "CreateAuthChallenge":
		return &events.CognitoEventUserPoolsCreateAuthChallenge{}
	case "VerifyAuthChallengeResponse":
		return &events.CognitoEventUserPoolsVerifyAuthChallenge{}
	case "CustomMessage":
		return &events.CognitoEventUserPoolsCustomMessage{}
	case "InboundFederation":
		return &events.CognitoEventUserPoolsInboundFederation{}
	}
	return &events.CognitoEventUserPoolsHeader{}
}
