package middleware_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
)

// jsonLines parses buf as JSON log lines.
func jsonLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(buf)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "line %q", sc.Text())
		lines = append(lines, m)
	}
	return lines
}

func TestLogging(t *testing.T) {
	inv := function.Invocation{
		Platform: function.PlatformLambda, FunctionName: "orders", RequestID: "req-1",
		ColdStart: true, Attempt: 2, Deadline: time.Now().Add(time.Hour),
	}
	tests := []struct {
		name        string
		err         error
		wantLevel   string
		wantOutcome string
	}{
		{name: "ok", wantLevel: "INFO", wantOutcome: "ok"},
		{name: "retryable", err: errors.New("db down"), wantLevel: "WARN", wantOutcome: "retryable"},
		{name: "permanent", err: function.Permanent(errors.New("bad order")), wantLevel: "ERROR", wantOutcome: "permanent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, nil))
			h := middleware.Logging(middleware.LoggingLogger(log))(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
				middleware.Logger(ctx).Info("reserving", "order", "o-1")
				return nil, tt.err
			}))
			_, err := h.Handle(withInvocation(inv), testEvent(t, "e-1"))
			require.Equal(t, tt.err, err)
			lines := jsonLines(t, &buf)
			require.Len(t, lines, 2, "the handler's line and the invocation's")
			fields := map[string]any{
				"platform": "aws_lambda", "function": "orders", "request_id": "req-1",
				"event_id": "e-1", "event_type": "com.example.order.created", "event_source": "/orders",
				"cold_start": true, "attempt": float64(2),
			}
			user, end := lines[0], lines[1]
			for k, v := range fields {
				assert.Equal(t, v, user[k], "handler line field %s", k)
				assert.Equal(t, v, end[k], "invocation line field %s", k)
			}
			assert.Equal(t, "o-1", user["order"])
			assert.Equal(t, tt.wantLevel, end["level"])
			assert.Equal(t, tt.wantOutcome, end["outcome"])
			assert.Contains(t, end, "duration")
			if tt.err != nil {
				assert.Equal(t, tt.err.Error(), end["error"])
			} else {
				assert.NotContains(t, end, "error")
			}
		})
	}
}

func TestLoggingOneLinePerInvocation(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	h := &countingHandler{errs: []error{errFlaky, errFlaky}}
	chain := function.Chain(h, middleware.Logging(middleware.LoggingLogger(log)), middleware.Retry(middleware.RetryClock(newFakeClock())))
	_, err := chain.Handle(context.Background(), testEvent(t, "e-1"))
	require.NoError(t, err)
	assert.Equal(t, 3, h.calls)
	assert.Len(t, jsonLines(t, &buf), 1)
}

func TestLoggingLeavesOutUnknownFields(t *testing.T) {
	var buf bytes.Buffer
	h := middleware.Logging(middleware.LoggingLogger(slog.New(slog.NewJSONHandler(&buf, nil))))(&countingHandler{})
	_, err := h.Handle(context.Background(), testEvent(t, "e-1"))
	require.NoError(t, err)
	lines := jsonLines(t, &buf)
	require.Len(t, lines, 1)
	for _, k := range []string{"platform", "function", "request_id", "cold_start", "attempt"} {
		assert.NotContains(t, lines[0], k)
	}
}

func TestLoggingSuccessLevel(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h := middleware.Logging(middleware.LoggingLogger(log), middleware.LoggingSuccessLevel(slog.LevelDebug))(&countingHandler{})
	_, err := h.Handle(context.Background(), testEvent(t, "e-1"))
	require.NoError(t, err)
	assert.Empty(t, buf.String())
}

func TestLoggerOutsideLogging(t *testing.T) {
	assert.Same(t, slog.Default(), middleware.Logger(context.Background()))
}

func TestLoggerConcurrent(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	h := middleware.Logging(middleware.LoggingLogger(log))(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() { middleware.Logger(ctx).Info("worker") })
		}
		wg.Wait()
		return nil, nil
	}))
	_, err := h.Handle(withInvocation(function.Invocation{RequestID: "req-9"}), testEvent(t, "e-1"))
	require.NoError(t, err)
	lines := jsonLines(t, &buf.buf)
	require.Len(t, lines, 9)
	for _, l := range lines {
		assert.Equal(t, "req-9", l["request_id"])
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func TestLoggingHTTP(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	h := middleware.LoggingHTTP(middleware.LoggingLogger(log))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		middleware.Logger(r.Context()).Info("looking up")
		http.NotFound(w, r)
	}))
	req := httptest.NewRequest(http.MethodGet, "/orders/o-1", nil)
	req = req.WithContext(function.NewContext(req.Context(), &function.Invocation{RequestID: "req-3", Platform: function.PlatformHTTP}))
	h.ServeHTTP(httptest.NewRecorder(), req)
	lines := jsonLines(t, &buf)
	require.Len(t, lines, 2)
	assert.Equal(t, "req-3", lines[0]["request_id"])
	assert.Equal(t, "/orders/o-1", lines[0]["path"])
	end := lines[1]
	assert.Equal(t, float64(404), end["status"])
	assert.Equal(t, "GET", end["method"])
	assert.Equal(t, "permanent", end["outcome"])
	assert.Equal(t, "WARN", end["level"], "a 404 is the client's mistake")
}

func TestLoggingNamesTheSpan(t *testing.T) {
	var buf bytes.Buffer
	tp, rec := recorder(t)
	h := function.Chain(&countingHandler{},
		middleware.Tracing(middleware.TracingProvider(tp)),
		middleware.Logging(middleware.LoggingLogger(slog.New(slog.NewJSONHandler(&buf, nil)))))
	_, err := h.Handle(context.Background(), testEvent(t, "e-1"))
	require.NoError(t, err)
	lines := jsonLines(t, &buf)
	require.Len(t, lines, 1)
	sc := rec.Ended()[0].SpanContext()
	assert.Equal(t, sc.TraceID().String(), lines[0]["trace_id"])
	assert.Equal(t, sc.SpanID().String(), lines[0]["span_id"])
}

func TestLoggingPanicStillLogged(t *testing.T) {
	var buf bytes.Buffer
	h := function.Chain(function.HandlerFunc(panicking),
		middleware.Recover(middleware.RecoverLogger(discardLogger())),
		middleware.Logging(middleware.LoggingLogger(slog.New(slog.NewJSONHandler(&buf, nil)))))
	_, err := h.Handle(context.Background(), testEvent(t, "e-1"))
	require.ErrorIs(t, err, middleware.ErrPanic)
	lines := jsonLines(t, &buf)
	require.Len(t, lines, 1)
	assert.Equal(t, "ERROR", lines[0]["level"])
	assert.Equal(t, "retryable", lines[0]["outcome"])
}

func TestRecoverZeroEvent(t *testing.T) {
	_, err := middleware.Recover(middleware.RecoverLogger(discardLogger()))(function.HandlerFunc(panicking)).Handle(context.Background(), event.Event{})
	require.ErrorIs(t, err, middleware.ErrPanic)
}
