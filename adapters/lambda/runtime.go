package lambda

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/invoke"
)

// This file is the adapter's own client of the Lambda Runtime API: the
// invocation loop [Start] runs. It speaks the same wire protocol as
// aws-lambda-go's loop (the same requests, headers, bodies and trailers),
// without linking that package, whose RPC mode for the retired go1.x
// runtime brings net/rpc, encoding/gob and html/template into every binary.

// ErrRuntimeAPI is wrapped by the error [Start] returns when the Lambda
// Runtime API fails: it cannot be reached, or answers a request with an
// unexpected status. Lambda's answer to that is a fresh process, so the
// caller should return from main (or exit) rather than call Start again;
// aws-lambda-go exits the process itself at this point.
var ErrRuntimeAPI = errors.New("lambda: the Lambda Runtime API failed; return from main (or exit) so Lambda starts a fresh process")

// ErrPanicked is wrapped by the error [Start] returns after an invocation
// panicked outside the handlers' own recovery: the panic was reported to
// Lambda as the invocation's error, with its stack, and the process may be
// in a broken state. Return from main (or exit) so Lambda starts a fresh
// process, as aws-lambda-go does by exiting.
var ErrPanicked = errors.New("lambda: an invocation panicked; it was reported to Lambda as a function error; return from main (or exit) so Lambda starts a fresh process")

// The Runtime API's paths, headers and content types.
const (
	runtimeAPIPrefix   = "/2018-06-01/runtime/invocation/"
	extensionAPIPrefix = "/2020-01-01/extension/"

	headerRequestID       = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline        = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN     = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID         = "Lambda-Runtime-Trace-Id"
	headerClientContext   = "Lambda-Runtime-Client-Context"
	headerCognitoIdentity = "Lambda-Runtime-Cognito-Identity"
	headerTenantID        = "Lambda-Runtime-Aws-Tenant-Id"
	headerXRayErrorCause  = "Lambda-Runtime-Function-Xray-Error-Cause"
	headerErrorType       = "Lambda-Runtime-Function-Error-Type"
	headerErrorBody       = "Lambda-Runtime-Function-Error-Body"
	headerResponseMode    = "Lambda-Runtime-Function-Response-Mode"
	headerExtensionName   = "Lambda-Extension-Name"
	headerExtensionID     = "Lambda-Extension-Identifier"

	contentTypeJSON  = "application/json"
	contentTypeBytes = "application/octet-stream"

	// maxXRayErrorCause bounds the X-Ray cause header; a larger cause is
	// left out rather than risk a request Lambda refuses.
	maxXRayErrorCause = 1 << 20
	// maxPayloadPrealloc bounds the buffer allocated up front from an
	// invocation's Content-Length (Lambda's synchronous limit is 6 MB).
	maxPayloadPrealloc = 8 << 20
	// panicFrames is how many stack frames a panic report carries.
	panicFrames = 32
	// sigtermExtension is the name the in-process extension registers
	// under; Lambda shows it in the function's logs.
	sigtermExtension = "GoLangEnableSIGTERM"
	// traceEnv is where X-Ray instrumentation finds the invocation's trace
	// header when one invocation runs at a time.
	traceEnv = "_X_AMZN_TRACE_ID"
	// traceKey is the context key under which the trace header travels
	// (the X-Ray SDK and [Handler.invocation] read it).
	traceKey = "x-amzn-trace-id"
)

// invokeFunc handles one invocation. The payload is the invocation's own
// buffer. The body may implement ContentType() string, and io.Closer: it is
// closed once sent.
type invokeFunc func(ctx context.Context, payload []byte) (io.Reader, error)

// runtimeAPI is a client of the Runtime API and of the Extensions API at
// one address.
type runtimeAPI struct {
	addr        string
	invocations string // http://host/2018-06-01/runtime/invocation/
	extensions  string // http://host/2020-01-01/extension/
	userAgent   string
	// client never times out: the next-invocation request waits as long as
	// the function is idle. Its connections are kept alive between calls.
	client *http.Client
}

func newRuntimeAPI(addr string) *runtimeAPI {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// The Runtime API is local to the sandbox: never reach it through a
	// proxy the function's environment may name.
	tr.Proxy = nil
	// It speaks HTTP/1.1 only: the transport need not set up HTTP/2 on
	// the first request.
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetHTTP1(true)
	return &runtimeAPI{
		addr:        addr,
		invocations: "http://" + addr + runtimeAPIPrefix,
		extensions:  "http://" + addr + extensionAPIPrefix,
		userAgent:   "faasport (" + runtime.Version() + ")",
		client:      &http.Client{Transport: tr},
	}
}

// pending is an invocation taken from the Runtime API.
type pending struct {
	id      string
	header  http.Header
	payload []byte
}

// next waits for the next invocation.
func (a *runtimeAPI) next(ctx context.Context) (*pending, error) {
	url := a.invocations + "next"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	req.Header.Set("User-Agent", a.userAgent)
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s%s", url, resp.Status, excerpt(resp.Body))
	}
	// Events share the payload's bytes, so every invocation gets a buffer
	// of its own, sized from Content-Length when Lambda sends it.
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 {
		buf.Grow(int(min(n, maxPayloadPrealloc)) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, fmt.Errorf("GET %s: reading the payload: %w", url, err)
	}
	return &pending{id: resp.Header.Get(headerRequestID), header: resp.Header, payload: buf.Bytes()}, nil
}

// excerpt reads the start of an error response, for the error message.
func excerpt(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 512))
	if s := strings.TrimSpace(string(b)); s != "" {
		return ": " + s
	}
	return ""
}

// post sends an invocation's response or error. The body goes out chunked,
// with the error trailers declared: if reading the body fails (a streamed
// response whose handler failed mid-way), the trailers carry the error.
func (a *runtimeAPI) post(url string, body io.Reader, header http.Header) error {
	br := &trailingBody{r: body, trailer: http.Header{headerErrorType: nil, headerErrorBody: nil}}
	req, err := http.NewRequest(http.MethodPost, url, br)
	if err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	req.Header = header
	req.Header.Set("User-Agent", a.userAgent)
	req.Trailer = br.trailer
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST %s: %s%s", url, resp.Status, excerpt(resp.Body))
	}
	// Read to the end so the connection is reused.
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("POST %s: reading the answer: %w", url, err)
	}
	return nil
}

// trailingBody ends the body early at a read error and records the error
// in the trailers, which the transport sends after the last chunk.
type trailingBody struct {
	r       io.Reader
	trailer http.Header
}

func (b *trailingBody) Read(p []byte) (int, error) {
	if b.r == nil {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	if err == nil || err == io.EOF {
		return n, err
	}
	e := errorResponse(err)
	b.trailer.Set(headerErrorType, e.Type)
	b.trailer.Set(headerErrorBody, base64.StdEncoding.EncodeToString(marshalError(e)))
	b.r = nil
	return 0, io.EOF
}

// registerExtension registers an in-process extension that subscribes to
// no event: a function with any extension registered gets SIGTERM (and
// about 500ms) before Lambda stops it, instead of a bare SIGKILL. It
// returns the extension's identifier, for [runtimeAPI.extensionIdle].
// Registration must happen before the runtime first asks for an
// invocation.
func (a *runtimeAPI) registerExtension(ctx context.Context) (string, error) {
	url := a.extensions + "register"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(`{"events":null}`))
	if err != nil {
		return "", fmt.Errorf("POST %s: %w", url, err)
	}
	req.Header.Set(headerExtensionName, sigtermExtension)
	resp, err := a.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("POST %s: %s%s", url, resp.Status, excerpt(resp.Body))
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Header.Get(headerExtensionID), nil
}

// dialExtension dials the connection for the extension's long poll ahead
// of time, while the registration is under way: the poll then costs the
// first invocation a single write.
func (a *runtimeAPI) dialExtension(ctx context.Context) <-chan net.Conn {
	ch := make(chan net.Conn, 1)
	go func() {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", a.addr)
		if err != nil {
			c = nil
		}
		ch <- c
	}()
	return ch
}

// extensionIdle tells Lambda the extension id is initialised by asking for
// its next event, on conn (nil: dial one now); having registered for none,
// it waits until ctx ends. Lambda sends the first invocation only once the
// extension asks. It is a single request, written and read on the
// connection directly.
func (a *runtimeAPI) extensionIdle(ctx context.Context, conn net.Conn, id string) {
	if conn == nil {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", a.addr)
		if err != nil {
			return
		}
		conn = c
	}
	defer conn.Close()
	defer context.AfterFunc(ctx, func() { conn.Close() })()
	req, err := http.NewRequest(http.MethodGet, a.extensions+"event/next", nil)
	if err != nil {
		return
	}
	req.Header.Set(headerExtensionID, id)
	if err := req.Write(conn); err != nil {
		return
	}
	if resp, err := http.ReadResponse(bufio.NewReader(conn), req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// runtimeLoop serves invocations from the Runtime API.
type runtimeLoop struct {
	api *runtimeAPI
	// base is the parent of every invocation's context.
	base context.Context
	// traceEnv: one invocation runs at a time, so the trace header can go
	// in the process environment too.
	traceEnv bool
	// ready is closed once invoke and log are set: the first poll may go
	// out before the handler is built.
	ready    chan struct{}
	invoke   invokeFunc
	log      *slog.Logger
	function string // the function's name, for the log
}

// run serves invocations until ctx ends (it returns nil) or the Runtime
// API fails or an invocation panics (it returns an error wrapping
// [ErrRuntimeAPI] or [ErrPanicked]). The first poll uses firstCtx, a ctx
// that may carry an httptrace.ClientTrace.
func (l *runtimeLoop) run(ctx, firstCtx context.Context) error {
	for pollCtx := firstCtx; ; pollCtx = ctx {
		p, err := l.api.next(pollCtx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("%w: waiting for the next invocation: %w", ErrRuntimeAPI, err)
		}
		if err := l.serve(p); err != nil {
			return err
		}
	}
}

// serve runs one invocation and sends its response or error.
func (l *runtimeLoop) serve(p *pending) error {
	<-l.ready
	ctx, cancel, failure := l.context(p)
	defer cancel()
	if failure != nil {
		return l.fail(p, failure, false)
	}
	body, failure := call(ctx, l.invoke, p.payload)
	if failure != nil {
		if err := l.fail(p, failure, !failure.ShouldExit); err != nil {
			return err
		}
		if failure.ShouldExit {
			return fmt.Errorf("%w: invocation %s: %s: %s", ErrPanicked, p.id, failure.Type, failure.Message)
		}
		return nil
	}
	if c, ok := body.(io.Closer); ok {
		defer c.Close()
	}
	h := http.Header{"Content-Type": {contentTypeBytes}}
	if ct, ok := body.(interface{ ContentType() string }); ok {
		h.Set("Content-Type", ct.ContentType())
	}
	if _, ok := body.(*events.LambdaFunctionURLStreamingResponse); ok {
		h.Set(headerResponseMode, "streaming")
	}
	if err := l.api.post(l.api.invocations+p.id+"/response", body, h); err != nil {
		return fmt.Errorf("%w: sending the response: %w", ErrRuntimeAPI, err)
	}
	return nil
}

// context builds the invocation's context from the Runtime API's headers:
// the deadline, the Lambda context and the X-Ray trace header.
func (l *runtimeLoop) context(p *pending) (context.Context, context.CancelFunc, *messages.InvokeResponse_Error) {
	ms, err := strconv.ParseInt(p.header.Get(headerDeadline), 10, 64)
	if err != nil {
		return l.base, func() {}, errorResponse(fmt.Errorf("lambda: the Runtime API sent an unreadable %s header: %w", headerDeadline, err))
	}
	ctx, cancel := context.WithDeadline(l.base, time.UnixMilli(ms))
	lc := &lambdacontext.LambdaContext{
		AwsRequestID:       p.id,
		InvokedFunctionArn: p.header.Get(headerFunctionARN),
		TenantID:           p.header.Get(headerTenantID),
	}
	if s := p.header.Get(headerClientContext); s != "" {
		if err := json.Unmarshal([]byte(s), &lc.ClientContext); err != nil {
			return ctx, cancel, errorResponse(fmt.Errorf("lambda: the Runtime API sent an unreadable %s header: %w", headerClientContext, err))
		}
	}
	if s := p.header.Get(headerCognitoIdentity); s != "" {
		if err := json.Unmarshal([]byte(s), &lc.Identity); err != nil {
			return ctx, cancel, errorResponse(fmt.Errorf("lambda: the Runtime API sent an unreadable %s header: %w", headerCognitoIdentity, err))
		}
	}
	ctx = lambdacontext.NewContext(ctx, lc)
	trace := p.header.Get(headerTraceID)
	if l.traceEnv {
		_ = os.Setenv(traceEnv, trace)
	}
	//lint:ignore SA1029 the X-Ray SDK and aws-lambda-go's users look the trace header up under this string key
	ctx = context.WithValue(ctx, traceKey, trace)
	return ctx, cancel, nil
}

// call runs the handler, turning its error or panic into the error report.
func call(ctx context.Context, f invokeFunc, payload []byte) (body io.Reader, failure *messages.InvokeResponse_Error) {
	defer func() {
		if v := recover(); v != nil {
			failure = panicResponse(v)
		}
	}()
	body, err := f(ctx, payload)
	if err != nil {
		return nil, errorResponse(err)
	}
	return body, nil
}

// fail reports an invocation's error to the Runtime API. Errors a handler
// returned were logged by the [Handler]; logged says whether this one
// still needs logging (a panic, an invocation the loop could not set up).
func (l *runtimeLoop) fail(p *pending, e *messages.InvokeResponse_Error, logged bool) error {
	if !logged {
		l.logFailure(p, e)
	}
	h := http.Header{"Content-Type": {contentTypeJSON}}
	if validHeaderValue(e.Type) {
		h.Set(headerErrorType, e.Type)
	}
	if cause, err := json.Marshal(xrayCause(e)); err == nil && len(cause) < maxXRayErrorCause {
		h.Set(headerXRayErrorCause, string(cause))
	}
	if err := l.api.post(l.api.invocations+p.id+"/error", bytes.NewReader(marshalError(e)), h); err != nil {
		return fmt.Errorf("%w: sending the error: %w", ErrRuntimeAPI, err)
	}
	return nil
}

// logFailure logs, in the one schema, a panic that reached the loop or an
// invocation whose headers it could not read.
func (l *runtimeLoop) logFailure(p *pending, e *messages.InvokeResponse_Error) {
	inv := function.Invocation{Platform: function.PlatformLambda, FunctionName: l.function, RequestID: p.id}
	ctx := function.NewContext(context.Background(), &inv)
	if !e.ShouldExit {
		invoke.LogOutcome(ctx, l.log, nil, invoke.OutcomeRefused, errors.New(e.Message), 0)
		return
	}
	var stack strings.Builder
	for _, f := range e.StackTrace {
		fmt.Fprintf(&stack, "%s\n\t%s:%d\n", f.Label, f.Path, f.Line)
	}
	invoke.LogOutcome(ctx, l.log, nil, invoke.OutcomePanic, nil, 0,
		slog.String(invoke.KeyPanic, e.Type+": "+e.Message), slog.String(invoke.KeyStack, stack.String()))
}

// validHeaderValue tells whether s can go in a header as it is: an error
// type of the user's making could hold a control character, which would
// make the whole error report fail.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// errorResponse is the error report for err: an [*Error] anywhere in its
// chain reports its Type; any other error is named after its Go type, as
// aws-lambda-go names it.
func errorResponse(err error) *messages.InvokeResponse_Error {
	if e, ok := err.(messages.InvokeResponse_Error); ok {
		return &e
	}
	var fe *Error
	if errors.As(err, &fe) {
		return &messages.InvokeResponse_Error{Message: fe.Error(), Type: fe.Type}
	}
	return &messages.InvokeResponse_Error{Message: err.Error(), Type: typeName(err)}
}

// panicResponse is the error report for a recovered panic value.
func panicResponse(v any) *messages.InvokeResponse_Error {
	if e, ok := v.(messages.InvokeResponse_Error); ok {
		return &e
	}
	return &messages.InvokeResponse_Error{
		Message:    fmt.Sprint(v),
		Type:       typeName(v),
		StackTrace: panicStack(),
		ShouldExit: true,
	}
}

// typeName is v's type name, without the pointer: *fs.PathError is
// "PathError".
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// panicStack is the stack of the panicking goroutine, from the panic down,
// as called from call's deferred recover.
func panicStack() []*messages.InvokeResponse_Error_StackFrame {
	pcs := make([]uintptr, panicFrames)
	// Skip runtime.Callers, panicStack, panicResponse and the deferred func.
	n := runtime.Callers(4, pcs)
	out := make([]*messages.InvokeResponse_Error_StackFrame, 0, n)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		out = append(out, stackFrame(f))
		if !more {
			return out
		}
	}
}

// stackFrame reports f with a path relative to its module root (the
// import path's elements, the package directory and the file) and the
// function's name without its package.
func stackFrame(f runtime.Frame) *messages.InvokeResponse_Error_StackFrame {
	file := f.File
	i := len(file)
	for keep := strings.Count(f.Function, "/") + 2; keep > 0 && i >= 0; keep-- {
		i = strings.LastIndexByte(file[:i], '/')
	}
	label := f.Function[strings.LastIndexByte(f.Function, '/')+1:]
	label = label[strings.IndexByte(label, '.')+1:]
	return &messages.InvokeResponse_Error_StackFrame{Path: file[i+1:], Line: int32(f.Line), Label: label}
}

// marshalError is the JSON of an error report. It cannot fail: the report
// holds only strings and numbers, and json replaces invalid UTF-8.
func marshalError(e *messages.InvokeResponse_Error) []byte {
	b, _ := json.Marshal(e)
	return b
}

// xrayCause is the error's cause in the form X-Ray reads from
// the Lambda-Runtime-Function-Xray-Error-Cause header.
func xrayCause(e *messages.InvokeResponse_Error) any {
	type exception struct {
		Type    string                                      `json:"type"`
		Message string                                      `json:"message"`
		Stack   []*messages.InvokeResponse_Error_StackFrame `json:"stack"`
	}
	type cause struct {
		WorkingDirectory string      `json:"working_directory"`
		Exceptions       []exception `json:"exceptions"`
		Paths            []string    `json:"paths"`
	}
	paths := []string{}
	seen := map[string]bool{}
	for _, f := range e.StackTrace {
		if !seen[f.Path] {
			seen[f.Path] = true
			paths = append(paths, f.Path)
		}
	}
	stack := e.StackTrace
	if stack == nil {
		stack = []*messages.InvokeResponse_Error_StackFrame{}
	}
	wd, _ := os.Getwd()
	return cause{WorkingDirectory: wd, Exceptions: []exception{{Type: e.Type, Message: e.Message, Stack: stack}}, Paths: paths}
}

// maxConcurrency is how many invocations Lambda may send the process at
// once (AWS_LAMBDA_MAX_CONCURRENCY, set on Lambda Managed Instances): the
// loop runs as many pollers. Unset or invalid means 1, as in aws-lambda-go.
func maxConcurrency(getenv func(string) string) int {
	n, err := strconv.Atoi(getenv("AWS_LAMBDA_MAX_CONCURRENCY"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}
