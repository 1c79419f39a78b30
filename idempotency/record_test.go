package idempotency

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordRoundTrip(t *testing.T) {
	hash := bytes.Repeat([]byte{7}, 32)
	until := time.Unix(1_700_000_000, 123)
	cases := []struct {
		name string
		rec  record
	}{
		{"in progress", record{status: statusInProgress, token: 42, hash: hash, until: until}},
		{"in progress without hash", record{status: statusInProgress, token: 1, until: until}},
		{"completed event", record{status: statusCompleted, kind: kindEvent, token: 3, hash: hash, until: until, reply: []byte(`{"specversion":"1.0"}`)}},
		{"completed without reply", record{status: statusCompleted, kind: kindEvent, token: 3, until: until}},
		{"completed bytes", record{status: statusCompleted, kind: kindBytes, token: 3, until: until, reply: []byte{0, 1, 2}}},
		{"completed http", record{status: statusCompleted, kind: kindHTTP, token: 9, hash: hash, until: until, code: 201,
			header: http.Header{"Content-Type": {"application/json"}, "Set-Cookie": {"a=1", "b=2"}}, body: []byte(`{"ok":true}`)}},
		{"truncated http", record{status: statusCompleted, kind: kindHTTP, flags: flagTruncated, code: 200, until: until}},
		{"failed", record{status: statusFailed, kind: kindEvent, token: 5, until: until, code: 400, message: "bad order"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.rec.encode()
			got, err := decodeRecord(b)
			require.NoError(t, err)
			assert.Equal(t, tc.rec.status, got.status)
			assert.Equal(t, tc.rec.token, got.token)
			assert.Equal(t, tc.rec.flags, got.flags)
			assert.Equal(t, len(tc.rec.hash), len(got.hash))
			assert.True(t, tc.rec.until.Equal(got.until))
			assert.Equal(t, len(tc.rec.reply), len(got.reply))
			assert.Equal(t, tc.rec.code, got.code)
			assert.Equal(t, tc.rec.message, got.message)
			if tc.rec.header != nil {
				assert.Equal(t, tc.rec.header, got.header)
			}
			assert.Equal(t, string(tc.rec.body), string(got.body))
			assert.Equal(t, b, got.encode(), "re-encoding is stable")
		})
	}
}

func TestRecordRejectsCorruptInput(t *testing.T) {
	valid := (&record{status: statusCompleted, kind: kindHTTP, code: 200, header: http.Header{"A": {"b"}}, body: []byte("x")}).encode()
	cases := map[string][]byte{
		"empty":          nil,
		"bad magic":      []byte("Xabcdef"),
		"bad version":    {recordMagic, 9, 1, 1, 0, 0, 0, 0},
		"bad status":     {recordMagic, recordVersion, 9, 1, 0, 0, 0, 0},
		"bad kind":       {recordMagic, recordVersion, byte(statusCompleted), 9, 0, 0, 0, 0, 0},
		"truncated":      valid[:len(valid)-1],
		"trailing bytes": append(append([]byte{}, valid...), 0),
		"huge length":    {recordMagic, recordVersion, byte(statusInProgress), 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f},
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := decodeRecord(b)
			require.ErrorIs(t, err, errCorrupt)
		})
	}
}

// FuzzDecodeRecord: any bytes decode without panicking, and what decodes
// re-encodes to something that decodes the same.
func FuzzDecodeRecord(f *testing.F) {
	f.Add((&record{status: statusInProgress, token: 1, hash: bytes.Repeat([]byte{1}, 32), until: time.Unix(1, 0)}).encode())
	f.Add((&record{status: statusFailed, code: 422, message: "x"}).encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		again, err := decodeRecord(r.encode())
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if again.status != r.status || again.token != r.token || !bytes.Equal(again.reply, r.reply) ||
			!bytes.Equal(again.body, r.body) || again.message != r.message || again.code != r.code {
			t.Fatalf("round trip changed the record: %+v != %+v", again, r)
		}
	})
}

func TestFieldKey(t *testing.T) {
	payload := []byte(`{"order":{"id":"o-1","n":7,"lines":[{"sku":"a"},{"sku":"b"}]},"empty":"","nil":null,` +
		`"body":"{\"orderId\":\"o-9\"}","text":"plain"}`)
	cases := []struct {
		path string
		want string
		ok   bool
	}{
		{"order.id", "o-1", true},
		{"order.n", "7", true},
		{"order.lines.1.sku", "b", true},
		{"order.lines.2.sku", "", false},
		{"order.lines.x", "", false},
		{"order.missing", "", false},
		{"empty", "", false},
		{"nil", "", false},
		{"order.lines.0", `{"sku":"a"}`, true},
		{"body.orderId", "o-9", true},
		{"body", `{"orderId":"o-9"}`, true},
		{"text.x", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			got, ok := fieldKey(payload, tc.path)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
	_, ok := fieldKey([]byte("not json"), "a")
	assert.False(t, ok)
}

func TestCacheLRU(t *testing.T) {
	c := newCache(2)
	now := time.Unix(100, 0)
	done := func() *record { return &record{status: statusCompleted, until: now.Add(time.Minute)} }
	c.put("a", done())
	c.put("b", done())
	require.NotNil(t, c.get("a", now)) // a is now the most recent
	c.put("c", done())
	assert.Nil(t, c.get("b", now), "the least recently used record is evicted")
	assert.NotNil(t, c.get("a", now))
	assert.NotNil(t, c.get("c", now))
	c.put("d", &record{status: statusInProgress, until: now.Add(time.Minute)})
	assert.Nil(t, c.get("d", now), "in-progress records are not cached")
	assert.Nil(t, c.get("a", now.Add(time.Minute)), "expired records are dropped")
	assert.Nil(t, newCache(0), "a zero size means no cache")
	assert.Nil(t, newCache(0).get("a", now))
}

// FuzzFieldKey: any payload and path are looked up without panicking, and a
// found key is never empty.
func FuzzFieldKey(f *testing.F) {
	f.Add([]byte(`{"order":{"id":"o-1","lines":[{"sku":"a"}]}}`), "order.lines.0.sku")
	f.Add([]byte(`[1,2,3]`), "2")
	f.Add([]byte(`not json`), "a")
	f.Fuzz(func(t *testing.T, payload []byte, path string) {
		k, ok := fieldKey(payload, path)
		if ok && k == "" {
			t.Fatalf("found an empty key in %q at %q", payload, path)
		}
		o := newOptions([]Option{WithPayloadFields(path, "x")})
		if h := o.payloadHash(payload); len(h) != 32 {
			t.Fatalf("payload hash of %d bytes", len(h))
		}
	})
}
