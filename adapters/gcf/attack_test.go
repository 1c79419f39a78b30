package gcf_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/gcf"
)

// The request that ended a Cloud Run process through the CloudEvents SDK's
// reader is a 400 now, and the server keeps serving.
func TestMalformedStructuredEventIsRefused(t *testing.T) {
	rec := &recorder{}
	s := newServer(t, gcf.Events(rec))
	for _, body := range []string{
		`{"specversion":"1.0","data_base64":1}`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":1}`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"!!"}`,
	} {
		resp := post(s, "/", hdr("Ce-Id", "x", "Content-Type", "application/cloudevents+json"), []byte(body))
		assert.Equal(t, http.StatusBadRequest, resp.Code, body)
	}
	assert.Zero(t, rec.count())
	resp := post(s, "/", storageHeader(), []byte(`{}`))
	assert.Equal(t, http.StatusOK, resp.Code, "still serving")
}

// A 100 MB binary event is refused at the 32 MiB default limit without
// being read into memory, and so is an oversized plain HTTP request.
func TestHugeBodiesAreRefused(t *testing.T) {
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	})
	for _, tc := range []struct {
		name   string
		opts   []gcf.Option
		header http.Header
	}{
		{"binary event", []gcf.Option{gcf.Events(&recorder{})}, storageHeader()},
		{"plain HTTP", []gcf.Option{gcf.HTTP(web)}, hdr("Content-Type", "application/octet-stream")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(newServer(t, tc.opts...))
			defer srv.Close()
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			req, err := http.NewRequest(http.MethodPost, srv.URL, io.LimitReader(zeros{}, 100<<20))
			require.NoError(t, err)
			req.ContentLength = 100 << 20
			req.Header = tc.header
			resp, err := http.DefaultClient.Do(req)
			if err == nil { // the server may close before the client finished sending
				_ = resp.Body.Close()
				assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
			}
			runtime.ReadMemStats(&m1)
			t.Logf("allocated %d KiB for a 100 MB body", (m1.TotalAlloc-m0.TotalAlloc)>>10)
			assert.Less(t, m1.TotalAlloc-m0.TotalAlloc, uint64(8<<20), "the body must not be read into memory")
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A panic of the HTTP handler after it started answering aborts the
// response instead of ending a truncated body with 200.
func TestPanicAfterPartialWrite(t *testing.T) {
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("partial ", 100))
		http.NewResponseController(w).Flush()
		panic("boom")
	})
	srv := httptest.NewServer(newServer(t, gcf.HTTP(web)))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	_, err = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Error(t, err, "a truncated body must not look complete")
}
