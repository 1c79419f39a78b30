package awsparams_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/params"
	"github.com/faasport/faasport/params/awsparams"
	"github.com/faasport/faasport/params/paramstest"
)

// extensionFake answers as the Parameters and Secrets Lambda Extension does:
// GET with the session token in X-Aws-Parameters-Secrets-Token, the
// service's answer relayed as JSON.
func extensionFake(t *testing.T) (*httptest.Server, func() url.Values) {
	t.Helper()
	// failures are the extension's error answers, by the name asked for.
	failures := map[string]struct {
		status int
		body   string
	}{
		"missing":  {http.StatusBadRequest, "ResourceNotFoundException: Secrets Manager can't find the specified secret."},
		"/missing": {http.StatusBadRequest, "ParameterNotFound"},
		"denied":   {http.StatusBadRequest, "AccessDeniedException: not authorized"},
		"busy":     {http.StatusTooManyRequests, "slow down"},
		"gone":     {http.StatusNotFound, ""},
	}
	var mu sync.Mutex
	var last url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		last = q
		mu.Unlock()
		if r.Header.Get("X-Aws-Parameters-Secrets-Token") != "session-token" {
			http.Error(w, "missing token", http.StatusUnauthorized)
			return
		}
		key := q.Get("name") + q.Get("secretId")
		if f, ok := failures[key]; ok {
			http.Error(w, f.body, f.status)
			return
		}
		if key == "broken" {
			_, _ = w.Write([]byte(`{"SecretString": 12`))
			return
		}
		switch r.URL.Path {
		case "/systemsmanager/parameters/get":
			_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{"Name": key, "Value": "pv" + q.Get("version") + q.Get("label"), "Version": 7}})
		case "/secretsmanager/get":
			if key == "bin" {
				_ = json.NewEncoder(w).Encode(map[string]any{"SecretBinary": "AAH/", "VersionId": "v-bin"})
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"SecretString": "sv" + q.Get("versionId") + q.Get("versionStage"), "VersionId": "v-1"})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() url.Values { mu.Lock(); defer mu.Unlock(); return last }
}

func TestExtension(t *testing.T) {
	srv, last := extensionFake(t)
	t.Setenv("AWS_SESSION_TOKEN", "session-token")
	ext := awsparams.NewExtension(awsparams.WithEndpoint(srv.URL + "/"))
	tests := []struct {
		name      string
		provider  params.Provider
		ref       params.Ref
		want      string
		wantVer   string
		wantErr   error
		wantQuery url.Values
	}{
		{name: "parameter", provider: ext.Parameters(), ref: params.Ref{Name: "/p"}, want: "pv", wantVer: "7",
			wantQuery: url.Values{"name": {"/p"}, "withDecryption": {"true"}}},
		{name: "parameter version", provider: ext.Parameters(), ref: params.Ref{Name: "/p", Version: "3"}, want: "pv3", wantVer: "7",
			wantQuery: url.Values{"name": {"/p"}, "withDecryption": {"true"}, "version": {"3"}}},
		{name: "parameter label", provider: ext.Parameters(), ref: params.Ref{Name: "/p", Label: "blue"}, want: "pvblue", wantVer: "7",
			wantQuery: url.Values{"name": {"/p"}, "withDecryption": {"true"}, "label": {"blue"}}},
		{name: "secret", provider: ext.Secrets(), ref: params.Ref{Name: "s"}, want: "sv", wantVer: "v-1",
			wantQuery: url.Values{"secretId": {"s"}}},
		{name: "secret stage", provider: ext.Secrets(), ref: params.Ref{Name: "s", Label: "AWSPREVIOUS"}, want: "svAWSPREVIOUS", wantVer: "v-1",
			wantQuery: url.Values{"secretId": {"s"}, "versionStage": {"AWSPREVIOUS"}}},
		{name: "secret version", provider: ext.Secrets(), ref: params.Ref{Name: "s", Version: "abc"}, want: "svabc", wantVer: "v-1",
			wantQuery: url.Values{"secretId": {"s"}, "versionId": {"abc"}}},
		{name: "binary secret", provider: ext.Secrets(), ref: params.Ref{Name: "bin"}, want: "\x00\x01\xff", wantVer: "v-bin"},
		{name: "secret not found", provider: ext.Secrets(), ref: params.Ref{Name: "missing"}, wantErr: params.ErrNotFound},
		{name: "parameter not found", provider: ext.Parameters(), ref: params.Ref{Name: "/missing"}, wantErr: params.ErrNotFound},
		{name: "404", provider: ext.Secrets(), ref: params.Ref{Name: "gone"}, wantErr: params.ErrNotFound},
		{name: "denied", provider: ext.Secrets(), ref: params.Ref{Name: "denied"}, wantErr: params.ErrAccessDenied},
		{name: "429", provider: ext.Secrets(), ref: params.Ref{Name: "busy"}, wantErr: params.ErrThrottled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ver, err := tt.provider.Fetch(context.Background(), tt.ref)
			if tt.wantErr != nil {
				paramstest.CheckMapped(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, v)
			assert.Equal(t, tt.wantVer, ver)
			if tt.wantQuery != nil {
				assert.Equal(t, tt.wantQuery, last())
			}
		})
	}
	t.Run("malformed answer", func(t *testing.T) {
		_, _, err := ext.Secrets().Fetch(context.Background(), params.Ref{Name: "broken"})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "invalid JSON at byte offset")
	})
	t.Run("token missing", func(t *testing.T) {
		t.Setenv("AWS_SESSION_TOKEN", "")
		_, _, err := ext.Secrets().Fetch(context.Background(), params.Ref{Name: "s"})
		paramstest.CheckMapped(t, err, params.ErrAccessDenied)
	})
	t.Run("no extension", func(t *testing.T) {
		t.Setenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "1")
		_, _, err := awsparams.NewExtension().Secrets().Fetch(context.Background(), params.Ref{Name: "s"})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "Lambda Extension layer")
	})
}

func TestExtensionPortFromEnvironment(t *testing.T) {
	srv, _ := extensionFake(t)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	t.Setenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", u.Port())
	ext := awsparams.NewExtension(awsparams.WithToken(func() string { return "session-token" }), awsparams.WithHTTPClient(srv.Client()))
	v, _, err := ext.Parameters().Fetch(context.Background(), params.Ref{Name: "/p"})
	require.NoError(t, err)
	assert.Equal(t, "pv", v)
}
