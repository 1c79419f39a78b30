package azureparams_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/faasport/faasport/params/paramstest"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/params"
	"github.com/faasport/faasport/params/azureparams"
)

// fakeCredential hands out a fixed token and records what was asked.
type fakeCredential struct {
	mu     sync.Mutex
	scopes []string
	tenant string
}

func (c *fakeCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes, c.tenant = o.Scopes, o.TenantID
	return azcore.AccessToken{Token: "fake-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// fakeVault speaks Key Vault's secrets REST API on loopback TLS:
// GET /secrets/{name}/{version}?api-version=…, challenge-based bearer auth,
// errors as {"error":{"code","message"}}.
type fakeVault struct {
	srv      *httptest.Server
	calls    atomic.Int64 // authorized calls
	mu       sync.Mutex
	secrets  map[string][]string // name → values; version id "v<n>"
	throttle int
	gate     chan struct{}
	apiVer   string
}

func newFakeVault(t testing.TB) *fakeVault {
	t.Helper()
	v := &fakeVault{secrets: map[string][]string{
		"api-key": {"one", "two"},
		"denied":  {"x"},
	}}
	v.srv = httptest.NewTLSServer(http.HandlerFunc(v.serve))
	t.Cleanup(v.srv.Close)
	return v
}

func vaultError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (v *fakeVault) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer fake-token" {
		w.Header().Set("WWW-Authenticate", `Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001", resource="https://vault.azure.net"`)
		vaultError(w, http.StatusUnauthorized, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.")
		return
	}
	v.calls.Add(1)
	v.mu.Lock()
	v.apiVer = r.URL.Query().Get("api-version")
	gate := v.gate
	v.mu.Unlock()
	if gate != nil {
		<-gate
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.throttle > 0 {
		v.throttle--
		w.Header().Set("Retry-After", "0")
		vaultError(w, http.StatusTooManyRequests, "Throttled", "Operations per second rate limit reached")
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet || len(parts) < 2 || parts[0] != "secrets" {
		vaultError(w, http.StatusBadRequest, "BadParameter", "unknown operation")
		return
	}
	name, version := parts[1], ""
	if len(parts) > 2 {
		version = parts[2]
	}
	if name == "denied" {
		vaultError(w, http.StatusForbidden, "Forbidden", "The user, group or application does not have secrets get permission")
		return
	}
	values, ok := v.secrets[name]
	if !ok {
		vaultError(w, http.StatusNotFound, "SecretNotFound", "A secret with (name/id) "+name+" was not found in this key vault.")
		return
	}
	n := len(values)
	if version != "" {
		n = 0
		for i := range values {
			if version == "v"+string(rune('1'+i)) {
				n = i + 1
			}
		}
		if n == 0 {
			vaultError(w, http.StatusNotFound, "SecretNotFound", "A secret with (name/id) "+name+"/"+version+" was not found in this key vault.")
			return
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"value":      values[n-1],
		"id":         "https://" + r.Host + "/secrets/" + name + "/v" + string(rune('0'+n)),
		"attributes": map[string]any{"enabled": true, "created": 1700000000, "updated": 1700000000, "recoveryLevel": "Recoverable+Purgeable"},
	})
}

// client is a real azsecrets client for v, with retries off unless set.
func (v *fakeVault) client(t testing.TB, cred azcore.TokenCredential, retries int32) *azsecrets.Client {
	t.Helper()
	c, err := azsecrets.NewClient(v.srv.URL, cred, &azsecrets.ClientOptions{
		ClientOptions: azcore.ClientOptions{
			Transport: v.srv.Client(),
			Retry:     policy.RetryOptions{MaxRetries: retries, RetryDelay: time.Millisecond, MaxRetryDelay: time.Millisecond},
		},
		// The challenge names vault.azure.net; the fake vault is 127.0.0.1.
		DisableChallengeResourceVerification: true,
	})
	require.NoError(t, err)
	return c
}

func TestKeyVault(t *testing.T) {
	v := newFakeVault(t)
	cred := &fakeCredential{}
	p := azureparams.New(v.client(t, cred, -1))
	tests := []struct {
		name    string
		ref     params.Ref
		want    string
		wantVer string
		wantErr error
		status  int
	}{
		{name: "current", ref: params.Ref{Name: "api-key"}, want: "two", wantVer: "v2"},
		{name: "version", ref: params.Ref{Name: "api-key", Version: "v1"}, want: "one", wantVer: "v1"},
		{name: "no version", ref: params.Ref{Name: "api-key", Version: "v9"}, wantErr: params.ErrNotFound, status: 404},
		{name: "not found", ref: params.Ref{Name: "nope"}, wantErr: params.ErrNotFound, status: 404},
		{name: "denied", ref: params.Ref{Name: "denied"}, wantErr: params.ErrAccessDenied, status: 403},
		{name: "label", ref: params.Ref{Name: "api-key", Label: "x"}, wantErr: params.ErrUnsupported},
		{name: "empty name", ref: params.Ref{}, wantErr: params.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			val, ver, err := p.Fetch(context.Background(), tt.ref)
			if tt.wantErr != nil {
				paramstest.CheckMapped(t, err, tt.wantErr)
				if tt.status != 0 {
					var re *azcore.ResponseError
					require.ErrorAs(t, err, &re)
					assert.Equal(t, tt.status, re.StatusCode)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, val)
			assert.Equal(t, tt.wantVer, ver)
		})
	}
	cred.mu.Lock()
	assert.Equal(t, []string{"https://vault.azure.net/.default"}, cred.scopes, "the token was asked for the challenge's resource")
	assert.Equal(t, "00000000-0000-0000-0000-000000000001", cred.tenant)
	cred.mu.Unlock()
	v.mu.Lock()
	assert.NotEmpty(t, v.apiVer)
	v.mu.Unlock()
}

func TestKeyVaultThrottling(t *testing.T) {
	t.Run("mapped", func(t *testing.T) {
		v := newFakeVault(t)
		v.throttle = 1
		_, _, err := azureparams.New(v.client(t, &fakeCredential{}, -1)).Fetch(context.Background(), params.Ref{Name: "api-key"})
		paramstest.CheckMapped(t, err, params.ErrThrottled)
		var re *azcore.ResponseError
		require.True(t, errors.As(err, &re))
		assert.Equal(t, "Throttled", re.ErrorCode)
	})
	t.Run("retried by the client", func(t *testing.T) {
		v := newFakeVault(t)
		v.throttle = 2
		val, _, err := azureparams.New(v.client(t, &fakeCredential{}, 3)).Fetch(context.Background(), params.Ref{Name: "api-key"})
		require.NoError(t, err)
		assert.Equal(t, "two", val)
		assert.EqualValues(t, 3, v.calls.Load())
	})
}

func TestCacheOneCallForConcurrentColdStart(t *testing.T) {
	v := newFakeVault(t)
	c := params.New(azureparams.New(v.client(t, &fakeCredential{}, -1)))
	// Let the challenge round trip happen first, so the count below is of
	// GetSecret calls alone.
	_, err := c.Get(context.Background(), "denied")
	require.Error(t, err)
	before := v.calls.Load()

	v.mu.Lock()
	v.gate = make(chan struct{})
	gate := v.gate
	v.mu.Unlock()
	paramstest.CheckConcurrentColdStart(t, paramstest.ColdStart{
		Cache: c, Ref: params.Ref{Name: "api-key"}, Secret: "two", Version: "v2",
		Release: func() { close(gate) }, Calls: func() int64 { return v.calls.Load() - before },
	})
}
