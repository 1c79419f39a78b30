package idempotency

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/state/memstate"
)

// created is an HTTP handler that counts its runs and answers 201 with the
// run number, or the status in the "want" query parameter.
type created struct{ runs atomic.Int64 }

func (h *created) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := h.runs.Add(1)
	body, _ := io.ReadAll(r.Body)
	code := http.StatusCreated
	if s := r.URL.Query().Get("want"); s != "" {
		_, _ = fmt.Sscan(s, &code)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Run", fmt.Sprint(n))
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, `{"run":%d,"got":%q}`, n, body)
}

type response struct {
	code   int
	header http.Header
	body   string
}

func do(t *testing.T, srv *httptest.Server, method, path, key, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if key != "" {
		req.Header.Set(HeaderKey, key)
	}
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{code: res.StatusCode, header: res.Header, body: string(b)}
}

func TestHTTP(t *testing.T) {
	type req struct{ method, path, key, body string }
	cases := []struct {
		name       string
		opts       []Option
		first      req
		second     req
		wantRuns   int64
		wantCode   int // of the second request
		wantReplay bool
	}{
		{name: "same key and body replays", first: req{"POST", "/orders", "k1", `{"a":1}`}, second: req{"POST", "/orders", "k1", `{"a":1}`},
			wantRuns: 1, wantCode: http.StatusCreated, wantReplay: true},
		{name: "same key other body is 422", first: req{"POST", "/orders", "k1", `{"a":1}`}, second: req{"POST", "/orders", "k1", `{"a":2}`},
			wantRuns: 1, wantCode: http.StatusUnprocessableEntity},
		{name: "other key runs", first: req{"POST", "/orders", "k1", `{"a":1}`}, second: req{"POST", "/orders", "k2", `{"a":1}`},
			wantRuns: 2, wantCode: http.StatusCreated},
		{name: "same key on another path runs", first: req{"POST", "/orders", "k1", `{"a":1}`}, second: req{"POST", "/refunds", "k1", `{"a":1}`},
			wantRuns: 2, wantCode: http.StatusCreated},
		{name: "no key passes through", first: req{"POST", "/orders", "", `{"a":1}`}, second: req{"POST", "/orders", "", `{"a":1}`},
			wantRuns: 2, wantCode: http.StatusCreated},
		{name: "no key when required is 400", opts: []Option{WithRequireKey()}, first: req{"POST", "/orders", "k1", `{}`}, second: req{"POST", "/orders", "", `{}`},
			wantRuns: 1, wantCode: http.StatusBadRequest},
		{name: "GET is not guarded", opts: []Option{WithRequireKey()}, first: req{"GET", "/orders", "k1", ``}, second: req{"GET", "/orders", "k1", ``},
			wantRuns: 2, wantCode: http.StatusCreated},
		{name: "5xx removes the record", first: req{"POST", "/orders?want=503", "k1", `{}`}, second: req{"POST", "/orders?want=503", "k1", `{}`},
			wantRuns: 2, wantCode: http.StatusServiceUnavailable},
		{name: "4xx removes the record by default", first: req{"POST", "/orders?want=400", "k1", `{}`}, second: req{"POST", "/orders?want=400", "k1", `{}`},
			wantRuns: 2, wantCode: http.StatusBadRequest},
		{name: "4xx recorded with WithPermanentFailures", opts: []Option{WithPermanentFailures()},
			first: req{"POST", "/orders?want=400", "k1", `{}`}, second: req{"POST", "/orders?want=400", "k1", `{}`},
			wantRuns: 1, wantCode: http.StatusBadRequest, wantReplay: true},
		{name: "429 is never recorded", opts: []Option{WithPermanentFailures()},
			first: req{"POST", "/orders?want=429", "k1", `{}`}, second: req{"POST", "/orders?want=429", "k1", `{}`},
			wantRuns: 2, wantCode: http.StatusTooManyRequests},
		{name: "key from a body field", opts: []Option{WithKeyField("order.id"), WithoutPayloadValidation()},
			first: req{"POST", "/orders", "", `{"order":{"id":"o-1"},"n":1}`}, second: req{"POST", "/orders", "", `{"order":{"id":"o-1"},"n":2}`},
			wantRuns: 1, wantCode: http.StatusCreated, wantReplay: true},
		{name: "custom key function", opts: []Option{WithRequestKey(func(r *http.Request) (string, error) { return r.Header.Get("X-Request-Id"), nil })},
			first: req{"POST", "/orders", "k1", `{}`}, second: req{"POST", "/orders", "k2", `{}`},
			wantRuns: 2, wantCode: http.StatusCreated},
		{name: "custom replay header", opts: []Option{WithReplayHeader("X-Replayed")}, first: req{"POST", "/orders", "k1", `{}`}, second: req{"POST", "/orders", "k1", `{}`},
			wantRuns: 1, wantCode: http.StatusCreated},
		{name: "methods: PUT only leaves POST unguarded", opts: []Option{WithMethods(http.MethodPut)},
			first: req{"POST", "/orders", "k1", `{}`}, second: req{"POST", "/orders", "k1", `{}`},
			wantRuns: 2, wantCode: http.StatusCreated},
		{name: "methods: PUT only guards PUT", opts: []Option{WithMethods(http.MethodPut)},
			first: req{"PUT", "/orders/1", "k1", `{}`}, second: req{"PUT", "/orders/1", "k1", `{}`},
			wantRuns: 1, wantCode: http.StatusCreated, wantReplay: true},
		{name: "disabled", opts: []Option{WithDisabled(true)}, first: req{"POST", "/orders", "k1", `{}`}, second: req{"POST", "/orders", "k1", `{}`},
			wantRuns: 2, wantCode: http.StatusCreated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := &created{}
			srv := httptest.NewServer(HTTP(memstate.New(), tc.opts...)(h))
			defer srv.Close()
			first := do(t, srv, tc.first.method, tc.first.path, tc.first.key, tc.first.body)
			second := do(t, srv, tc.second.method, tc.second.path, tc.second.key, tc.second.body)
			if tc.name == "custom replay header" {
				assert.Equal(t, "true", second.header.Get("X-Replayed"))
			}
			assert.Equal(t, tc.wantRuns, h.runs.Load())
			assert.Equal(t, tc.wantCode, second.code)
			if tc.wantReplay {
				assert.Equal(t, "true", second.header.Get(DefaultReplayHeader))
				assert.Equal(t, first.body, second.body)
				assert.Equal(t, first.header.Get("X-Run"), second.header.Get("X-Run"))
				assert.Equal(t, first.header.Get("Content-Type"), second.header.Get("Content-Type"))
				assert.Empty(t, first.header.Get(DefaultReplayHeader))
			} else {
				assert.Empty(t, second.header.Get(DefaultReplayHeader))
			}
			switch tc.wantCode {
			case http.StatusBadRequest, http.StatusUnprocessableEntity:
				if tc.wantRuns == 1 && !tc.wantReplay {
					assertProblem(t, second, tc.wantCode)
				}
			}
		})
	}
}

func assertProblem(t *testing.T, r response, code int) {
	t.Helper()
	assert.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
	var p problem
	require.NoError(t, json.Unmarshal([]byte(r.body), &p))
	assert.Equal(t, code, p.Status)
	assert.NotEmpty(t, p.Title)
}

// TestHTTPConcurrent: while the first request with a key runs, every other
// request with the key gets 409 with Retry-After.
func TestHTTPConcurrent(t *testing.T) {
	const n = 20
	entered, release := make(chan struct{}), make(chan struct{})
	var runs atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		close(entered)
		<-release
		w.WriteHeader(http.StatusCreated)
	})
	srv := httptest.NewServer(HTTP(memstate.New())(h))
	defer srv.Close()

	first := make(chan response)
	go func() { first <- do(t, srv, "POST", "/pay", "same", `{"amount":1}`) }()
	<-entered
	var wg sync.WaitGroup
	codes := make([]response, n)
	for i := range n {
		wg.Go(func() { codes[i] = do(t, srv, "POST", "/pay", "same", `{"amount":1}`) })
	}
	wg.Wait()
	close(release)
	assert.Equal(t, http.StatusCreated, (<-first).code)
	for _, r := range codes {
		assert.Equal(t, http.StatusConflict, r.code)
		assert.NotEmpty(t, r.header.Get("Retry-After"))
		assertProblem(t, r, http.StatusConflict)
	}
	assert.Equal(t, int64(1), runs.Load())
}

func TestHTTPStoreDown(t *testing.T) {
	store := &failingStore{Store: memstate.New()}
	store.down.Store(true)
	h := &created{}
	srv := httptest.NewServer(HTTP(store)(h))
	defer srv.Close()
	r := do(t, srv, "POST", "/orders", "k", `{}`)
	assert.Equal(t, http.StatusServiceUnavailable, r.code)
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	assertProblem(t, r, http.StatusServiceUnavailable)
	assert.Zero(t, h.runs.Load())
}

func TestHTTPPanicReleases(t *testing.T) {
	store := memstate.New()
	h := HTTP(store)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom") }))
	req := httptest.NewRequest("POST", "/x", strings.NewReader("{}"))
	req.Header.Set(HeaderKey, "k")
	assert.Panics(t, func() { h.ServeHTTP(httptest.NewRecorder(), req) })
	assert.Equal(t, 0, store.Len())
}

func TestHTTPLargeBodyIsNotStored(t *testing.T) {
	big := strings.Repeat("x", 400*1024)
	var runs atomic.Int64
	h := HTTP(memstate.New())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		w.Header().Set("Content-Length", fmt.Sprint(len(big)))
		_, _ = io.WriteString(w, big)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	first := do(t, srv, "POST", "/big", "k", `{}`)
	assert.Equal(t, big, first.body, "the first response streams through whole")
	second := do(t, srv, "POST", "/big", "k", `{}`)
	assert.Equal(t, http.StatusOK, second.code)
	assert.Equal(t, "true", second.header.Get(DefaultReplayHeader))
	assert.Empty(t, second.body, "a response too large to record replays without its body")
	assert.Equal(t, int64(1), runs.Load())
}

func TestHTTPFlushPassesThrough(t *testing.T) {
	h := HTTP(memstate.New())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "part")
		require.NoError(t, http.NewResponseController(w).Flush())
	}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/s", strings.NewReader("{}"))
	req.Header.Set(HeaderKey, "k")
	h.ServeHTTP(rec, req)
	assert.True(t, rec.Flushed)
	assert.Equal(t, "part", rec.Body.String())
}
