package nethttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/adapters/nethttp"
	"github.com/faasport/faasport/function"
)

// router is an event handler whose behaviour the event type picks.
func router(t *testing.T) function.Handler {
	t.Helper()
	return function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		switch e.Type() {
		case "test.reply":
			r := event.New()
			r.SetID(e.ID() + ".reply")
			r.SetSource("//test/replier")
			r.SetType("test.replied")
			r.SetSubject("hello world") // a space: percent-encoded in binary mode
			require.NoError(t, r.SetData(event.ApplicationJSON, json.RawMessage(e.Data())))
			return &r, nil
		case "test.none":
			return nil, nil
		case "test.retry":
			return nil, errors.New("database unreachable at 10.0.0.7")
		case "test.retryafter":
			return nil, function.RetryAfter(errors.New("rate limited"), 2500*time.Millisecond)
		case "test.permanent":
			return nil, function.Permanent(errors.New("order references a deleted account"))
		case "test.status422":
			return nil, function.WithStatus(http.StatusUnprocessableEntity, errors.New("order total must be positive"))
		case "test.panic":
			panic("boom: secret-token-123")
		case "test.slow":
			<-ctx.Done()
			return nil, ctx.Err()
		case "test.badreply":
			r := event.New() // no id, source or type
			return &r, nil
		case "test.typed":
			return function.Consume(func(context.Context, struct{ Total float64 }) error { return nil }).Handle(ctx, e)
		}
		return nil, errors.New("unknown test type " + e.Type())
	})
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func binaryHeaders(typ string) map[string]string {
	return map[string]string{
		"Ce-Specversion": "1.0",
		"Ce-Id":          "evt-1",
		"Ce-Source":      "//shop.example.com/orders",
		"Ce-Type":        typ,
		"Content-Type":   "application/json",
	}
}

func structuredBody(typ string) string {
	return `{"specversion":"1.0","id":"evt-1","source":"//shop.example.com/orders","type":"` + typ + `","data":{"id":"o-1"}}`
}

func post(t *testing.T, url string, headers map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// problem decodes and checks an RFC 9457 body.
func problem(t *testing.T, resp *http.Response, body string) nethttp.Problem {
	t.Helper()
	assert.Equal(t, nethttp.MediaTypeProblem, resp.Header.Get("Content-Type"))
	var p nethttp.Problem
	require.NoError(t, json.Unmarshal([]byte(body), &p), body)
	if resp.StatusCode < 300 {
		assert.Equal(t, frontdoor.ProblemTypePermanent, p.Type)
	} else {
		assert.Equal(t, "about:blank", p.Type)
		assert.Equal(t, http.StatusText(resp.StatusCode), p.Title)
	}
	assert.Equal(t, resp.StatusCode, p.Status)
	assert.NotEmpty(t, p.Detail)
	assert.NotContains(t, body, "goroutine", "no stack in a problem")
	assert.NotContains(t, body, ".go:", "no stack in a problem")
	return p
}

func TestServeEvents(t *testing.T) {
	srv := httptest.NewServer(nethttp.New(
		nethttp.Events(router(t)),
		nethttp.WithLogger(quietLogger()),
		nethttp.WithMaxBodyBytes(1024),
		nethttp.WithTimeout(20*time.Millisecond),
	))
	defer srv.Close()
	structured := map[string]string{"Content-Type": "application/cloudevents+json"}
	batch := map[string]string{"Content-Type": "application/cloudevents-batch+json; charset=utf-8"}
	with := func(h map[string]string, k, v string) map[string]string {
		c := map[string]string{}
		for hk, hv := range h {
			c[hk] = hv
		}
		if v == "" {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	fixture := func(name string) string {
		b, err := os.ReadFile("testdata/" + name)
		require.NoError(t, err)
		return string(b)
	}

	tests := []struct {
		name       string
		headers    map[string]string
		body       string
		wantStatus int
		wantDetail string // substring of a problem's detail
		check      func(t *testing.T, resp *http.Response, body string)
	}{
		{name: "binary, no reply", headers: binaryHeaders("test.none"), body: `{"id":"o-1"}`, wantStatus: http.StatusNoContent},
		{
			name: "binary, reply in binary mode", headers: binaryHeaders("test.reply"), body: `{"id":"o-1"}`, wantStatus: http.StatusOK,
			check: func(t *testing.T, resp *http.Response, body string) {
				assert.Equal(t, "1.0", resp.Header.Get("Ce-Specversion"))
				assert.Equal(t, "evt-1.reply", resp.Header.Get("Ce-Id"))
				assert.Equal(t, "test.replied", resp.Header.Get("Ce-Type"))
				assert.Equal(t, "//test/replier", resp.Header.Get("Ce-Source"))
				assert.Equal(t, "hello%20world", resp.Header.Get("Ce-Subject"))
				assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
				assert.JSONEq(t, `{"id":"o-1"}`, body)
			},
		},
		{name: "structured, no reply", headers: structured, body: structuredBody("test.none"), wantStatus: http.StatusNoContent},
		{
			name: "structured, reply in structured mode", headers: structured, body: structuredBody("test.reply"), wantStatus: http.StatusOK,
			check: func(t *testing.T, resp *http.Response, body string) {
				assert.Equal(t, "application/cloudevents+json; charset=utf-8", resp.Header.Get("Content-Type"))
				assert.Empty(t, resp.Header.Get("Ce-Id"))
				assert.JSONEq(t, `{"specversion":"1.0","id":"evt-1.reply","source":"//test/replier","type":"test.replied",
					"subject":"hello world","datacontenttype":"application/json","data":{"id":"o-1"}}`, body)
			},
		},
		{
			name: "structured fixture with extension and time", headers: structured, body: strings.Replace(fixture("structured.json"), "com.example.order.created", "test.none", 1),
			wantStatus: http.StatusNoContent,
		},
		{
			name: "batch, replies in a batch", headers: batch,
			body:       "[" + structuredBody("test.reply") + "," + strings.Replace(structuredBody("test.none"), "evt-1", "evt-2", 1) + "," + strings.Replace(structuredBody("test.reply"), "evt-1", "evt-3", 1) + "]",
			wantStatus: http.StatusOK,
			check: func(t *testing.T, resp *http.Response, body string) {
				assert.Equal(t, "application/cloudevents-batch+json; charset=utf-8", resp.Header.Get("Content-Type"))
				var got []map[string]any
				require.NoError(t, json.Unmarshal([]byte(body), &got))
				require.Len(t, got, 2)
				assert.Equal(t, "evt-1.reply", got[0]["id"])
				assert.Equal(t, "evt-3.reply", got[1]["id"])
			},
		},
		{name: "batch, empty", headers: batch, body: `[]`, wantStatus: http.StatusNoContent},
		{name: "batch, fixture with text data, no replies", headers: batch, body: strings.ReplaceAll(fixture("batch.json"), "com.example.order.created", "test.none"), wantStatus: http.StatusNoContent},
		{
			name: "batch, retryable failure redelivers the batch", headers: batch,
			body:       "[" + structuredBody("test.none") + "," + strings.Replace(structuredBody("test.retry"), "evt-1", "evt-2", 1) + "]",
			wantStatus: http.StatusServiceUnavailable, wantDetail: "event 2 of 2 in the batch, so redeliver the whole batch",
			check: func(t *testing.T, resp *http.Response, body string) {
				assert.NotContains(t, body, "10.0.0.7", "a 5xx detail hides the error text")
			},
		},
		{
			name: "batch, permanent failures are listed", headers: batch,
			body:       "[" + structuredBody("test.status422") + "," + strings.Replace(structuredBody("test.reply"), "evt-1", "evt-2", 1) + "]",
			wantStatus: http.StatusOK, wantDetail: "1 of 2 events in the batch failed permanently",
			check: func(t *testing.T, resp *http.Response, body string) {
				p := problem(t, resp, body)
				require.Len(t, p.Events, 1)
				assert.Equal(t, "evt-1", p.Events[0].ID)
				assert.Equal(t, http.StatusOK, p.Events[0].Status)
				assert.Contains(t, p.Events[0].Detail, "order total must be positive")
			},
		},
		// Errors of the handler.
		{
			name: "retryable error", headers: binaryHeaders("test.retry"), wantStatus: http.StatusServiceUnavailable, wantDetail: "retryable error; redeliver the event later",
			check: func(t *testing.T, resp *http.Response, body string) {
				assert.NotContains(t, body, "10.0.0.7")
				assert.Empty(t, resp.Header.Get("Retry-After"))
			},
		},
		{
			name: "retryable error with a delay", headers: binaryHeaders("test.retryafter"), wantStatus: http.StatusServiceUnavailable, wantDetail: "after 2.5s",
			check: func(t *testing.T, resp *http.Response, _ string) {
				assert.Equal(t, "3", resp.Header.Get("Retry-After"))
			},
		},
		{
			name: "permanent error is acknowledged", headers: binaryHeaders("test.permanent"), wantStatus: http.StatusOK, wantDetail: "failed permanently and is acknowledged; do not redeliver it",
			check: func(t *testing.T, _ *http.Response, body string) { assert.NotContains(t, body, "deleted account") },
		},
		{name: "error with a 4xx status is acknowledged", headers: binaryHeaders("test.status422"), wantStatus: http.StatusOK, wantDetail: "order total must be positive"},
		{name: "typed handler cannot decode data: permanent", headers: binaryHeaders("test.typed"), body: `{"Total":"twelve"}`, wantStatus: http.StatusOK, wantDetail: `at field "Total"`},
		{
			name: "panic", headers: binaryHeaders("test.panic"), wantStatus: http.StatusInternalServerError, wantDetail: "failed unexpectedly",
			check: func(t *testing.T, _ *http.Response, body string) {
				assert.NotContains(t, body, "secret-token-123")
				assert.NotContains(t, body, "boom")
			},
		},
		{name: "deadline", headers: binaryHeaders("test.slow"), wantStatus: http.StatusGatewayTimeout, wantDetail: "before its deadline"},
		{name: "invalid reply: handled, acknowledged", headers: binaryHeaders("test.badreply"), wantStatus: http.StatusOK, wantDetail: "reply event is invalid"},
		// Requests the adapter cannot read.
		{name: "ce header on a plain request", headers: map[string]string{"Content-Type": "application/json", "Ce-Id": "1"}, body: `{}`, wantStatus: http.StatusBadRequest, wantDetail: "no ce-specversion header"},
		{name: "ce headers without specversion", headers: with(binaryHeaders("test.none"), "Ce-Specversion", ""), wantStatus: http.StatusBadRequest, wantDetail: "no ce-specversion header"},
		{name: "binary, missing id", headers: with(binaryHeaders("test.none"), "Ce-Id", ""), wantStatus: http.StatusBadRequest, wantDetail: "missing or empty: ce-id"},
		{name: "binary, missing source and type", headers: with(with(binaryHeaders("test.none"), "Ce-Type", ""), "Ce-Source", ""), wantStatus: http.StatusBadRequest, wantDetail: "ce-source, ce-type"},
		{name: "binary, specversion 0.3", headers: with(binaryHeaders("test.none"), "Ce-Specversion", "0.3"), wantStatus: http.StatusBadRequest, wantDetail: `is "0.3"; this server reads only CloudEvents 1.0`},
		{name: "binary, bad time", headers: with(binaryHeaders("test.none"), "Ce-Time", "yesterday"), wantStatus: http.StatusBadRequest, wantDetail: `time "yesterday" is not an RFC 3339 timestamp`},
		{name: "binary, bad dataschema", headers: with(binaryHeaders("test.none"), "Ce-Dataschema", "relative/path"), wantStatus: http.StatusBadRequest, wantDetail: "not an absolute URI"},
		{name: "binary, bad extension name", headers: with(binaryHeaders("test.none"), "Ce-Trace-Id", "x"), wantStatus: http.StatusBadRequest, wantDetail: "lower-case letters and digits only"},
		{name: "binary, data header", headers: with(binaryHeaders("test.none"), "Ce-Data", "x"), wantStatus: http.StatusBadRequest, wantDetail: "data is not an attribute"},
		{name: "binary, bad content type", headers: with(binaryHeaders("test.none"), "Content-Type", "json"), wantStatus: http.StatusBadRequest, wantDetail: `datacontenttype "json" is not a media type`},
		{name: "binary, datacontenttype header", headers: with(binaryHeaders("test.none"), "Ce-Datacontenttype", "text/plain"), wantStatus: http.StatusBadRequest, wantDetail: "is the Content-Type header"},
		{name: "binary, body too large", headers: binaryHeaders("test.none"), body: `"` + strings.Repeat("x", 1100) + `"`, wantStatus: http.StatusRequestEntityTooLarge, wantDetail: "limit of 1024 bytes"},
		{name: "structured, not JSON", headers: structured, body: `{"specversion":`, wantStatus: http.StatusBadRequest, wantDetail: "must be a JSON object"},
		{name: "structured, empty body", headers: structured, wantStatus: http.StatusBadRequest, wantDetail: "the request body is empty"},
		{name: "structured, missing type", headers: structured, body: `{"specversion":"1.0","id":"1","source":"/s"}`, wantStatus: http.StatusBadRequest, wantDetail: "missing or empty: type"},
		{name: "structured, missing specversion", headers: structured, body: `{"id":"1","source":"/s","type":"t"}`, wantStatus: http.StatusBadRequest, wantDetail: "specversion attribute is missing"},
		{name: "structured, specversion 2.0", headers: structured, body: strings.Replace(structuredBody("test.none"), `"1.0"`, `"2.0"`, 1), wantStatus: http.StatusBadRequest, wantDetail: `is "2.0"`},
		{name: "structured, id not a string", headers: structured, body: `{"specversion":"1.0","id":7,"source":"/s","type":"t"}`, wantStatus: http.StatusBadRequest, wantDetail: `attribute "id" must be a JSON string`},
		{name: "structured, data and data_base64", headers: structured, body: `{"specversion":"1.0","id":"1","source":"/s","type":"t","data":1,"data_base64":"AA=="}`, wantStatus: http.StatusBadRequest, wantDetail: "either data or data_base64"},
		{name: "structured, bad base64", headers: structured, body: `{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":1}`, wantStatus: http.StatusBadRequest, wantDetail: "data_base64 must be a JSON string"},
		{name: "structured, object extension", headers: structured, body: `{"specversion":"1.0","id":"1","source":"/s","type":"t","ext":{}}`, wantStatus: http.StatusBadRequest, wantDetail: `extension "ext" must be a string, a boolean or an integer`},
		{name: "structured, too large", headers: structured, body: structuredBody(strings.Repeat("x", 1100)), wantStatus: http.StatusRequestEntityTooLarge},
		{name: "structured, avro", headers: map[string]string{"Content-Type": "application/cloudevents+avro"}, body: "\x00", wantStatus: http.StatusUnsupportedMediaType, wantDetail: "send application/cloudevents+json"},
		{name: "batch, not an array", headers: batch, body: structuredBody("test.none"), wantStatus: http.StatusBadRequest, wantDetail: "must be a JSON array"},
		{name: "batch, bad second event", headers: batch, body: "[" + structuredBody("test.none") + `,{"specversion":"1.0"}]`, wantStatus: http.StatusBadRequest, wantDetail: "event 2 of the batch: required CloudEvents attribute(s) missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, srv.URL, tc.headers, tc.body)
			require.Equal(t, tc.wantStatus, resp.StatusCode, body)
			if tc.wantDetail != "" {
				p := problem(t, resp, body)
				assert.Contains(t, p.Detail, tc.wantDetail)
			}
			if tc.wantStatus == http.StatusNoContent {
				assert.Empty(t, body)
			}
			if tc.check != nil {
				tc.check(t, resp, body)
			}
		})
	}
}

// TestBodyTooLargeChunked covers a body of unknown length (no Content-Length).
func TestBodyTooLargeChunked(t *testing.T) {
	srv := httptest.NewServer(nethttp.New(nethttp.Events(router(t)), nethttp.WithMaxBodyBytes(64)))
	defer srv.Close()
	for _, tc := range []struct {
		name string
		size int
		want int
	}{
		{"under the limit", 60, http.StatusNoContent},
		{"at the limit", 64, http.StatusNoContent},
		{"over the limit", 65, http.StatusRequestEntityTooLarge},
		{"far over the limit", 1 << 20, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A pipe has no length, so the client sends the body chunked.
			pr, pw := io.Pipe()
			go func() {
				_, _ = pw.Write([]byte(`"` + strings.Repeat("x", tc.size-2) + `"`))
				_ = pw.Close()
			}()
			req, err := http.NewRequest(http.MethodPost, srv.URL, pr)
			require.NoError(t, err)
			for k, v := range binaryHeaders("test.none") {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tc.want, resp.StatusCode)
		})
	}
}

// TestBinaryStructuredParity sends one event in both modes: the handler must
// see the same event.
func TestBinaryStructuredParity(t *testing.T) {
	var mu sync.Mutex
	var got []event.Event
	srv := httptest.NewServer(nethttp.New(nethttp.Events(function.HandlerFunc(func(_ context.Context, e event.Event) (*event.Event, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, e)
		return nil, nil
	}))))
	defer srv.Close()

	data := `{"id":"o-1","note":"caf\u00e9"}`
	resp, _ := post(t, srv.URL, map[string]string{
		"Ce-Specversion": "1.0",
		"Ce-Id":          "evt-1",
		"Ce-Source":      "https://shop.example.com/orders?region=eu",
		"Ce-Type":        "com.example.order.created",
		"Ce-Subject":     "orders/o-1%20%E2%9C%93", // "orders/o-1 ✓", percent-encoded
		"Ce-Time":        "2026-11-23T10:15:30.123Z",
		"Ce-Dataschema":  "https://schemas.example.com/order.json",
		"Ce-Tenant":      "acme",
		"Content-Type":   "application/json; charset=utf-8",
	}, data)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp, body := post(t, srv.URL, map[string]string{"Content-Type": "application/cloudevents+json"}, `{
		"specversion":"1.0","id":"evt-1","source":"https://shop.example.com/orders?region=eu",
		"type":"com.example.order.created","subject":"orders/o-1 ✓","time":"2026-11-23T10:15:30.123Z",
		"dataschema":"https://schemas.example.com/order.json","tenant":"acme",
		"datacontenttype":"application/json; charset=utf-8","data":`+data+`}`)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, body)

	require.Len(t, got, 2)
	binary, structured := got[0], got[1]
	assert.Equal(t, structured, binary)
	assert.Equal(t, "orders/o-1 ✓", binary.Subject())
	assert.Equal(t, "acme", binary.Extensions()["tenant"])
	assert.JSONEq(t, data, string(binary.Data()))
	assert.NoError(t, binary.Validate())
}

// TestInvocation checks the metadata each invocation finds in its context.
func TestInvocation(t *testing.T) {
	invs := make(chan function.Invocation, 4)
	record := func(ctx context.Context) {
		inv, ok := function.InvocationFromContext(ctx)
		require.True(t, ok)
		invs <- *inv
	}
	srv := httptest.NewServer(nethttp.New(
		nethttp.Events(function.HandlerFunc(func(ctx context.Context, _ event.Event) (*event.Event, error) {
			record(ctx)
			return nil, nil
		})),
		nethttp.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			record(r.Context())
			w.WriteHeader(http.StatusOK)
		})),
		nethttp.WithTimeout(time.Hour),
		nethttp.WithFunctionName("orders"),
	))
	defer srv.Close()

	h := binaryHeaders("test.none")
	h["Traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	before := time.Now()
	resp, _ := post(t, srv.URL, h, `{}`)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	first := <-invs
	assert.Equal(t, function.PlatformHTTP, first.Platform)
	assert.Equal(t, "orders", first.FunctionName)
	assert.Equal(t, "evt-1", first.RequestID, "the event id without X-Request-Id")
	assert.True(t, first.ColdStart)
	assert.Equal(t, function.TriggerPubSub, first.Trigger)
	assert.Equal(t, h["Traceparent"], first.TraceHeader)
	assert.WithinRange(t, first.Deadline, before.Add(time.Hour), time.Now().Add(time.Hour))
	req, ok := first.Native.(*http.Request)
	require.True(t, ok, "Native is the *http.Request")
	assert.Equal(t, "evt-1", req.Header.Get("Ce-Id"))

	h["X-Request-Id"] = "req-42"
	resp, _ = post(t, srv.URL, h, `{}`)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	second := <-invs
	assert.Equal(t, "req-42", second.RequestID)
	assert.False(t, second.ColdStart)

	resp, _ = post(t, srv.URL, map[string]string{"X-Request-Id": "req-43"}, "plain")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	third := <-invs
	assert.Equal(t, function.TriggerHTTP, third.Trigger)
	assert.Equal(t, "req-43", third.RequestID)
	assert.False(t, third.ColdStart)
}

func TestHTTPFallThrough(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello "+r.URL.Query().Get("name"))
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(w, r.Body)
	})
	mux.HandleFunc("GET /controller", func(w http.ResponseWriter, _ *http.Request) {
		// ResponseController reaches the real writer through Unwrap.
		err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute))
		_, _ = io.WriteString(w, fmt.Sprint(err))
	})
	mux.HandleFunc("GET /hijack", func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		_ = buf.Flush()
	})
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("secret-token-123") })
	mux.HandleFunc("GET /panic-late", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic("too late")
	})
	for _, withEvents := range []bool{true, false} {
		opts := []nethttp.Option{nethttp.HTTP(mux), nethttp.WithLogger(quietLogger()), nethttp.WithMaxBodyBytes(1024)}
		if withEvents {
			opts = append(opts, nethttp.Events(router(t)))
		}
		srv := httptest.NewServer(nethttp.New(opts...))
		name := "http only"
		if withEvents {
			name = "events and http"
		}
		t.Run(name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + "/hello?name=ada")
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "hello ada", string(b))

			for path, want := range map[string]string{"/controller": "<nil>", "/hijack": "hijacked"} {
				resp, err := http.Get(srv.URL + path)
				require.NoError(t, err)
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				assert.Equal(t, want, string(b), path)
			}

			resp2, body := post(t, srv.URL+"/echo", map[string]string{"Content-Type": "application/json"}, `{"a":1}`)
			assert.Equal(t, http.StatusOK, resp2.StatusCode)
			assert.Equal(t, `{"a":1}`, body, "the body reaches the HTTP handler unread")

			resp2, body = post(t, srv.URL+"/echo", nil, strings.Repeat("x", 2048))
			assert.Equal(t, http.StatusRequestEntityTooLarge, resp2.StatusCode)
			problem(t, resp2, body)
			pr, pw := io.Pipe() // no Content-Length: the limit stops the handler's read
			go func() { _, _ = pw.Write([]byte(strings.Repeat("x", 2048))); _ = pw.Close() }()
			resp, err = http.Post(srv.URL+"/echo", "text/plain", pr)
			if err == nil {
				b, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				assert.Less(t, len(b), 2048, "the handler read no more than the limit")
			}

			for range 2 { // the server keeps serving after a panic
				resp, err = http.Get(srv.URL + "/panic")
				require.NoError(t, err)
				b, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
				p := problem(t, resp, string(b))
				assert.NotContains(t, p.Detail, "secret")
			}

			resp, err = http.Get(srv.URL + "/panic-late")
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			assert.Error(t, err, "a response already begun is aborted, not completed")

			resp2, _ = post(t, srv.URL, binaryHeaders("test.none"), `{}`)
			if withEvents {
				assert.Equal(t, http.StatusNoContent, resp2.StatusCode, "events go to the event handler")
			} else {
				assert.Equal(t, http.StatusNotFound, resp2.StatusCode, "without an event handler events are plain HTTP")
			}
		})
		srv.Close()
	}
}

func TestNoHandler(t *testing.T) {
	var logs bytes.Buffer
	s := nethttp.New(nethttp.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.ErrorIs(t, s.Err(), frontdoor.ErrNoHandler)
	srv := httptest.NewServer(s)
	defer srv.Close()
	for range 2 {
		resp, body := post(t, srv.URL, nil, "")
		require.Equal(t, http.StatusNotImplemented, resp.StatusCode)
		problem(t, resp, body)
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "nothing to serve"), "logged once: %s", logs.String())
	assert.ErrorContains(t, nethttp.ListenAndServe(context.Background()), "nothing to serve")
	assert.NoError(t, nethttp.New(nethttp.HTTP(http.NotFoundHandler())).Err())
}

// A permanent status the front door would send as given, though push
// senders redeliver it (or net/http panics on it), stops the Server before
// any request: New cannot return the error, so Err, Serve and
// ListenAndServe report it, and a mounted Server answers 500 and logs why.
func TestInvalidPermanentStatus(t *testing.T) {
	failed := function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) {
		return nil, function.Permanent(errors.New("poison"))
	})
	for _, status := range []int{42, 204, 302, 500, 1000} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			var logs bytes.Buffer
			opts := []nethttp.Option{nethttp.Events(failed), nethttp.WithPermanentStatus(status),
				nethttp.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}
			s := nethttp.New(opts...)
			require.ErrorContains(t, s.Err(), fmt.Sprintf("WithPermanentStatus(%d)", status))

			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(structuredBody("test.fail")))
			req.Header.Set("Content-Type", nethttp.MediaTypeStructured)
			require.NotPanics(t, func() { s.ServeHTTP(rec, req) })
			assert.Equal(t, http.StatusInternalServerError, rec.Code)
			assert.Equal(t, nethttp.MediaTypeProblem, rec.Header().Get("Content-Type"))
			assert.NotContains(t, rec.Body.String(), "WithPermanentStatus", "the cause is logged, not sent to the client")
			assert.Contains(t, logs.String(), fmt.Sprintf("WithPermanentStatus(%d)", status))

			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			require.ErrorContains(t, s.Serve(context.Background(), l), "WithPermanentStatus")
			_, err = l.Accept()
			assert.Error(t, err, "Serve closes the listener it refuses")
			assert.ErrorContains(t, nethttp.ListenAndServe(context.Background(), opts...), "WithPermanentStatus")
		})
	}
	for _, status := range []int{0, 200, 400, 422, 499} {
		assert.NoError(t, nethttp.New(nethttp.Events(failed), nethttp.WithPermanentStatus(status)).Err(), status)
	}
}

// lifecycleHandler records its start and stop hooks.
type lifecycleHandler struct {
	mu       sync.Mutex
	startErr error
	starts   int
	stops    int
	release  chan struct{} // test.block waits on it
	entered  chan struct{}
	log      []string
}

func (h *lifecycleHandler) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	if e.Type() == "test.block" {
		close(h.entered)
		<-h.release
		h.mu.Lock()
		h.log = append(h.log, "handled")
		h.mu.Unlock()
	}
	return nil, nil
}

func (h *lifecycleHandler) Start(context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.starts++
	return h.startErr
}

func (h *lifecycleHandler) Stop(context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stops++
	h.log = append(h.log, "stopped")
	return nil
}

func TestStartHookFailure(t *testing.T) {
	h := &lifecycleHandler{startErr: errors.New("config service down")}
	srv := httptest.NewServer(nethttp.New(nethttp.Events(function.Chain(h, func(next function.Handler) function.Handler { return next })), nethttp.WithLogger(quietLogger())))
	defer srv.Close()
	resp, body := post(t, srv.URL, binaryHeaders("test.none"), `{}`)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	p := problem(t, resp, body)
	assert.Contains(t, p.Detail, "start hook failed")
	assert.NotContains(t, body, "config service")
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))

	h.mu.Lock()
	h.startErr = nil
	h.mu.Unlock()
	resp, _ = post(t, srv.URL, binaryHeaders("test.none"), `{}`)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp, _ = post(t, srv.URL, binaryHeaders("test.none"), `{}`)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Equal(t, 2, h.starts, "start runs until it succeeds, then never again")
}

// TestSourcesOfSuccessiveEvents guards the parsed-source cache: each event
// keeps its own source.
func TestSourcesOfSuccessiveEvents(t *testing.T) {
	sources := make(chan string, 8)
	srv := httptest.NewServer(nethttp.New(nethttp.Events(function.HandlerFunc(func(_ context.Context, e event.Event) (*event.Event, error) {
		sources <- e.Source()
		return nil, nil
	}))))
	defer srv.Close()
	want := []string{"//a.example/x", "https://b.example/y?z=1", "//a.example/x", "//a.example/x", "urn:c"}
	for _, src := range want {
		h := binaryHeaders("test.none")
		h["Ce-Source"] = src
		resp, body := post(t, srv.URL, h, `{}`)
		require.Equal(t, http.StatusNoContent, resp.StatusCode, body)
		assert.Equal(t, src, <-sources)
	}
	h := binaryHeaders("test.none")
	h["Ce-Source"] = "http://[::1"
	resp, body := post(t, srv.URL, h, `{}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, problem(t, resp, body).Detail, `ce-source header "http://[::1" is not a URI-reference`)
}
