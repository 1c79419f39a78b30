package azuretest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/function"
)

func TestRouteParams(t *testing.T) {
	tests := []struct {
		name, prefix, route, function, path string
		want                                map[string]string
	}{
		{"parameter", "api", "orders/{id}", "F", "/api/orders/42", map[string]string{"id": "42"}},
		{"constraint and optional", "api", "items/{n:int}/{tag?}", "F", "/api/items/7", map[string]string{"n": "7"}},
		{"catch-all", "api", "files/{*rest}", "F", "/api/files/a/b/c.txt", map[string]string{"rest": "a/b/c.txt"}},
		{"no prefix", "", "x/{id}", "F", "/x/9", map[string]string{"id": "9"}},
		{"default route has none", "api", "", "F", "/api/F", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, routeParams(tt.prefix, tt.route, tt.function, tt.path))
		})
	}
}

func TestHostEncoded(t *testing.T) {
	assert.Equal(t, `"\"abc\""`, string(HostEncoded("abc")))
	var once string
	require.NoError(t, json.Unmarshal(HostEncoded(`{"a":1}`), &once))
	assert.Equal(t, `"{\"a\":1}"`, once)
}

func TestHostProtocol(t *testing.T) {
	var seen []function.Invocation
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		seen = append(seen, *function.FromContext(ctx))
		return nil, nil
	})
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.PathValue("rest")+"|"+r.URL.Path)
	})
	host := Start(t, "testdata/app", azure.Events(h), azure.HTTP(web),
		azure.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	ctx := context.Background()

	t.Run("environment", func(t *testing.T) {
		assert.NotEmpty(t, host.Env[azure.EnvPort])
		assert.Equal(t, "custom", host.Env["FUNCTIONS_WORKER_RUNTIME"])
		assert.Equal(t, []string{"Hello", "Orders"}, host.App.Names())
	})
	t.Run("invocation headers reach the handler", func(t *testing.T) {
		res, err := host.Trigger(ctx, "Orders", HostEncoded("hi"), map[string]any{"MessageId": "m-1"})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.Status)
		require.Len(t, seen, 1)
		assert.Equal(t, res.InvocationID, seen[0].RequestID)
		assert.Equal(t, "Orders", seen[0].FunctionName)
	})
	t.Run("unknown function", func(t *testing.T) {
		_, err := host.Trigger(ctx, "Nope", "x", nil)
		require.ErrorIs(t, err, ErrNoFunction)
	})
	t.Run("forwarded HTTP request", func(t *testing.T) {
		r, _ := http.NewRequest(http.MethodGet, "http://localhost:7071/api/hello/a/b", nil)
		resp, err := host.HTTP(ctx, "Hello", r)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		// Forwarded: the mux saw the real path; no route parameters.
		assert.Equal(t, "|/api/hello/a/b", string(b))
	})
	t.Run("failed invocation", func(t *testing.T) {
		r := &Result{Status: http.StatusServiceUnavailable}
		assert.True(t, r.Failed())
		r.Status = http.StatusOK
		assert.False(t, r.Failed())
	})
}
