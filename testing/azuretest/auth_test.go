package azuretest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/azure"
)

// authApp writes an app with one HTTP-only function per authorization
// level: Anon (anonymous), Fn and Other (function), Unset (no authLevel)
// and Admin (admin), each at its default route under /api.
func authApp(t *testing.T, forward bool) string {
	t.Helper()
	dir := t.TempDir()
	fn := func(name, level string) Invocation {
		extra := map[string]any{}
		if level != "" {
			extra["authLevel"] = level
		}
		return Invocation{Function: name,
			Trigger: azure.Binding{Type: azure.KindHTTP, Direction: "in", Name: "req", Extra: extra},
			Outputs: []azure.Binding{{Type: "http", Direction: "out", Name: "res"}}}
	}
	require.NoError(t, WriteApp(dir, fn("Anon", "anonymous"), fn("Fn", "function"), fn("Other", "Function"),
		fn("Unset", ""), fn("Admin", "admin")))
	if !forward {
		p := filepath.Join(dir, "host.json")
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		b = []byte(strings.Replace(string(b), `"enableForwardingHttpRequest":true`, `"enableForwardingHttpRequest":false`, 1))
		require.NoError(t, os.WriteFile(p, b, 0o644))
	}
	return dir
}

func TestHTTPAuthorization(t *testing.T) {
	var calls atomic.Int32
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.WriteString(w, "ok")
	})
	quiet := azure.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()

	for _, forward := range []bool{true, false} {
		name := "forwarded"
		if !forward {
			name = "Data/Metadata"
		}
		t.Run(name, func(t *testing.T) {
			host := Start(t, authApp(t, forward), azure.HTTP(web), quiet)
			tests := []struct {
				name, function string
				header, code   string
				status         int
			}{
				{"anonymous without a key", "Anon", "", "", http.StatusOK},
				{"function level without a key", "Fn", "", "", http.StatusUnauthorized},
				{"function level with a wrong key", "Fn", "not-a-key", "", http.StatusUnauthorized},
				{"function level with a wrong code", "Fn", "", "not-a-key", http.StatusUnauthorized},
				{"function key in the header", "Fn", host.FunctionKey("Fn"), "", http.StatusOK},
				{"function key in code", "Fn", "", host.FunctionKey("Fn"), http.StatusOK},
				{"another function's key", "Fn", host.FunctionKey("Other"), "", http.StatusUnauthorized},
				{"host key", "Fn", host.HostKey(), "", http.StatusOK},
				{"host key in code", "Other", "", host.HostKey(), http.StatusOK},
				{"master key at function level", "Fn", "", host.MasterKey(), http.StatusOK},
				{"the header wins over code", "Fn", "not-a-key", host.FunctionKey("Fn"), http.StatusUnauthorized},
				{"an empty header is no key", "Fn", "", "", http.StatusUnauthorized},
				{"unset level is function: no key", "Unset", "", "", http.StatusUnauthorized},
				{"unset level is function: its key", "Unset", host.FunctionKey("Unset"), "", http.StatusOK},
				{"admin with the function key", "Admin", host.FunctionKey("Admin"), "", http.StatusUnauthorized},
				{"admin with the host key", "Admin", host.HostKey(), "", http.StatusUnauthorized},
				{"admin without a key", "Admin", "", "", http.StatusUnauthorized},
				{"admin with the master key", "Admin", host.MasterKey(), "", http.StatusOK},
				{"admin with the master key in code", "Admin", "", host.MasterKey(), http.StatusOK},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					u := "http://localhost:7071/api/" + tt.function
					if tt.code != "" {
						u += "?" + url.Values{"code": {tt.code}}.Encode()
					}
					r, err := http.NewRequest(http.MethodGet, u, nil)
					require.NoError(t, err)
					if tt.header != "" || tt.name == "an empty header is no key" {
						r.Header.Set(HeaderFunctionsKey, tt.header)
					}
					checkHTTP(t, host, tt.function, r, &calls, tt.status, "ok")
				})
			}
			t.Run("WithKey", func(t *testing.T) {
				r, _ := http.NewRequest(http.MethodGet, "http://localhost:7071/api/Fn", nil)
				resp, err := host.HTTP(ctx, "Fn", host.WithKey(r, "Fn"))
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, http.StatusOK, resp.StatusCode)
			})
			t.Run("routing comes first", func(t *testing.T) {
				r, _ := http.NewRequest(http.MethodGet, "http://localhost:7071/api/Elsewhere", nil)
				resp, err := host.HTTP(ctx, "Fn", r)
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, http.StatusNotFound, resp.StatusCode)
			})
		})
	}
}

func TestHTTPAuthorizationForwardsTheKey(t *testing.T) {
	var query, header atomic.Value
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query.Store(r.URL.Query().Get("code"))
		header.Store(r.Header.Get(HeaderFunctionsKey))
	})
	host := Start(t, authApp(t, true), azure.HTTP(web), azure.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	r, _ := http.NewRequest(http.MethodGet, "http://localhost:7071/api/Fn?"+url.Values{"code": {host.FunctionKey("Fn")}}.Encode(), nil)
	resp, err := host.HTTP(context.Background(), "Fn", r)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, host.FunctionKey("Fn"), query.Load(), "code reaches the handler unchanged")
	assert.Equal(t, "", header.Load())
}

func TestKeys(t *testing.T) {
	quiet := azure.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	dir := authApp(t, true)
	a := Start(t, dir, azure.HTTP(http.NotFoundHandler()), quiet)
	b := Start(t, dir, azure.HTTP(http.NotFoundHandler()), quiet)
	all := map[string]bool{}
	for _, h := range []*Host{a, b} {
		for _, k := range []string{h.FunctionKey("Fn"), h.FunctionKey("Other"), h.FunctionKey("Admin"), h.HostKey(), h.MasterKey()} {
			assert.GreaterOrEqual(t, len(k), 40)
			assert.False(t, all[k], "every key is fresh")
			all[k] = true
		}
	}
	assert.Empty(t, a.FunctionKey("Nope"))
}

func TestHTTPAuthLevelUnknown(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, WriteApp(dir, Invocation{Function: "F",
		Trigger: azure.Binding{Type: azure.KindHTTP, Direction: "in", Name: "req", Extra: map[string]any{"authLevel": "user"}}}))
	host := Start(t, dir, azure.HTTP(http.NotFoundHandler()), azure.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	r, _ := http.NewRequest(http.MethodGet, "http://localhost:7071/api/F", nil)
	_, err := host.HTTP(context.Background(), "F", host.WithKey(r, "F"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `authLevel "user"`)
}
