package gcf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/cejson"
	"github.com/faasport/faasport/internal/invoke"
)

// PubSubMessagePublished is the CloudEvent type of a Pub/Sub message, the
// type a Pub/Sub push request is delivered as.
const PubSubMessagePublished = "google.cloud.pubsub.topic.v1.messagePublished"

const pubsubSourcePrefix = "//pubsub.googleapis.com/"

// call is the state of one event invocation. It is the request's context
// from ServeHTTP, through the framework's handler, to receive, and the
// http.ResponseWriter the framework writes to, so that a reply event can
// replace the framework's empty 200. One allocation carries all of it.
type call struct {
	context.Context
	w       http.ResponseWriter
	inv     function.Invocation
	reply   *event.Event
	invoked bool // receive ran: the event was decoded
	// structured: the event came in structured mode, so whitespace around
	// its JSON data is the envelope's formatting, not the data.
	structured bool
	wrote      bool
	replied    bool
}

type callKey struct{}

// Value makes the call findable from the context receive is given.
func (c *call) Value(key any) any {
	if key == (callKey{}) {
		return c
	}
	return c.Context.Value(key)
}

func (c *call) Header() http.Header { return c.w.Header() }

// Unwrap gives http.ResponseController the underlying writer.
func (c *call) Unwrap() http.ResponseWriter { return c.w }

func (c *call) WriteHeader(code int) {
	if c.wrote {
		return
	}
	c.wrote = true
	if !c.invoked && code == http.StatusInternalServerError {
		// The SDK answers 500 when it cannot decode a request into an event
		// (malformed JSON, say). The sender's fault: retrying cannot help.
		code = http.StatusBadRequest
	}
	if c.reply != nil && code < 300 {
		c.replied = true
		c.writeReply(code)
		return
	}
	c.w.WriteHeader(code)
}

// writeReply answers with the reply event in the request's mode:
// structured for a structured request, else binary.
func (c *call) writeReply(code int) {
	if c.structured {
		b, err := json.Marshal(c.reply)
		if err != nil {
			c.w.WriteHeader(http.StatusInternalServerError)
			return
		}
		c.w.Header().Set("Content-Type", event.ApplicationCloudEventsJSON+"; charset=utf-8")
		c.w.WriteHeader(code)
		_, _ = c.w.Write(b)
		return
	}
	if c.reply.DataContentType() == "" {
		// No datacontenttype: keep net/http from sniffing one.
		c.w.Header()["Content-Type"] = nil
	}
	if err := cehttp.WriteResponseWriter(context.Background(), (*binding.EventMessage)(c.reply), code, c.w); err != nil {
		c.w.WriteHeader(http.StatusInternalServerError)
	}
}

func (c *call) Write(p []byte) (int, error) {
	if !c.wrote {
		c.WriteHeader(http.StatusOK)
	}
	if c.replied {
		return len(p), nil
	}
	return c.w.Write(p)
}

// serveEvent hands an event request to the framework's CloudEvent handler,
// turning a Pub/Sub push request into a CloudEvent first and checking a
// legacy event enough that the framework's converter cannot trip on it.
func (s *Server) serveEvent(ctx context.Context, w http.ResponseWriter, r *http.Request, body []byte) {
	c := &call{Context: ctx, w: w}
	s.begin(ctx, &c.inv, r)
	req := r.WithContext(c)
	if isCloudEvent(r.Header) {
		c.structured = r.Header.Get("Ce-Id") == ""
		if c.structured {
			// The SDK's JSON reader panics on some malformed events, on a
			// goroutine of the framework's where nothing can recover, which
			// would end the process; read structured bodies safely first.
			if body == nil {
				var err error
				if body, err = readBody(r, s.maxBody); err != nil {
					writeError(w, err)
					return
				}
			}
			if err := checkStructured(r.Header.Get("Content-Type"), body); err != nil {
				writeError(w, err)
				return
			}
			req.Body = newBody(body)
		}
	} else {
		var err error
		if body == nil {
			if body, err = readBody(r, s.maxBody); err != nil {
				writeError(w, err)
				return
			}
		}
		if req, err = convert(c, req, body); err != nil {
			writeError(w, err)
			return
		}
		c.inv.Native = &RawEvent{Request: r, Body: body}
	}
	s.ceServe.ServeHTTP(c, req)
}

// checkStructured reads a structured- or batch-mode body with the guarded
// reader, so malformed events get a 400 instead of reaching the SDK's.
func checkStructured(contentType string, body []byte) error {
	if !strings.Contains(contentType, "cloudevents-batch") {
		var e event.Event
		if err := cejson.Unmarshal(body, &e); err != nil {
			return badRequest("gcf: malformed structured-mode CloudEvent: %v", err)
		}
		return nil
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return badRequest("gcf: malformed CloudEvents batch: %v", err)
	}
	for i, raw := range raws {
		var e event.Event
		if err := cejson.Unmarshal(raw, &e); err != nil {
			return badRequest("gcf: malformed CloudEvent %d of the batch: %v", i, err)
		}
	}
	return nil
}

// receive is the CloudEvent function the framework calls.
func (s *Server) receive(ctx context.Context, e event.Event) error {
	c, ok := ctx.Value(callKey{}).(*call)
	if !ok { // served by the framework handler alone; cannot happen through ServeHTTP
		c = &call{Context: ctx, inv: function.Invocation{Platform: s.platform, FunctionName: s.name}}
	}
	c.invoked = true
	inv := &c.inv
	if inv.RequestID == "" {
		inv.RequestID = e.ID()
	}
	if d, ok := ctx.Deadline(); ok && inv.Deadline.IsZero() {
		inv.Deadline = d
	}
	inv.Trigger = trigger(e.Type())
	if c.structured && !e.DataBase64 {
		// The SDK keeps the JSON value's surrounding whitespace; drop it so
		// the data is the same bytes as in binary mode and over adapters/nethttp.
		e.DataEncoded = bytes.TrimSpace(e.DataEncoded)
	}
	if inv.Attempt == 0 && e.Type() == PubSubMessagePublished {
		inv.Attempt = deliveryAttempt(e.Data())
	}
	ctx = function.NewContext(ctx, inv)

	err := s.lc.Start(ctx)
	if err == nil {
		var reply *event.Event
		if reply, err = invoke.Call(ctx, s.events, e, s.log); err == nil {
			if reply != nil && reply.Validate() != nil {
				return s.nack(ctx, c, e, nil, reply)
			}
			c.reply = reply
			return nil
		}
	}
	return s.nack(ctx, c, e, err, nil)
}

// nack decides the response to a failed invocation: nil (acknowledge) for
// a permanent error, else a Result with the status that has the platform
// redeliver. It is apart from receive to keep receive's stack frame small:
// the framework runs every event on a new goroutine, whose stack would
// otherwise grow on each one.
func (s *Server) nack(ctx context.Context, c *call, e event.Event, err error, badReply *event.Event) error {
	if badReply != nil {
		err = function.Permanent(fmt.Errorf("gcf: reply to event %q is not a valid CloudEvent: %w; set its id, source and type", e.ID(), badReply.Validate()))
	}
	if function.IsPermanent(err) {
		invoke.LogPermanent(ctx, s.log, e, err)
		return nil
	}
	status := function.HTTPStatus(err)
	if errors.Is(err, invoke.ErrPanic) || status < 400 {
		status = http.StatusInternalServerError
	}
	if d, ok := function.RetryDelay(err); ok && c.w != nil {
		c.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	}
	if !errors.Is(err, invoke.ErrPanic) { // invoke.Call logged the panic already
		s.log.ErrorContext(ctx, "event not processed; the platform will redeliver it",
			slog.String("event_id", e.ID()), slog.String("event_type", e.Type()),
			slog.String("event_source", e.Source()), slog.String("error", err.Error()))
	}
	// The body says nothing of the error: it may hold internal detail.
	return cehttp.NewResult(status, "event %q not processed; it will be redelivered", e.ID())
}

// envelope is what the adapter needs to know of a request body that is not
// a CloudEvent: whether it is a legacy event or a Pub/Sub push message.
type envelope struct {
	Message         *pushMessage `json:"message"`
	Subscription    string       `json:"subscription"`
	DeliveryAttempt int          `json:"deliveryAttempt"`
	Data            present      `json:"data"`
	Context         present      `json:"context"`
	EventID         string       `json:"eventId"`
}

type pushMessage struct {
	ID              string `json:"messageId"`
	IDSnake         string `json:"message_id"`
	PublishTime     string `json:"publishTime"`
	PublishTimeSnak string `json:"publish_time"`
}

// present records that a field is there without keeping its value.
type present bool

func (p *present) UnmarshalJSON(b []byte) error {
	*p = string(b) != "null"
	return nil
}

func probe(body []byte) (*envelope, error) {
	var e envelope
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

func (e *envelope) isPush() bool {
	return (e.Message != nil || e.Subscription != "") && !bool(e.Data) && !bool(e.Context)
}

func (e *envelope) isEvent() bool {
	return e.isPush() || (bool(e.Data) && (bool(e.Context) || e.EventID != ""))
}

// convert prepares a request that is not a CloudEvent for the framework's
// handler.
func convert(c *call, r *http.Request, body []byte) (*http.Request, error) {
	env, err := probe(body)
	if err != nil {
		return nil, badRequest("gcf: decode request body as JSON: %v; send a CloudEvent (Ce-* headers, or Content-Type application/cloudevents+json), a legacy event or a Pub/Sub push message", err)
	}
	if env.isPush() {
		return pushRequest(c, r, body, env)
	}
	if err := checkLegacy(body, r.URL.Path); err != nil {
		return nil, err
	}
	// The framework's converter rewrites the headers; keep the caller's.
	r.Header = r.Header.Clone()
	r.Body = newBody(body)
	r.ContentLength = int64(len(body))
	return r, nil
}

// checkLegacy rejects what the framework's legacy-event converter would
// reject with a less helpful message, or trip on.
func checkLegacy(body []byte, path string) error {
	md, data, err := ffGetBackgroundEvent(body, path)
	switch {
	case err != nil:
		return badRequest("gcf: decode legacy event: %v; send a CloudEvent or a legacy event {\"context\":{...},\"data\":...}", err)
	case md == nil || data == nil:
		return badRequest("gcf: request body is neither a CloudEvent, a Pub/Sub push message nor a legacy event (which needs \"data\" and \"context\" with eventId, eventType and resource); send CloudEvents with Ce-* headers or Content-Type application/cloudevents+json")
	case md.EventID == "":
		return badRequest("gcf: legacy event has no context.eventId; the event cannot be identified")
	case md.EventType == "":
		return badRequest("gcf: legacy event %q has no context.eventType", md.EventID)
	case md.Resource == nil:
		return badRequest("gcf: legacy event %q has no context.resource", md.EventID)
	}
	return nil
}

// pushRequest turns a Pub/Sub push request into a binary-mode
// messagePublished CloudEvent whose data is the push body: Eventarc's shape
// for Pub/Sub (message and subscription), plus deliveryAttempt when the
// subscription reports it.
func pushRequest(c *call, r *http.Request, body []byte, env *envelope) (*http.Request, error) {
	m := env.Message
	if m == nil {
		return nil, badRequest("gcf: Pub/Sub push request has no \"message\"")
	}
	id := first(m.ID, m.IDSnake)
	if id == "" {
		return nil, badRequest("gcf: Pub/Sub push message has no messageId")
	}
	// Pub/Sub does not name the topic in a push request; the framework's
	// convention puts it in the push endpoint's path. Else the subscription
	// stands in as the source.
	resource := topicFromPath(r.URL.Path)
	if resource == "" {
		resource = env.Subscription
	}
	if resource == "" {
		return nil, badRequest("gcf: Pub/Sub push message %q names no subscription, and the request path no topic (projects/PROJECT/topics/TOPIC)", id)
	}
	req := r.Clone(r.Context())
	for k := range req.Header {
		if strings.HasPrefix(k, "Ce-") {
			delete(req.Header, k)
		}
	}
	h := req.Header
	h.Set("Ce-Specversion", event.CloudEventsVersionV1)
	h.Set("Ce-Id", id)
	h.Set("Ce-Source", pubsubSourcePrefix+resource)
	h.Set("Ce-Type", PubSubMessagePublished)
	if t := first(m.PublishTime, m.PublishTimeSnak); t != "" {
		h.Set("Ce-Time", t)
	}
	h.Set("Content-Type", event.ApplicationJSON)
	h.Del("Content-Length")
	req.Body = newBody(body)
	req.ContentLength = int64(len(body))
	c.inv.Attempt = env.DeliveryAttempt
	return req, nil
}

// topicFromPath finds projects/P/topics/T in a push endpoint's path.
func topicFromPath(path string) string {
	i := strings.Index(path, "projects/")
	if i < 0 {
		return ""
	}
	parts := strings.SplitN(path[i:], "/", 5)
	if len(parts) < 4 || parts[1] == "" || parts[2] != "topics" || parts[3] == "" {
		return ""
	}
	topic, _, _ := strings.Cut(parts[3], "?")
	return "projects/" + parts[1] + "/topics/" + topic
}

// trigger classes a Google event type by the OpenTelemetry faas.trigger
// convention.
func trigger(eventType string) function.Trigger {
	switch {
	case strings.HasPrefix(eventType, "google.cloud.pubsub."):
		return function.TriggerPubSub
	case strings.HasPrefix(eventType, "google.cloud.scheduler."):
		return function.TriggerTimer
	case strings.HasPrefix(eventType, "google.cloud.storage."),
		strings.HasPrefix(eventType, "google.cloud.firestore."),
		strings.HasPrefix(eventType, "google.cloud.datastore."),
		strings.HasPrefix(eventType, "google.firebase.database."):
		return function.TriggerDatasource
	}
	return function.TriggerOther
}

// deliveryAttempt reads a Pub/Sub deliveryAttempt from event data; 0 when
// there is none.
func deliveryAttempt(data []byte) int {
	if !bytes.Contains(data, []byte(`"deliveryAttempt"`)) {
		return 0
	}
	var v struct {
		DeliveryAttempt int `json:"deliveryAttempt"`
	}
	if json.Unmarshal(data, &v) != nil {
		return 0
	}
	return v.DeliveryAttempt
}

// requestError is a request the adapter refuses, with the status to answer.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	var re *requestError
	if errors.As(err, &re) {
		status = re.status
	}
	http.Error(w, err.Error(), status)
}

func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, &requestError{status: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("gcf: request body exceeds %d bytes; send less, or raise gcf.WithMaxBodyBytes", limit)}
	case err != nil:
		return nil, badRequest("gcf: read request body: %v", err)
	}
	return b, nil
}

func newBody(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
