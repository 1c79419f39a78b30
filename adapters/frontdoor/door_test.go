package frontdoor_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
)

func serve(h http.Handler, method, path string, headers map[string]string, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestFormats sends every push format to a door with only an event
// handler and checks the event the handler gets and the answer the sender
// gets: a CloudEvent back only to a sender of one, in its mode.
func TestFormats(t *testing.T) {
	push := `{"message":{"data":"eyJpZCI6Im8tMSJ9","attributes":{"k":"v"},"messageId":"m-1","message_id":"m-1","publishTime":"2026-01-02T03:04:05.678Z","publish_time":"2026-01-02T03:04:05.678Z"},"subscription":"projects/p/subscriptions/s","deliveryAttempt":3}`
	legacy := `{"context":{"eventId":"1215011316659232","timestamp":"2020-05-18T12:13:19.209Z","eventType":"google.storage.object.finalize","resource":{"service":"storage.googleapis.com","name":"projects/_/buckets/b/objects/o.txt","type":"storage#object"}},"data":{"bucket":"b","name":"o.txt"}}`
	tests := []struct {
		name     string
		method   string
		path     string
		headers  map[string]string
		body     string
		status   int
		respCT   string // Content-Type of the answer
		respBody string // answer body, if checked
		check    func(t *testing.T, e event.Event, inv function.Invocation)
	}{
		{
			name: "binary CloudEvent, reply in binary mode", headers: binaryHeaders("test.reply"), body: `{"id":"o-1"}`,
			status: 200, respCT: "text/plain", respBody: `reply:{"id":"o-1"}`,
			check: func(t *testing.T, e event.Event, inv function.Invocation) {
				assert.Equal(t, "evt-1", e.ID())
				assert.Equal(t, function.TriggerPubSub, inv.Trigger)
			},
		},
		{
			name: "structured CloudEvent, reply in structured mode", headers: map[string]string{"Content-Type": frontdoor.MediaTypeStructured},
			body:   `{"specversion":"1.0","id":"s-1","source":"/s","type":"test.reply","datacontenttype":"text/plain","data":"hi"}`,
			status: 200, respCT: frontdoor.MediaTypeStructured + "; charset=utf-8",
		},
		{
			name: "wrapped Pub/Sub push", path: "/", headers: map[string]string{"Content-Type": "application/json"}, body: push,
			status: 200, respCT: "application/json", respBody: `{"got":"google.cloud.pubsub.topic.v1.messagePublished"}`,
			check: func(t *testing.T, e event.Event, inv function.Invocation) {
				assert.Equal(t, "m-1", e.ID())
				assert.Equal(t, frontdoor.TypePubSubMessagePublished, e.Type())
				assert.Equal(t, "//pubsub.googleapis.com/projects/p/subscriptions/s", e.Source())
				assert.Equal(t, "2026-01-02T03:04:05.678Z", e.Time().UTC().Format("2006-01-02T15:04:05.000Z"))
				assert.JSONEq(t, push, string(e.Data()), "data is the push body")
				assert.Equal(t, 3, inv.Attempt)
				raw, ok := inv.Native.(*frontdoor.Raw)
				require.True(t, ok, "%T", inv.Native)
				assert.Equal(t, push, string(raw.Body))
			},
		},
		{
			name: "wrapped Pub/Sub push, topic in the path", path: "/projects/p/topics/t", headers: map[string]string{"Content-Type": "application/json"}, body: push,
			status: 200,
			check: func(t *testing.T, e event.Event, _ function.Invocation) {
				assert.Equal(t, "//pubsub.googleapis.com/projects/p/topics/t", e.Source())
			},
		},
		{
			name: "unwrapped Pub/Sub push with metadata headers",
			headers: map[string]string{
				"Content-Type":                    "application/json",
				"X-Goog-Pubsub-Message-Id":        "m-2",
				"X-Goog-Pubsub-Subscription-Name": "projects/p/subscriptions/s",
				"X-Goog-Pubsub-Publish-Time":      "2026-01-02T03:04:05Z",
				"X-Goog-Pubsub-Ordering-Key":      "k-1",
			},
			body: `{"id":"o-2"}`, status: 200,
			check: func(t *testing.T, e event.Event, _ function.Invocation) {
				assert.Equal(t, "m-2", e.ID())
				assert.Equal(t, frontdoor.TypePubSubMessagePublished, e.Type())
				var push struct {
					Message struct {
						Data        []byte            `json:"data"`
						ID          string            `json:"messageId"`
						OrderingKey string            `json:"orderingKey"`
						Attributes  map[string]string `json:"attributes"`
					} `json:"message"`
					Subscription string `json:"subscription"`
				}
				require.NoError(t, json.Unmarshal(e.Data(), &push))
				assert.Equal(t, `{"id":"o-2"}`, string(push.Message.Data))
				assert.Equal(t, "m-2", push.Message.ID)
				assert.Equal(t, "k-1", push.Message.OrderingKey)
				assert.Equal(t, "projects/p/subscriptions/s", push.Subscription)
			},
		},
		{
			name: "Cloud Scheduler HTTP target",
			headers: map[string]string{
				"Content-Type":                  "application/json",
				"X-Cloudscheduler":              "true",
				"X-Cloudscheduler-Jobname":      "nightly",
				"X-Cloudscheduler-Scheduletime": "2026-01-02T00:00:00Z",
			},
			body: `{"run":"all"}`, status: 200,
			check: func(t *testing.T, e event.Event, inv function.Invocation) {
				assert.Equal(t, frontdoor.TypeSchedulerJobExecuted, e.Type())
				assert.Equal(t, "nightly", e.Subject())
				assert.Equal(t, "nightly/2026-01-02T00:00:00Z", e.ID())
				assert.Equal(t, `{"run":"all"}`, string(e.Data()))
				assert.Equal(t, function.TriggerTimer, inv.Trigger)
			},
		},
		{
			name: "legacy background event", headers: map[string]string{"Content-Type": "application/json"}, body: legacy, status: 200,
			check: func(t *testing.T, e event.Event, inv function.Invocation) {
				assert.Equal(t, "1215011316659232", e.ID())
				assert.Equal(t, "google.cloud.storage.object.v1.finalized", e.Type())
				assert.Equal(t, "//storage.googleapis.com/projects/_/buckets/b", e.Source())
				assert.Equal(t, "objects/o.txt", e.Subject())
				assert.JSONEq(t, `{"bucket":"b","name":"o.txt"}`, string(e.Data()))
				assert.Equal(t, function.TriggerDatasource, inv.Trigger)
			},
		},
		{
			name: "plain JSON request: the reply's data comes back, no CloudEvent", path: "/orders",
			headers: map[string]string{"Content-Type": "application/json", "X-Request-Id": "req-9"}, body: `{"id":"o-3"}`,
			status: 200, respCT: "application/json", respBody: `{"got":"com.github.faasport.http.request"}`,
			check: func(t *testing.T, e event.Event, inv function.Invocation) {
				assert.Equal(t, "req-9", e.ID())
				assert.Equal(t, "/orders", e.Source())
				assert.Equal(t, "application/json", e.DataContentType())
				assert.Equal(t, `{"id":"o-3"}`, string(e.Data()))
				assert.Equal(t, function.TriggerHTTP, inv.Trigger)
				assert.Equal(t, "req-9", inv.RequestID)
			},
		},
		{
			name: "plain GET without body", method: http.MethodGet, path: "/health", status: 200,
			check: func(t *testing.T, e event.Event, _ function.Invocation) {
				assert.Empty(t, e.Data())
				assert.NotEmpty(t, e.ID())
			},
		},
		{
			name: "legacy event of an unknown type is refused", headers: map[string]string{"Content-Type": "application/json"},
			body:   strings.Replace(legacy, "google.storage.object.finalize", "google.storage.object.vanish", 1),
			status: 400, respBody: "no CloudEvent equivalent",
		},
		{
			name: "wrapped push without messageId is refused", headers: map[string]string{"Content-Type": "application/json"},
			body: `{"message":{"data":"AA=="},"subscription":"projects/p/subscriptions/s"}`, status: 400, respBody: "no messageId",
		},
		{
			name: "scheduler request without a job name is refused", headers: map[string]string{"X-Cloudscheduler": "true"},
			status: 400, respBody: "JobName",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSeen()
			d := newDoor(t, testProfile(), frontdoor.Events(s.handler()))
			method, path := tc.method, tc.path
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/"
			}
			w := serve(d, method, path, tc.headers, tc.body)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			if tc.respCT != "" {
				assert.Equal(t, tc.respCT, w.Header().Get("Content-Type"))
			}
			if tc.respBody != "" {
				assert.Contains(t, w.Body.String(), tc.respBody)
			}
			assert.False(t, w.Header().Get("Ce-Id") != "" && tc.headers["Ce-Id"] == "", "a CloudEvent only to a sender of one")
			if tc.check != nil {
				require.Len(t, s.events, 1)
				tc.check(t, <-s.events, <-s.invs)
			}
		})
	}
}

// TestWebhookHandshake answers the CloudEvents webhook validation.
func TestWebhookHandshake(t *testing.T) {
	d := newDoor(t, testProfile(), frontdoor.Events(newSeen().handler()))
	w := serve(d, http.MethodOptions, "/", map[string]string{"WebHook-Request-Origin": "eventemitter.example.com", "WebHook-Request-Rate": "120"}, "")
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "eventemitter.example.com", w.Header().Get("WebHook-Allowed-Origin"))
	assert.Equal(t, "*", w.Header().Get("WebHook-Allowed-Rate"))
}

// TestBodyFormatsNeedNoHTTPHandler: with an HTTP handler, a JSON POST that
// looks like a push body stays plain HTTP unless the profile sniffs.
func TestBodyFormatsNeedNoHTTPHandler(t *testing.T) {
	push := `{"message":{"data":"AA==","messageId":"m-1"},"subscription":"projects/p/subscriptions/s"}`
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(append([]byte("web:"), b...))
	})
	for _, tc := range []struct {
		name  string
		sniff bool
		want  string
	}{
		{"without SniffWithHTTP the HTTP handler gets it", false, "web:" + push},
		{"with SniffWithHTTP the event handler gets it", true, `{"got":"google.cloud.pubsub.topic.v1.messagePublished"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testProfile()
			p.SniffWithHTTP = tc.sniff
			d := newDoor(t, p, frontdoor.Events(newSeen().handler()), frontdoor.HTTP(web))
			w := serve(d, http.MethodPost, "/", map[string]string{"Content-Type": "application/json"}, push)
			assert.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, tc.want, w.Body.String())
			// A plain request with a body goes to the HTTP handler, body intact.
			w = serve(d, http.MethodPost, "/", map[string]string{"Content-Type": "application/json"}, `{"a":1}`)
			assert.Equal(t, `web:{"a":1}`, w.Body.String())
		})
	}
}

// TestAnswerTable runs every outcome through the door.
func TestAnswerTable(t *testing.T) {
	tests := []struct {
		typ        string
		opts       []frontdoor.Option
		status     int
		retryAfter string
		redeliver  bool
	}{
		{typ: "test.ok", status: 204},
		{typ: "test.reply", status: 200},
		{typ: "test.permanent", status: 200},
		{typ: "test.decode", status: 200},
		{typ: "test.permanent", opts: []frontdoor.Option{frontdoor.WithPermanentStatus(422)}, status: 422, redeliver: true},
		{typ: "test.decode", opts: []frontdoor.Option{frontdoor.WithPermanentStatus(422)}, status: 400, redeliver: true},
		{typ: "test.retry", status: 503, redeliver: true},
		{typ: "test.retryafter", status: 503, retryAfter: "2", redeliver: true},
		{typ: "test.panic", status: 500, redeliver: true},
		{typ: "test.slow", opts: []frontdoor.Option{frontdoor.WithTimeout(10 * time.Millisecond)}, status: 504, redeliver: true},
	}
	for _, tc := range tests {
		t.Run(tc.typ+"/"+http.StatusText(tc.status), func(t *testing.T) {
			d := newDoor(t, testProfile(), append(tc.opts, frontdoor.Events((*seen)(nil).handler()))...)
			w := serve(d, http.MethodPost, "/", binaryHeaders(tc.typ), `{}`)
			assert.Equal(t, tc.status, w.Code, w.Body.String())
			assert.Equal(t, tc.retryAfter, w.Header().Get("Retry-After"))
			assert.Equal(t, tc.redeliver, frontdoor.Redelivered(w.Code))
			assert.NotContains(t, w.Body.String(), "boom", "no panic detail")
		})
	}
}

func TestJudge(t *testing.T) {
	tests := []struct {
		name string
		err  error
		perm int
		want frontdoor.Verdict
	}{
		{"nil", nil, 0, frontdoor.Verdict{Class: frontdoor.ClassOK, Status: 200}},
		{"permanent", function.Permanent(errors.New("x")), 0, frontdoor.Verdict{Class: frontdoor.ClassPermanent, Status: 200}},
		{"permanent, sync caller", function.Permanent(errors.New("x")), 422, frontdoor.Verdict{Class: frontdoor.ClassPermanent, Status: 422}},
		{"4xx status, sync caller", function.WithStatus(404, errors.New("x")), 422, frontdoor.Verdict{Class: frontdoor.ClassPermanent, Status: 404}},
		{"4xx status", function.WithStatus(404, errors.New("x")), 0, frontdoor.Verdict{Class: frontdoor.ClassPermanent, Status: 200}},
		{"429", function.WithStatus(429, errors.New("x")), 0, frontdoor.Verdict{Class: frontdoor.ClassRetryable, Status: 429}},
		{"retry after", function.RetryAfter(errors.New("x"), time.Second), 0, frontdoor.Verdict{Class: frontdoor.ClassRetryable, Status: 503, RetryAfter: time.Second}},
		{"deadline", context.DeadlineExceeded, 0, frontdoor.Verdict{Class: frontdoor.ClassRetryable, Status: 504}},
		{"start hook", frontdoor.ErrStart, 0, frontdoor.Verdict{Class: frontdoor.ClassRetryable, Status: 503, RetryAfter: time.Second}},
		{"502", function.WithStatus(502, errors.New("x")), 0, frontdoor.Verdict{Class: frontdoor.ClassRetryable, Status: 502}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, frontdoor.Judge(tc.err, tc.perm))
		})
	}
}

// TestStartHookFailure answers 503 and runs the hook again next time.
func TestStartHookFailure(t *testing.T) {
	h := &startOnce{Handler: (*seen)(nil).handler()}
	d := newDoor(t, testProfile(), frontdoor.Events(h))
	w := serve(d, http.MethodPost, "/", binaryHeaders("test.ok"), `{}`)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
	w = serve(d, http.MethodPost, "/", binaryHeaders("test.ok"), `{}`)
	assert.Equal(t, http.StatusNoContent, w.Code)
}

type startOnce struct {
	function.Handler
	calls int
}

func (s *startOnce) Start(context.Context) error {
	s.calls++
	if s.calls == 1 {
		return errors.New("config not there yet")
	}
	return nil
}

// TestColdStartAndAttempt: the first invocation only is a cold start.
func TestColdStartAndAttempt(t *testing.T) {
	s := newSeen()
	d := newDoor(t, testProfile(), frontdoor.Events(s.handler()))
	for i, want := range []bool{true, false} {
		w := serve(d, http.MethodPost, "/", binaryHeaders("test.ok"), `{}`)
		require.Equal(t, 204, w.Code)
		<-s.events
		inv := <-s.invs
		assert.Equal(t, want, inv.ColdStart, "invocation %d", i)
		assert.Equal(t, function.PlatformHTTP, inv.Platform)
	}
}

// TestCodec serves an Azure-like envelope through a profile's Codec: the
// door runs the handler, judges, and the codec writes the answer.
func TestCodec(t *testing.T) {
	p := testProfile()
	p.Codec = envelopeCodec{}
	s := newSeen()
	d := newDoor(t, p, frontdoor.Events(s.handler()), frontdoor.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Web", "yes")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "made")
	})))
	for _, tc := range []struct {
		name, path, body, want string
	}{
		{"event ok", "/orders", `{"Data":{"msg":"hi"},"Metadata":{"sys":{"MethodName":"orders"}}}`, `{"Outputs":{},"Logs":[],"ReturnValue":"ok"}`},
		{"event permanent", "/poison", `{"Data":{},"Metadata":{}}`, `{"Outputs":{},"Logs":["permanent"],"ReturnValue":"permanent"}`},
		{"http trigger", "/web", `{"Data":{},"Metadata":{}}`, `{"Outputs":{"res":{"statusCode":201,"body":"made"}},"Logs":[],"ReturnValue":"ok"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(d, http.MethodPost, tc.path, map[string]string{"Content-Type": "application/json"}, tc.body)
			require.Equal(t, 200, w.Code, w.Body.String())
			assert.JSONEq(t, tc.want, w.Body.String())
		})
	}
	// Not the envelope: the standard formats still work.
	w := serve(d, http.MethodPost, "/", binaryHeaders("test.ok"), `{}`)
	assert.Equal(t, http.StatusNoContent, w.Code)
}

// envelopeCodec is a small stand-in for the Azure custom-handler protocol.
type envelopeCodec struct{}

func (envelopeCodec) Decode(r *http.Request, body []byte) (*frontdoor.Delivery, error) {
	var in struct {
		Data     json.RawMessage `json:"Data"`
		Metadata json.RawMessage `json:"Metadata"`
	}
	if json.Unmarshal(body, &in) != nil || in.Data == nil {
		return nil, nil
	}
	if r.URL.Path == "/web" {
		req, _ := http.NewRequest(http.MethodGet, "/web", nil)
		return &frontdoor.Delivery{HTTP: req}, nil
	}
	e := event.New()
	e.SetID("az-1")
	e.SetSource("/azure")
	e.SetType("test.ok")
	if r.URL.Path == "/poison" {
		e.SetType("test.permanent")
	}
	e.DataEncoded = in.Data
	return &frontdoor.Delivery{Events: []event.Event{e}, RequestID: "inv-1"}, nil
}

func (envelopeCodec) Encode(w http.ResponseWriter, _ *http.Request, d *frontdoor.Delivery, outs []frontdoor.Outcome) error {
	o := outs[0]
	out := map[string]any{"Outputs": map[string]any{}, "Logs": []string{}, "ReturnValue": o.Verdict.Class.String()}
	if o.HTTP != nil {
		out["Outputs"] = map[string]any{"res": map[string]any{"statusCode": o.HTTP.Status, "body": string(o.HTTP.Body)}}
	}
	if o.Verdict.Class == frontdoor.ClassPermanent {
		out["Logs"] = []string{"permanent"}
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(out)
}

// TestBadPermanentStatus checks that New refuses a permanent status it
// could not send, or that would make push senders redeliver for ever, and
// takes the ones it documents.
func TestBadPermanentStatus(t *testing.T) {
	h := function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) { return nil, nil })
	for _, status := range []int{-1, 1, 99, 204, 302, 500, 503, 1000} {
		_, err := frontdoor.New(testProfile(), frontdoor.Events(h), frontdoor.WithPermanentStatus(status))
		require.ErrorIs(t, err, frontdoor.ErrBadOption, status)
		assert.ErrorContains(t, err, "4xx", status)
	}
	for _, status := range []int{0, 200, 400, 422, 499} {
		_, err := frontdoor.New(testProfile(), frontdoor.Events(h), frontdoor.WithPermanentStatus(status))
		assert.NoError(t, err, status)
	}
}
