package lambda

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

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
	// The runtime loop keeps the X-Ray trace header under a string key.
	if t, ok := ctx.Value(traceKey).(string); ok {
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

// Start serves invocations from the Lambda Runtime API with a [Handler]
// built from opts until ctx ends or Lambda sends SIGTERM; then it waits for
// the invocations in flight (at most 450ms: Lambda kills the process 500ms
// after SIGTERM), runs the handlers' Stop hooks and returns their error. It returns at once with an error when
// there is nothing to serve or the process does not run on Lambda.
//
// The runtime loop is the adapter's own and speaks the protocol
// aws-lambda-go does: invocations carry a deadline, the
// lambdacontext.LambdaContext and the X-Ray trace header; errors reach
// Lambda with the [Error] type as their errorType. It runs
// AWS_LAMBDA_MAX_CONCURRENCY invocations at once where Lambda sets it.
//
// Lambda sends SIGTERM before it stops the process only to a function that
// registered an extension. Start registers one (a round trip at cold start)
// when the handlers have a Stop hook ([function.Stopper]) to run then, and
// otherwise does not, like aws-lambda-go by default: put shutdown work in a
// Stop hook, not after Start returns.
//
// Where aws-lambda-go exits the process, Start returns instead, after the
// Stop hooks: with an error wrapping [ErrRuntimeAPI] when the Runtime API
// fails, or [ErrPanicked] after an invocation panicked outside the
// handlers' own recovery. Return from main (or exit) then: Lambda starts a
// fresh process.
func Start(ctx context.Context, opts ...Option) error {
	o := options{getenv: os.Getenv}
	for _, opt := range opts {
		opt(&o)
	}
	if o.events == nil && o.http == nil {
		return ErrNoHandler
	}
	addr := o.getenv("AWS_LAMBDA_RUNTIME_API")
	if addr == "" {
		return ErrNotOnLambda
	}
	sigterm := function.NewLifecycle(o.events, o.http).HasStop()
	return serveRuntime(ctx, addr, o.getenv, sigterm, func() (*Handler, invokeFunc) {
		h := New(opts...)
		return h, h.runtimeInvoke()
	})
}

// serveRuntime is Start's work once its arguments are checked: it serves
// the Runtime API at addr with the handler build returns, registering the
// extension that makes Lambda send SIGTERM when sigterm is set.
func serveRuntime(ctx context.Context, addr string, getenv func(string) string, sigterm bool, build func() (*Handler, invokeFunc)) error {
	api := newRuntimeAPI(addr)
	// polls ends the long polls (the runtime's and the extension's) when
	// Start returns; invocations in flight keep ctx's values but not its
	// end, and answer regardless.
	polls, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	n := maxConcurrency(getenv)
	loop := &runtimeLoop{api: api, base: context.WithoutCancel(ctx), traceEnv: n == 1, ready: make(chan struct{})}
	failed := make(chan error, 1)
	var loops sync.WaitGroup
	loops.Add(n)
	run := func(first context.Context) {
		defer loops.Done()
		if err := loop.run(polls, first); err != nil {
			select {
			case failed <- err:
			default:
			}
		}
	}
	registered := make(chan error, 1)
	go func() {
		first := polls
		if !sigterm {
			registered <- nil
			for range n - 1 {
				go run(polls)
			}
			run(first)
			return
		}
		// Lambda closes extension registration once the runtime first
		// polls: register, then poll on the same goroutine and connection,
		// while the handler is built.
		extConn := api.dialExtension(polls)
		id, err := api.registerExtension(polls)
		registered <- err
		if err != nil {
			go func() {
				if c := <-extConn; c != nil {
					c.Close()
				}
			}()
		} else {
			// The extension's long poll starts once the runtime's first
			// poll holds the connection the registration left idle.
			var once sync.Once
			first = httptrace.WithClientTrace(polls, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) {
				once.Do(func() { go api.extensionIdle(polls, <-extConn, id) })
			}})
		}
		for range n - 1 {
			go run(polls)
		}
		run(first)
	}()
	h, fn := build()
	loop.invoke, loop.log, loop.function = fn, h.log, h.functionName
	close(loop.ready)
	if err := <-registered; err != nil {
		h.log.Warn("lambda: could not register the extension that makes Lambda send SIGTERM; the Stop hooks will not run at shutdown", slog.Any("error", err))
	}
	// Lambda sends SIGTERM only at shutdown: listening for it can wait
	// until the first poll is under way.
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	defer signal.Stop(term)
	var err error
	select {
	case <-ctx.Done():
	case <-term:
	case err = <-failed:
	}
	cancel()
	stopCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), stopGrace)
	defer stop()
	// A poll that was answered as it was called off still serves its
	// invocation: the Stop hooks wait for it, and no poll outlives Start.
	ended := make(chan struct{})
	go func() { loops.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-stopCtx.Done():
	}
	return errors.Join(err, h.Stop(stopCtx))
}

// runtimeInvoke is what the runtime loop calls: Invoke, or, with response
// streaming on, a function that may stream.
func (h *Handler) runtimeInvoke() invokeFunc {
	if h.streaming && h.web != nil {
		return h.invokeStreaming
	}
	return func(ctx context.Context, payload []byte) (io.Reader, error) {
		out, err := h.Invoke(ctx, payload)
		if err != nil {
			return nil, err
		}
		return bytes.NewReader(out), nil
	}
}
