package gcf_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/function"
)

// recorder is an event handler that keeps what it receives.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
	invs   []function.Invocation
	then   func(ctx context.Context, e event.Event) (*event.Event, error)
}

func (r *recorder) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.invs = append(r.invs, *function.FromContext(ctx))
	then := r.then
	r.mu.Unlock()
	if then != nil {
		return then(ctx, e)
	}
	return nil, nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// only returns the single event received and its invocation.
func (r *recorder) only(t *testing.T) (event.Event, function.Invocation) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.Len(t, r.events, 1, "the handler should have received exactly one event")
	return r.events[0], r.invs[0]
}

// env returns a getenv over the given key, value pairs.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newServer builds a gcf.Server with an empty environment and a silent
// logger; opts come after those defaults and may replace them.
func newServer(t testing.TB, opts ...gcf.Option) *gcf.Server {
	t.Helper()
	all := append([]gcf.Option{gcf.WithGetenv(env()), gcf.WithLogger(quietLogger())}, opts...)
	s, err := gcf.New(all...)
	require.NoError(t, err)
	return s
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// post sends body to h in-process and returns the response.
func post(h http.Handler, path string, header http.Header, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// hdr builds a header from key, value pairs.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// binaryHeader is the header of a binary-mode CloudEvent request.
func binaryHeader(id, typ, source, subject, tm string) http.Header {
	h := hdr("Ce-Specversion", "1.0", "Ce-Id", id, "Ce-Type", typ, "Ce-Source", source,
		"Content-Type", "application/json")
	if subject != "" {
		h.Set("Ce-Subject", subject)
	}
	if tm != "" {
		h.Set("Ce-Time", tm)
	}
	return h
}
