package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/invoke"
)

// The errorType values Lambda reports for a failed invocation (see [Error]).
const (
	// ErrorTypeRetryable: the handler returned a retryable error; Lambda
	// retries asynchronous invocations.
	ErrorTypeRetryable = "faasport.RetryableError"
	// ErrorTypePermanent: the handler returned a permanent error to a
	// synchronous caller, who sees it; asynchronous permanent errors are
	// acknowledged instead.
	ErrorTypePermanent = "faasport.PermanentError"
	// ErrorTypeInvalidEvent: the payload could not be read as the event its
	// shape announced (truncated JSON, invalid base64, gzip).
	ErrorTypeInvalidEvent = "faasport.InvalidEventError"
	// ErrorTypeNoHandler: the invocation carries an event but no event
	// handler was configured.
	ErrorTypeNoHandler = "faasport.NoHandlerError"
	// ErrorTypeStart: a handler's Start hook failed; the next invocation
	// runs it again.
	ErrorTypeStart = "faasport.StartError"
)

// Error is the error [Handler.Invoke] returns for a failed invocation. Under
// [Start], Type becomes the errorType of Lambda's error response, so logs
// and destinations show what went wrong.
type Error struct {
	Type string
	Err  error
}

// Error returns the cause's message.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Handler runs faasport handlers for Lambda invocations: it implements
// aws-lambda-go's lambda.Handler, so it can be called directly with a
// payload (tests, benchmarks) or run by the runtime loop ([Start]).
type Handler struct {
	events       function.Handler
	web          http.Handler
	log          *slog.Logger
	life         *function.Lifecycle
	finish       *function.Finishers
	cold         invoke.ColdStart
	concurrency  int
	streaming    bool
	functionName string
	region       string
	trigger      function.Trigger

	inflight sync.WaitGroup
	stopOnce sync.Once
	stopErr  error
}

// New returns a Handler serving the handlers given by opts.
func New(opts ...Option) *Handler {
	o := options{concurrency: DefaultConcurrency, getenv: os.Getenv}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if o.functionName == "" {
		o.functionName = lambdacontext.FunctionName
	}
	if o.functionName == "" {
		o.functionName = o.getenv("AWS_LAMBDA_FUNCTION_NAME")
	}
	if o.region == "" {
		o.region = o.getenv("AWS_REGION")
	}
	return &Handler{
		events:       o.events,
		web:          o.http,
		log:          o.logger,
		life:         function.NewLifecycle(o.events, o.http),
		finish:       function.FindFinishers(o.events, o.http),
		concurrency:  o.concurrency,
		streaming:    o.streaming,
		functionName: o.functionName,
		region:       o.region,
		trigger:      o.trigger,
	}
}

// Invoke handles one invocation payload and returns the response payload.
// Events share payload's bytes (their data is the record as it appears in
// the payload), so the caller must not modify payload while a handler may
// still hold an event from it.
// HTTP invocations answer with the matching HTTP response shape, batches
// with their batchItemFailures, single events in the caller's shape: a
// caller that sent a structured-mode CloudEvent gets the reply event as
// one; any other caller (Step Functions, another function, AppSync, IoT,
// Cognito, Lex, Connect) the reply's data as plain JSON (see
// [ReplyPayload]); null when there is no reply. A failed
// invocation returns an [*Error].
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	h.inflight.Add(1)
	defer h.inflight.Done()
	if err := h.life.Start(ctx); err != nil {
		h.logFailed(ctx, invoke.OutcomeStartFailed, err)
		return nil, &Error{Type: ErrorTypeStart, Err: err}
	}
	s, err := detect(payload)
	if err != nil {
		h.logFailed(ctx, invoke.OutcomeRefused, err)
		return nil, &Error{Type: ErrorTypeInvalidEvent, Err: err}
	}
	base := h.invocation(ctx)
	// One call of the chain's Finish hooks (a telemetry flush) per
	// invocation, after the last record, before the answer goes out.
	ctx, finish := h.finish.Begin(ctx)
	defer finish(function.NewContext(ctx, &base))
	var out []byte
	switch {
	case s.kind.isHTTP():
		out, err = h.serveHTTP(ctx, base, s.kind, payload)
	case h.events == nil:
		err = &Error{Type: ErrorTypeNoHandler, Err: fmt.Errorf("lambda: a %s arrived but no event handler is configured; pass lambda.Events(h)", s.kind)}
	default:
		out, err = h.handleEvents(ctx, base, s, payload)
	}
	// Handler outcomes were logged per record; what is left is a payload
	// the adapter could not read or serve.
	if le := (*Error)(nil); errors.As(err, &le) && (le.Type == ErrorTypeInvalidEvent || le.Type == ErrorTypeNoHandler) {
		invoke.LogOutcome(function.NewContext(ctx, &base), h.log, nil, invoke.OutcomeRefused, err, 0)
	}
	return out, err
}

// logFailed logs an invocation that failed before any handler ran, in the
// one schema. It does not use up the cold start: the next invocation that
// runs a handler is still the cold one.
func (h *Handler) logFailed(ctx context.Context, o invoke.Outcome, err error) {
	if !h.log.Enabled(ctx, o.Level()) {
		return
	}
	inv := function.Invocation{Platform: function.PlatformLambda, FunctionName: h.functionName}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		inv.RequestID = lc.AwsRequestID
	}
	invoke.LogOutcome(function.NewContext(ctx, &inv), h.log, nil, o, err, 0)
}

// invocation fills the metadata shared by every record of this invocation.
func (h *Handler) invocation(ctx context.Context) function.Invocation {
	inv := function.Invocation{
		Platform:     function.PlatformLambda,
		FunctionName: h.functionName,
		ColdStart:    h.cold.Next(),
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		inv.RequestID = lc.AwsRequestID
	}
	if d, ok := ctx.Deadline(); ok {
		inv.Deadline = d
	}
	// aws-lambda-go keeps the X-Ray trace header under this string key.
	if t, ok := ctx.Value("x-amzn-trace-id").(string); ok {
		inv.TraceHeader = t
	}
	return inv
}

// Stop waits for in-flight invocations to finish (or ctx to end) and runs
// the handlers' Stop hooks once. [Start] calls it at shutdown.
func (h *Handler) Stop(ctx context.Context) error {
	h.stopOnce.Do(func() {
		done := make(chan struct{})
		go func() { h.inflight.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
		}
		h.stopErr = h.life.Stop(ctx)
	})
	return h.stopErr
}

// ErrNotOnLambda is returned by [Start] outside the Lambda runtime.
var ErrNotOnLambda = errors.New("lambda: AWS_LAMBDA_RUNTIME_API is not set; run this binary on AWS Lambda (or under testing/lambdatest), or use adapters.Start to pick the platform")

// ErrNoHandler is returned by [Start] when neither [Events] nor [HTTP] was
// given.
var ErrNoHandler = errors.New("lambda: nothing to serve; pass lambda.Events(h), lambda.HTTP(h) or both")

// stopGrace bounds how long shutdown waits for in-flight invocations: Lambda
// sends SIGKILL about 500ms after SIGTERM.
const stopGrace = 450 * time.Millisecond

// Start runs aws-lambda-go's runtime loop with a [Handler] built from opts
// until ctx ends or Lambda sends SIGTERM; then it waits for the invocation
// in flight, runs the handlers' Stop hooks and returns their error. It
// returns at once with an error when there is nothing to serve or the
// process does not run on Lambda. If the runtime API itself fails,
// aws-lambda-go exits the process, so Lambda starts a fresh one.
func Start(ctx context.Context, opts ...Option) error {
	o := options{getenv: os.Getenv}
	for _, opt := range opts {
		opt(&o)
	}
	if o.events == nil && o.http == nil {
		return ErrNoHandler
	}
	if o.getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		return ErrNotOnLambda
	}
	h := New(opts...)
	sigterm := make(chan struct{})
	var once sync.Once
	go awslambda.StartWithOptions(h.runtimeHandler(),
		awslambda.WithContext(context.WithoutCancel(ctx)),
		awslambda.WithEnableSIGTERM(func() { once.Do(func() { close(sigterm) }) }),
	)
	select {
	case <-ctx.Done():
	case <-sigterm:
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopGrace)
	defer cancel()
	return h.Stop(stopCtx)
}

// runtimeHandler is what the runtime loop calls: Invoke with errors turned
// into Lambda error responses that carry a meaningful errorType, or, with
// response streaming on, a function that may stream.
func (h *Handler) runtimeHandler() any {
	if h.streaming && h.web != nil {
		return func(ctx context.Context, payload json.RawMessage) (io.Reader, error) {
			r, err := h.invokeStreaming(ctx, payload)
			return r, lambdaError(err)
		}
	}
	return runtimeHandler{h}
}

type runtimeHandler struct{ h *Handler }

func (r runtimeHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	// The runtime reuses the payload's buffer for the next invocation, and
	// events share the payload's bytes: give them their own.
	out, err := r.h.Invoke(ctx, append([]byte(nil), payload...))
	return out, lambdaError(err)
}

// lambdaError converts an [*Error] to the runtime's error response.
func lambdaError(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return messages.InvokeResponse_Error{Message: e.Error(), Type: e.Type}
	}
	return err
}
