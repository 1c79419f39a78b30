package frontdoor_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
)

func TestReadEventsErrors(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		body    string
		setup   func(r *http.Request)
		want    error
		status  int
	}{
		{name: "no event", headers: map[string]string{"Content-Type": "text/plain"}, body: "hi", want: frontdoor.ErrNoEvent, status: 400},
		{name: "malformed", headers: map[string]string{"Content-Type": frontdoor.MediaTypeStructured}, body: "[", want: frontdoor.ErrMalformedEvent, status: 400},
		{name: "media type", headers: map[string]string{"Content-Type": "application/cloudevents+protobuf"}, want: frontdoor.ErrUnsupportedMediaType, status: 415},
		{name: "too large", headers: map[string]string{"Content-Type": frontdoor.MediaTypeStructured}, body: strings.Repeat(" ", 2048), want: frontdoor.ErrBodyTooLarge, status: 413},
		{
			name: "body shorter than its Content-Length", headers: binaryHeaders("t"), body: `{"a":1}`,
			setup: func(r *http.Request) { r.ContentLength = 100 },
			want:  frontdoor.ErrMalformedEvent, status: 400,
		},
		{
			name: "limit of an outer http.MaxBytesReader", headers: binaryHeaders("t"), body: strings.Repeat("x", 100),
			setup: func(r *http.Request) {
				r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 10)
				r.ContentLength = -1
			},
			want: frontdoor.ErrBodyTooLarge, status: 413,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			if tc.setup != nil {
				tc.setup(r)
			}
			evs, _, err := frontdoor.ReadEvents(r, 1024)
			require.Error(t, err)
			assert.Nil(t, evs)
			assert.ErrorIs(t, err, tc.want)
			assert.Equal(t, tc.status, function.HTTPStatus(err))
			var p *frontdoor.Problem
			require.ErrorAs(t, err, &p)
			assert.Contains(t, err.Error(), p.Detail)
		})
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[frontdoor.Mode]string{
		frontdoor.ModeNone: "none", frontdoor.ModeBinary: "binary", frontdoor.ModeStructured: "structured", frontdoor.ModeBatch: "batch",
	} {
		assert.Equal(t, want, m.String())
	}
}

// replyEvent has every kind of attribute and data the writers handle.
func replyEvent(t *testing.T, id string, setData func(e *event.Event)) event.Event {
	t.Helper()
	e := event.New()
	e.SetID(id)
	e.SetSource("https://example.com/src?q=1")
	e.SetType("com.example.\"quoted\"\n")
	e.SetSubject("ünïcode ✓ \x01")
	e.SetTime(time.Date(2026, 11, 23, 10, 15, 30, 500, time.UTC))
	e.SetDataSchema("https://example.com/schema.json")
	e.SetExtension("str", "a b%c")
	e.SetExtension("num", 42)
	e.SetExtension("flag", true)
	e.SetExtension("when", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	setData(&e)
	return e
}

// TestWriteEventsRoundTrip writes replies in each mode and reads them back.
func TestWriteEventsRoundTrip(t *testing.T) {
	datas := map[string]func(e *event.Event){
		"json":   func(e *event.Event) { require.NoError(t, e.SetData(event.ApplicationJSON, map[string]int{"a": 1})) },
		"text":   func(e *event.Event) { require.NoError(t, e.SetData("text/plain", "hello \"world\"")) },
		"binary": func(e *event.Event) { require.NoError(t, e.SetData("application/octet-stream", []byte{0, 1, 2, 0xff})) },
		"none":   func(*event.Event) {},
		"empty JSON": func(e *event.Event) {
			e.SetDataContentType(event.ApplicationJSON)
			e.DataEncoded = []byte{}
		},
	}
	for name, set := range datas {
		for _, mode := range []frontdoor.Mode{frontdoor.ModeBinary, frontdoor.ModeStructured, frontdoor.ModeBatch} {
			t.Run(name+"/"+mode.String(), func(t *testing.T) {
				in := []event.Event{replyEvent(t, "r-1", set)}
				if mode == frontdoor.ModeBatch {
					in = append(in, replyEvent(t, "r-2", set))
				}
				rec := httptest.NewRecorder()
				require.NoError(t, frontdoor.WriteEvents(rec, mode, in))
				require.Equal(t, http.StatusOK, rec.Code)
				req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(rec.Body.Bytes()))
				req.Header = rec.Header().Clone()
				out, gotMode, err := frontdoor.ReadEvents(req, 0)
				require.NoError(t, err, rec.Body.String())
				assert.Equal(t, mode, gotMode)
				require.Len(t, out, len(in))
				for i := range in {
					want, got := in[i], out[i]
					assert.Equal(t, want.ID(), got.ID())
					assert.Equal(t, want.Source(), got.Source())
					assert.Equal(t, want.Type(), got.Type())
					assert.Equal(t, want.Subject(), got.Subject())
					assert.True(t, want.Time().Equal(got.Time()))
					assert.Equal(t, want.DataSchema(), got.DataSchema())
					assert.Equal(t, string(want.Data()), string(got.Data()))
					assert.Equal(t, "a b%c", got.Extensions()["str"])
					assert.Equal(t, "2026-01-02T03:04:05Z", got.Extensions()["when"])
					if mode == frontdoor.ModeBinary {
						assert.Equal(t, "42", got.Extensions()["num"], "binary mode carries strings")
					} else {
						assert.Equal(t, int32(42), got.Extensions()["num"])
						assert.Equal(t, true, got.Extensions()["flag"])
					}
				}
			})
		}
	}
}

func TestWriteEventsInvalid(t *testing.T) {
	good := replyEvent(t, "r-1", func(*event.Event) {})
	badJSON := replyEvent(t, "r-2", func(e *event.Event) {
		e.SetDataContentType("application/json")
		e.DataEncoded = []byte("{not json")
	})
	tests := []struct {
		name    string
		mode    frontdoor.Mode
		replies []event.Event
	}{
		{"two replies in binary mode", frontdoor.ModeBinary, []event.Event{good, good}},
		{"no attributes", frontdoor.ModeStructured, []event.Event{{}}},
		{"missing id", frontdoor.ModeStructured, []event.Event{event.New()}},
		{"JSON content type, data not JSON", frontdoor.ModeBatch, []event.Event{good, badJSON}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			err := frontdoor.WriteEvents(rec, tc.mode, tc.replies)
			require.Error(t, err)
			assert.True(t, errors.Is(err, frontdoor.ErrInvalidReply))
			assert.Empty(t, rec.Header(), "nothing is written")
			assert.Zero(t, rec.Body.Len())
		})
	}
	rec := httptest.NewRecorder()
	require.NoError(t, frontdoor.WriteEvents(rec, frontdoor.ModeBatch, nil))
	assert.Equal(t, http.StatusNoContent, rec.Code)
}

func TestWriteProblem(t *testing.T) {
	rec := httptest.NewRecorder()
	frontdoor.WriteProblem(rec, &frontdoor.Problem{Type: "about:blank", Title: "Bad Request", Status: 400, Detail: "bad \"thing\""})
	assert.Equal(t, 400, rec.Code)
	assert.Equal(t, frontdoor.MediaTypeProblem, rec.Header().Get("Content-Type"))
	var got map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	assert.Equal(t, map[string]any{"type": "about:blank", "title": "Bad Request", "status": float64(400), "detail": `bad "thing"`}, got)
}
