package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/testing/lambdatest"
)

// stopCounter is an event handler with a Stop hook.
type stopCounter struct{ stops atomic.Int32 }

func (s *stopCounter) Handle(context.Context, event.Event) (*event.Event, error) { return nil, nil }
func (s *stopCounter) Stop(context.Context) error                                { s.stops.Add(1); return nil }

// lockedLog collects log output written from several goroutines.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func envOf(kv map[string]string) Option {
	return WithGetenv(func(k string) string { return kv[k] })
}

func TestStartReturnsWhenTheRuntimeAPIIsUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	var logs lockedLog
	sc := &stopCounter{}
	done := make(chan error, 1)
	go func() {
		done <- Start(context.Background(), Events(sc), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
			envOf(map[string]string{"AWS_LAMBDA_RUNTIME_API": addr}))
	}()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Start did not return when the Runtime API was unreachable")
	}
	require.ErrorIs(t, err, ErrRuntimeAPI)
	assert.ErrorContains(t, err, "waiting for the next invocation")
	assert.ErrorContains(t, err, "connection refused")
	assert.Equal(t, int32(1), sc.stops.Load(), "the Stop hooks ran")
	assert.Contains(t, logs.String(), "could not register the extension", "the failed registration is logged")
}

func TestStartReturnsWhenTheRuntimeAPIRefusesTheNextPoll(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case extensionAPIPrefix + "register":
			w.Header().Set(headerExtensionID, "ext-1")
		case extensionAPIPrefix + "event/next":
			<-r.Context().Done()
		default:
			http.Error(w, `{"errorType":"Runtime.Broken"}`, http.StatusInternalServerError)
		}
	}))
	defer api.Close()
	err := Start(context.Background(), Events(nopHandler()), WithLogger(slog.New(slog.DiscardHandler)),
		envOf(map[string]string{"AWS_LAMBDA_RUNTIME_API": strings.TrimPrefix(api.URL, "http://")}))
	require.ErrorIs(t, err, ErrRuntimeAPI)
	assert.ErrorContains(t, err, "500 Internal Server Error")
	assert.ErrorContains(t, err, "Runtime.Broken", "the Runtime API's answer is in the error")
}

func TestStartReturnsWhenTheResponseIsRefused(t *testing.T) {
	var served atomic.Bool
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == extensionAPIPrefix+"register":
		case r.URL.Path == extensionAPIPrefix+"event/next":
			<-r.Context().Done()
		case r.URL.Path == runtimeAPIPrefix+"next" && served.CompareAndSwap(false, true):
			w.Header().Set(headerRequestID, "r-1")
			w.Header().Set(headerDeadline, "4102444800000")
			_, _ = io.WriteString(w, `{"n":1}`)
		case r.URL.Path == runtimeAPIPrefix+"next":
			<-r.Context().Done()
		default:
			_, _ = io.Copy(io.Discard, r.Body)
			http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
		}
	}))
	defer api.Close()
	err := Start(context.Background(), Events(nopHandler()), WithLogger(slog.New(slog.DiscardHandler)),
		envOf(map[string]string{"AWS_LAMBDA_RUNTIME_API": strings.TrimPrefix(api.URL, "http://")}))
	require.ErrorIs(t, err, ErrRuntimeAPI)
	assert.ErrorContains(t, err, "sending the response")
	assert.ErrorContains(t, err, "413")
}

func TestStartStopsPollingWhenCtxEnds(t *testing.T) {
	srv := lambdatest.NewServer(t)
	sc := &stopCounter{}
	env := map[string]string{}
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Start(ctx, Events(sc), WithLogger(slog.New(slog.DiscardHandler)), envOf(env)) }()

	ictx, icancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer icancel()
	resp, err := srv.Invoke(ictx, []byte(`{"n":1}`))
	require.NoError(t, err)
	require.Nil(t, resp.Error)
	require.Eventually(t, func() bool { return srv.Polls() == 2 }, 5*time.Second, time.Millisecond, "the loop polls again")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not return when ctx ended")
	}
	assert.Equal(t, int32(1), sc.stops.Load())
	// The poll in flight was abandoned: an invocation now finds no taker.
	qctx, qcancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer qcancel()
	_, err = srv.Invoke(qctx, []byte(`{"n":2}`))
	require.Error(t, err, "nothing polls after Start returned")
	assert.Equal(t, int64(2), srv.Polls())
}

func TestMaxConcurrencyRunsParallelPolls(t *testing.T) {
	srv := lambdatest.NewServer(t)
	env := map[string]string{"AWS_LAMBDA_MAX_CONCURRENCY": "3"}
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	t.Setenv(traceEnv, "untouched")
	// Three invocations that each wait for the others: they finish only
	// if they run at once.
	var arrived sync.WaitGroup
	arrived.Add(3)
	invoke := func(ctx context.Context, payload []byte) (io.Reader, error) {
		arrived.Done()
		arrived.Wait()
		return strings.NewReader("ok"), nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serveRuntime(ctx, env["AWS_LAMBDA_RUNTIME_API"], func(k string) string { return env[k] }, true, func() (*Handler, invokeFunc) {
			return New(Events(nopHandler())), invoke
		})
	}()
	ictx, icancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer icancel()
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			resp, err := srv.Invoke(ictx, []byte(`{}`))
			if assert.NoError(t, err) {
				assert.Equal(t, "ok", string(resp.Payload))
			}
		})
	}
	wg.Wait()
	cancel()
	require.NoError(t, <-done)
	assert.Equal(t, "untouched", os.Getenv(traceEnv), "with several invocations at once, the trace header stays out of the environment")
}

func TestMaxConcurrency(t *testing.T) {
	for in, want := range map[string]int{"": 1, "x": 1, "0": 1, "-2": 1, "1": 1, "8": 8} {
		assert.Equal(t, want, maxConcurrency(func(string) string { return in }), "AWS_LAMBDA_MAX_CONCURRENCY=%q", in)
	}
}

func TestStackFramePaths(t *testing.T) {
	f := stackFrame(runtime.Frame{Function: "github.com/acme/shop/orders.(*Service).Charge", File: "/home/ci/go/src/github.com/acme/shop/orders/charge.go", Line: 42})
	assert.Equal(t, "github.com/acme/shop/orders/charge.go", f.Path)
	assert.Equal(t, "(*Service).Charge", f.Label)
	assert.Equal(t, int32(42), f.Line)

	f = stackFrame(runtime.Frame{Function: "main.main", File: "/src/app/main.go", Line: 7})
	assert.Equal(t, "app/main.go", f.Path)
	assert.Equal(t, "main", f.Label)

	// Fewer directories than the function's path expects: the whole path.
	f = stackFrame(runtime.Frame{Function: "a/b/c/d.F", File: "d/x.go"})
	assert.Equal(t, "d/x.go", f.Path)
	assert.Equal(t, "F", f.Label)
}

func TestErrorResponseTypes(t *testing.T) {
	e := errorResponse(&Error{Type: ErrorTypeInvalidEvent, Err: errors.New("bad gzip")})
	assert.Equal(t, ErrorTypeInvalidEvent, e.Type)
	assert.Equal(t, "bad gzip", e.Message)
	e = errorResponse(context.DeadlineExceeded)
	assert.Equal(t, "deadlineExceededError", e.Type)
	e = panicResponse(errors.New("boom"))
	assert.Equal(t, "errorString", e.Type)
	assert.True(t, e.ShouldExit)
}

func TestPanicIsLoggedAndEndsStart(t *testing.T) {
	srv := lambdatest.NewServer(t)
	env := map[string]string{}
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	var logs lockedLog
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	done := make(chan error, 1)
	go func() {
		done <- serveRuntime(context.Background(), env["AWS_LAMBDA_RUNTIME_API"], func(k string) string { return env[k] }, true, func() (*Handler, invokeFunc) {
			return New(Events(nopHandler()), WithLogger(log), WithFunctionName("fn")), func(context.Context, []byte) (io.Reader, error) {
				panicInHandler()
				return nil, nil
			}
		})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := srv.Invoke(ctx, []byte(`{}`))
	require.NoError(t, err)
	require.NotNil(t, resp.Error)
	assert.Equal(t, "errorString", resp.Error.Type)
	assert.Equal(t, "bad state", resp.Error.Message)
	assert.Contains(t, string(resp.Error.StackTrace), `"label":"panicInHandler"`)
	select {
	case err := <-done:
		require.ErrorIs(t, err, ErrPanicked)
		assert.ErrorContains(t, err, "bad state")
	case <-ctx.Done():
		t.Fatal("the loop went on after a panic")
	}
	var line struct {
		Msg, Outcome, Panic, Stack, Function string
		RequestID                            string `json:"request_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(logs.String()), &line), logs.String())
	assert.Equal(t, "panic", line.Outcome)
	assert.Equal(t, "errorString: bad state", line.Panic)
	assert.Contains(t, line.Stack, "panicInHandler\n\t")
	assert.Equal(t, "req-00000001", line.RequestID)
}

func panicInHandler() { panic(errors.New("bad state")) }

func TestErrorTypeHeaderOnlyWhenValid(t *testing.T) {
	var got http.Header
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer api.Close()
	l := &runtimeLoop{api: newRuntimeAPI(strings.TrimPrefix(api.URL, "http://")), log: slog.New(slog.DiscardHandler)}
	p := &pending{id: "r-1"}
	require.NoError(t, l.fail(p, &messages.InvokeResponse_Error{Type: "bad\ntype", Message: "m"}, true))
	assert.NotContains(t, got, headerErrorType, "a type that cannot be a header value stays in the body only")
	require.NoError(t, l.fail(p, &messages.InvokeResponse_Error{Type: "faasport.RetryableError", Message: "m"}, true))
	assert.Equal(t, "faasport.RetryableError", got.Get(headerErrorType))
	assert.Equal(t, "application/json", got.Get("Content-Type"))
	assert.NotEmpty(t, got.Get(headerXRayErrorCause))
}

func TestExtensionIdleWaitsUntilCtxEnds(t *testing.T) {
	asked := make(chan string, 2)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- r.Method + " " + r.URL.Path + " " + r.Header.Get(headerExtensionID)
		<-r.Context().Done()
	}))
	defer api.Close()
	a := newRuntimeAPI(strings.TrimPrefix(api.URL, "http://"))
	for _, predialed := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		var conn net.Conn
		if predialed {
			conn = <-a.dialExtension(ctx)
			require.NotNil(t, conn)
		}
		done := make(chan struct{})
		go func() { a.extensionIdle(ctx, conn, "ext-1"); close(done) }()
		select {
		case got := <-asked:
			assert.Equal(t, "GET /2020-01-01/extension/event/next ext-1", got, "predialed=%v", predialed)
		case <-time.After(5 * time.Second):
			t.Fatalf("the extension did not ask for its next event (predialed=%v)", predialed)
		}
		select {
		case <-done:
			t.Fatal("the extension's poll ended before ctx")
		case <-time.After(20 * time.Millisecond):
		}
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the extension's poll did not end with ctx")
		}
	}
}
