package gcf_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/faasport/faasport/adapters/gcf"
)

// FuzzServeEvent sends arbitrary bodies, content types, CloudEvent ids and
// paths to an event handler that always succeeds: every request must be
// answered 2xx (an event) or 4xx (bad input), never 5xx or a panic. The seed
// corpus is in testdata/fuzz/FuzzServeEvent.
func FuzzServeEvent(f *testing.F) {
	rec := &recorder{}
	s := newServer(f, gcf.Events(rec))
	f.Fuzz(func(t *testing.T, body []byte, contentType, ceID, path string) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		if u, err := req.URL.Parse(path); err == nil && u.Path != "" {
			req.URL.Path = u.Path
		}
		req.Header.Set("Content-Type", contentType)
		if ceID != "" {
			req.Header.Set("Ce-Id", ceID)
			req.Header.Set("Ce-Specversion", "1.0")
			req.Header.Set("Ce-Type", "google.cloud.storage.object.v1.finalized")
			req.Header.Set("Ce-Source", "//storage.googleapis.com/projects/_/buckets/b")
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code/100 != 2 && (w.Code < 400 || w.Code >= 500) {
			t.Fatalf("status %d for body %q (content type %q, ce-id %q): %s", w.Code, body, contentType, ceID, w.Body.String())
		}
	})
}
