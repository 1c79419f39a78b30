package gcf_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/function"
)

func decodeLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		m := map[string]any{}
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

func TestLogHandler(t *testing.T) {
	xctc := &function.Invocation{RequestID: "exec-7", TraceHeader: "4bf92f3577b34da6a3ce929d0e0e4736/2;o=1"}
	w3c := &function.Invocation{TraceHeader: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"}
	otelCtx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x0a, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0, 0, 0, 0, 0, 0, 0, 9},
		TraceFlags: trace.FlagsSampled,
	}))
	fixed := func(traceID, spanID string, sampled bool) func(context.Context) (string, string, bool) {
		return func(context.Context) (string, string, bool) { return traceID, spanID, sampled }
	}
	tests := []struct {
		name    string
		ctx     context.Context
		project string
		span    func(context.Context) (string, string, bool)
		log     func(l *slog.Logger, ctx context.Context)
		want    map[string]any // keys that must be present with these values
		absent  []string
	}{
		{name: "severity and message", ctx: context.Background(), project: "p",
			log:    func(l *slog.Logger, ctx context.Context) { l.WarnContext(ctx, "disk low", "free", 3) },
			want:   map[string]any{"severity": "WARNING", "message": "disk low", "free": float64(3)},
			absent: []string{"level", "msg", "logging.googleapis.com/trace"}},
		{name: "critical", ctx: context.Background(),
			log:  func(l *slog.Logger, ctx context.Context) { l.Log(ctx, slog.LevelError+4, "down") },
			want: map[string]any{"severity": "CRITICAL"}},
		{name: "cloud trace header", ctx: function.NewContext(context.Background(), xctc), project: "shop-prod",
			log: func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hi") },
			want: map[string]any{
				"logging.googleapis.com/trace":         "projects/shop-prod/traces/4bf92f3577b34da6a3ce929d0e0e4736",
				"logging.googleapis.com/spanId":        "0000000000000002",
				"logging.googleapis.com/trace_sampled": true,
				"logging.googleapis.com/labels":        map[string]any{"execution_id": "exec-7"},
			}},
		{name: "traceparent", ctx: function.NewContext(context.Background(), w3c), project: "shop-prod",
			log: func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hi") },
			want: map[string]any{
				"logging.googleapis.com/trace":         "projects/shop-prod/traces/4bf92f3577b34da6a3ce929d0e0e4736",
				"logging.googleapis.com/spanId":        "00f067aa0ba902b7",
				"logging.googleapis.com/trace_sampled": false,
			}},
		{name: "OpenTelemetry span through CurrentSpan wins", ctx: function.NewContext(otelCtx, w3c), project: "shop-prod", span: otelSpan,
			log: func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hi") },
			want: map[string]any{
				"logging.googleapis.com/trace":         "projects/shop-prod/traces/0af92f3577b34da6a3ce929d0e0e4736",
				"logging.googleapis.com/spanId":        "0000000000000009",
				"logging.googleapis.com/trace_sampled": true,
			}},
		{name: "OpenTelemetry span without CurrentSpan is not read", ctx: function.NewContext(otelCtx, w3c), project: "shop-prod",
			log: func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hi") },
			want: map[string]any{
				"logging.googleapis.com/trace":         "projects/shop-prod/traces/4bf92f3577b34da6a3ce929d0e0e4736",
				"logging.googleapis.com/spanId":        "00f067aa0ba902b7",
				"logging.googleapis.com/trace_sampled": false,
			}},
		{name: "CurrentSpan outside an invocation", ctx: otelCtx, project: "p", span: otelSpan,
			log: func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hi") },
			want: map[string]any{
				"logging.googleapis.com/trace":  "projects/p/traces/0af92f3577b34da6a3ce929d0e0e4736",
				"logging.googleapis.com/spanId": "0000000000000009",
			},
			absent: []string{"logging.googleapis.com/labels"}},
		{name: "CurrentSpan with no span falls back to the header", ctx: function.NewContext(context.Background(), xctc), project: "p", span: otelSpan,
			log: func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hi") },
			want: map[string]any{
				"logging.googleapis.com/trace":  "projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736",
				"logging.googleapis.com/spanId": "0000000000000002",
			}},
		{name: "CurrentSpan with a zero trace id falls back to the header", ctx: function.NewContext(context.Background(), xctc), project: "p",
			span: fixed(strings.Repeat("0", 32), "0000000000000009", true),
			log:  func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hi") },
			want: map[string]any{
				"logging.googleapis.com/trace":  "projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736",
				"logging.googleapis.com/spanId": "0000000000000002",
			}},
		{name: "CurrentSpan with a malformed span id keeps the trace", ctx: context.Background(), project: "p",
			span: fixed("4bf92f3577b34da6a3ce929d0e0e4736", "xyz", false),
			log:  func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hi") },
			want: map[string]any{
				"logging.googleapis.com/trace":         "projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736",
				"logging.googleapis.com/trace_sampled": false,
			},
			absent: []string{"logging.googleapis.com/spanId"}},
		{name: "CurrentSpan without a project writes no trace", ctx: otelCtx, span: otelSpan,
			log:    func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hi") },
			want:   map[string]any{"message": "hi"},
			absent: []string{"logging.googleapis.com/trace", "logging.googleapis.com/spanId"}},
		{name: "no project, no trace", ctx: function.NewContext(context.Background(), xctc),
			log:    func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hi") },
			want:   map[string]any{"logging.googleapis.com/labels": map[string]any{"execution_id": "exec-7"}},
			absent: []string{"logging.googleapis.com/trace", "logging.googleapis.com/spanId"}},
		{name: "trace stays top level under a group", ctx: function.NewContext(context.Background(), xctc), project: "shop-prod",
			log: func(l *slog.Logger, ctx context.Context) {
				l.With("service", "orders").WithGroup("req").With("path", "/x").InfoContext(ctx, "hi", "n", 1)
			},
			want: map[string]any{
				"logging.googleapis.com/trace": "projects/shop-prod/traces/4bf92f3577b34da6a3ce929d0e0e4736",
				"service":                      "orders",
				"req":                          map[string]any{"path": "/x", "n": float64(1)},
			}},
		{name: "malformed trace header", ctx: function.NewContext(context.Background(), &function.Invocation{TraceHeader: "zzz/1;o=1"}), project: "p",
			log:    func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hi") },
			want:   map[string]any{"message": "hi"},
			absent: []string{"logging.googleapis.com/trace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := slog.New(gcf.NewLogHandler(&buf, &gcf.LogOptions{ProjectID: tt.project, Level: slog.LevelDebug, CurrentSpan: tt.span}))
			if tt.project == "" {
				t.Setenv("GOOGLE_CLOUD_PROJECT", "")
				l = slog.New(gcf.NewLogHandler(&buf, &gcf.LogOptions{CurrentSpan: tt.span}))
			}
			tt.log(l, tt.ctx)
			lines := decodeLines(t, &buf)
			require.Len(t, lines, 1)
			for k, v := range tt.want {
				assert.Equal(t, v, lines[0][k], k)
			}
			for _, k := range tt.absent {
				assert.NotContains(t, lines[0], k)
			}
		})
	}
}

// otelSpan is the CurrentSpan hook LogOptions documents for OpenTelemetry.
func otelSpan(ctx context.Context) (string, string, bool) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return "", "", false
	}
	return sc.TraceID().String(), sc.SpanID().String(), sc.IsSampled()
}

// The CurrentSpan hook is asked on every line with that line's context, so
// a line logged in a child span names the child.
func TestLogHandlerCurrentSpanPerLine(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(gcf.NewLogHandler(&buf, &gcf.LogOptions{ProjectID: "p", CurrentSpan: otelSpan}))
	parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}})
	child := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{3}, TraceFlags: trace.FlagsSampled})
	ctx := trace.ContextWithSpanContext(context.Background(), parent)
	l = l.WithGroup("g").With("k", "v")
	l.InfoContext(ctx, "parent")
	l.InfoContext(trace.ContextWithSpanContext(ctx, child), "child")
	lines := decodeLines(t, &buf)
	require.Len(t, lines, 2)
	assert.Equal(t, "0200000000000000", lines[0]["logging.googleapis.com/spanId"])
	assert.Equal(t, false, lines[0]["logging.googleapis.com/trace_sampled"])
	assert.Equal(t, "0300000000000000", lines[1]["logging.googleapis.com/spanId"])
	assert.Equal(t, true, lines[1]["logging.googleapis.com/trace_sampled"])
	assert.Equal(t, lines[0]["logging.googleapis.com/trace"], lines[1]["logging.googleapis.com/trace"])
	assert.Equal(t, map[string]any{"k": "v"}, lines[1]["g"])
}

func TestLogHandlerSourceAndLevel(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(gcf.NewLogHandler(&buf, &gcf.LogOptions{AddSource: true, Level: slog.LevelWarn}))
	l.Info("dropped")
	l.Error("kept")
	lines := decodeLines(t, &buf)
	require.Len(t, lines, 1)
	assert.Equal(t, "ERROR", lines[0]["severity"])
	src, ok := lines[0]["logging.googleapis.com/sourceLocation"].(map[string]any)
	require.True(t, ok, "sourceLocation should be an object: %v", lines[0])
	assert.Contains(t, src["file"], "logging_test.go")
	assert.NotEmpty(t, src["function"])
}
