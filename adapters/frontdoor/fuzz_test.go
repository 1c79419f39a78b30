package frontdoor_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
)

// FuzzDoor sends arbitrary headers ("Key: value" lines), methods, paths and
// bodies through the whole front door, in front of an event handler that
// echoes every event back: whatever comes in, the door must answer 2xx (an
// event or a handshake) or 4xx (a request it refuses), never 5xx, never
// panic. The seeds in testdata/fuzz/FuzzDoor hold every format.
func FuzzDoor(f *testing.F) {
	echo := function.HandlerFunc(func(_ context.Context, e event.Event) (*event.Event, error) { return &e, nil })
	d, err := frontdoor.New(frontdoor.Profile{Name: "fuzz", Platform: function.PlatformHTTP},
		frontdoor.Events(echo), frontdoor.WithLogger(quietLogger()), frontdoor.WithMaxBodyBytes(1<<16),
		frontdoor.WithMaxBatchEvents(16), frontdoor.WithGetenv(func(string) string { return "" }))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path, header string, body []byte) {
		if method == "" || strings.ContainsAny(method, " \t\r\n()<>@,;:\\\"/[]?={}") {
			method = http.MethodPost
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Method = method
		if u, err := req.URL.Parse(path); err == nil {
			req.URL = u
		}
		for line := range strings.SplitSeq(header, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && k != "" {
				req.Header.Add(k, strings.TrimSpace(v))
			}
		}
		w := httptest.NewRecorder()
		d.ServeHTTP(w, req)
		if w.Code >= 500 || w.Code < 200 || (w.Code >= 300 && w.Code < 400) {
			t.Fatalf("%s %q with headers %q and body %q: status %d: %s", method, path, header, body, w.Code, w.Body)
		}
	})
}
