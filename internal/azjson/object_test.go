package azjson_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/internal/azjson"
)

func TestReadObject(t *testing.T) {
	o, ok := azjson.ReadObject(nil, []byte(` { "MessageId" : "m-1", "subject":"s", "n":[1,{"x":"}"}], "k\u00e9y":null, "MessageId":"m-2" } `))
	require.True(t, ok)
	require.Len(t, o, 5)
	assert.Equal(t, "MessageId", string(o[0].Key))
	assert.Equal(t, `"m-1"`, string(o[0].Value))
	assert.Equal(t, `[1,{"x":"}"}]`, string(o[2].Value))
	assert.Equal(t, `k\u00e9y`, string(o[3].Key))

	assert.Equal(t, `"m-1"`, string(o.Get("MessageId")), "Get: the first exact key")
	assert.Equal(t, `"m-2"`, string(o.Last("MessageId")), "Last: the last key, as encoding/json's map")
	assert.Equal(t, `"s"`, string(o.Get("Subject")), "Get: a key that differs in case")
	assert.Nil(t, o.Last("Subject"), "Last: exact keys only")
	assert.Equal(t, "null", string(o.Get("KÉY")))
	assert.Equal(t, "null", string(o.Last("k\u00e9y")), "Last: escapes undone")
	assert.True(t, o.Has("n"))
	assert.False(t, o.Has("missing"))
	assert.Nil(t, o.Get("missing"))

	var back map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(o.JSON(), &back))
	assert.Equal(t, `"m-2"`, string(back["MessageId"]))
	assert.Equal(t, "{}", string(azjson.Members(nil).JSON()))

	for _, bad := range []string{``, `null`, `[]`, `"x"`, `{`, `{"a"}`, `{"a":1,}`, `{"a":1} x`, `{"a":01}`, `{"a":"\q"}`, "{\"a\":\"\x01\"}", `{a:1}`, `{"a":1 "b":2}`} {
		_, ok := azjson.ReadObject(nil, []byte(bad))
		assert.False(t, ok, "%q", bad)
	}
	buf := make(azjson.Members, 0, 4)
	o, ok = azjson.ReadObject(buf, []byte(`{"a":1}`))
	require.True(t, ok)
	assert.Equal(t, &buf[:1][0], &o[0], "ReadObject appends to dst")
}

// TestDepth holds the scanners to encoding/json's nesting limit.
func TestDepth(t *testing.T) {
	nest := func(n int) []byte {
		return []byte(`{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`)
	}
	for _, n := range []int{azjson.MaxDepth, azjson.MaxDepth + 1} {
		b := nest(n)
		want := json.Valid(b)
		assert.Equal(t, want, azjson.Valid(b), "Valid at depth %d", n)
		_, ok := azjson.ReadObject(nil, b)
		assert.Equal(t, want, ok, "ReadObject at depth %d", n)
	}
	assert.True(t, json.Valid(nest(azjson.MaxDepth)))
	assert.False(t, json.Valid(nest(azjson.MaxDepth+1)))
}

// FuzzValid proves the validator agrees with json.Valid.
func FuzzValid(f *testing.F) {
	for _, s := range []string{`{"Data":{"a":"\"x\""},"Metadata":{"n":1}}`, `{}`, `[]`, `{"a":[1,-2.5e+3,true,false,null,"\u00e9\n"]}`, `{"a":}`, `01`, `1.`, `-`, `[1,]`, `{"a" 1}`, `"\ud800"`, " \t{ } ", `tru`, `nul`, `1e`, `-0.0E-1`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := azjson.Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid = %v", b, got, want)
		}
	})
}

// FuzzReadObject proves the in-place object reader against encoding/json:
// it reads every valid JSON object and nothing else; each member's key is
// a JSON string and its value a JSON value; and Last finds, for every key,
// the value encoding/json stores under it in a map.
func FuzzReadObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":"x\"y\\\\","c":{"d":[1,{"e":"}"}]}}`, `{"k\u00e9y":null , "z" : true}`, `{"a\\":"\\\\\""}`, `{"a":1,"a":2}`, `{"\u0061":1,"a":2,"\u0061":3}`, `[1]`, `{"a":}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want map[string]json.RawMessage
		valid := json.Unmarshal(b, &want) == nil && want != nil
		got, ok := azjson.ReadObject(nil, b)
		if ok != valid {
			t.Fatalf("ReadObject(%q) = %v, encoding/json reads an object: %v", b, ok, valid)
		}
		if !ok {
			return
		}
		keys := map[string]bool{}
		for _, m := range got {
			var k string
			if err := json.Unmarshal(append(append([]byte{'"'}, m.Key...), '"'), &k); err != nil {
				t.Fatalf("key %q of %q is not a JSON string: %v", m.Key, b, err)
			}
			if !json.Valid(m.Value) {
				t.Fatalf("value %q of key %q in %q is not JSON", m.Value, m.Key, b)
			}
			keys[k] = true
		}
		if len(keys) != len(want) {
			t.Fatalf("ReadObject(%q) has %d distinct keys, encoding/json %d", b, len(keys), len(want))
		}
		for k, v := range want {
			if !keys[k] {
				t.Fatalf("ReadObject(%q) misses key %q", b, k)
			}
			if !bytes.Equal(got.Last(k), v) {
				t.Fatalf("ReadObject(%q).Last(%q) = %q, encoding/json %q", b, k, got.Last(k), v)
			}
		}
	})
}

// FuzzKeyFold holds the member lookup's case-insensitive match to its
// definition: the key as written, or with its escapes undone when it has
// any, equal to the name under strings.EqualFold. The first-letter
// shortcut must never change an answer. KeyIs and KeyString are held to
// the key encoding/json decodes.
func FuzzKeyFold(f *testing.F) {
	for _, s := range [][2]string{{"Subject", "subject"}, {"subject", "Label"}, {`\u0053ubject`, "Subject"}, {"\u212aey", "key"}, {"\u017fys", "sys"}, {"@x", "`x"}, {"", ""}, {"a", ""}, {`\"`, `"`}} {
		f.Add([]byte(s[0]), s[1])
	}
	f.Fuzz(func(t *testing.T, key []byte, name string) {
		var want, is bool
		var k string
		plain := bytes.IndexByte(key, '\\') < 0
		if plain {
			want = strings.EqualFold(string(key), name)
		}
		if plain && utf8.Valid(key) {
			is = string(key) == name
		}
		if json.Unmarshal(append(append([]byte{'"'}, key...), '"'), &k) == nil {
			is = k == name
			if bytes.IndexByte(key, '\\') >= 0 {
				want = strings.EqualFold(k, name)
			}
			if got := azjson.KeyString(key); got != k {
				t.Fatalf("KeyString(%q) = %q, want %q", key, got, k)
			}
		}
		if got := azjson.KeyFold(key, name); got != want {
			t.Fatalf("KeyFold(%q, %q) = %v, want %v", key, name, got, want)
		}
		if got := azjson.KeyIs(key, name); got != is {
			t.Fatalf("KeyIs(%q, %q) = %v, want %v", key, name, got, is)
		}
	})
}

func TestUnquote(t *testing.T) {
	for raw, want := range map[string]string{
		`""`:                     "",
		`"abc"`:                  "abc",
		`"a\"b\\c\/d\b\f\n\r\t"`: "a\"b\\c/d\b\f\n\r\t",
		`"\u00e9\uD83D\uDE00"`:   "é😀",
		`"\ud800x"`:              "\uFFFDx",
		`"\ud800\u0041"`:         "\uFFFDA",
		"\"\xff\"":               "\uFFFD",
	} {
		got, ok := azjson.Unquote([]byte(raw))
		require.True(t, ok, raw)
		assert.Equal(t, want, string(got), raw)
		assert.NotNil(t, got)
	}
	for _, bad := range []string{``, `"`, `x`, `"a`, `"\q"`, `"\u12"`, `"\u12g4"`, "\"\x01\"", `"a"b"`, `"\"`, ` "a"`} {
		_, ok := azjson.Unquote([]byte(bad))
		assert.False(t, ok, "%q", bad)
	}
}

// FuzzUnquote holds Unquote to encoding/json's decoding of a string.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`""`, `"a\"b"`, `"\ud83d\ude00"`, `"\ud800\ud800"`, "\"\xed\xa0\x80\"", `"\u0000"`, `"x`, `"\`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want string
		err := json.Unmarshal(b, &want)
		valid := err == nil && len(b) > 0 && b[0] == '"' && b[len(b)-1] == '"'
		got, ok := azjson.Unquote(b)
		if ok != valid {
			t.Fatalf("Unquote(%q) ok = %v, encoding/json reads a string: %v (%v)", b, ok, valid, err)
		}
		if ok && string(got) != want {
			t.Fatalf("Unquote(%q) = %q, encoding/json %q", b, got, want)
		}
	})
}
