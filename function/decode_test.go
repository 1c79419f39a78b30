package function_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/payload"
)

// consumeAs decodes data of content type ct as a typed handler of In does,
// and reports whether the handler ran.
func consumeAs[In any](t testing.TB, ct string, data []byte) (In, bool) {
	t.Helper()
	var got In
	called := false
	h := function.Consume(func(_ context.Context, in In) error { got, called = in, true; return nil })
	e := newEvent(t, ct, "")
	e.DataEncoded = data
	_, _ = h.Handle(context.Background(), e)
	return got, called
}

// decodeAs is DecodeData into a new In, of the content type a handler
// sees: the event's (as the SDK keeps it), else sniffed.
func decodeAs[In any](t testing.TB, ct string, data []byte) (In, bool) {
	ct = newEvent(t, ct, "").DataContentType()
	if ct == "" {
		ct = payload.Sniff(data)
	}
	var v In
	err := function.DecodeData(ct, data, &v)
	return v, err == nil
}

// The typed handlers' default decoding is DecodeData's (of the event's
// content type, else the sniffed one), for every kind of input: the fast
// path for JSON values must not change an outcome.
func TestTypedDecodesAsDecodeData(t *testing.T) {
	t.Parallel()
	cases := []struct{ ct, data string }{
		{"", `{"id":"a"}`},
		{"application/json", `{"id":"a","items":[{"qty":1}]}`},
		{"application/json; charset=utf-8", `{"id":"b"}`},
		{"Application/JSON", `{"id":"c"}`},
		{"application/cloudevents+json", `{"id":"d"}`},
		{"text/json", `"quoted"`},
		{"application/json", `"quoted"`},
		{"application/json", `plain`},
		{"application/json", ``},
		{"application/xml", `<order><id>e</id></order>`},
		{"text/plain", `hello`},
		{"application/octet-stream", "\x00\x01"},
		{"image/png", "\x89PNG"},
	}
	for _, c := range cases {
		t.Run(c.ct+" "+c.data, func(t *testing.T) {
			checkAgrees(t, c.ct, []byte(c.data))
		})
	}
}

func checkAgrees(t *testing.T, ct string, data []byte) {
	t.Helper()
	o, ran := consumeAs[order](t, ct, data)
	want, ok := decodeAs[order](t, ct, data)
	require.Equal(t, ok, ran, "order: handler ran iff DecodeData succeeds")
	if ok {
		assert.Equal(t, want, o)
	}
	s, ran := consumeAs[string](t, ct, data)
	wantS, ok := decodeAs[string](t, ct, data)
	require.Equal(t, ok, ran, "string")
	if ok {
		assert.Equal(t, wantS, s)
	}
	b, ran := consumeAs[[]byte](t, ct, data)
	require.True(t, ran, "[]byte inputs always decode")
	assert.Equal(t, data, b)
	r, ran := consumeAs[json.RawMessage](t, ct, data)
	require.True(t, ran, "json.RawMessage inputs always decode")
	assert.Equal(t, json.RawMessage(data), r)
}

// FuzzTypedDecode checks the typed handlers' decoding against DecodeData on
// arbitrary content types and data.
func FuzzTypedDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, ct string, data []byte) {
		checkAgrees(t, ct, data)
	})
}
