package azuretest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/function"
)

func TestMatchRoute(t *testing.T) {
	tests := []struct {
		name, prefix, route, function, path string
		want                                map[string]string // nil: not routed
	}{
		{"parameter", "api", "orders/{id}", "F", "/api/orders/42", map[string]string{"id": "42"}},
		{"constraint and optional", "api", "items/{n:int}/{tag?}", "F", "/api/items/7", map[string]string{"n": "7"}},
		{"optional given", "api", "items/{n:int}/{tag?}", "F", "/api/items/7/red", map[string]string{"n": "7", "tag": "red"}},
		{"default value", "api", "page/{n:int=1}", "F", "/api/page", map[string]string{"n": "1"}},
		{"catch-all", "api", "files/{*rest}", "F", "/api/files/a/b/c.txt", map[string]string{"rest": "a/b/c.txt"}},
		{"catch-all takes none", "api", "files/{*rest}", "F", "/api/files", map[string]string{}},
		{"no prefix", "", "x/{id}", "F", "/x/9", map[string]string{"id": "9"}},
		{"no prefix, catch-all at the root", "", "{*path}", "F", "/", map[string]string{}},
		{"default route is the name", "api", "", "F", "/api/F", map[string]string{}},
		{"literals ignore case", "api", "Orders/{id}", "F", "/API/orders/1/", map[string]string{"id": "1"}},
		{"default route without the prefix", "api", "", "F", "/F", nil},
		{"other function", "api", "", "F", "/api/G", nil},
		{"constraint refused", "api", "orders/{id:int}", "F", "/api/orders/abc", nil},
		{"guid constraint", "api", "o/{id:guid}", "F", "/api/o/not-a-guid", nil},
		{"parameter missing", "api", "orders/{id}", "F", "/api/orders", nil},
		{"too many segments", "api", "orders/{id}", "F", "/api/orders/1/2", nil},
		{"prefix missing", "api", "{*path}", "F", "/items", nil},
		{"custom prefix", "v1", "{*path}", "F", "/v1/items/3", map[string]string{"path": "items/3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := matchRoute(tt.prefix, tt.route, tt.function, tt.path)
			if tt.want == nil {
				assert.False(t, ok, "routed with %v", got)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func FuzzMatchRoute(f *testing.F) {
	f.Add("api", "orders/{id:int}/{tag?}", "/api/orders/1/x")
	f.Add("", "{*path}", "/")
	f.Add("v1", "files/{**rest=a}", "//v1//files")
	f.Add("api", "{a}{b}/x.{ext}", "/api/q/x.json")
	f.Fuzz(func(t *testing.T, prefix, route, path string) {
		params, ok := matchRoute(prefix, route, "F", path)
		if !ok {
			assert.Nil(t, params)
			return
		}
		for k := range params {
			assert.Contains(t, prefix+"/"+route, k, "a parameter the template names")
		}
	})
}

// routedApp writes an app whose HTTP functions are Default (default route,
// any method), Items (route items/{id:int}, GET and POST) and Files
// (files/{*rest}, GET), all HTTP-only; prefix nil leaves host.json's
// routePrefix unset.
func routedApp(t *testing.T, prefix *string, forward bool) string {
	t.Helper()
	dir := t.TempDir()
	fn := func(name string, extra map[string]any) Invocation {
		extra["authLevel"] = "anonymous"
		return Invocation{Function: name,
			Trigger: azure.Binding{Type: azure.KindHTTP, Direction: "in", Name: "req", Extra: extra},
			Outputs: []azure.Binding{{Type: "http", Direction: "out", Name: "res"}}}
	}
	invs := []Invocation{
		fn("Default", map[string]any{}),
		fn("Items", map[string]any{"route": "items/{id:int}", "methods": []string{"get", "post"}}),
		fn("Files", map[string]any{"route": "files/{*rest}", "methods": []string{"GET"}}),
	}
	if prefix == nil {
		require.NoError(t, WriteApp(dir, invs...))
	} else {
		require.NoError(t, WriteAppWithPrefix(dir, *prefix, invs...))
	}
	if !forward {
		b, err := os.ReadFile(filepath.Join(dir, "host.json"))
		require.NoError(t, err)
		b = bytes.Replace(b, []byte(`"enableForwardingHttpRequest":true`), []byte(`"enableForwardingHttpRequest":false`), 1)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "host.json"), b, 0o644))
	}
	return dir
}

func TestHTTPRoutes(t *testing.T) {
	var calls atomic.Int32
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.WriteString(w, r.Method+" "+r.URL.Path+" id="+r.PathValue("id")+" rest="+r.PathValue("rest"))
	})
	quiet := azure.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	empty, v1 := "", "v1"
	tests := []struct {
		name         string
		prefix       *string
		forward      bool
		function     string
		method, path string
		status       int
		body         string // the handler's answer, when routed
	}{
		{"default prefix", nil, true, "Default", "GET", "/api/Default", 200, "GET /api/Default id= rest="},
		{"default prefix, name without it", nil, true, "Default", "GET", "/Default", 404, ""},
		{"default prefix, other path", nil, true, "Default", "GET", "/api/Other", 404, ""},
		{"empty prefix", &empty, true, "Default", "POST", "/Default", 200, "POST /Default id= rest="},
		{"empty prefix, api path", &empty, true, "Default", "GET", "/api/Default", 404, ""},
		{"custom prefix", &v1, true, "Files", "GET", "/v1/files/a/b", 200, "GET /v1/files/a/b id= rest="},
		{"custom route, forwarded as sent", nil, true, "Items", "GET", "/api/items/42", 200, "GET /api/items/42 id= rest="},
		{"custom route, constraint refused", nil, true, "Items", "GET", "/api/items/x", 404, ""},
		{"custom route, params in Data/Metadata", nil, false, "Items", "POST", "/api/items/42", 200, "POST /api/items/42 id=42 rest="},
		{"catch-all in Data/Metadata", &empty, false, "Files", "GET", "/files/a/b.txt", 200, "GET /files/a/b.txt id= rest=a/b.txt"},
		{"method not allowed", nil, true, "Items", "DELETE", "/api/items/42", 404, ""},
		{"method not allowed in Data/Metadata", nil, false, "Files", "POST", "/api/files/a", 404, ""},
		{"HEAD is not GET", nil, true, "Files", "HEAD", "/api/files/a", 404, ""},
		{"methods match without case", nil, true, "Files", "GET", "/api/files/a", 200, "GET /api/files/a id= rest="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := Start(t, routedApp(t, tt.prefix, tt.forward), azure.HTTP(web), quiet)
			r, _ := http.NewRequest(tt.method, "http://localhost:7071"+tt.path, strings.NewReader("x"))
			checkHTTP(t, host, tt.function, r, &calls, tt.status, tt.body)
		})
	}
	t.Run("a function without an HTTP trigger", func(t *testing.T) {
		host := Start(t, "testdata/app", azure.HTTP(web), quiet)
		r, _ := http.NewRequest(http.MethodGet, "http://localhost:7071/api/Orders", nil)
		_, err := host.HTTP(ctx, "Orders", r)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "Trigger or Send")
	})
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

// checkHTTP serves r through function and checks the host's answer: the
// status; for a refusal (404 or 401, the host's own) an empty body and no
// handler call, else the body and one call.
func checkHTTP(t *testing.T, host *Host, function string, r *http.Request, calls *atomic.Int32, status int, body string) {
	t.Helper()
	before := calls.Load()
	resp, err := host.HTTP(context.Background(), function, r)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, status, resp.StatusCode, "body %s", b)
	if status == http.StatusNotFound || status == http.StatusUnauthorized {
		assert.Empty(t, b, "the host's %d has no body", status)
		assert.Equal(t, before, calls.Load(), "the handler is not invoked")
		return
	}
	assert.Equal(t, body, string(b))
	assert.Equal(t, before+1, calls.Load())
}
