package frontdoor_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
)

// TestInvocationBatch: function.Invocation.Batch counts the events the
// request delivered, as the Lambda adapter counts a batch's records.
func TestInvocationBatch(t *testing.T) {
	ce := func(id string) string {
		return `{"specversion":"1.0","id":"` + id + `","source":"/s","type":"test.ok"}`
	}
	tests := []struct {
		name    string
		ct      string
		headers map[string]string
		body    string
		want    []int
	}{
		{name: "batch of three", ct: frontdoor.MediaTypeBatch, body: "[" + ce("a") + "," + ce("b") + "," + ce("c") + "]", want: []int{3, 3, 3}},
		{name: "batch of one", ct: frontdoor.MediaTypeBatch, body: "[" + ce("a") + "]", want: []int{1}},
		{name: "structured event", ct: frontdoor.MediaTypeStructured, body: ce("a"), want: []int{1}},
		{name: "binary event", headers: binaryHeaders("test.ok"), body: `{}`, want: []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeen()
			d := newDoor(t, testProfile(), frontdoor.Events(s.handler()))
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			if tt.ct != "" {
				req.Header.Set("Content-Type", tt.ct)
			}
			w := httptest.NewRecorder()
			d.ServeHTTP(w, req)
			require.Less(t, w.Code, 300, w.Body.String())
			var got []int
			for range tt.want {
				inv := <-s.invs
				<-s.events
				got = append(got, inv.Batch)
			}
			assert.Equal(t, tt.want, got)
			assert.Empty(t, s.invs, "no more events than sent")
		})
	}
}

// A plain HTTP request carries no event: Batch stays 0.
func TestInvocationBatchPlainHTTP(t *testing.T) {
	var inv *function.Invocation
	d := newDoor(t, testProfile(), frontdoor.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inv = function.FromContext(r.Context())
	})))
	d.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	require.NotNil(t, inv)
	assert.Equal(t, 0, inv.Batch)
}
