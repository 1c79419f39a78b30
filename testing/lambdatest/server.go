// Package lambdatest runs a test-only AWS Lambda Runtime API on loopback, so
// a real function binary (or an in-process runtime loop) can be driven by a
// test exactly as Lambda drives it: the function long-polls for the next
// invocation, and posts a response or an error.
//
// Typical use:
//
//	srv := lambdatest.NewServer(t)
//	cmd := exec.Command(bootstrap)
//	cmd.Env = append(os.Environ(), srv.Env()...)
//	require.NoError(t, cmd.Start())
//	resp, err := srv.Invoke(ctx, []byte(`{"hello":"world"}`))
//	require.NoError(t, err)
//	require.Nil(t, resp.Error)
//
// It serves the runtime endpoints (/2018-06-01/runtime/invocation/next,
// /{id}/response, /{id}/error, /init/error) with the Lambda-Runtime-*
// headers (request id, deadline, function ARN, trace id, and per invocation
// the client context, Cognito identity and tenant id), and just enough of
// the Extensions API for the in-process extension that makes Lambda send
// SIGTERM. Neighbours: adapters/lambda runs faasport handlers under it;
// testing/fntest builds native events.
package lambdatest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ErrorResponse is an error the function reported, on /error or /init/error.
type ErrorResponse struct {
	Type       string          `json:"errorType"`
	Message    string          `json:"errorMessage"`
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
}

func (e *ErrorResponse) Error() string { return e.Type + ": " + e.Message }

// Response is the function's answer to one invocation.
type Response struct {
	RequestID   string
	ContentType string
	// Payload is the response body (for a streamed response, all of it).
	Payload []byte
	// Error is set when the function reported an error instead of a
	// response, or a streamed response ended with an error trailer.
	Error *ErrorResponse
}

// Option configures a Server.
type Option func(*Server)

// WithFunctionARN sets the Lambda-Runtime-Invoked-Function-Arn header. The
// default is arn:aws:lambda:us-east-1:123456789012:function:test.
func WithFunctionARN(arn string) Option { return func(s *Server) { s.arn = arn } }

// WithTimeout sets the function timeout, sent as Lambda-Runtime-Deadline-Ms
// relative to when the function picks the invocation up. The default is
// 30 seconds.
func WithTimeout(d time.Duration) Option { return func(s *Server) { s.timeout = d } }

// Server is a Runtime API server on 127.0.0.1.
type Server struct {
	srv     *httptest.Server
	arn     string
	timeout time.Duration

	queue   chan *pending
	done    chan struct{}
	seq     atomic.Int64
	mu      sync.Mutex
	running map[string]*pending
	initErr chan *ErrorResponse
	nexts   atomic.Int64
}

type pending struct {
	id       string
	payload  []byte
	trace    string
	client   string // Lambda-Runtime-Client-Context
	identity string // Lambda-Runtime-Cognito-Identity
	tenant   string // Lambda-Runtime-Aws-Tenant-Id
	result   chan *Response
	stream   chan *Stream // set by InvokeStream
}

// Stream is a response the test reads while the function still writes it.
type Stream struct {
	RequestID   string
	ContentType string
	// Body yields the response as the function sends it. A read returns an
	// error wrapping the function's *ErrorResponse if the stream ended with
	// an error trailer. Read it to the end.
	Body io.Reader
}

// NewServer starts a Runtime API server; it stops when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := New(opts...)
	t.Cleanup(s.Close)
	return s
}

// New starts a Runtime API server; stop it with Close.
func New(opts ...Option) *Server {
	s := &Server{
		arn:     "arn:aws:lambda:us-east-1:123456789012:function:test",
		timeout: 30 * time.Second,
		queue:   make(chan *pending),
		done:    make(chan struct{}),
		running: map[string]*pending{},
		initErr: make(chan *ErrorResponse, 1),
	}
	for _, opt := range opts {
		opt(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", s.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", s.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", s.invokeError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", s.initError)
	mux.HandleFunc("POST /2020-01-01/extension/register", s.register)
	mux.HandleFunc("GET /2020-01-01/extension/event/next", s.extensionNext)
	s.srv = httptest.NewServer(mux) // listens on 127.0.0.1
	return s
}

// Addr is the host:port to put in AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return strings.TrimPrefix(s.srv.URL, "http://") }

// Env returns the environment a function process needs to run against s.
func (s *Server) Env() []string {
	name := s.arn[strings.LastIndexByte(s.arn, ':')+1:]
	return []string{
		"AWS_LAMBDA_RUNTIME_API=" + s.Addr(),
		"AWS_LAMBDA_FUNCTION_NAME=" + name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_REGION=us-east-1",
	}
}

// Polls reports how many times a function has asked for the next
// invocation: a function that is up and idle has asked once more than it
// was invoked.
func (s *Server) Polls() int64 { return s.nexts.Load() }

// Close stops the server; pending long polls return 410 Gone.
func (s *Server) Close() {
	select {
	case <-s.done:
		return
	default:
	}
	close(s.done)
	s.srv.Close()
}

// InvokeOption configures one invocation.
type InvokeOption func(*pending)

// WithTraceID sets the Lambda-Runtime-Trace-Id header of the invocation.
func WithTraceID(id string) InvokeOption { return func(p *pending) { p.trace = id } }

// WithClientContext sets the Lambda-Runtime-Client-Context header of the
// invocation: the JSON a mobile SDK's caller sends (client, env, custom),
// which Lambda passes on as it is.
func WithClientContext(json string) InvokeOption { return func(p *pending) { p.client = json } }

// WithCognitoIdentity sets the Lambda-Runtime-Cognito-Identity header of
// the invocation: the caller's Amazon Cognito identity as JSON, as Lambda
// sends it (cognitoIdentityId, cognitoIdentityPoolId).
func WithCognitoIdentity(json string) InvokeOption { return func(p *pending) { p.identity = json } }

// WithTenantID sets the Lambda-Runtime-Aws-Tenant-Id header of the
// invocation, which Lambda sends to functions in tenant isolation mode.
func WithTenantID(id string) InvokeOption { return func(p *pending) { p.tenant = id } }

// Invoke queues payload, waits until a function takes it and answers, and
// returns the answer. It fails if ctx ends first.
func (s *Server) Invoke(ctx context.Context, payload []byte, opts ...InvokeOption) (*Response, error) {
	p := &pending{
		id:      fmt.Sprintf("req-%08d", s.seq.Add(1)),
		payload: payload,
		trace:   "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
		result:  make(chan *Response, 1),
	}
	if err := s.enqueue(ctx, p, opts); err != nil {
		return nil, err
	}
	select {
	case r := <-p.result:
		return r, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("lambdatest: function did not answer invocation %s: %w", p.id, ctx.Err())
	case <-s.done:
		return nil, errors.New("lambdatest: server closed")
	}
}

// InitError waits for an /init/error report, or ctx's end.
func (s *Server) InitError(ctx context.Context) (*ErrorResponse, error) {
	select {
	case e := <-s.initErr:
		return e, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	s.nexts.Add(1)
	var p *pending
	select {
	case p = <-s.queue:
	case <-r.Context().Done():
		return
	case <-s.done:
		w.WriteHeader(http.StatusGone)
		return
	}
	s.mu.Lock()
	s.running[p.id] = p
	s.mu.Unlock()
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", p.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(s.timeout).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", s.arn)
	h.Set("Lambda-Runtime-Trace-Id", p.trace)
	for k, v := range map[string]string{
		"Lambda-Runtime-Client-Context":   p.client,
		"Lambda-Runtime-Cognito-Identity": p.identity,
		"Lambda-Runtime-Aws-Tenant-Id":    p.tenant,
	} {
		if v != "" {
			h.Set(k, v)
		}
	}
	h.Set("Content-Type", "application/json")
	_, _ = w.Write(p.payload)
}

func (s *Server) take(w http.ResponseWriter, r *http.Request) *pending {
	id := r.PathValue("id")
	s.mu.Lock()
	p := s.running[id]
	delete(s.running, id)
	s.mu.Unlock()
	if p == nil {
		http.Error(w, fmt.Sprintf(`{"errorMessage":"unknown or finished invocation %q","errorType":"InvalidRequestID"}`, id), http.StatusBadRequest)
	}
	return p
}

func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	p := s.take(w, r)
	if p == nil {
		return
	}
	if p.stream != nil {
		s.streamResponse(w, r, p)
		return
	}
	body, err := io.ReadAll(r.Body)
	resp := &Response{RequestID: p.id, ContentType: r.Header.Get("Content-Type"), Payload: body}
	if err != nil {
		resp.Error = &ErrorResponse{Type: "lambdatest.ReadError", Message: err.Error()}
	} else if t := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); t != "" {
		resp.Error = trailerError(t, r.Trailer.Get("Lambda-Runtime-Function-Error-Body"))
	}
	w.WriteHeader(http.StatusAccepted)
	p.result <- resp
}

func (s *Server) invokeError(w http.ResponseWriter, r *http.Request) {
	p := s.take(w, r)
	if p == nil {
		return
	}
	e := readError(r)
	w.WriteHeader(http.StatusAccepted)
	p.result <- &Response{RequestID: p.id, ContentType: r.Header.Get("Content-Type"), Error: e}
}

func readError(r *http.Request) *ErrorResponse {
	body, _ := io.ReadAll(r.Body)
	e := &ErrorResponse{}
	if err := json.Unmarshal(body, e); err != nil {
		e.Message = string(body)
	}
	if t := r.Header.Get("Lambda-Runtime-Function-Error-Type"); e.Type == "" {
		e.Type = t
	}
	return e
}

// trailerError reads the error trailers of a response that failed after it
// started: the type, and the error report as base64-encoded JSON, which is
// how Lambda reads it. A body that is not such a report is the message.
func trailerError(typ, body string) *ErrorResponse {
	e := &ErrorResponse{}
	if b, err := base64.StdEncoding.DecodeString(body); err != nil || json.Unmarshal(b, e) != nil {
		e = &ErrorResponse{Message: body}
	}
	if typ != "" {
		e.Type = typ
	}
	return e
}

func (s *Server) initError(w http.ResponseWriter, r *http.Request) {
	e := readError(r)
	w.WriteHeader(http.StatusAccepted)
	select {
	case s.initErr <- e:
	default:
	}
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Lambda-Extension-Identifier", "ext-"+r.Header.Get("Lambda-Extension-Name"))
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"functionName":"test","functionVersion":"$LATEST","handler":"bootstrap"}`)
}

// extensionNext never delivers an event: the SIGTERM extension registers
// for none and waits here until the process ends.
func (s *Server) extensionNext(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.done:
		w.WriteHeader(http.StatusGone)
	}
}

// enqueue applies opts to p and hands it to the next function that asks for
// an invocation.
func (s *Server) enqueue(ctx context.Context, p *pending, opts []InvokeOption) error {
	for _, opt := range opts {
		opt(p)
	}
	select {
	case s.queue <- p:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("lambdatest: no function asked for invocation %s: %w", p.id, ctx.Err())
	case <-s.done:
		return errors.New("lambdatest: server closed")
	}
}

// InvokeStream is Invoke for a streamed response: it returns once the
// function starts its response, with a Body that yields the rest as it
// arrives. An error response arrives as a Stream whose Body fails with the
// *ErrorResponse.
func (s *Server) InvokeStream(ctx context.Context, payload []byte, opts ...InvokeOption) (*Stream, error) {
	p := &pending{
		id:      fmt.Sprintf("req-%08d", s.seq.Add(1)),
		payload: payload,
		result:  make(chan *Response, 1),
		stream:  make(chan *Stream, 1),
	}
	if err := s.enqueue(ctx, p, opts); err != nil {
		return nil, err
	}
	select {
	case st := <-p.stream:
		return st, nil
	case r := <-p.result: // an /error response
		pr, pw := io.Pipe()
		pw.CloseWithError(r.Error)
		return &Stream{RequestID: r.RequestID, ContentType: r.ContentType, Body: pr}, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("lambdatest: function did not answer invocation %s: %w", p.id, ctx.Err())
	case <-s.done:
		return nil, errors.New("lambdatest: server closed")
	}
}

func (s *Server) streamResponse(w http.ResponseWriter, r *http.Request, p *pending) {
	pr, pw := io.Pipe()
	p.stream <- &Stream{RequestID: p.id, ContentType: r.Header.Get("Content-Type"), Body: pr}
	_, err := io.Copy(pw, r.Body)
	if err == nil {
		if t := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); t != "" {
			err = trailerError(t, r.Trailer.Get("Lambda-Runtime-Function-Error-Body"))
		}
	}
	pw.CloseWithError(err) // nil: EOF
	w.WriteHeader(http.StatusAccepted)
}
