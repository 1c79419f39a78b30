package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/testing/fntest"
)

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

const testSecret = "whsec_test"

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// perPlatform gives each platform its own handler (and so its own ledger
// and idempotency store), made on first use.
type perPlatform struct {
	mu      sync.Mutex
	make    func() (http.Handler, *ledger)
	h       map[function.Platform]http.Handler
	ledgers map[function.Platform]*ledger
}

func newPerPlatform(secret Secret) *perPlatform {
	return &perPlatform{
		make: func() (http.Handler, *ledger) {
			l := newLedger()
			return newHandler(l, config{secret: secret, store: memstate.New(), logger: quiet(), now: func() time.Time { return testNow }}), l
		},
		h: map[function.Platform]http.Handler{}, ledgers: map[function.Platform]*ledger{},
	}
}

func (pp *perPlatform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := function.FromContext(r.Context()).Platform
	pp.mu.Lock()
	h, ok := pp.h[p]
	if !ok {
		h, pp.ledgers[p] = pp.make()
		pp.h[p] = h
	}
	pp.mu.Unlock()
	h.ServeHTTP(w, r)
}

func (pp *perPlatform) ledger(p function.Platform) *ledger {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return pp.ledgers[p]
}

func staticSecret(s string) Secret {
	return func(context.Context) ([]byte, error) { return []byte(s), nil }
}

const paid = `{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","amount":2000,"currency":"usd"}}}`

func signed(t *testing.T, body, header string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, "/webhook", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if header != "" {
		req.Header.Set(signatureHeader, header)
	}
	return req
}

func TestWebhookOnEveryPlatform(t *testing.T) {
	pp := newPerPlatform(staticSecret(testSecret))
	good := sign([]byte(testSecret), testNow.Add(-time.Minute), []byte(paid))

	fntest.Serve(t, pp, signed(t, paid, good), func(t *testing.T, p function.Platform, resp *http.Response) {
		require.Equal(t, http.StatusOK, resp.StatusCode)
		b, _ := io.ReadAll(resp.Body)
		assert.JSONEq(t, `{"received":true}`, string(b))
		assert.Empty(t, resp.Header.Get("Idempotent-Replayed"))
		assert.Equal(t, 1, pp.ledger(p).count())
	})
	fntest.Serve(t, pp, signed(t, paid, good), func(t *testing.T, p function.Platform, resp *http.Response) {
		require.Equal(t, http.StatusOK, resp.StatusCode, "a retry is answered")
		assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"), "from the first response")
		assert.Equal(t, 1, pp.ledger(p).count(), "and not processed again")
	})

	rejected := map[string]*http.Request{
		"no signature":        signed(t, paid, ""),
		"other secret":        signed(t, paid, sign([]byte("whsec_other"), testNow, []byte(paid))),
		"body changed":        signed(t, strings.Replace(paid, "2000", "9000", 1), good),
		"replayed too late":   signed(t, paid, sign([]byte(testSecret), testNow.Add(-6*time.Minute), []byte(paid))),
		"signed in future":    signed(t, paid, sign([]byte(testSecret), testNow.Add(6*time.Minute), []byte(paid))),
		"malformed header":    signed(t, paid, "v1=abc"),
		"not JSON":            signed(t, "{", sign([]byte(testSecret), testNow, []byte("{"))),
		"event without an id": signed(t, `{"type":"x"}`, sign([]byte(testSecret), testNow, []byte(`{"type":"x"}`))),
	}
	for name, req := range rejected {
		t.Run(name, func(t *testing.T) {
			fntest.Serve(t, pp, req, func(t *testing.T, p function.Platform, resp *http.Response) {
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
				assert.Equal(t, 1, pp.ledger(p).count())
			})
		})
	}

	t.Run("rotated secret", func(t *testing.T) {
		body := strings.Replace(paid, "evt_1", "evt_2", 1)
		old := sign([]byte("whsec_old"), testNow, []byte(body))
		cur := sign([]byte(testSecret), testNow, []byte(body))
		header := old + ",v1=" + strings.SplitN(cur, "v1=", 2)[1]
		fntest.Serve(t, pp, signed(t, body, header), func(t *testing.T, p function.Platform, resp *http.Response) {
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, 2, pp.ledger(p).count())
		})
	})
	t.Run("other event types are acknowledged", func(t *testing.T) {
		body := `{"id":"evt_3","type":"customer.created","data":{"object":{}}}`
		fntest.Serve(t, pp, signed(t, body, sign([]byte(testSecret), testNow, []byte(body))), func(t *testing.T, p function.Platform, resp *http.Response) {
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, 2, pp.ledger(p).count())
		})
	})
	t.Run("GET is not allowed", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodGet, "/webhook", nil)
		require.NoError(t, err)
		fntest.Serve(t, pp, req, func(t *testing.T, _ function.Platform, resp *http.Response) {
			assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
		})
	})
}

func TestWebhookSecretUnavailable(t *testing.T) {
	pp := newPerPlatform(func(context.Context) ([]byte, error) { return nil, errors.New("parameter store down") })
	req := signed(t, paid, sign([]byte(testSecret), testNow, []byte(paid)))
	fntest.Serve(t, pp, req, func(t *testing.T, _ function.Platform, resp *http.Response) {
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "the sender retries later")
	})
}

func TestVerify(t *testing.T) {
	secret, body := []byte("s"), []byte(`{"id":"e"}`)
	good := sign(secret, testNow, body)
	tests := []struct {
		name   string
		header string
		want   error
	}{
		{"valid", good, nil},
		{"valid with another scheme", good + ",v0=zz", nil},
		{"empty", "", errNoSignature},
		{"no timestamp", "v1=" + strings.SplitN(good, "v1=", 2)[1], errBadSignature},
		{"no v1", "t=1", errBadSignature},
		{"not hex", "t=1,v1=xyz", errBadSignature},
		{"short signature", "t=1,v1=abcd", errBadSignature},
		{"no equals sign", "t", errBadSignature},
		{"wrong signature", sign([]byte("other"), testNow, body), errMismatch},
		{"old", sign(secret, testNow.Add(-time.Hour), body), errTooOld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(tt.header, body, secret, testNow, defaultTolerance)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func FuzzVerify(f *testing.F) {
	secret, body := []byte("s"), []byte("b")
	f.Add(sign(secret, testNow, body))
	f.Add("t=1,v1=00")
	f.Add(",,,=")
	f.Fuzz(func(t *testing.T, header string) {
		err := verify(header, body, secret, testNow, defaultTolerance)
		if err == nil {
			// Only a header carrying our signature may pass.
			require.Contains(t, strings.ToLower(header), strings.SplitN(sign(secret, testNow, body), "v1=", 2)[1][:8])
		}
	})
}
