package jsonstr_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/internal/jsonstr"
)

// check holds Append to encoding/json on the string literal raw.
func check(t *testing.T, raw []byte) {
	t.Helper()
	var want string
	err := json.Unmarshal(raw, &want)
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return
	}
	got, ok := jsonstr.Append([]byte("prefix:"), raw[1:len(raw)-1])
	if err != nil {
		assert.False(t, ok, "Append took %q, which encoding/json rejects: %v", raw, err)
		return
	}
	require.True(t, ok, "Append refused %q, which encoding/json reads as %q", raw, want)
	assert.Equal(t, "prefix:"+want, string(got), "decoding %q", raw)
}

func TestAppend(t *testing.T) {
	for _, raw := range []string{
		`""`, `"plain"`, `"q\" b\\ s\/ \b\f\n\r\t"`, `"\u00e9 \u20AC \u20ac \ud83d\ude00"`,
		`"\ud83d x \ude00 \ud83d\u0041 \ud83d\ud83d\ude00"`, `"\ud83d"`, `"\ud83d\u00"`,
		"\"a\xff\xfeb \xed\xa0\x80 \xe2\x82\"", `"héllo €"`,
		`"\x"`, `"\u12"`, `"\u12g4"`, "\"a\tb\"", `"a"b"`, `"\"`,
	} {
		check(t, []byte(raw))
	}
	_, ok := jsonstr.Append(nil, []byte(`a"b`))
	assert.False(t, ok, "an unescaped quote ends a string")
}

func FuzzAppend(f *testing.F) {
	for _, s := range []string{`"a\u00e9\ud83d\ude00"`, `"\ud83d\u0041"`, "\"\xff\"", `"\/\b"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { check(t, raw) })
}
