package frontdoor

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// Profile is what a platform adapter supplies: everything that differs
// between HTTP platforms. The door keeps the rest — limits, deadlines,
// panics, drain and the answer table — the same for all. Every field but
// Name and Platform may be left zero.
type Profile struct {
	// Name is the adapter's package name ("nethttp", "gcf", "azure"); it
	// prefixes errors and names the options in messages
	// ("raise gcf.WithMaxBodyBytes").
	Name string
	// Platform is function.Invocation.Platform, unless Environment says
	// otherwise.
	Platform function.Platform
	// Environment reads the platform's environment, once, in New, with
	// the Getenv of the Settings. An error fails New.
	Environment func(getenv func(string) string) (Env, error)
	// Metadata fills in what the platform says of an invocation in its
	// request (request id, trace header, delivery attempt) after the door
	// has set Platform, FunctionName, Deadline, ColdStart, Trigger and
	// Native. Nil: X-Request-Id (else the event id) and traceparent.
	Metadata func(r *http.Request, inv *function.Invocation)
	// Formats are the formats recognised unless the user's WithFormats
	// says otherwise. Zero: [FormatsAll].
	Formats Formats
	// SniffWithHTTP lets the door read the body of a JSON POST to tell a
	// wrapped Pub/Sub push or a legacy event from a plain request even when
	// an HTTP handler is served too. Without it, those body-sniffed formats
	// are recognised only by a server with no HTTP handler, where nothing
	// can be confused. Cloud Functions sets it: its Pub/Sub and legacy
	// triggers post exactly such bodies to the function's one URL.
	SniffWithHTTP bool
	// NoContentStatus answers a success without a reply: 0 means 204 No
	// Content; Cloud Functions uses 200, what the Functions Framework
	// answers and its tools expect. Both acknowledge.
	NoContentStatus int
	// MaxBodyBytes is the platform's default body limit; zero:
	// [DefaultMaxBodyBytes].
	MaxBodyBytes int64
	// Logger builds the default logger when the user gives none; nil:
	// slog.Default.
	Logger func() *slog.Logger
	// Codec, if set, owns the platform's own envelope protocol (Azure
	// Functions custom handlers' Data/Metadata requests). It is tried
	// before the standard formats.
	Codec Codec
}

// Env is what a platform's environment says.
type Env struct {
	// Platform overrides Profile.Platform when set (Cloud Run vs Cloud
	// Functions).
	Platform function.Platform
	// FunctionName is function.Invocation.FunctionName unless the user set
	// one.
	FunctionName string
	// Timeout is the platform's invocation deadline; it wins over the
	// user's WithTimeout, since the platform ends the request then anyway.
	Timeout time.Duration
}

// Codec is a platform's own request and response envelope. The door reads
// the body (within its limit and read deadline), calls Decode, runs the
// handler on what Decode found under the door's deadline, panic and drain
// rules, judges every outcome with [Judge] and calls Encode to write the
// answer.
type Codec interface {
	// Decode reads one request whose whole body is body (at most the
	// body limit; never read r.Body). It returns nil, nil for a request
	// that is not in the platform's protocol: the door then serves it with
	// the standard formats and the HTTP handler, body intact. An error
	// answers 400, or the status of a [*Problem].
	Decode(r *http.Request, body []byte) (*Delivery, error)
	// Encode writes the answer to a delivery Decode returned. outs holds
	// one Outcome per event, in order, each judged; it is shorter than
	// d.Events when a retryable failure stopped the batch. For a Delivery
	// with HTTP set, outs has one Outcome whose HTTP holds the handler's
	// response. A returned error, before anything was written, answers 500.
	// [WriteBody] writes a whole answer at the least cost.
	Encode(w http.ResponseWriter, r *http.Request, d *Delivery, outs []Outcome) error
}

// Delivery is what one request carries for the handlers, as a [Codec]
// decoded it.
type Delivery struct {
	// Events go to the event handler, one at a time, in order.
	Events []event.Event
	// HTTP, if set instead of Events, is served by the HTTP handler, its
	// response recorded for Encode (an Azure HTTP trigger without request
	// forwarding). Its body must already be bounded.
	HTTP *http.Request
	// Native is function.Invocation.Native; nil: the *http.Request.
	Native any
	// RequestID is function.Invocation.RequestID; "": the Profile's Metadata.
	RequestID string
	// Trigger is function.Invocation.Trigger; "": from the event type.
	Trigger function.Trigger
	// Attempt is function.Invocation.Attempt; 0: not known.
	Attempt int
}

// Outcome is what one event's handler call came to.
type Outcome struct {
	// Event is the event the handler was given.
	Event *event.Event
	// Reply is the handler's reply, nil if none (or if it failed).
	Reply *event.Event
	// Err is the handler's error; a panic is an error wrapping
	// invoke.ErrPanic, a failed start hook one wrapping ErrStart.
	Err error
	// Verdict is the answer [Judge] gives Err.
	Verdict Verdict
	// HTTP is the recorded response of the HTTP handler, for a
	// Delivery with HTTP set.
	HTTP *Recorded
}

// Recorded is an HTTP handler's response, recorded for a [Codec].
type Recorded struct {
	Status int
	Header http.Header
	Body   []byte
}

// Formats is a set of request formats the door recognises.
type Formats uint32

// The request formats. Header-identified formats cannot be confused with
// plain HTTP; body-identified ones (FormatPubSubPush, FormatLegacy) are
// only tried where nothing can be confused (see Profile.SniffWithHTTP).
const (
	// FormatCloudEvents: the CloudEvents HTTP binding, binary, structured
	// and batch modes.
	FormatCloudEvents Formats = 1 << iota
	// FormatWebhook: the CloudEvents webhook validation handshake (OPTIONS
	// with WebHook-Request-Origin).
	FormatWebhook
	// FormatPubSubPush: a wrapped Pub/Sub push body
	// ({"message":{…},"subscription":"…"}). Body-identified.
	FormatPubSubPush
	// FormatPubSubUnwrapped: an unwrapped Pub/Sub push with metadata
	// headers (x-goog-pubsub-message-id and friends).
	FormatPubSubUnwrapped
	// FormatScheduler: a Cloud Scheduler HTTP target (X-CloudScheduler
	// headers).
	FormatScheduler
	// FormatLegacy: a Functions Framework legacy background event.
	// Body-identified.
	FormatLegacy
	// FormatPlain: any other request to a server with no HTTP handler
	// becomes a com.github.faasport.http.request event.
	FormatPlain

	// FormatsAll is every format.
	FormatsAll = FormatCloudEvents | FormatWebhook | FormatPubSubPush | FormatPubSubUnwrapped |
		FormatScheduler | FormatLegacy | FormatPlain
)

// Mode is how a request carried its events, and so how a reply goes back.
type Mode uint8

// The modes.
const (
	// ModeNone: the request carries no CloudEvent. A reply is written as
	// its data alone, with its datacontenttype.
	ModeNone Mode = iota
	// ModeBinary: attributes in ce-* headers, data in the body.
	ModeBinary
	// ModeStructured: one event as application/cloudevents+json.
	ModeStructured
	// ModeBatch: a JSON array of events as application/cloudevents-batch+json.
	ModeBatch
)

// String names the mode.
func (m Mode) String() string {
	switch m {
	case ModeBinary:
		return "binary"
	case ModeStructured:
		return "structured"
	case ModeBatch:
		return "batch"
	default:
		return "none"
	}
}

// Event types the door gives requests that are not CloudEvents.
const (
	// TypeHTTPRequest is the type of the event a plain HTTP request
	// becomes when only an event handler is served (FormatPlain).
	TypeHTTPRequest = "com.github.faasport.http.request"
	// TypePubSubMessagePublished is the type of a Pub/Sub push request.
	TypePubSubMessagePublished = "google.cloud.pubsub.topic.v1.messagePublished"
	// TypeSchedulerJobExecuted is the type of a Cloud Scheduler HTTP
	// target's request.
	TypeSchedulerJobExecuted = "google.cloud.scheduler.job.v1.executed"
)
