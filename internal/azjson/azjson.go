// Package azjson reads the values the Azure Functions host puts in an
// invocation's data and metadata. The host serialises most binding values
// twice: a .NET string becomes a JSON string holding the string's own JSON
// encoding ("\"abc\""), an int a JSON string of digits ("1"), an object or
// array a JSON string of its JSON. Microsoft's documentation shows the
// values once encoded. These readers accept both forms; adapters/azure and
// payload share them so one place knows the host's encodings.
package azjson

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// Unwrap returns the JSON value raw stands for: raw itself, or, when raw is
// a JSON string whose text is a JSON value, that text.
func Unwrap(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '"' {
		return raw
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return raw
	}
	if inner := bytes.TrimSpace([]byte(s)); len(inner) > 0 && json.Valid(inner) {
		return inner
	}
	return raw
}

// PlainString returns the text of a JSON string without escapes, without
// decoding; ok is false for anything else.
func PlainString(raw []byte) (string, bool) {
	inner, ok := plainBytes(raw)
	if !ok {
		return "", false
	}
	return string(inner), true
}

// plainBytes is PlainString without the string: the text of a JSON
// string without escapes.
func plainBytes(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') >= 0 {
		return nil, false
	}
	return inner, true
}

// String reads a string value: a JSON string, once or twice encoded, or the
// text of a number or boolean. Missing or null gives "".
func String(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	if s, ok := PlainString(raw); ok {
		return s
	}
	if c := raw[0]; c == '-' || c >= '0' && c <= '9' {
		return string(raw)
	}
	v := Unwrap(raw)
	if len(v) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	switch v[0] {
	case '{', '[', 'n':
		// Not a scalar, or null; a string that merely looks like JSON
		// gives its own text.
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	return string(v)
}

// Int reads an integer value: a JSON number or a string of digits (a whole
// float such as "3.0" counts); ok is false otherwise.
func Int(raw json.RawMessage) (int64, bool) {
	if n, ok := digits(raw); ok {
		return n, true
	}
	s := String(raw)
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int64(f)) {
			return 0, false
		}
		n = int64(f)
	}
	return n, true
}

// digits reads a JSON number that is only digits, with an optional minus
// sign, short enough not to overflow: the common case of Int, read
// without making a string of it.
func digits(raw []byte) (int64, bool) {
	neg := len(raw) > 0 && raw[0] == '-'
	if neg {
		raw = raw[1:]
	}
	if len(raw) == 0 || len(raw) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// Time reads a time in UTC: RFC 3339, or the .NET round-trip forms the host
// writes (with or without zone, up to seven fractional digits). It gives
// the zero time when raw is none of them.
func Time(raw json.RawMessage) time.Time {
	if inner, ok := plainBytes(raw); ok {
		// RFC 3339, read in place. What UnmarshalText accepts,
		// time.Parse with RFC3339Nano reads the same way.
		var t time.Time
		if t.UnmarshalText(inner) == nil {
			return t.UTC()
		}
	}
	s := String(raw)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05.9999999Z07:00", "01/02/2006 15:04:05 -07:00", "01/02/2006 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// Object reads a JSON object value, once or twice encoded; nil otherwise.
func Object(raw json.RawMessage) map[string]json.RawMessage {
	v := Unwrap(raw)
	if len(v) == 0 || v[0] != '{' {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil {
		return nil
	}
	return m
}

// Array reads a JSON array value, once or twice encoded; ok is false when
// raw is not an array.
func Array(raw json.RawMessage) ([]json.RawMessage, bool) {
	v := Unwrap(raw)
	if len(v) == 0 || v[0] != '[' {
		return nil, false
	}
	var a []json.RawMessage
	if json.Unmarshal(v, &a) != nil {
		return nil, false
	}
	return a, true
}
