package frontdoor_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/internal/invoke"
)

// Every outcome is logged once, in the one schema of docs/logging.md.
func TestLogSchema(t *testing.T) {
	tests := []struct {
		typ, level, msg, outcome string
	}{
		{"test.ok", "DEBUG", invoke.MsgHandled, "ok"},
		{"test.permanent", "WARN", invoke.MsgPermanent, "permanent"},
		{"test.retry", "WARN", invoke.MsgRetryable, "retryable"},
		{"test.panic", "ERROR", invoke.MsgPanic, "panic"},
	}
	for _, tc := range tests {
		t.Run(tc.outcome, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			d, err := frontdoor.New(testProfile(), frontdoor.Events((*seen)(nil).handler()), frontdoor.WithLogger(log),
				frontdoor.WithFunctionName("orders"), frontdoor.WithGetenv(func(string) string { return "" }))
			require.NoError(t, err)
			h := binaryHeaders(tc.typ)
			h["X-Request-Id"] = "req-7"
			serve(d, http.MethodPost, "/", h, `{}`)
			lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
			require.Len(t, lines, 1, "one line per outcome: %s", buf.String())
			var got map[string]any
			require.NoError(t, json.Unmarshal(lines[0], &got))
			assert.Equal(t, tc.level, got["level"])
			assert.Equal(t, tc.msg, got["msg"])
			assert.Equal(t, tc.outcome, got[invoke.KeyOutcome])
			assert.Equal(t, "http", got[invoke.KeyPlatform])
			assert.Equal(t, "orders", got[invoke.KeyFunction])
			assert.Equal(t, "req-7", got[invoke.KeyRequestID])
			assert.Equal(t, "evt-1", got[invoke.KeyEventID])
			assert.Equal(t, tc.typ, got[invoke.KeyEventType])
			assert.Equal(t, "//shop.example.com/orders", got[invoke.KeyEventSource])
			if tc.outcome != "panic" {
				assert.IsType(t, float64(0), got[invoke.KeyDuration], "duration in milliseconds")
			} else {
				assert.Contains(t, got[invoke.KeyStack], "goroutine")
			}
		})
	}
}
