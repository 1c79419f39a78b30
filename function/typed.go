package function

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/payload"
)

// Decoder decodes event data of the given datacontenttype into v, a
// non-nil pointer. Return an error wrapping [ErrUnsupportedContentType] for
// a content type the decoder does not handle.
type Decoder func(contentType string, data []byte, v any) error

// ErrUnsupportedContentType is returned (wrapped) when event data has a
// datacontenttype no decoder handles.
var ErrUnsupportedContentType = errors.New("unsupported datacontenttype")

// TypedOption configures [Typed] and [Consume].
type TypedOption func(*typedOptions)

type typedOptions struct {
	decode      Decoder // nil: the default, [DecodeData]
	target      target  // what the input is, for the default decoder
	replyType   string
	replySource string
}

// target is the kind of a typed handler's input, as [DecodeData] treats
// it, found once when the handler is built.
type target uint8

const (
	targetValue  target = iota // decoded from JSON or XML
	targetRaw                  // []byte or json.RawMessage: the data as is
	targetString               // text, or a JSON string
)

func targetOf[In any]() target {
	switch any((*In)(nil)).(type) {
	case *[]byte, *json.RawMessage:
		return targetRaw
	case *string:
		return targetString
	}
	return targetValue
}

// WithDecoder replaces the default decoder (JSON for an empty or JSON
// datacontenttype, XML for XML, the raw bytes for []byte and text for
// string inputs).
func WithDecoder(d Decoder) TypedOption { return func(o *typedOptions) { o.decode = d } }

// WithReplyType sets the type of reply events. The default is the incoming
// event's type with ".reply" appended.
func WithReplyType(t string) TypedOption { return func(o *typedOptions) { o.replyType = t } }

// WithReplySource sets the source of reply events. The default is the
// incoming event's source.
func WithReplySource(s string) TypedOption { return func(o *typedOptions) { o.replySource = s } }

// Typed builds a Handler from a function of typed input and output. The
// input is the event's payload — what the producer sent: an SQS body, an SNS
// message, a Pub/Sub message's data, an EventBridge detail, a Kafka or
// Kinesis record's value, else the event's own data (see
// [payload.Of]) — decoded once into In by its content type. The
// [payload.Message] with the payload's metadata (id, attributes, ordering
// key, attempt, trace context) is in f's context: read it with
// [payload.FromContext]. An envelope that cannot be read or a payload that
// cannot be decoded is a permanent [*DecodeError] and f is not called.
//
// The result is sent back as a reply event: JSON, or the raw bytes for
// []byte and text for string. Adapters give a synchronous caller the reply
// in the shape it called with: its data alone (plain JSON) to a caller that
// did not send a CloudEvent, the event to one that did. So a trigger that
// must answer with the event it was given, modified (Cognito, Lex, Connect),
// declares that event type as both In and Out. The reply's id is derived
// from the incoming event's id, so a redelivered event gets a reply with
// the same id.
func Typed[In, Out any](f func(ctx context.Context, in In) (Out, error), opts ...TypedOption) Handler {
	o := newTypedOptions[In](opts)
	return HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		c := new(call[In])
		if err := decodeInto(ctx, o, e, c); err != nil {
			return nil, err
		}
		out, err := f(&c.Carrier, c.in)
		if err != nil {
			return nil, err
		}
		return o.reply(e, out)
	})
}

// Consume builds a Handler from a function that takes typed input and sends
// no reply. Decoding works as in [Typed]: In is the payload, and the
// [payload.Message] is in f's context.
func Consume[In any](f func(ctx context.Context, in In) error, opts ...TypedOption) Handler {
	o := newTypedOptions[In](opts)
	return HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		c := new(call[In])
		if err := decodeInto(ctx, o, e, c); err != nil {
			return nil, err
		}
		return nil, f(&c.Carrier, c.in)
	})
}

func newTypedOptions[In any](opts []TypedOption) *typedOptions {
	o := &typedOptions{target: targetOf[In]()}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// call is one typed call: the context that carries the payload's Message
// and the decoded input, in one allocation.
type call[In any] struct {
	payload.Carrier
	in In
}

// decodeInto reads e's payload, binds c's context to ctx and the payload's
// Message, and decodes the payload into c's input. It is generic, not a
// method, so the hot path makes no dynamic calls to reach c's parts, and
// with the default decoder none to decode.
func decodeInto[In any](ctx context.Context, o *typedOptions, e event.Event, c *call[In]) error {
	data, ct, err := c.Bind(ctx, e, AttemptFromContext)
	if err != nil {
		return o.decodeError(e, e.DataContentType(), &c.in, err)
	}
	if o.decode != nil {
		err = o.decode(ct, data, &c.in)
	} else {
		err = decodeDefault(o.target, ct, data, &c.in)
	}
	if err != nil {
		return o.decodeError(e, ct, &c.in, err)
	}
	return nil
}

// decodeDefault is [DecodeData] for an input of kind t, straight to JSON
// for the common case: a value with JSON data.
func decodeDefault(t target, contentType string, data []byte, v any) error {
	if t == targetValue && isJSON(contentType) {
		if len(data) == 0 {
			return nil
		}
		return json.Unmarshal(data, v)
	}
	return DecodeData(contentType, data, v)
}

// isJSON reports whether a content type is empty or JSON, as [DecodeData]
// decides, without parsing the types producers send most.
func isJSON(ct string) bool {
	switch ct {
	case "", "application/json", "application/json; charset=utf-8":
		return true
	}
	media := mediaType(ct)
	return media == "" || media == "application/json" || media == "text/json" || strings.HasSuffix(media, "+json")
}

func (o *typedOptions) decodeError(e event.Event, ct string, v any, err error) error {
	de := &DecodeError{
		EventID:     e.ID(),
		EventType:   e.Type(),
		ContentType: ct,
		Target:      reflect.TypeOf(v).Elem().String(),
		Err:         err,
	}
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute):
		de.Field = ute.Field
	case errors.As(err, &se):
		de.Field = fmt.Sprintf("byte offset %d", se.Offset)
	}
	return de
}

func (o *typedOptions) reply(in event.Event, out any) (*event.Event, error) {
	r := event.New()
	r.SetID(in.ID() + ".reply")
	r.SetSource(in.Source())
	if o.replySource != "" {
		r.SetSource(o.replySource)
	}
	r.SetType(in.Type() + ".reply")
	if o.replyType != "" {
		r.SetType(o.replyType)
	}
	if in.Subject() != "" {
		r.SetSubject(in.Subject())
	}
	var err error
	switch v := out.(type) {
	case []byte:
		err = r.SetData("application/octet-stream", v)
	case string:
		err = r.SetData("text/plain; charset=utf-8", []byte(v))
	default:
		var b []byte
		if b, err = json.Marshal(v); err == nil {
			err = r.SetData(event.ApplicationJSON, b)
		}
	}
	if err != nil {
		return nil, Permanent(fmt.Errorf("function: encode reply to event %q as %T: %w", in.ID(), out, err))
	}
	return &r, nil
}

// DecodeData is the default [Decoder]: []byte targets get the raw data,
// string targets get text (also from a payload sniffed as bytes), and other
// targets are decoded from JSON (an empty or JSON datacontenttype) or XML.
// Empty data leaves v unchanged.
func DecodeData(contentType string, data []byte, v any) error {
	switch p := v.(type) {
	case *[]byte:
		*p = data
		return nil
	case *json.RawMessage:
		*p = data
		return nil
	}
	media := mediaType(contentType)
	switch {
	case isJSON(media):
		if p, ok := v.(*string); ok && !looksLikeJSONString(data) {
			*p = string(data)
			return nil
		}
		if len(data) == 0 {
			return nil
		}
		return json.Unmarshal(data, v)
	case media == "application/xml" || media == "text/xml" || strings.HasSuffix(media, "+xml"):
		if len(data) == 0 {
			return nil
		}
		return xml.Unmarshal(data, v)
	case strings.HasPrefix(media, "text/") || media == "application/octet-stream":
		if p, ok := v.(*string); ok {
			*p = string(data)
			return nil
		}
	}
	return fmt.Errorf("%w %q for %T; use []byte, or a custom decoder (function.WithDecoder)", ErrUnsupportedContentType, contentType, v)
}

func looksLikeJSONString(data []byte) bool {
	return len(data) > 0 && data[0] == '"'
}

// mediaType returns the lower-case media type of a content type, without
// parameters. It only picks a decoder, so it need not validate, and it
// allocates only for an upper-case type.
func mediaType(ct string) string {
	m, _, _ := strings.Cut(ct, ";")
	m = strings.TrimSpace(m)
	for i := 0; i < len(m); i++ {
		if 'A' <= m[i] && m[i] <= 'Z' {
			return strings.ToLower(m)
		}
	}
	return m
}
