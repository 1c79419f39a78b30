package azure

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/faasport/faasport/internal/azjson"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
)

// Header names the Functions host sets on every request to a custom handler.
const (
	HeaderInvocationID = "X-Azure-Functions-Invocationid"
	HeaderHostVersion  = "X-Azure-Functions-Hostversion"
)

// Request is the body the Functions host posts to /<FunctionName> for every
// invocation it does not forward as plain HTTP: the values of the trigger and
// input bindings under their names, and the trigger's metadata.
type Request struct {
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

// Response is the body a custom handler answers an invocation with.
type Response struct {
	// Outputs are the values of the output bindings, by name.
	Outputs map[string]any `json:"Outputs"`
	// Logs are written to the function's log by the host.
	Logs []string `json:"Logs"`
	// ReturnValue is the value of the $return output binding.
	ReturnValue any `json:"ReturnValue"`
}

// HTTPResponse is the value of an http output binding in a [Response]: the
// response the host sends to the HTTP trigger's caller.
type HTTPResponse struct {
	StatusCode string            `json:"statusCode"`
	Status     string            `json:"status"`
	Body       string            `json:"body"`
	Headers    map[string]string `json:"headers"`
}

// Native is function.Invocation.Native for every invocation the host posts
// in its Data/Metadata form: the request as the host sent it. A forwarded
// HTTP request's Native is its *http.Request.
type Native struct {
	// Function is the function's name, the request's path.
	Function string
	// Trigger is the trigger binding's type, e.g. "serviceBusTrigger", from
	// function.json, or as recognised from the request's shape.
	Trigger string
	// Binding is the trigger binding's name: its key in Data.
	Binding string
	// Data and Metadata are the request's JSON objects, as sent.
	Data, Metadata json.RawMessage
}

// Value returns the value of the binding name in Data, as sent.
func (n *Native) Value(name string) json.RawMessage {
	o, _ := azjson.ReadObject(nil, n.Data)
	return o.Get(name)
}

// Meta returns the metadata value name, as sent.
func (n *Native) Meta(name string) json.RawMessage {
	o, _ := azjson.ReadObject(nil, n.Metadata)
	return o.Get(name)
}

// codec is the Functions host's protocol as a frontdoor.Codec.
type codec struct {
	cfg *config

	sources   sourceCache
	fnSources sync.Map // function name → event source, for functions with a function.json

	mu  sync.RWMutex
	app *App // nil when no function.json was found
}

func (c *codec) lookup(name string) *Function {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.app == nil {
		return nil
	}
	if f := c.app.Functions[name]; f != nil {
		return f
	}
	for n, f := range c.app.Functions {
		if strings.EqualFold(n, name) {
			return f
		}
	}
	return nil
}

// forwarded reports whether the host forwards fn's HTTP requests as they
// are rather than posting them in the Data/Metadata form.
func (c *codec) forwarded(fn *Function) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.app == nil {
		return false
	}
	ch := c.app.Host.CustomHandler
	return ch != nil && ch.EnableForwardingHTTPRequest && fn.HTTPOnly()
}

// Decode recognises the host's readiness probe and its Data/Metadata
// invocations; everything else (a forwarded HTTP request) falls through.
func (c *codec) Decode(r *http.Request, body []byte) (*frontdoor.Delivery, error) {
	if isProbe(r) {
		return &frontdoor.Delivery{Native: probe{}}, nil
	}
	if r.Method != http.MethodPost {
		return nil, nil
	}
	name := strings.Trim(r.URL.Path, "/")
	if name == "" || strings.Contains(name, "/") {
		return nil, nil
	}
	fn := c.lookup(name)
	if (fn == nil || c.forwarded(fn)) && !looksLikeInvocation(body) {
		return nil, nil
	}
	inv := invocations.Get().(*invocation)
	defer inv.release()
	if !readInvocation(body, inv) {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, malformed("the invocation of function %q is not JSON: %v; the Functions host posts {\"Data\":{…},\"Metadata\":{…}}", name, err)
		}
		return nil, malformed("the invocation of function %q is not a JSON object; the Functions host posts {\"Data\":{…},\"Metadata\":{…}}", name)
	}
	if inv.dataRaw == nil && inv.mdRaw == nil {
		if fn == nil {
			return nil, nil
		}
		return nil, malformed("the invocation of function %q has neither Data nor Metadata; the Functions host posts {\"Data\":{…},\"Metadata\":{…}}", name)
	}
	if !inv.dataObject && inv.dataRaw != nil && string(inv.dataRaw) != "null" {
		return nil, malformed("the Data of the invocation of function %q is not a JSON object", name)
	}
	if !inv.mdObject && inv.mdRaw != nil && string(inv.mdRaw) != "null" {
		return nil, malformed("the Metadata of the invocation of function %q is not a JSON object", name)
	}
	return c.decodeInvocation(r, name, fn, inv)
}

// invocations recycles the invocation readers: nothing decoded keeps one
// (events copy what they need, Native holds the body's own bytes).
var invocations = sync.Pool{New: func() any { return new(invocation) }}

func (inv *invocation) release() {
	*inv = invocation{}
	invocations.Put(inv)
}

// invocation is one Data/Metadata request, read in place.
type invocation struct {
	dataRaw, mdRaw       json.RawMessage
	data, md             azjson.Members
	dataObject, mdObject bool // Data, Metadata are objects
	dataBuf              [2]azjson.Member
	mdBuf                [16]azjson.Member
}

// looksLikeInvocation tells, without decoding, a body that starts as the
// host's invocation object.
func looksLikeInvocation(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	b = bytes.TrimLeft(b[1:], " \t\r\n")
	return bytes.HasPrefix(b, []byte(`"Data"`)) || bytes.HasPrefix(b, []byte(`"Metadata"`))
}

// probe is the Native of the readiness probe's delivery.
type probe struct{}

// isProbe tells the host's readiness probe: a GET of / without an
// invocation id.
func isProbe(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Path == "/" && header(r, HeaderInvocationID) == ""
}

func malformed(format string, args ...any) *frontdoor.Problem {
	return &frontdoor.Problem{
		Type:   "about:blank",
		Title:  http.StatusText(http.StatusBadRequest),
		Status: http.StatusBadRequest,
		Detail: "azure: " + fmt.Sprintf(format, args...),
	}
}

// decoded is what decoding one invocation makes, allocated at once: its
// Native, its delivery, and room for a single event and that event's
// context, what every trigger but the batched ones delivers.
type decoded struct {
	native Native
	dl     frontdoor.Delivery
	ev     [1]event.Event
	ec     eventContext
}

func (c *codec) decodeInvocation(r *http.Request, name string, fn *Function, inv *invocation) (*frontdoor.Delivery, error) {
	kind, key, binding := c.classify(fn, inv)
	held := &decoded{native: Native{Function: name, Trigger: kind, Binding: key, Data: inv.dataRaw, Metadata: inv.mdRaw}}
	d := &held.dl
	d.Native, d.RequestID = &held.native, header(r, HeaderInvocationID)
	m := &mapper{c: c, name: name, binding: binding, md: inv.md, mdRaw: inv.mdRaw, id: d.RequestID, held: held}
	v := inv.data.Get(key)
	var err error
	switch kind {
	case KindHTTP:
		if c.cfg.hasHTTP {
			d.Trigger = function.TriggerHTTP
			d.HTTP, err = m.httpRequest(r, v)
		} else {
			d.Events, err = m.httpEvent(v)
		}
	default:
		d.Events, d.Trigger, err = m.events(kind, v)
	}
	if err != nil {
		return nil, malformed("function %q (%s): %v", name, kind, err)
	}
	d.Attempt = attempt(inv.md)
	return d, nil
}

// attempt reads the delivery attempt: Service Bus DeliveryCount, Queue
// Storage DequeueCount, else the host's retry policy's RetryContext.
func attempt(md azjson.Members) int {
	for _, k := range [...]string{"DeliveryCount", "DequeueCount"} {
		if n, ok := azjson.Int(md.Get(k)); ok && n > 0 {
			return int(n)
		}
	}
	if rc := azjson.Object(md.Get("RetryContext")); rc != nil {
		if n, ok := azjson.Int(rc["RetryCount"]); ok && n >= 0 {
			return int(n) + 1
		}
	}
	return 0
}

// Encode answers the host: the readiness probe with 200; an invocation with
// the Outputs/Logs/ReturnValue response, or with a non-2xx status when the
// handler failed in a way that asks for redelivery, so the trigger's retry
// and poison rules apply.
func (c *codec) Encode(w http.ResponseWriter, r *http.Request, d *frontdoor.Delivery, outs []frontdoor.Outcome) error {
	if _, ok := d.Native.(probe); ok {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ready\n"))
		return nil
	}
	if len(outs) == 1 && outs[0].Verdict.Class == frontdoor.ClassOK && outs[0].Reply == nil && d.HTTP == nil && len(d.Events) == 1 {
		writeBody(w, http.StatusOK, emptyResponse)
		return nil
	}
	native, _ := d.Native.(*Native)
	var fn *Function
	if native != nil {
		fn = c.lookup(native.Function)
	}
	resp := Response{Outputs: map[string]any{}, Logs: []string{}}
	for i := range outs {
		o := &outs[i]
		switch o.Verdict.Class {
		case frontdoor.ClassOK, frontdoor.ClassPermanent:
		default:
			return writeFailure(w, o, &resp)
		}
	}
	if len(outs) < len(d.Events) {
		// A retryable failure stopped the batch; its outcome is the last.
		if len(outs) > 0 {
			return writeFailure(w, &outs[len(outs)-1], &resp)
		}
		return writeJSON(w, http.StatusServiceUnavailable, &resp)
	}
	if d.HTTP != nil || (native != nil && native.Trigger == KindHTTP) {
		c.encodeHTTP(fn, outs, &resp)
		return writeJSON(w, http.StatusOK, &resp)
	}
	var replies []json.RawMessage
	for i := range outs {
		o := &outs[i]
		if o.Verdict.Class == frontdoor.ClassPermanent {
			resp.Logs = append(resp.Logs, fmt.Sprintf("faasport: event %s failed permanently and is acknowledged: %v", eventID(o.Event), o.Err))
			continue
		}
		if o.Reply != nil {
			replies = append(replies, replyValue(o.Reply))
		}
	}
	if len(replies) > 0 {
		var v any = replies[0]
		if len(replies) > 1 {
			v = replies
		}
		if name := c.replyOutput(fn); name != "" && name != "$return" {
			resp.Outputs[name] = v
		} else {
			resp.ReturnValue = v
		}
	}
	return writeJSON(w, http.StatusOK, &resp)
}

// replyOutput names the output binding a reply goes to: WithReplyOutput's,
// else $return when the function has it, else its only output binding that
// is not http; "" means the return value.
func (c *codec) replyOutput(fn *Function) string {
	if c.cfg.replyOutput != "" {
		return c.cfg.replyOutput
	}
	if fn == nil {
		return ""
	}
	var only string
	n := 0
	for _, b := range fn.Outputs() {
		if b.Name == "$return" {
			return "$return"
		}
		if !strings.EqualFold(b.Type, "http") {
			only = b.Name
			n++
		}
	}
	if n == 1 {
		return only
	}
	return ""
}

func (c *codec) encodeHTTP(fn *Function, outs []frontdoor.Outcome, resp *Response) {
	res := HTTPResponse{StatusCode: "204", Status: "204", Headers: map[string]string{}}
	if len(outs) > 0 {
		o := &outs[0]
		switch {
		case o.HTTP != nil:
			status := o.HTTP.Status
			if status == 0 {
				status = http.StatusOK
			}
			res.StatusCode, res.Status = strconv.Itoa(status), strconv.Itoa(status)
			for k, vs := range o.HTTP.Header {
				res.Headers[k] = strings.Join(vs, ", ")
			}
			res.Body = string(o.HTTP.Body)
		case o.Verdict.Class == frontdoor.ClassPermanent:
			res.StatusCode, res.Status = "200", "200"
			resp.Logs = append(resp.Logs, fmt.Sprintf("faasport: request %s failed permanently and is acknowledged: %v", eventID(o.Event), o.Err))
		case o.Reply != nil:
			res.StatusCode, res.Status = "200", "200"
			res.Body = string(o.Reply.Data())
			if ct := o.Reply.DataContentType(); ct != "" {
				res.Headers["Content-Type"] = ct
			}
		}
	}
	name := "res"
	if fn != nil {
		for _, b := range fn.Outputs() {
			if strings.EqualFold(b.Type, "http") {
				name = b.Name
				break
			}
		}
	}
	if name == "$return" {
		resp.ReturnValue = res
		return
	}
	resp.Outputs[name] = res
}

func eventID(e *event.Event) string {
	if e == nil {
		return "(none)"
	}
	return strconv.Quote(e.ID())
}

// writeFailure answers an outcome the trigger should retry: the door's
// status (5xx, 429), its Retry-After, and the error in Logs.
func writeFailure(w http.ResponseWriter, o *frontdoor.Outcome, resp *Response) error {
	status := o.Verdict.Status
	if status < 400 {
		status = http.StatusInternalServerError
	}
	if o.Verdict.Class == frontdoor.ClassPanic {
		resp.Logs = append(resp.Logs, fmt.Sprintf("faasport: event %s: the handler panicked; the trigger will retry it", eventID(o.Event)))
	} else if o.Err != nil {
		resp.Logs = append(resp.Logs, fmt.Sprintf("faasport: event %s failed and will be retried by the trigger: %v", eventID(o.Event), o.Err))
	}
	if o.Verdict.RetryAfter > 0 {
		s := int64((o.Verdict.RetryAfter + 999_999_999) / 1_000_000_000)
		w.Header().Set("Retry-After", strconv.FormatInt(max(s, 1), 10))
	}
	return writeJSON(w, status, resp)
}

// emptyResponse is the answer to an invocation with nothing to output.
var emptyResponse = []byte(`{"Outputs":{},"Logs":[],"ReturnValue":null}`)

func writeJSON(w http.ResponseWriter, status int, resp *Response) error {
	b := emptyResponse
	if len(resp.Outputs) > 0 || len(resp.Logs) > 0 || resp.ReturnValue != nil {
		var err error
		if b, err = json.Marshal(resp); err != nil {
			return fmt.Errorf("azure: encode the response for the host: %w", err)
		}
	}
	writeBody(w, status, b)
	return nil
}

// jsonContentType is the Content-Type of every response payload; net/http
// and the front door only read it.
var jsonContentType = []string{"application/json; charset=utf-8"}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	frontdoor.WriteBody(w, status, jsonContentType, nil, b)
}

// replyValue is a reply event as an output binding's value: its data as
// JSON when it is JSON, else as a string (base64 when it is not text).
func replyValue(e *event.Event) json.RawMessage {
	data := e.Data()
	if len(data) == 0 {
		return json.RawMessage("null")
	}
	if ct := e.DataContentType(); (ct == "" || strings.Contains(ct, "json")) && json.Valid(data) {
		return data
	}
	v, _ := jsonValue(data)
	if json.Valid(data) {
		// JSON data under a non-JSON content type stays text.
		q, _ := json.Marshal(string(data))
		return q
	}
	return v
}

// decodeBase64 decodes the standard encoding, padded or not.
func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return b, nil
}
