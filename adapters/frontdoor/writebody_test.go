package frontdoor_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/frontdoor"
)

// writeBodyCodec answers every envelope with WriteBody, after setting a
// header of its own the way a codec's failure answer does.
type writeBodyCodec struct{ envelopeCodec }

func (writeBodyCodec) Encode(w http.ResponseWriter, _ *http.Request, _ *frontdoor.Delivery, _ []frontdoor.Outcome) error {
	w.Header().Set("Retry-After", "3")
	frontdoor.WriteBody(w, http.StatusServiceUnavailable, []string{"application/json"}, nil, []byte(`{"Logs":["later"]}`))
	return nil
}

// TestWriteBody checks the whole-answer writer on the door's own response
// writer, where the headers set before it must still go out, and on any
// other writer.
func TestWriteBody(t *testing.T) {
	p := testProfile()
	p.Codec = writeBodyCodec{}
	d := newDoor(t, p, frontdoor.Events(newSeen().handler()))
	w := serve(d, http.MethodPost, "/orders", map[string]string{"Content-Type": "application/json"}, `{"Data":{"msg":"hi"},"Metadata":{}}`)
	require.Equal(t, http.StatusServiceUnavailable, w.Code, w.Body.String())
	assert.Equal(t, "3", w.Header().Get("Retry-After"), "a header the codec set before")
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Empty(t, w.Header().Values("Content-Length"), "no Content-Length asked for")
	assert.Equal(t, `{"Logs":["later"]}`, w.Body.String())

	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Type", "text/plain")
	frontdoor.WriteBody(rec, http.StatusCreated, []string{"application/json"}, []string{"2"}, []byte(`{}`))
	assert.Equal(t, http.StatusCreated, rec.Code)
	assert.Equal(t, []string{"application/json"}, rec.Header().Values("Content-Type"), "it replaces the Content-Type")
	assert.Equal(t, "2", rec.Header().Get("Content-Length"))
	assert.Equal(t, `{}`, rec.Body.String())

	rec = httptest.NewRecorder()
	frontdoor.WriteBody(rec, http.StatusNoContent, nil, nil, nil)
	assert.Equal(t, http.StatusNoContent, rec.Code)
	assert.Empty(t, rec.Header().Values("Content-Type"))
	assert.Zero(t, rec.Body.Len())
}

// TestReplyData checks a reply to a plain request, which the door writes
// in one piece: its data in its datacontenttype, with its length.
func TestReplyData(t *testing.T) {
	d := newDoor(t, testProfile(), frontdoor.Events(newSeen().handler()))
	w := serve(d, http.MethodPost, "/", map[string]string{"Content-Type": "text/plain"}, "ping")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Equal(t, strconv.Itoa(w.Body.Len()), w.Header().Get("Content-Length"))
	assert.JSONEq(t, `{"got":"`+frontdoor.TypeHTTPRequest+`"}`, w.Body.String())
}
