package payload

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// ErrMalformed is wrapped by the error [Of] returns for an event whose
// envelope cannot be read: redelivering it cannot help, so handlers treat it
// as permanent.
var ErrMalformed = errors.New("payload: the event's envelope is malformed")

// The content types [Of] sniffs when the source does not state one.
const (
	ContentTypeJSON   = "application/json"
	ContentTypeBinary = "application/octet-stream"
)

// Message is what the producer sent, and its broker metadata, with the same
// names on every platform.
type Message struct {
	// ID is the broker's message id (SQS MessageId, SNS MessageId, Pub/Sub
	// messageId, Kafka topic-partition:offset, a Kinesis sequence number,
	// EventBridge's event id), else the event's id.
	ID string
	// Data is the payload's bytes, base64-decoded where the broker encodes
	// them. Treat it as read-only: it may share memory with the event.
	Data []byte
	// ContentType is the payload's media type as the source states it (a
	// content-type message attribute or header, RabbitMQ's contentType, the
	// CloudEvent's datacontenttype), else sniffed: [ContentTypeJSON] or
	// [ContentTypeBinary]; empty for empty data.
	ContentType string
	// Attributes are the message's string attributes: SQS and SNS message
	// attributes, Pub/Sub attributes, Kafka headers, MQ properties, or the
	// CloudEvent's extension attributes. Nil when there are none.
	Attributes map[string]string
	// OrderingKey groups messages delivered in order: the SQS FIFO
	// MessageGroupId, the Pub/Sub orderingKey, the Kinesis partition key, the
	// Kafka record key.
	OrderingKey string
	// PublishTime is when the broker accepted the message, else the event's
	// time; zero if neither says.
	PublishTime time.Time
	// Attempt is the 1-based delivery attempt (SQS ApproximateReceiveCount,
	// Pub/Sub deliveryAttempt), 0 if unknown.
	Attempt int
	// Source is the queue, topic or stream the message came from (an ARN, a
	// Kafka topic, a Pub/Sub resource name), else the event's source. For a
	// CloudEvent sent in binary mode over SQS or SNS, it is that event's
	// source, as ID is its id and PublishTime its time.
	Source string
	// Type is the CloudEvent type of the payload, where there is one: the
	// type of a CloudEvent a producer sent in binary mode in SQS or SNS
	// message attributes, or the type of an event that is its own payload;
	// empty for other broker messages.
	Type string
	// Trace is the producer's trace context, as the message carries it.
	Trace Trace
}

// Trace is the producer's trace context as carried by the message: W3C
// traceparent and tracestate (from message attributes, including the
// "googclient_"-prefixed form the Pub/Sub client libraries write, Kafka
// headers, and the CloudEvents distributed-tracing extension) and AWS X-Ray
// (the SQS AWSTraceHeader system attribute).
type Trace struct {
	TraceParent, TraceState, XRay string
}

// IsZero reports whether the message carries no trace context.
func (t Trace) IsZero() bool { return t == Trace{} }

// Of returns the payload of e and its metadata. An envelope that cannot be
// read is an error wrapping [ErrMalformed]. An event that is not a broker
// message is its own payload: its data, datacontenttype and extensions.
func Of(e event.Event) (*Message, error) {
	m := new(Message)
	if err := Read(e, m); err != nil {
		return nil, err
	}
	return m, nil
}

// Read is [Of] into a Message the caller owns, which it overwrites; on error
// m is left zero. It lets a caller that keeps the Message inside a larger
// value spare an allocation.
func Read(e event.Event, m *Message) error {
	if e.Context == nil {
		*m = Message{}
		return fmt.Errorf("%w: the event has no context attributes; build events with event.New", ErrMalformed)
	}
	read, name := envelope(e.Type())
	return readWith(e, m, read, name)
}

// readWith is [Read] once the event's envelope reader is known.
func readWith(e event.Event, m *Message, read func(*Message, event.Event) error, name string) error {
	if read == nil {
		*m = Message{}
		own(m, e)
		return nil
	}
	*m = Message{ID: e.ID(), Source: e.Source(), PublishTime: e.Time()}
	if err := read(m, e); err != nil {
		*m = Message{}
		typ := e.Type()
		return fmt.Errorf("payload: read the %s of event %q (type %q): %w: %w; the event cannot be handled and should not be retried",
			name, e.ID(), typ, ErrMalformed, err)
	}
	if m.Trace.TraceParent == "" {
		m.Trace.TraceParent, m.Trace.TraceState = extension(e, "traceparent"), extension(e, "tracestate")
	}
	if m.ContentType == "" {
		m.ContentType = Sniff(m.Data)
	}
	return nil
}

// Enveloped reports whether events of the given CloudEvent type carry a
// broker's envelope that [Of] unwraps (an SQS record, a Pub/Sub push
// body, ...), rather than being their own payload. It does not allocate.
func Enveloped(eventType string) bool {
	read, _ := envelope(eventType)
	return read != nil
}

// envelope returns the function that reads the envelope of events of type
// typ and the envelope's name for error messages, or a nil function when
// the event is its own payload. Each platform's envelopes live in their own
// file; a new platform adds one case here. It runs on every typed call, so
// it looks at the first byte before comparing prefixes.
func envelope(typ string) (func(*Message, event.Event) error, string) {
	if typ == "" {
		return nil, ""
	}
	switch typ[0] {
	case 'c':
		switch {
		case strings.HasPrefix(typ, "com.amazonaws."):
			return awsReader(typ), "AWS record"
		case strings.HasPrefix(typ, azurePrefix):
			return azureReader(typ), "Azure Functions message"
		}
	case 'g':
		if strings.HasPrefix(typ, "google.") {
			return googleReader(typ), "Pub/Sub message"
		}
	case 'p':
		if strings.HasPrefix(typ, "providers/cloud.pubsub/") {
			return googleReader(typ), "Pub/Sub message"
		}
	}
	return nil, ""
}

// own fills m from an event that is its own payload.
func own(m *Message, e event.Event) {
	m.ID, m.Source, m.PublishTime, m.Type = e.ID(), e.Source(), e.Time(), e.Type()
	m.Data = e.Data()
	m.ContentType = e.DataContentType()
	if m.ContentType == "" {
		m.ContentType = Sniff(m.Data)
	}
	ext := e.Extensions()
	if len(ext) == 0 {
		return
	}
	m.Attributes = make(map[string]string, len(ext))
	for k, v := range ext {
		if s, err := types.Format(v); err == nil {
			m.Attributes[k] = s
		}
	}
	m.Trace.TraceParent, m.Trace.TraceState = m.Attributes["traceparent"], m.Attributes["tracestate"]
}

// extension returns a string extension attribute of e, or "".
func extension(e event.Event, name string) string {
	v, ok := e.Extensions()[name]
	if !ok {
		return ""
	}
	s, _ := types.Format(v)
	return s
}

// Sniff returns [ContentTypeJSON] for data that is a JSON value,
// [ContentTypeBinary] for other data, and "" for no data.
func Sniff(data []byte) string {
	switch {
	case len(data) == 0:
		return ""
	case json.Valid(data):
		return ContentTypeJSON
	}
	return ContentTypeBinary
}

// setAttr sets an attribute, making the map on first use.
func (m *Message) setAttr(k, v string) {
	if m.Attributes == nil {
		m.Attributes = make(map[string]string)
	}
	m.Attributes[k] = v
}

// fromAttributes fills the content type and trace context from the message's
// attributes, where they are carried. The plain W3C names win over the
// prefixed forms.
func (m *Message) fromAttributes() {
	if len(m.Attributes) == 0 {
		return
	}
	if m.ContentType == "" {
		m.ContentType = m.attr("content-type", "Content-Type", "contentType", "content_type", "ce-datacontenttype", "ce_datacontenttype")
	}
	if tp := m.attr("traceparent", "googclient_traceparent", "ce-traceparent", "ce_traceparent"); tp != "" {
		m.Trace.TraceParent = tp
		m.Trace.TraceState = m.attr("tracestate", "googclient_tracestate", "ce-tracestate", "ce_tracestate")
	}
}

// attr returns the first of the named attributes that is set.
func (m *Message) attr(names ...string) string {
	for _, n := range names {
		if v := m.Attributes[n]; v != "" {
			return v
		}
	}
	return ""
}

// decodeBase64 decodes the standard encoding and, as some clients send it,
// the URL-safe one, padded or not.
func decodeBase64(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err2 := enc.DecodeString(s); err2 == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("data is not base64: %w", err)
}

// text returns b as a string attribute value: as is when it is UTF-8, else
// base64-encoded.
func text(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return base64.StdEncoding.EncodeToString(b)
}

type ctxKey struct{}

// NewContext returns a copy of ctx that carries m.
func NewContext(ctx context.Context, m *Message) context.Context {
	return context.WithValue(ctx, ctxKey{}, m)
}

// FromContext returns the message ctx carries, and whether it carries one.
// Treat the Message as read-only: the middleware and the handler that read
// one event share it.
func FromContext(ctx context.Context) (*Message, bool) {
	m, ok := ctx.Value(ctxKey{}).(*Message)
	return m, ok && m != nil
}

// Attach reads the payload of e as [Of] does and returns a copy of ctx that
// carries its Message (see [FromContext]), with the payload's data and
// content type. It is [Of] and [NewContext] in one allocation; see
// [Carrier] to share even that one, and for attempt.
//
// A broker message is read once per event: a middleware that needs the
// Message before the handler (tracing, say) attaches it, passes the
// returned context on, and a typed handler below reads it from there
// instead of reading the envelope again.
func Attach(ctx context.Context, e event.Event, attempt func(context.Context) int) (context.Context, []byte, string, error) {
	c := new(Carrier)
	data, ct, err := c.Bind(ctx, e, attempt)
	if err != nil {
		return ctx, nil, "", err
	}
	return c, data, ct, nil
}

// Carrier is a context that carries the Message of one event, for the hot
// path of typed handlers: embedded in a value the caller allocates anyway
// (function.Typed keeps the decoded input beside it), it costs no
// allocation of its own. For an event that is its own payload, the
// Message's metadata is read out of the event only when [FromContext]
// first asks for it.
//
// Use a Carrier only after [Carrier.Bind] succeeded (or
// [Carrier.PresetSQS], for an adapter), as a context.Context (through its
// pointer), and do not copy it.
type Carrier struct {
	parent context.Context
	// ec and data are the bound event's: its identity (see [Carrier.holds]),
	// and the source of an own payload's Message until it is read.
	ec      event.EventContext
	data    []byte
	attempt func(context.Context) int // the platform's attempt, read from parent; may be nil
	m       atomic.Pointer[Message]
	// sqs is set by PresetSQS: the Carrier is not bound, and carries no
	// Message for FromContext, but gives the one a Carrier bound below it
	// to the same event makes from sqs (and keeps it in m).
	sqs SQSSource
}

type carrierKey struct{}

// Bind reads the payload of e as [Of] does, makes c a copy of parent that
// carries its Message, and returns the payload's data and content type.
// attempt, which may be nil, returns the delivery attempt the platform
// reported, from parent; it is called only where the message does not say,
// and for an event that is its own payload only when its Message is read.
//
// If parent already carries the Message of this very event (see
// [Attach]), Bind reuses it instead of reading the envelope again.
func (c *Carrier) Bind(parent context.Context, e event.Event, attempt func(context.Context) int) ([]byte, string, error) {
	ec := e.Context
	var typ, ct string
	switch x := ec.(type) {
	case nil:
		return nil, "", Read(e, new(Message)) // the error Read gives
	case *event.EventContextV1: // the common case, without two dynamic calls
		typ = x.Type
		if x.DataContentType != nil {
			ct = *x.DataContentType
		}
	default:
		typ, ct = ec.GetType(), ec.GetDataContentType()
	}
	data := e.DataEncoded
	c.parent, c.ec, c.data, c.attempt = parent, ec, data, attempt
	read, name := envelope(typ)
	if read == nil {
		if ct == "" {
			ct = Sniff(data)
		}
		return data, ct, nil
	}
	var preset *Carrier
	if p, ok := parent.Value(carrierKey{}).(*Carrier); ok && p.holds(ec, data) {
		if m := p.m.Load(); m != nil {
			c.m.Store(m)
			return m.Data, m.ContentType, nil
		}
		if p.sqs != nil && typ == awsSQS {
			preset, read = p, p.readSQS
		}
	}
	m := new(Message)
	if err := readWith(e, m, read, name); err != nil {
		*c = Carrier{}
		return nil, "", err
	}
	if m.Attempt == 0 && attempt != nil {
		m.Attempt = attempt(parent)
	}
	if preset != nil && !preset.m.CompareAndSwap(nil, m) {
		m = preset.m.Load() // another reader of the event made it first
	}
	c.m.Store(m)
	return m.Data, m.ContentType, nil
}

// PresetSQS is for adapters: it makes c a copy of parent for e, an event
// of type com.amazonaws.sqs.message the adapter built from an SQS record
// it has decoded already. A Carrier bound below it to e (see
// [Carrier.Bind], so in [Attach] and in function.Typed's handlers) then
// makes e's Message, when first needed, from the record src gives instead
// of decoding e's data again; the Message is the one [Of] returns for e.
// c itself carries no Message for [FromContext]: only a Carrier bound to e
// does, so a handler that is not typed sees what it saw without c. Like
// Bind, c knows e by its context and data: an event that is not e (a
// middleware changed it) is read from its data.
//
// Use c only as a context.Context (through its pointer), and do not copy
// it.
func (c *Carrier) PresetSQS(parent context.Context, e event.Event, src SQSSource) {
	*c = Carrier{parent: parent, ec: e.Context, data: e.DataEncoded, sqs: src}
}

// readSQS reads the envelope of the preset event from the record the
// adapter gave, or from the event's data where that record cannot tell
// what decoding the data gives.
func (c *Carrier) readSQS(m *Message, e event.Event) error {
	var r SQSRecord
	c.sqs.SQSRecord(&r)
	j, ok := r.decoded()
	if !ok {
		return readSQS(m, e)
	}
	return j.fill(m)
}

// holds reports whether c is bound to the event whose context and data are
// ec and data: the same context object and the same bytes in memory, not
// merely equal ones, so an event that happens to look alike, or another
// event handled with the same context, is read afresh.
func (c *Carrier) holds(ec event.EventContext, data []byte) bool {
	switch x := c.ec.(type) {
	case *event.EventContextV1:
		if y, ok := ec.(*event.EventContextV1); !ok || x != y {
			return false
		}
	case *event.EventContextV03:
		if y, ok := ec.(*event.EventContextV03); !ok || x != y {
			return false
		}
	default: // an implementation of unknown identity
		return false
	}
	return len(c.data) == len(data) && (len(data) == 0 || &c.data[0] == &data[0])
}

// Deadline returns the parent's deadline.
func (c *Carrier) Deadline() (time.Time, bool) { return c.parent.Deadline() }

// Done returns the parent's Done channel.
func (c *Carrier) Done() <-chan struct{} { return c.parent.Done() }

// Err returns the parent's error.
func (c *Carrier) Err() error { return c.parent.Err() }

// Value returns the Message for this package's key and asks the parent for
// any other.
func (c *Carrier) Value(key any) any {
	switch key.(type) {
	case ctxKey:
		if c.sqs != nil { // a preset carries no Message of its own
			return c.parent.Value(key)
		}
		return c.message()
	case carrierKey:
		return c
	}
	return c.parent.Value(key)
}

// message returns the Message, reading an own payload's on first use.
func (c *Carrier) message() *Message {
	if m := c.m.Load(); m != nil {
		return m
	}
	// Two first readers may both build the Message; they build the same one,
	// and every reader gets the one stored first.
	m := new(Message)
	own(m, event.Event{Context: c.ec, DataEncoded: c.data})
	if c.attempt != nil {
		m.Attempt = c.attempt(c.parent)
	}
	if !c.m.CompareAndSwap(nil, m) {
		m = c.m.Load()
	}
	return m
}

// String names the context for debugging, as the standard library's do.
func (c *Carrier) String() string { return fmt.Sprintf("%v.WithValue(payload.Message)", c.parent) }
