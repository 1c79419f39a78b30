package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/testing/fntest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// perPlatform gives each platform its own API (catalog and idempotency
// store), made on first use, so platforms do not see each other's items.
type perPlatform struct {
	mu sync.Mutex
	h  map[function.Platform]http.Handler
}

func (pp *perPlatform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := function.FromContext(r.Context()).Platform
	pp.mu.Lock()
	if pp.h == nil {
		pp.h = map[function.Platform]http.Handler{}
	}
	h, ok := pp.h[p]
	if !ok {
		h = newHandler(newCatalog(), memstate.New(), quiet())
		pp.h[p] = h
	}
	pp.mu.Unlock()
	h.ServeHTTP(w, r)
}

func request(t *testing.T, method, target, body string, header ...string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, target, r)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

func bodyOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestAPIOnEveryPlatform(t *testing.T) {
	api := &perPlatform{}
	const lamp = `{"name":"lamp","price_cents":1999}`

	fntest.Serve(t, api, request(t, "POST", "/items", lamp, "Idempotency-Key", "k-1"), func(t *testing.T, _ function.Platform, resp *http.Response) {
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		assert.Equal(t, "/items/item-1", resp.Header.Get("Location"))
		assert.JSONEq(t, `{"id":"item-1","name":"lamp","price_cents":1999}`, bodyOf(t, resp))
	})
	fntest.Serve(t, api, request(t, "POST", "/items", lamp, "Idempotency-Key", "k-1"), func(t *testing.T, _ function.Platform, resp *http.Response) {
		require.Equal(t, http.StatusCreated, resp.StatusCode, "a retried POST gets the first answer")
		assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"))
		assert.JSONEq(t, `{"id":"item-1","name":"lamp","price_cents":1999}`, bodyOf(t, resp))
	})
	fntest.Serve(t, api, request(t, "POST", "/items", `{"name":"desk","price_cents":5}`, "Idempotency-Key", "k-1"), func(t *testing.T, _ function.Platform, resp *http.Response) {
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "a key reused with another body is refused")
	})
	fntest.Serve(t, api, request(t, "GET", "/items", ""), func(t *testing.T, _ function.Platform, resp *http.Response) {
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.JSONEq(t, `{"items":[{"id":"item-1","name":"lamp","price_cents":1999}]}`, bodyOf(t, resp), "one item, however often the POST was retried")
	})
	fntest.Serve(t, api, request(t, "PUT", "/items/lamp-2", `{"name":"lamp 2","price_cents":2999}`), func(t *testing.T, _ function.Platform, resp *http.Response) {
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
	})
	fntest.Serve(t, api, request(t, "PUT", "/items/lamp-2", `{"name":"lamp 2","price_cents":2499}`), func(t *testing.T, _ function.Platform, resp *http.Response) {
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})
	fntest.Serve(t, api, request(t, "GET", "/items/lamp-2", ""), func(t *testing.T, _ function.Platform, resp *http.Response) {
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.JSONEq(t, `{"id":"lamp-2","name":"lamp 2","price_cents":2499}`, bodyOf(t, resp))
	})
	fntest.Serve(t, api, request(t, "DELETE", "/items/lamp-2", ""), func(t *testing.T, _ function.Platform, resp *http.Response) {
		assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	})
	fntest.Serve(t, api, request(t, "GET", "/items/lamp-2", ""), func(t *testing.T, _ function.Platform, resp *http.Response) {
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	})
	fntest.Serve(t, api, request(t, "PATCH", "/items/item-1", "{}"), func(t *testing.T, _ function.Platform, resp *http.Response) {
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Allow"), "PUT")
	})
}

func TestAPIRejectsBadItems(t *testing.T) {
	tests := map[string]struct {
		body   string
		status int
	}{
		"not JSON":        {`{`, http.StatusBadRequest},
		"two values":      {`{"name":"x","price_cents":1} {}`, http.StatusBadRequest},
		"too large":       {`{"name":"` + strings.Repeat("x", maxBody) + `","price_cents":1}`, http.StatusRequestEntityTooLarge},
		"unknown field":   {`{"name":"x","price_cents":1,"colour":"red"}`, http.StatusUnprocessableEntity},
		"no name":         {`{"price_cents":1}`, http.StatusUnprocessableEntity},
		"blank name":      {`{"name":"  ","price_cents":1}`, http.StatusUnprocessableEntity},
		"long name":       {`{"name":"` + strings.Repeat("é", 101) + `","price_cents":1}`, http.StatusUnprocessableEntity},
		"no price":        {`{"name":"x"}`, http.StatusUnprocessableEntity},
		"negative price":  {`{"name":"x","price_cents":-1}`, http.StatusUnprocessableEntity},
		"price as string": {`{"name":"x","price_cents":"1"}`, http.StatusUnprocessableEntity},
	}
	api := &perPlatform{}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			fntest.Serve(t, api, request(t, "POST", "/items", tt.body), func(t *testing.T, _ function.Platform, resp *http.Response) {
				assert.Equal(t, tt.status, resp.StatusCode)
				assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
				var p struct {
					Detail string `json:"detail"`
					Errors []struct {
						Pointer string `json:"pointer"`
					} `json:"errors"`
				}
				require.NoError(t, json.Unmarshal([]byte(bodyOf(t, resp)), &p))
				assert.NotEmpty(t, p.Detail)
				assert.Equal(t, tt.status == http.StatusUnprocessableEntity, len(p.Errors) > 0, "a 422 names the failing JSON pointers")
			})
		})
	}
	t.Run("wrong content type", func(t *testing.T) {
		req := request(t, "POST", "/items", `{"name":"x","price_cents":1}`, "Content-Type", "text/plain")
		fntest.Serve(t, api, req, func(t *testing.T, _ function.Platform, resp *http.Response) {
			assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
		})
	})
}

// The same API behind each of Lambda's HTTP front doors.
func TestAPIBehindEveryLambdaFrontDoor(t *testing.T) {
	builders := map[string]func(*http.Request, ...fntest.InputOption) fntest.Input{
		"API Gateway REST API": fntest.APIGatewayV1,
		"API Gateway HTTP API": fntest.APIGatewayV2,
		"ALB":                  fntest.ALB,
		"Function URL":         fntest.FunctionURL,
	}
	for name, build := range builders {
		t.Run(name, func(t *testing.T) {
			fn := lambda.New(lambda.HTTP(newHandler(newCatalog(), memstate.New(), quiet())))
			send := func(req *http.Request) *http.Response {
				payload, err := build(req).Payload(function.PlatformLambda)
				require.NoError(t, err)
				out, err := fn.Invoke(context.Background(), payload)
				require.NoError(t, err)
				resp, err := fntest.LambdaResponse(out)
				require.NoError(t, err)
				return resp
			}
			resp := send(request(t, "POST", "/items", `{"name":"lamp","price_cents":1}`, "Idempotency-Key", "k"))
			assert.Equal(t, http.StatusCreated, resp.StatusCode)
			assert.Equal(t, "/items/item-1", resp.Header.Get("Location"))
			resp = send(request(t, "POST", "/items", `{"name":"lamp","price_cents":1}`, "Idempotency-Key", "k"))
			assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"))
			resp = send(request(t, "GET", "/items/item-1", ""))
			assert.JSONEq(t, `{"id":"item-1","name":"lamp","price_cents":1}`, bodyOf(t, resp))
		})
	}
}

func FuzzDecodeItem(f *testing.F) {
	f.Add(`{"name":"lamp","price_cents":1999}`)
	f.Add(`{"name":"","price_cents":-1}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := http.NewRequest("POST", "/items", strings.NewReader(body))
		require.NoError(t, err)
		it, err := decodeItem(nil, req)
		if err == nil {
			assert.NotEmpty(t, strings.TrimSpace(it.Name))
			assert.GreaterOrEqual(t, it.PriceCents, int64(0))
		}
	})
}
