// Package fntest unit-tests a faasport function through the same adapters
// it is deployed with, in-process: each input is built in every platform's
// native shape (an SQS batch for Lambda, a Pub/Sub CloudEvent for Cloud
// Functions, a CloudEvents HTTP request for net/http), sent through the real
// adapter, and the outcome is handed to a check that runs once per platform.
//
//	func TestOrders(t *testing.T) {
//		fntest.OnEveryPlatform(t, handler, fntest.QueueMessage(`{"id":"o-1"}`), func(t *testing.T, r fntest.Result) {
//			require.NoError(t, r.Err)
//			assert.False(t, r.Redelivered)
//		})
//	}
//
// Use [Serve] for HTTP handlers. Neighbours: testing/statetest checks
// state backends; state/memstate is the in-memory store for unit tests.
package fntest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/adaptertest"
)

// platforms are the platforms OnEveryPlatform and Serve run on, in order:
// those of the adapters' conformance harnesses (testing/adaptertest).
func platforms() []function.Platform {
	var ps []function.Platform
	for _, h := range adaptertest.Harnesses() {
		ps = append(ps, h.Platform())
	}
	return ps
}

// httpHarness returns the harness of an HTTP-delivered platform.
func httpHarness(p function.Platform) (adaptertest.HTTPHarness, bool) {
	for _, h := range adaptertest.Harnesses() {
		if hh, ok := h.(adaptertest.HTTPHarness); ok && h.Platform() == p {
			return hh, true
		}
	}
	return nil, false
}

// Input is one invocation, in the native shape of each platform.
type Input struct {
	name string
	// lambda is the Lambda invoke payload.
	lambda func() ([]byte, error)
	// google is the CloudEvent Cloud Functions receives.
	google func() (event.Event, error)
	// http is the CloudEvent a net/http host receives.
	http func() (event.Event, error)
}

// Result is what one platform made of an invocation.
type Result struct {
	Platform function.Platform
	// Calls is how often the handler ran (0 if the adapter rejected the input).
	Calls int
	// Event is the CloudEvent the handler last received.
	Event event.Event
	// Reply and Err are what the handler last returned.
	Reply *event.Event
	Err   error
	// Redelivered reports whether the platform would deliver the input
	// again: a Lambda error (other than a permanent one a synchronous
	// caller sees) or batch item failure, or an HTTP status push senders
	// redeliver — anything but 2xx, the front door's one table
	// (frontdoor.Redelivered).
	Redelivered bool
	// Status is the HTTP status (Cloud Functions, net/http); 0 on Lambda.
	Status int
	// Response is the raw response: Lambda's payload or the HTTP body.
	Response []byte
}

// recorder wraps the handler under test to see what it received and returned.
type recorder struct {
	h  function.Handler
	mu sync.Mutex
	r  Result
}

func (rec *recorder) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	reply, err := rec.h.Handle(ctx, e)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.r.Calls++
	rec.r.Event, rec.r.Reply, rec.r.Err = e, reply, err
	return reply, err
}

// OnEveryPlatform sends in to h through the Lambda, Cloud Functions and
// net/http adapters, and calls check with each platform's Result in a
// subtest named after the platform.
func OnEveryPlatform(t *testing.T, h function.Handler, in Input, check func(t *testing.T, r Result)) {
	t.Helper()
	for _, p := range platforms() {
		t.Run(string(p), func(t *testing.T) {
			r, err := Invoke(p, h, in)
			if err != nil {
				t.Fatal(err)
			}
			check(t, r)
		})
	}
}

// Invoke sends in to h through the adapter of platform p
// (function.PlatformLambda, function.PlatformCloudFunctions or
// function.PlatformHTTP) and returns what happened. It fails only if the
// input cannot be built or sent.
func Invoke(p function.Platform, h function.Handler, in Input) (Result, error) {
	rec := &recorder{h: h}
	var err error
	hh, isHTTP := httpHarness(p)
	switch {
	case p == function.PlatformLambda:
		err = invokeLambda(rec, in)
	case isHTTP:
		build := in.http
		if p == function.PlatformCloudFunctions || p == function.PlatformCloudRun {
			build = in.google
		}
		err = postEvent(rec, build, func(h function.Handler) (http.Handler, error) { return hh.Handler(h, nil) })
	default:
		err = fmt.Errorf("unknown platform; use one of %v", platforms())
	}
	if err != nil {
		return Result{}, fmt.Errorf("fntest: %s input on %s: %w", in.name, p, err)
	}
	rec.r.Platform = p
	return rec.r, nil
}

func invokeLambda(rec *recorder, in Input) error {
	payload, err := in.lambda()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := lambda.New(lambda.Events(rec)).Invoke(ctx, payload)
	rec.r.Response = out
	if err != nil {
		var lerr *lambda.Error
		// A permanent error reaches a synchronous caller, who sees it;
		// Lambda redelivers nothing for it.
		rec.r.Redelivered = !errors.As(err, &lerr) || lerr.Type != lambda.ErrorTypePermanent
		return nil
	}
	var batch events.SQSEventResponse
	if json.Unmarshal(out, &batch) == nil && len(batch.BatchItemFailures) > 0 {
		rec.r.Redelivered = true
	}
	return nil
}

func postEvent(rec *recorder, build func() (event.Event, error), serve func(function.Handler) (http.Handler, error)) error {
	e, err := build()
	if err != nil {
		return err
	}
	srv, err := serve(rec)
	if err != nil {
		return err
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	req, err := binaryRequest(ts.URL, e)
	if err != nil {
		return err
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	rec.r.Status = resp.StatusCode
	rec.r.Response, err = io.ReadAll(resp.Body)
	rec.r.Redelivered = frontdoor.Redelivered(resp.StatusCode)
	return err
}

// binaryRequest builds a binary-mode CloudEvents HTTP request for e.
func binaryRequest(url string, e event.Event) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(e.Data()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("ce-specversion", e.SpecVersion())
	req.Header.Set("ce-id", e.ID())
	req.Header.Set("ce-source", e.Source())
	req.Header.Set("ce-type", e.Type())
	if s := e.Subject(); s != "" {
		req.Header.Set("ce-subject", s)
	}
	if !e.Time().IsZero() {
		req.Header.Set("ce-time", e.Time().UTC().Format(time.RFC3339Nano))
	}
	for k, v := range e.Extensions() {
		req.Header.Set("ce-"+k, fmt.Sprint(v))
	}
	if ct := e.DataContentType(); ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	return req, nil
}

// Serve sends req to h through the Lambda (as an API Gateway HTTP API
// event), Cloud Functions and net/http adapters, and calls check with each
// platform's response. The request body is read once and replayed.
func Serve(t *testing.T, h http.Handler, req *http.Request, check func(t *testing.T, p function.Platform, resp *http.Response)) {
	t.Helper()
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			t.Fatalf("fntest: read request body: %v", err)
		}
	}
	for _, p := range platforms() {
		t.Run(string(p), func(t *testing.T) {
			var resp *http.Response
			var err error
			if p == function.PlatformLambda {
				resp, err = serveLambda(h, req, body)
			} else if hh, ok := httpHarness(p); ok {
				var srv http.Handler
				if srv, err = hh.Handler(nil, h); err == nil {
					resp, err = serveHTTP(srv, req, body)
				}
			} else {
				err = fmt.Errorf("no harness for platform %s", p)
			}
			if err != nil {
				t.Fatalf("fntest: %s %s on %s: %v", req.Method, req.URL, p, err)
			}
			defer resp.Body.Close()
			check(t, p, resp)
		})
	}
}

func serveHTTP(srv http.Handler, req *http.Request, body []byte) (*http.Response, error) {
	ts := httptest.NewServer(srv)
	defer ts.Close()
	r, err := http.NewRequest(req.Method, ts.URL+req.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header = req.Header.Clone()
	resp, err := ts.Client().Do(r)
	if err != nil {
		return nil, err
	}
	// Read the body now: the test server closes when this returns.
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, err
}

func serveLambda(h http.Handler, req *http.Request, body []byte) (*http.Response, error) {
	in := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       "$default",
		RawPath:        req.URL.EscapedPath(),
		RawQueryString: req.URL.RawQuery,
		Headers:        map[string]string{},
		Body:           string(body),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "fntest-request",
			Stage:     "$default",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: req.Method, Path: req.URL.Path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: req.UserAgent(),
			},
		},
	}
	if in.RawPath == "" {
		in.RawPath = "/"
	}
	for k, v := range req.Header {
		if strings.EqualFold(k, "Cookie") {
			in.Cookies = append(in.Cookies, v...)
			continue
		}
		in.Headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	payload, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	out, err := lambda.New(lambda.HTTP(h)).Invoke(context.Background(), payload)
	if err != nil {
		return nil, err
	}
	var r events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("decode API Gateway response %s: %w", out, err)
	}
	resp := &http.Response{StatusCode: r.StatusCode, Header: http.Header{}, Request: req}
	for k, v := range r.Headers {
		resp.Header.Set(k, v)
	}
	for k, vs := range r.MultiValueHeaders {
		for _, v := range vs {
			resp.Header.Add(k, v)
		}
	}
	for _, c := range r.Cookies {
		resp.Header.Add("Set-Cookie", c)
	}
	b := []byte(r.Body)
	if r.IsBase64Encoded {
		if b, err = decodeBase64(r.Body); err != nil {
			return nil, err
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}
