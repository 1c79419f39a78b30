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
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0, 0, 0, 0, 0, 0, 0, 9},
		TraceFlags: trace.FlagsSampled,
	}))
	tests := []struct {
		name    string
		ctx     context.Context
		project string
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
		{name: "OpenTelemetry span wins", ctx: function.NewContext(otelCtx, w3c), project: "shop-prod",
			log: func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hi") },
			want: map[string]any{
				"logging.googleapis.com/spanId":        "0000000000000009",
				"logging.googleapis.com/trace_sampled": true,
			}},
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
			l := slog.New(gcf.NewLogHandler(&buf, &gcf.LogOptions{ProjectID: tt.project, Level: slog.LevelDebug}))
			if tt.project == "" {
				t.Setenv("GOOGLE_CLOUD_PROJECT", "")
				l = slog.New(gcf.NewLogHandler(&buf, nil))
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
