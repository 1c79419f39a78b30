package lambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/lambdatest"
)

// The differential test runs the same invocations through aws-lambda-go's
// runtime loop (in a child process: it exits the process after a panic or
// when the Runtime API goes away) and through the adapter's own, each
// against a lambdatest server behind a recording proxy, and compares what
// the Runtime API received.

// awsLoopEnv makes TestAWSLoopChild run aws-lambda-go's loop for the
// scenario it names.
const awsLoopEnv = "FAASPORT_AWS_LOOP_CHILD"

// Compile-time check: Handler still plugs into aws-lambda-go as a
// lambda.Handler, for users who run it under aws-lambda-go themselves.
var _ awslambda.Handler = (*Handler)(nil)

func TestHandlerIsAnAWSLambdaHandler(t *testing.T) {
	assert.Implements(t, (*awslambda.Handler)(nil), New(Events(nopHandler())))
}

func nopHandler() function.Handler {
	return function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) { return nil, nil })
}

// TestAWSLoopChild is aws-lambda-go's side of the differential test; it
// runs only as a child process of TestRuntimeMatchesAWSLambdaGo.
func TestAWSLoopChild(t *testing.T) {
	scenario := os.Getenv(awsLoopEnv)
	if scenario == "" {
		t.Skip("the aws-lambda-go side of TestRuntimeMatchesAWSLambdaGo; runs only as its child")
	}
	var handler any
	switch scenario {
	case "synthetic":
		handler = func(ctx context.Context, payload json.RawMessage) (io.Reader, error) {
			r, err := syntheticInvoke(ctx, payload)
			return r, previousLambdaError(err)
		}
	case "handler":
		handler = previousRuntimeHandler(New(diffHandlerOptions()...))
	default:
		t.Fatalf("unknown scenario %q", scenario)
	}
	// As the adapter called it before it had its own loop. It never
	// returns: it exits the process when the loop fails.
	awslambda.StartWithOptions(handler, awslambda.WithEnableSIGTERM(func() {}))
}

// previousRuntimeHandler is what the adapter handed aws-lambda-go's loop
// before it had its own.
func previousRuntimeHandler(h *Handler) any {
	if h.streaming && h.web != nil {
		return func(ctx context.Context, payload json.RawMessage) (io.Reader, error) {
			r, err := h.invokeStreaming(ctx, payload)
			return r, previousLambdaError(err)
		}
	}
	return previousHandler{h}
}

type previousHandler struct{ h *Handler }

func (p previousHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := p.h.Invoke(ctx, append([]byte(nil), payload...))
	return out, previousLambdaError(err)
}

// previousLambdaError is how the adapter named its errors for
// aws-lambda-go's loop.
func previousLambdaError(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return messages.InvokeResponse_Error{Message: e.Error(), Type: e.Type}
	}
	return err
}

// syntheticInvoke does what the payload's "case" asks, so that both loops
// see every kind of outcome, a panic included.
func syntheticInvoke(ctx context.Context, payload []byte) (io.Reader, error) {
	var in struct {
		Case string `json:"case"`
	}
	if err := json.Unmarshal(payload, &in); err != nil {
		return nil, err
	}
	switch in.Case {
	case "context":
		lc, _ := lambdacontext.FromContext(ctx)
		d, _ := ctx.Deadline()
		b, err := json.Marshal(map[string]any{
			"lambdaContext": lc,
			"deadlineMs":    d.UnixMilli(),
			"traceValue":    ctx.Value("x-amzn-trace-id"),
			"traceEnv":      os.Getenv("_X_AMZN_TRACE_ID"),
		})
		return bytes.NewReader(b), err
	case "error":
		return nil, &Error{Type: ErrorTypeRetryable, Err: errors.New("try again later")}
	case "wrapped":
		return nil, fmt.Errorf("while charging: %w", &Error{Type: ErrorTypePermanent, Err: errors.New("card declined")})
	case "plain":
		return nil, errors.New("plain failure")
	case "empty":
		return bytes.NewReader(nil), nil
	case "stream":
		return &events.LambdaFunctionURLStreamingResponse{StatusCode: http.StatusCreated,
			Headers: map[string]string{"Content-Type": "text/plain"}, Cookies: []string{"a=1"},
			Body: strings.NewReader("streamed body")}, nil
	case "stream-error":
		pr, pw := io.Pipe()
		go func() {
			_, _ = io.WriteString(pw, "partial")
			pw.CloseWithError(errPanicMidStream)
		}()
		return &events.LambdaFunctionURLStreamingResponse{StatusCode: http.StatusOK, Body: pr}, nil
	case "panic":
		panic("synthetic panic")
	}
	return nil, fmt.Errorf("unknown case %q", in.Case)
}

// diffHandlerOptions configure the real Handler both loops run in the
// "handler" scenario: events that echo or fail, and a streaming HTTP
// handler that may panic mid-body.
func diffHandlerOptions() []Option {
	events := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		var d struct {
			Fail bool `json:"fail"`
		}
		_ = e.DataAs(&d)
		if d.Fail {
			return nil, function.Retryable(errors.New("asked to fail"))
		}
		return &e, nil
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "one\n")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "two\n")
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "partial\n")
		w.(http.Flusher).Flush()
		panic("handler panic")
	})
	mux.HandleFunc("/buffered", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	return []Option{Events(events), HTTP(mux), WithResponseStreaming(), WithLogger(slog.New(slog.DiscardHandler))}
}

// exchange is one request the Runtime API received, as it arrived.
type exchange struct {
	method, path string
	header       http.Header
	chunked      bool
	body         []byte
	trailer      http.Header
	status       int
	respHeader   http.Header
}

// recorder is a proxy in front of a lambdatest server that records every
// request, trailers included.
type recorder struct {
	target string
	client *http.Client
	srv    *httptest.Server

	mu  sync.Mutex
	log []*exchange
}

func newRecorder(t *testing.T, target string) *recorder {
	rec := &recorder{target: target, client: &http.Client{Transport: &http.Transport{}}}
	rec.srv = httptest.NewServer(rec)
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) addr() string { return strings.TrimPrefix(rec.srv.URL, "http://") }

// exchanges returns a copy of what was recorded so far.
func (rec *recorder) exchanges() []exchange {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := make([]exchange, len(rec.log))
	for i, ex := range rec.log {
		out[i] = *ex
	}
	return out
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := &exchange{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), chunked: slices.Contains(r.TransferEncoding, "chunked")}
	rec.mu.Lock()
	rec.log = append(rec.log, ex)
	rec.mu.Unlock()

	var body io.Reader
	var tee *trailerTee
	if r.Method == http.MethodPost {
		tee = &trailerTee{in: r, out: http.Header{}}
		for k := range r.Trailer {
			tee.out[k] = nil
		}
		body = tee
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+rec.target+r.URL.RequestURI(), body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	if tee != nil {
		req.ContentLength = r.ContentLength
		if len(tee.out) > 0 {
			req.Trailer = tee.out
		}
	}
	resp, err := rec.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	ex.status, ex.respHeader = resp.StatusCode, resp.Header.Clone()
	if tee != nil {
		tee.mu.Lock()
		ex.body, ex.trailer = tee.buf.Bytes(), tee.trailer
		tee.mu.Unlock()
	}
}

// trailerTee forwards a request body, records it, and copies the trailers
// that arrive at its end into the forwarded request's.
type trailerTee struct {
	in  *http.Request
	out http.Header

	mu      sync.Mutex
	buf     bytes.Buffer
	trailer http.Header
}

func (t *trailerTee) Read(p []byte) (int, error) {
	n, err := t.in.Body.Read(p)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p[:n])
	if err == io.EOF {
		t.trailer = t.in.Trailer.Clone()
		for k, v := range t.in.Trailer {
			t.out[k] = v
		}
	}
	return n, err
}

// diffCase is one invocation of a scenario.
type diffCase struct {
	name    string
	payload string
	opts    []lambdatest.InvokeOption
	stream  bool
}

// seen is what the test saw of one invocation through lambdatest.
type seen struct {
	ContentType string
	Payload     string
	Error       string
}

// side runs one runtime loop against a Runtime API address.
type side struct {
	name string
	// start starts the loop and returns a channel that yields its end.
	start func(t *testing.T, env map[string]string) (ended <-chan error, stop func())
}

func awsSide(scenario string) side {
	return side{name: "aws-lambda-go", start: func(t *testing.T, env map[string]string) (<-chan error, func()) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAWSLoopChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), awsLoopEnv+"="+scenario)
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		require.NoError(t, cmd.Start())
		ended := make(chan error, 1)
		go func() {
			err := cmd.Wait()
			if err != nil {
				err = fmt.Errorf("%w; output:\n%s", err, stderr.String())
			}
			ended <- err
		}()
		return ended, func() { _ = cmd.Process.Kill() }
	}}
}

func oursSide(run func(ctx context.Context, getenv func(string) string) error) side {
	return side{name: "faasport", start: func(t *testing.T, env map[string]string) (<-chan error, func()) {
		ctx, cancel := context.WithCancel(context.Background())
		ended := make(chan error, 1)
		go func() { ended <- run(ctx, func(k string) string { return env[k] }) }()
		return ended, cancel
	}}
}

// runSide serves cases with one loop and returns what lambdatest saw, the
// exchanges the Runtime API received, and how the loop ended (nil while it
// still runs).
func runSide(t *testing.T, s side, cases []diffCase, wantEnd bool) ([]seen, []exchange, error) {
	t.Helper()
	srv := lambdatest.NewServer(t, lambdatest.WithTimeout(7*time.Second))
	rec := newRecorder(t, srv.Addr())
	env := map[string]string{}
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	env["AWS_LAMBDA_RUNTIME_API"] = rec.addr()
	ended, stop := s.start(t, env)
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []seen
	for _, c := range cases {
		var got seen
		if c.stream {
			st, err := srv.InvokeStream(ctx, []byte(c.payload), c.opts...)
			require.NoError(t, err, "%s: %s", s.name, c.name)
			body, err := io.ReadAll(st.Body)
			got = seen{ContentType: st.ContentType, Payload: string(body)}
			if err != nil {
				got.Error = err.Error()
			}
		} else {
			resp, err := srv.Invoke(ctx, []byte(c.payload), c.opts...)
			require.NoError(t, err, "%s: %s", s.name, c.name)
			got = seen{ContentType: resp.ContentType, Payload: string(resp.Payload)}
			if resp.Error != nil {
				got.Error = resp.Error.Type + ": " + resp.Error.Message
			}
		}
		out = append(out, got)
	}
	var end error
	if wantEnd {
		select {
		case end = <-ended:
			require.Error(t, end, "%s: the loop ended without an error", s.name)
		case <-ctx.Done():
			t.Fatalf("%s: the loop did not end", s.name)
		}
	}
	// Every invocation's answer has been recorded once the proxy is done
	// with it.
	require.Eventually(t, func() bool {
		n := 0
		for _, ex := range rec.exchanges() {
			if ex.method == http.MethodPost && strings.HasPrefix(ex.path, runtimeAPIPrefix) && ex.status != 0 {
				n++
			}
		}
		return n == len(cases)
	}, 10*time.Second, 5*time.Millisecond, "%s: not every answer was recorded", s.name)
	return out, rec.exchanges(), end
}

// withoutDeadlines blanks the deadline the "context" case reports, which
// differs between runs (answers checks it against the Runtime API's).
func withoutDeadlines(t *testing.T, in []seen) []seen {
	t.Helper()
	out := slices.Clone(in)
	for i, s := range out {
		var m map[string]any
		if json.Unmarshal([]byte(s.Payload), &m) == nil {
			if _, ok := m["deadlineMs"]; ok {
				m["deadlineMs"] = "as sent"
				b, err := json.Marshal(m)
				require.NoError(t, err)
				out[i].Payload = string(b)
			}
		}
	}
	return out
}

// post is the comparable form of an answer the Runtime API received.
type post struct {
	Path            string
	ContentType     string
	ErrorTypeHeader string
	ResponseMode    string
	Chunked         bool
	DeclaredTrailer string
	Trailer         map[string]string
	Body            string
	XRayCause       string
}

// answers turns a side's recorded answers into their comparable form. The
// deadline a handler saw must be the one the Runtime API sent; a panic's
// stack must name the panicking function (the frames differ between
// loops, so only that is compared).
func answers(t *testing.T, name string, log []exchange, panicFrame string) []post {
	t.Helper()
	deadlines := map[string]string{}
	for _, ex := range log {
		if ex.path == runtimeAPIPrefix+"next" && ex.respHeader != nil {
			deadlines[ex.respHeader.Get(headerRequestID)] = ex.respHeader.Get(headerDeadline)
		}
	}
	var out []post
	for _, ex := range log {
		if ex.method != http.MethodPost || !strings.HasPrefix(ex.path, runtimeAPIPrefix) {
			continue
		}
		id := strings.Split(strings.TrimPrefix(ex.path, runtimeAPIPrefix), "/")[0]
		p := post{
			Path:            ex.path,
			ContentType:     ex.header.Get("Content-Type"),
			ErrorTypeHeader: ex.header.Get(headerErrorType),
			ResponseMode:    ex.header.Get(headerResponseMode),
			Chunked:         ex.chunked,
			Trailer:         map[string]string{},
			Body:            string(ex.body),
		}
		var declared []string
		for k := range ex.trailer {
			declared = append(declared, k)
			if v := ex.trailer.Get(k); v != "" {
				p.Trailer[k] = v
			}
		}
		slices.Sort(declared)
		p.DeclaredTrailer = strings.Join(declared, ",")
		if b64 := p.Trailer[headerErrorBody]; b64 != "" {
			dec, err := base64.StdEncoding.DecodeString(b64)
			require.NoError(t, err, "%s: %s: error trailer body", name, ex.path)
			p.Trailer[headerErrorBody] = string(dec)
		}
		var body map[string]any
		if json.Unmarshal(ex.body, &body) == nil {
			if d, ok := body["deadlineMs"].(float64); ok {
				assert.Equal(t, deadlines[id], fmt.Sprint(int64(d)), "%s: %s: the handler's deadline is the Runtime API's", name, ex.path)
				body["deadlineMs"] = "as sent"
			}
			if st, ok := body["stackTrace"].([]any); ok {
				assert.Contains(t, fmt.Sprint(st), panicFrame, "%s: %s: the panic's stack names the panicking function", name, ex.path)
				body["stackTrace"] = "present"
			}
			b, _ := json.Marshal(body)
			p.Body = string(b)
		}
		if c := ex.header.Get(headerXRayErrorCause); c != "" {
			var cause map[string]any
			require.NoError(t, json.Unmarshal([]byte(c), &cause), "%s: X-Ray cause", name)
			if exs, ok := cause["exceptions"].([]any); ok {
				for _, e := range exs {
					if m, ok := e.(map[string]any); ok {
						m["stack"] = len(m["stack"].([]any)) > 0
					}
				}
			}
			cause["paths"] = len(cause["paths"].([]any)) > 0
			b, _ := json.Marshal(cause)
			p.XRayCause = string(b)
		}
		out = append(out, p)
	}
	return out
}

// extensionCalls is the comparable form of the Extensions API calls.
func extensionCalls(log []exchange) []string {
	var out []string
	for _, ex := range log {
		if !strings.HasPrefix(ex.path, "/2020-01-01/extension/") {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s name=%q id=%q body=%s", ex.method, ex.path,
			ex.header.Get(headerExtensionName), ex.header.Get(headerExtensionID), ex.body))
	}
	slices.Sort(out)
	return out
}

// compareSides asserts that both loops answered alike, but for what the
// adapter adds on purpose, which it checks on its own: the
// Lambda-Runtime-Function-Error-Type header on /error (aws-lambda-go puts
// the type in the body only) and Lambda-Runtime-Function-Response-Mode on a
// streamed Function URL response.
func compareSides(t *testing.T, aws, ours []post) {
	t.Helper()
	require.Len(t, ours, len(aws))
	for i := range ours {
		if strings.HasSuffix(ours[i].Path, "/error") {
			var e struct {
				Type string `json:"errorType"`
			}
			require.NoError(t, json.Unmarshal([]byte(ours[i].Body), &e))
			assert.Equal(t, e.Type, ours[i].ErrorTypeHeader, "%s: the error type header", ours[i].Path)
			ours[i].ErrorTypeHeader = ""
		}
		if ours[i].ContentType == "application/vnd.awslambda.http-integration-response" {
			assert.Equal(t, "streaming", ours[i].ResponseMode, "%s: the response mode header", ours[i].Path)
			ours[i].ResponseMode = ""
		}
		assert.Equal(t, aws[i], ours[i], "answer %d differs from aws-lambda-go's", i)
	}
}

func TestRuntimeMatchesAWSLambdaGo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs aws-lambda-go's loop in a child process; skipped with -short")
	}
	t.Setenv("_X_AMZN_TRACE_ID", "")
	t.Setenv("AWS_LAMBDA_MAX_CONCURRENCY", "")

	t.Run("synthetic", func(t *testing.T) {
		trace := "Root=1-67891233-abcdef012345678912345678;Parent=1234567890abcdef;Sampled=1"
		cases := []diffCase{
			{name: "context", payload: `{"case":"context"}`, opts: []lambdatest.InvokeOption{
				lambdatest.WithTraceID(trace),
				lambdatest.WithClientContext(`{"Client":{"installation_id":"i-1","app_title":"app"},"env":{"platform":"ios"},"custom":{"k":"v","n":42}}`),
				lambdatest.WithCognitoIdentity(`{"cognitoIdentityId":"us-east-1:abc","cognitoIdentityPoolId":"us-east-1:pool"}`),
				lambdatest.WithTenantID("tenant-7"),
			}},
			{name: "context without trace or client", payload: `{"case":"context"}`, opts: []lambdatest.InvokeOption{lambdatest.WithTraceID("")}},
			{name: "error", payload: `{"case":"error"}`},
			{name: "wrapped error", payload: `{"case":"wrapped"}`},
			{name: "plain error", payload: `{"case":"plain"}`},
			{name: "empty", payload: `{"case":"empty"}`},
			{name: "stream", payload: `{"case":"stream"}`, stream: true},
			{name: "stream error", payload: `{"case":"stream-error"}`, stream: true},
			{name: "panic", payload: `{"case":"panic"}`},
		}
		awsSeen, awsLog, awsEnd := runSide(t, awsSide("synthetic"), cases, true)
		oursSeen, oursLog, oursEnd := runSide(t, oursSide(func(ctx context.Context, getenv func(string) string) error {
			return serveRuntime(ctx, getenv("AWS_LAMBDA_RUNTIME_API"), getenv, true, func() (*Handler, invokeFunc) {
				return New(Events(nopHandler()), WithLogger(slog.New(slog.DiscardHandler))), syntheticInvoke
			})
		}), cases, true)

		// After the panic, aws-lambda-go exits the process; Start returns.
		assert.ErrorContains(t, awsEnd, "exit status 1")
		assert.ErrorIs(t, oursEnd, ErrPanicked)
		assert.Equal(t, withoutDeadlines(t, awsSeen), withoutDeadlines(t, oursSeen), "lambdatest saw the same answers")
		compareSides(t, answers(t, "aws-lambda-go", awsLog, "syntheticInvoke"), answers(t, "faasport", oursLog, "syntheticInvoke"))
		assert.Equal(t, extensionCalls(awsLog), extensionCalls(oursLog))
		assert.Len(t, extensionCalls(oursLog), 2, "register, then the event poll")

		// What the handler saw of the context, through our loop.
		var ctxSeen struct {
			LambdaContext lambdacontext.LambdaContext
			TraceValue    string
			TraceEnv      string
		}
		require.NoError(t, json.Unmarshal([]byte(oursSeen[0].Payload), &ctxSeen), oursSeen[0].Payload)
		assert.Equal(t, "req-00000001", ctxSeen.LambdaContext.AwsRequestID)
		assert.Equal(t, "arn:aws:lambda:us-east-1:123456789012:function:test", ctxSeen.LambdaContext.InvokedFunctionArn)
		assert.Equal(t, "tenant-7", ctxSeen.LambdaContext.TenantID)
		assert.Equal(t, "us-east-1:abc", ctxSeen.LambdaContext.Identity.CognitoIdentityID)
		assert.Equal(t, "i-1", ctxSeen.LambdaContext.ClientContext.Client.InstallationID)
		assert.Equal(t, map[string]string{"k": "v", "n": "42"}, ctxSeen.LambdaContext.ClientContext.Custom)
		assert.Equal(t, trace, ctxSeen.TraceValue)
		assert.Equal(t, trace, ctxSeen.TraceEnv)
		assert.Equal(t, "faasport.RetryableError: try again later", oursSeen[2].Error)
		assert.Equal(t, "faasport.PermanentError: card declined", oursSeen[3].Error)
		assert.Equal(t, "errorString: plain failure", oursSeen[4].Error)
		assert.Contains(t, oursSeen[6].Payload, "streamed body")
		assert.Contains(t, oursSeen[7].Error, errPanicMidStream.Error())
		assert.Equal(t, "string: synthetic panic", oursSeen[8].Error)
	})

	t.Run("handler", func(t *testing.T) {
		ce := func(data string) string {
			return `{"specversion":"1.0","id":"e-1","source":"/diff","type":"com.example.t","datacontenttype":"application/json","data":` + data + `}`
		}
		url := func(path string) string {
			b, _ := json.Marshal(events.LambdaFunctionURLRequest{Version: "2.0", RawPath: path,
				RequestContext: events.LambdaFunctionURLRequestContext{DomainName: "abc.lambda-url.us-east-1.on.aws",
					HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: "GET"}}})
			return string(b)
		}
		apigw, _ := json.Marshal(events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/buffered",
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}}})
		cases := []diffCase{
			{name: "event", payload: ce(`{"n":1}`)},
			{name: "event fails", payload: ce(`{"fail":true}`)},
			{name: "url stream", payload: url("/stream"), stream: true},
			{name: "url panic mid-body", payload: url("/panic"), stream: true},
			{name: "api gateway buffered", payload: string(apigw)},
		}
		awsSeen, awsLog, _ := runSide(t, awsSide("handler"), cases, false)
		oursSeen, oursLog, _ := runSide(t, oursSide(func(ctx context.Context, getenv func(string) string) error {
			return Start(ctx, append(diffHandlerOptions(), WithGetenv(getenv))...)
		}), cases, false)
		assert.Equal(t, awsSeen, oursSeen, "lambdatest saw the same answers")
		compareSides(t, answers(t, "aws-lambda-go", awsLog, ""), answers(t, "faasport", oursLog, ""))
		// Without a Stop hook there is nothing to do at SIGTERM: ours does
		// not register for it; with one it registers as aws-lambda-go does.
		assert.Empty(t, extensionCalls(oursLog), "no Stop hook, no extension")
		_, stopperLog, _ := runSide(t, oursSide(func(ctx context.Context, getenv func(string) string) error {
			return Start(ctx, Events(&stopCounter{}), WithGetenv(getenv))
		}), cases[:1], false)
		assert.Equal(t, extensionCalls(awsLog), extensionCalls(stopperLog), "a Stop hook registers the SIGTERM extension")
		assert.Contains(t, oursSeen[2].Payload, "one\ntwo\n")
		assert.Contains(t, oursSeen[3].Error, errPanicMidStream.Error())
	})
}
