package adaptertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/adapters/nethttp"
	"github.com/faasport/faasport/function"
)

// Harnesses returns the harnesses of the adapters in this module, Lambda
// first, then Cloud Functions, net/http and Azure Functions.
func Harnesses() []Harness { return []Harness{Lambda(), GCF(), NetHTTP(), Azure()} }

// NetHTTP is the harness of adapters/nethttp.
func NetHTTP() HTTPHarness {
	return &httpHarness{name: "nethttp", platform: function.PlatformHTTP,
		build: func(opts ...frontdoor.Option) (http.Handler, error) {
			return nethttp.New(append(opts, nethttp.WithGetenv(noEnv))...), nil
		}}
}

// GCF is the harness of adapters/gcf, posing as Cloud Functions.
func GCF() HTTPHarness {
	return &httpHarness{name: "gcf", platform: function.PlatformCloudFunctions,
		build: func(opts ...frontdoor.Option) (http.Handler, error) {
			return gcf.New(append(opts, gcf.WithGetenv(cloudFunctionsEnv))...)
		}}
}

func noEnv(string) string { return "" }

// cloudFunctionsEnv is the environment of a Cloud Functions deployment.
func cloudFunctionsEnv(k string) string {
	if k == "FUNCTION_TARGET" {
		return "adaptertest"
	}
	return ""
}

// quiet is the adapters' logger in the suite.
func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// httpHarness delivers over a real loopback connection: a single event in
// binary mode, a batch in batch mode, an event with an attempt as the
// Pub/Sub push that carries one.
type httpHarness struct {
	name     string
	platform function.Platform
	build    func(opts ...frontdoor.Option) (http.Handler, error)
}

func (h *httpHarness) Name() string                { return h.name }
func (h *httpHarness) Platform() function.Platform { return h.platform }
func (h *httpHarness) Features() Features {
	return Features{Batches: true, Replies: true, Streaming: true, RetryAfter: true, BodyLimit: true, Attempt: true}
}

func (h *httpHarness) Handler(events function.Handler, web http.Handler) (http.Handler, error) {
	opts := []frontdoor.Option{frontdoor.WithLogger(quiet())}
	if events != nil {
		opts = append(opts, frontdoor.Events(events))
	}
	if web != nil {
		opts = append(opts, frontdoor.HTTP(web))
	}
	return h.build(opts...)
}

func (h *httpHarness) New(events function.Handler, o Options) (Adapter, error) {
	opts := []frontdoor.Option{frontdoor.Events(events), frontdoor.WithLogger(quiet())}
	if o.MaxBodyBytes > 0 {
		opts = append(opts, frontdoor.WithMaxBodyBytes(o.MaxBodyBytes))
	}
	if o.Timeout > 0 {
		opts = append(opts, frontdoor.WithTimeout(o.Timeout))
	}
	srv, err := h.build(opts...)
	if err != nil {
		return nil, err
	}
	return &httpAdapter{srv: httptest.NewServer(srv), handler: srv}, nil
}

type httpAdapter struct {
	srv     *httptest.Server
	handler http.Handler
}

func (a *httpAdapter) Stop(ctx context.Context) error {
	a.srv.Close() // waits for requests in flight
	if s, ok := a.handler.(interface{ Stop(context.Context) error }); ok {
		return s.Stop(ctx)
	}
	return nil
}

func (a *httpAdapter) Deliver(ctx context.Context, d Delivery) (Result, error) {
	req, err := httpRequest(ctx, a.srv.URL, d)
	if err != nil {
		return Result{}, err
	}
	resp, err := a.srv.Client().Do(req)
	if err != nil {
		return Result{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Result{}, err
	}
	r := Result{Status: resp.StatusCode, Response: body, Redelivered: frontdoor.Redelivered(resp.StatusCode)}
	if s := resp.Header.Get("Retry-After"); s != "" {
		secs, _ := strconv.Atoi(s)
		r.RetryAfter = time.Duration(secs) * time.Second
	}
	if r.Redelivered {
		for _, e := range d.Events {
			r.Failed = append(r.Failed, e.ID())
		}
	}
	if resp.StatusCode == http.StatusOK && resp.Header.Get("Ce-Id") != "" {
		r.Reply = body
	}
	return r, nil
}

// httpRequest builds the native request of d.
func httpRequest(ctx context.Context, url string, d Delivery) (*http.Request, error) {
	switch {
	case len(d.Events) != 1:
		return BatchRequest(ctx, url, d.Events)
	case d.Attempt > 0:
		e := d.Events[0]
		push := map[string]any{
			"message": map[string]any{
				"data":        base64.StdEncoding.EncodeToString(e.Data()),
				"messageId":   e.ID(),
				"publishTime": time.Now().UTC().Format(time.RFC3339Nano),
			},
			"subscription":    "projects/adaptertest/subscriptions/s",
			"deliveryAttempt": d.Attempt,
		}
		b, err := json.Marshal(push)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		return req, nil
	}
	return BinaryRequest(ctx, url, d.Events[0])
}

// BatchRequest builds a batched-mode CloudEvents HTTP request for es.
func BatchRequest(ctx context.Context, url string, es []event.Event) (*http.Request, error) {
	b, err := json.Marshal(es)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", frontdoor.MediaTypeBatch)
	return req, nil
}

// BinaryRequest builds a binary-mode CloudEvents HTTP request for e.
func BinaryRequest(ctx context.Context, url string, e event.Event) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(e.Data()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Ce-Specversion", e.SpecVersion())
	req.Header.Set("Ce-Id", e.ID())
	req.Header.Set("Ce-Source", e.Source())
	req.Header.Set("Ce-Type", e.Type())
	if s := e.Subject(); s != "" {
		req.Header.Set("Ce-Subject", s)
	}
	if !e.Time().IsZero() {
		req.Header.Set("Ce-Time", e.Time().UTC().Format(time.RFC3339Nano))
	}
	for k, v := range e.Extensions() {
		req.Header.Set("Ce-"+k, fmt.Sprint(v))
	}
	if ct := e.DataContentType(); ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	return req, nil
}
