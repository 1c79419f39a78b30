package gcf_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/function"
)

func storageHeader() http.Header {
	return binaryHeader("ev-1", "google.cloud.storage.object.v1.finalized",
		"//storage.googleapis.com/projects/_/buckets/b", "objects/o.txt", "2024-05-11T08:16:40Z")
}

// The handler's error decides whether the platform redelivers.
func TestErrorSemantics(t *testing.T) {
	tests := []struct {
		name           string
		err            error
		panics         bool
		wantCode       int
		wantRetryAfter string
	}{
		{"success acknowledges", nil, false, http.StatusOK, ""},
		{"permanent error acknowledges", function.Permanent(errors.New("poison")), false, http.StatusOK, ""},
		{"decode error acknowledges", &function.DecodeError{Err: errors.New("bad")}, false, http.StatusOK, ""},
		{"plain error is retried", errors.New("database down"), false, http.StatusServiceUnavailable, ""},
		{"status error keeps its status", function.WithStatus(http.StatusTooManyRequests, errors.New("slow down")), false, http.StatusTooManyRequests, ""},
		{"retry after sets the header", function.RetryAfter(errors.New("later"), 1500*time.Millisecond), false, http.StatusServiceUnavailable, "2"},
		{"deadline is a timeout", context.DeadlineExceeded, false, http.StatusGatewayTimeout, ""},
		{"panic is a 500", nil, true, http.StatusInternalServerError, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{then: func(ctx context.Context, e event.Event) (*event.Event, error) {
				if tt.panics {
					panic("secret internal detail")
				}
				return nil, tt.err
			}}
			s := newServer(t, gcf.Events(rec))
			resp := post(s, "/", storageHeader(), []byte(`{"name":"o.txt"}`))
			assert.Equal(t, tt.wantCode, resp.Code, resp.Body.String())
			assert.Equal(t, tt.wantRetryAfter, resp.Header().Get("Retry-After"))
			assert.NotContains(t, resp.Body.String(), "secret")
			assert.NotContains(t, resp.Body.String(), "database")

			// The server keeps serving after any outcome.
			rec.then = nil
			resp = post(s, "/", storageHeader(), []byte(`{"name":"o.txt"}`))
			assert.Equal(t, http.StatusOK, resp.Code)
		})
	}
}

// A reply event is written back in binary mode.
func TestReply(t *testing.T) {
	rec := &recorder{then: func(ctx context.Context, e event.Event) (*event.Event, error) {
		r := event.New()
		r.SetID(e.ID() + ".reply")
		r.SetType("com.example.reply")
		r.SetSource("//example/echo")
		require.NoError(t, r.SetData(event.ApplicationJSON, map[string]string{"echo": e.Subject()}))
		return &r, nil
	}}
	s := newServer(t, gcf.Events(rec))
	resp := post(s, "/", storageHeader(), []byte(`{}`))
	require.Equal(t, http.StatusOK, resp.Code)
	assert.Equal(t, "ev-1.reply", resp.Header().Get("Ce-Id"))
	assert.Equal(t, "com.example.reply", resp.Header().Get("Ce-Type"))
	assert.Equal(t, "application/json", resp.Header().Get("Content-Type"))
	assert.JSONEq(t, `{"echo":"objects/o.txt"}`, resp.Body.String())
}

// An invalid reply is a bug redelivery cannot fix: acknowledged, not sent.
func TestInvalidReply(t *testing.T) {
	rec := &recorder{then: func(ctx context.Context, e event.Event) (*event.Event, error) {
		r := event.New() // no id, source or type
		return &r, nil
	}}
	s := newServer(t, gcf.Events(rec))
	resp := post(s, "/", storageHeader(), []byte(`{}`))
	assert.Equal(t, http.StatusOK, resp.Code)
	assert.Empty(t, resp.Header().Get("Ce-Id"))
}

func TestInvocation(t *testing.T) {
	pushBody := readTestdata(t, "push/message.json")
	tests := []struct {
		name    string
		env     []string
		opts    []gcf.Option
		header  http.Header
		body    []byte
		check   func(t *testing.T, inv function.Invocation, sent time.Time)
		wantErr string
	}{
		{name: "cloud functions", env: []string{"FUNCTION_TARGET", "Orders", "K_SERVICE", "orders"},
			header: storageHeader(), body: []byte(`{}`),
			check: func(t *testing.T, inv function.Invocation, _ time.Time) {
				assert.Equal(t, function.PlatformCloudFunctions, inv.Platform)
				assert.Equal(t, "orders", inv.FunctionName)
				assert.Equal(t, "ev-1", inv.RequestID, "without an execution id header, the event id")
				assert.True(t, inv.Deadline.IsZero())
			}},
		{name: "cloud functions without service", env: []string{"FUNCTION_TARGET", "Orders"},
			header: storageHeader(), body: []byte(`{}`),
			check: func(t *testing.T, inv function.Invocation, _ time.Time) {
				assert.Equal(t, function.PlatformCloudFunctions, inv.Platform)
				assert.Equal(t, "Orders", inv.FunctionName)
			}},
		{name: "cloud run", env: []string{"K_SERVICE", "orders-svc", "CLOUD_RUN_TIMEOUT_SECONDS", "30"},
			header: func() http.Header {
				h := storageHeader()
				h.Set("Function-Execution-Id", "exec-42")
				h.Set("X-Cloud-Trace-Context", "0af7651916cd43dd8448eb211c80319c/123;o=1")
				return h
			}(), body: []byte(`{}`),
			check: func(t *testing.T, inv function.Invocation, sent time.Time) {
				assert.Equal(t, function.PlatformCloudRun, inv.Platform)
				assert.Equal(t, "orders-svc", inv.FunctionName)
				assert.Equal(t, "exec-42", inv.RequestID)
				assert.Equal(t, "0af7651916cd43dd8448eb211c80319c/123;o=1", inv.TraceHeader)
				assert.WithinRange(t, inv.Deadline, sent.Add(30*time.Second), time.Now().Add(30*time.Second))
			}},
		{name: "default timeout and traceparent", opts: []gcf.Option{gcf.WithDefaultTimeout(time.Minute)},
			header: func() http.Header {
				h := storageHeader()
				h.Set("Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
				return h
			}(), body: []byte(`{}`),
			check: func(t *testing.T, inv function.Invocation, sent time.Time) {
				assert.Equal(t, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", inv.TraceHeader)
				assert.WithinRange(t, inv.Deadline, sent.Add(time.Minute), time.Now().Add(time.Minute))
			}},
		{name: "timeout env wins over the default", env: []string{"CLOUD_RUN_TIMEOUT_SECONDS", "5"},
			opts:   []gcf.Option{gcf.WithDefaultTimeout(time.Hour)},
			header: storageHeader(), body: []byte(`{}`),
			check: func(t *testing.T, inv function.Invocation, sent time.Time) {
				assert.WithinRange(t, inv.Deadline, sent.Add(5*time.Second), time.Now().Add(5*time.Second))
			}},
		{name: "push delivery attempt", header: hdr("Content-Type", "application/json"), body: pushBody,
			check: func(t *testing.T, inv function.Invocation, _ time.Time) {
				assert.Equal(t, 3, inv.Attempt)
				assert.Equal(t, "9001234567890123", inv.RequestID)
			}},
		{name: "CloudEvent delivery attempt",
			header: binaryHeader("m-1", gcf.PubSubMessagePublished, "//pubsub.googleapis.com/projects/p/topics/t", "", ""),
			body:   []byte(`{"message":{"messageId":"m-1","data":"aGk="},"subscription":"projects/p/subscriptions/s","deliveryAttempt":7}`),
			check: func(t *testing.T, inv function.Invocation, _ time.Time) {
				assert.Equal(t, 7, inv.Attempt)
				assert.Equal(t, function.TriggerPubSub, inv.Trigger)
			}},
		{name: "bad timeout env", env: []string{"CLOUD_RUN_TIMEOUT_SECONDS", "30s"}, wantErr: "CLOUD_RUN_TIMEOUT_SECONDS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			opts := append([]gcf.Option{gcf.Events(rec), gcf.WithGetenv(env(tt.env...)), gcf.WithLogger(quietLogger())}, tt.opts...)
			s, err := gcf.New(opts...)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			sent := time.Now()
			resp := post(s, "/", tt.header, tt.body)
			require.Equal(t, http.StatusOK, resp.Code, resp.Body.String())
			_, inv := rec.only(t)
			assert.True(t, inv.ColdStart, "the first invocation is a cold start")
			tt.check(t, inv, sent)

			post(s, "/", tt.header, tt.body)
			assert.False(t, rec.invs[1].ColdStart, "the second is warm")
		})
	}
}

func TestNoHandler(t *testing.T) {
	_, err := gcf.New()
	assert.ErrorIs(t, err, gcf.ErrNoHandler)
	assert.ErrorIs(t, gcf.ListenAndServe(context.Background()), gcf.ErrNoHandler)
}

// starter counts start and stop hooks and fails its first start.
type starter struct {
	recorder
	starts, stops atomic.Int32
	failFirst     bool
}

func (s *starter) Start(context.Context) error {
	if s.starts.Add(1) == 1 && s.failFirst {
		return errors.New("config not reachable")
	}
	return nil
}

func (s *starter) Stop(context.Context) error {
	s.stops.Add(1)
	return nil
}

func TestLifecycle(t *testing.T) {
	h := &starter{failFirst: true}
	s := newServer(t, gcf.Events(h))
	resp := post(s, "/", storageHeader(), []byte(`{}`))
	assert.Equal(t, http.StatusServiceUnavailable, resp.Code, "a failed start hook is retried by redelivery")
	assert.Zero(t, h.count())
	resp = post(s, "/", storageHeader(), []byte(`{}`))
	assert.Equal(t, http.StatusOK, resp.Code)
	assert.Equal(t, 1, h.count())
	require.NoError(t, s.Stop(context.Background()))
	assert.Equal(t, int32(1), h.stops.Load())
}

func TestHTTP(t *testing.T) {
	var got function.Invocation
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = *function.FromContext(r.Context())
		if r.URL.Path == "/panic" {
			panic("secret internal detail")
		}
		body, _ := io.ReadAll(r.Body)
		_, _ = w.Write(append([]byte("echo:"), body...))
	})
	s := newServer(t, gcf.HTTP(web), gcf.WithGetenv(env("K_SERVICE", "web")))

	resp := post(s, "/hello", hdr("Function-Execution-Id", "exec-1"), []byte("hi"))
	assert.Equal(t, http.StatusOK, resp.Code)
	assert.Equal(t, "echo:hi", resp.Body.String())
	assert.Equal(t, function.TriggerHTTP, got.Trigger)
	assert.Equal(t, "exec-1", got.RequestID)
	assert.Equal(t, function.PlatformCloudRun, got.Platform)
	assert.True(t, got.ColdStart)

	resp = post(s, "/hello", nil, []byte("again"))
	assert.Equal(t, "echo:again", resp.Body.String())
	assert.Empty(t, got.RequestID, "no execution id header, no request id")
	assert.False(t, got.ColdStart)

	resp = post(s, "/panic", nil, nil)
	assert.Equal(t, http.StatusInternalServerError, resp.Code)
	assert.NotContains(t, resp.Body.String(), "secret")
	resp = post(s, "/hello", nil, []byte("still here"))
	assert.Equal(t, "echo:still here", resp.Body.String())
}

// With both handlers, events go to the event handler and the rest to HTTP.
func TestRouting(t *testing.T) {
	legacy := readTestdata(t, "legacy/storage_finalize.json")
	tests := []struct {
		name      string
		signature string
		method    string
		header    http.Header
		body      []byte
		wantEvent bool
	}{
		{"binary CloudEvent", "", http.MethodPost, storageHeader(), []byte(`{}`), true},
		{"structured CloudEvent", "", http.MethodPost, hdr("Content-Type", "application/cloudevents+json"), readTestdata(t, "cloudevent/pubsub_structured.json"), true},
		{"legacy event", "", http.MethodPost, hdr("Content-Type", "application/json"), legacy, true},
		{"push message", "", http.MethodPost, hdr("Content-Type", "application/json"), readTestdata(t, "push/message.json"), true},
		{"plain JSON", "", http.MethodPost, hdr("Content-Type", "application/json"), []byte(`{"data":{"a":1}}`), false},
		{"form post", "", http.MethodPost, hdr("Content-Type", "application/x-www-form-urlencoded"), []byte(`a=1`), false},
		{"GET", "", http.MethodGet, nil, nil, false},
		{"signature http keeps CloudEvents", "http", http.MethodPost, storageHeader(), []byte(`{}`), true},
		{"signature http takes legacy shapes", "http", http.MethodPost, hdr("Content-Type", "application/json"), legacy, false},
		{"signature cloudevent takes legacy shapes", "cloudevent", http.MethodPost, hdr("Content-Type", "application/json"), legacy, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			var webBody string
			web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				webBody = string(b)
				w.WriteHeader(http.StatusTeapot)
			})
			s := newServer(t, gcf.Events(rec), gcf.HTTP(web), gcf.WithGetenv(env("FUNCTION_SIGNATURE_TYPE", tt.signature)))
			req, err := http.NewRequest(tt.method, "/", strings.NewReader(string(tt.body)))
			require.NoError(t, err)
			req.Header = tt.header.Clone()
			if req.Header == nil {
				req.Header = http.Header{}
			}
			resp := serve(s, req)
			if tt.wantEvent {
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				assert.Equal(t, 1, rec.count())
				return
			}
			assert.Equal(t, http.StatusTeapot, resp.StatusCode)
			assert.Zero(t, rec.count())
			assert.Equal(t, string(tt.body), webBody, "the HTTP handler gets the whole body")
		})
	}
}

func serve(h http.Handler, req *http.Request) *http.Response {
	w := &responseRecorder{header: http.Header{}}
	h.ServeHTTP(w, req)
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return &http.Response{StatusCode: w.code, Header: w.header}
}

type responseRecorder struct {
	header http.Header
	code   int
}

func (r *responseRecorder) Header() http.Header { return r.header }
func (r *responseRecorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return len(p), nil
}
func (r *responseRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

// ListenAndServe serves on a real socket, drains in-flight requests when its
// context ends, then runs the stop hooks.
func TestListenAndServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	entered, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	h := &starter{}
	h.then = func(ctx context.Context, e event.Event) (*event.Event, error) {
		close(entered)
		<-release
		finished.Store(true)
		return nil, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- gcf.ListenAndServe(ctx, gcf.Events(h), gcf.WithListener(ln),
			gcf.WithGetenv(env()), gcf.WithLogger(quietLogger()), gcf.WithShutdownTimeout(time.Minute))
	}()

	respc := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/", strings.NewReader(`{}`))
		req.Header = storageHeader()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			respc <- nil
			return
		}
		respc <- resp
	}()
	<-entered
	cancel()
	assert.Zero(t, h.stops.Load(), "stop hooks wait for in-flight requests")
	close(release)
	resp := <-respc
	require.NotNil(t, resp, "the in-flight request completes")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_ = resp.Body.Close()
	require.NoError(t, <-done)
	assert.True(t, finished.Load())
	assert.Equal(t, int32(1), h.stops.Load())
}

func TestListenAndServeBadPort(t *testing.T) {
	err := gcf.ListenAndServe(context.Background(), gcf.Events(&recorder{}),
		gcf.WithGetenv(env("PORT", "no-such-port")), gcf.WithLogger(quietLogger()))
	assert.ErrorContains(t, err, "PORT")
}

// A structured request gets a structured reply; a binary reply without a
// datacontenttype gets no sniffed Content-Type.
func TestReplyModes(t *testing.T) {
	echo := &recorder{then: func(ctx context.Context, e event.Event) (*event.Event, error) { return &e, nil }}
	s := newServer(t, gcf.Events(echo))

	resp := post(s, "/", hdr("Content-Type", "application/cloudevents+json"),
		[]byte(`{"specversion":"1.0","id":"2","source":"/cli","type":"com.example.ping","data":{"hello":"world"}}`))
	require.Equal(t, http.StatusOK, resp.Code)
	assert.Equal(t, "application/cloudevents+json; charset=utf-8", resp.Header().Get("Content-Type"))
	assert.JSONEq(t, `{"specversion":"1.0","id":"2","source":"/cli","type":"com.example.ping","data":{"hello":"world"}}`, resp.Body.String())

	resp = post(s, "/", hdr("Ce-Specversion", "1.0", "Ce-Id", "3", "Ce-Source", "/cli", "Ce-Type", "com.example.ping"), []byte(`hi`))
	require.Equal(t, http.StatusOK, resp.Code)
	assert.Equal(t, "3", resp.Header().Get("Ce-Id"))
	assert.Empty(t, resp.Header().Get("Content-Type"))
	assert.Equal(t, "hi", resp.Body.String())
}

func TestBadPermanentStatus(t *testing.T) {
	_, err := gcf.New(gcf.Events(&recorder{}), gcf.WithPermanentStatus(500))
	assert.ErrorIs(t, err, frontdoor.ErrBadOption, "a 5xx makes Pub/Sub and Eventarc redeliver a poison event for ever")
}
