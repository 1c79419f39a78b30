package lambda_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/adapters/nethttp"
	"github.com/faasport/faasport/internal/invoke"
)

// logLines is a JSON slog logger at DEBUG and the lines it wrote.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logLines) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *logLines) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

// byEvent returns the lines of each event id; lines with no event go under "".
func byEvent(lines []map[string]any) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, l := range lines {
		id, _ := l[invoke.KeyEventID].(string)
		out[id] = append(out[id], l)
	}
	return out
}

func TestLogOneLinePerRecord(t *testing.T) {
	const arn = "arn:aws:sqs:us-east-1:123456789012:orders.fifo"
	var logs logLines
	h := lambda.New(lambda.Events(&recorder{}), lambda.WithLogger(logs.logger()), lambda.WithFunctionName("fn"))
	payload := mustJSON(t, events.SQSEvent{Records: []events.SQSMessage{
		sqsRecord("ok", `{}`, arn, "a", 2),
		sqsRecord("fail", `FAIL`, arn, "b", 1),
		sqsRecord("after-fail", `{}`, arn, "b", 1),
		sqsRecord("poison", `POISON`, arn, "c", 1),
		sqsRecord("panic", `PANIC`, arn, "d", 1),
	}})
	_, err := h.Invoke(lambdaCtx(t), payload)
	require.NoError(t, err)

	tests := []struct {
		id      string
		outcome invoke.Outcome
		level   string
		attempt float64
		err     string
	}{
		{id: "ok", outcome: invoke.OutcomeOK, level: "DEBUG", attempt: 2},
		{id: "fail", outcome: invoke.OutcomeRetryable, level: "WARN", attempt: 1, err: "record failed"},
		{id: "after-fail", outcome: invoke.OutcomeRetryable, level: "WARN", attempt: 1, err: "earlier record of its ordered group"},
		{id: "poison", outcome: invoke.OutcomePermanent, level: "WARN", attempt: 1, err: "poison record"},
		{id: "panic", outcome: invoke.OutcomePanic, level: "ERROR", attempt: 1},
	}
	got := byEvent(logs.lines(t))
	assert.Len(t, got, len(tests), "no line without its record")
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			require.Len(t, got[tt.id], 1, "exactly one line for the record")
			l := got[tt.id][0]
			assert.Equal(t, tt.outcome.Message(), l["msg"])
			assert.Equal(t, tt.level, l["level"])
			assert.Equal(t, string(tt.outcome), l[invoke.KeyOutcome])
			assert.Equal(t, "aws_lambda", l[invoke.KeyPlatform])
			assert.Equal(t, "fn", l[invoke.KeyFunction])
			assert.Equal(t, "req-1", l[invoke.KeyRequestID])
			assert.Equal(t, lambda.TypeSQSMessage, l[invoke.KeyEventType])
			assert.Equal(t, arn, l[invoke.KeyEventSource])
			assert.Equal(t, tt.attempt, l[invoke.KeyAttempt])
			if tt.err != "" {
				assert.Contains(t, l[invoke.KeyError], tt.err)
			} else {
				assert.NotContains(t, l, invoke.KeyError)
			}
			if tt.outcome == invoke.OutcomePanic {
				assert.Equal(t, "record asked to panic", l[invoke.KeyPanic])
				assert.NotEmpty(t, l[invoke.KeyStack])
			}
		})
	}
}

func TestLogInvocationFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler *hooks
		payload string
		outcome invoke.Outcome
		level   string
	}{
		{name: "start hook fails", handler: &hooks{startErr: errors.New("config not ready")}, payload: `{}`, outcome: invoke.OutcomeStartFailed, level: "ERROR"},
		{name: "payload is not JSON", handler: &hooks{}, payload: `{"Records":`, outcome: invoke.OutcomeRefused, level: "INFO"},
		{name: "record list unreadable", handler: &hooks{}, payload: `{"awslogs":{"data":"%%%"}}`, outcome: invoke.OutcomeRefused, level: "INFO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logLines
			h := lambda.New(lambda.Events(tt.handler), lambda.WithLogger(logs.logger()), lambda.WithFunctionName("fn"))
			_, err := h.Invoke(lambdaCtx(t), []byte(tt.payload))
			require.Error(t, err)
			lines := logs.lines(t)
			require.Len(t, lines, 1)
			l := lines[0]
			assert.Equal(t, tt.outcome.Message(), l["msg"])
			assert.Equal(t, tt.level, l["level"])
			assert.Equal(t, string(tt.outcome), l[invoke.KeyOutcome])
			assert.Equal(t, "aws_lambda", l[invoke.KeyPlatform])
			assert.Equal(t, "req-1", l[invoke.KeyRequestID])
			assert.NotEmpty(t, l[invoke.KeyError])
		})
	}
}

// The same outcome logs the same on Lambda as through the HTTP front door:
// message, level and attribute names; only the values that name the
// platform differ, and the HTTP status is the front door's own.
func TestLogSameSchemaAsFrontDoor(t *testing.T) {
	const ce = `{"specversion":"1.0","id":"e-1","type":"com.example.order","source":"/orders","datacontenttype":"text/plain","data":"%s"}`
	for _, body := range []string{"POISON", "FAIL", "ok"} {
		t.Run(body, func(t *testing.T) {
			var onLambda, onHTTP logLines
			lh := lambda.New(lambda.Events(&recorder{}), lambda.WithLogger(onLambda.logger()), lambda.WithFunctionName("fn"))
			_, _ = lh.Invoke(lambdaCtx(t), []byte(strings.Replace(ce, "%s", body, 1)))

			nh := nethttp.New(nethttp.Events(&recorder{}), nethttp.WithLogger(onHTTP.logger()), nethttp.WithFunctionName("fn"))
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Replace(ce, "%s", body, 1)))
			req.Header.Set("Content-Type", "application/cloudevents+json")
			nh.ServeHTTP(httptest.NewRecorder(), req)

			l, n := onLambda.lines(t), onHTTP.lines(t)
			require.Len(t, l, 1)
			require.Len(t, n, 1)
			for _, k := range []string{"msg", "level", invoke.KeyOutcome, invoke.KeyEventID, invoke.KeyEventType, invoke.KeyEventSource, invoke.KeyFunction, invoke.KeyError} {
				assert.Equal(t, n[0][k], l[0][k], k)
			}
			delete(n[0], invoke.KeyStatus)
			assert.Equal(t, keys(n[0]), keys(l[0]))
		})
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
