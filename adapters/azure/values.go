package azure

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// The Functions host serialises most binding values twice: a .NET string
// becomes a JSON string holding the string's own JSON encoding
// ("\"abc\""), an int a JSON string of digits ("1"), an array a JSON string
// of the array. Microsoft's documentation shows the values once encoded.
// These helpers read both, so the adapter works with the documented shapes
// and with what the host really sends.

// unwrap returns the JSON value raw stands for: raw itself, or, when raw is
// a JSON string whose text is a JSON value, that text. ok is false for
// invalid JSON.
func unwrap(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '"' {
		return raw
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return raw
	}
	inner := bytes.TrimSpace([]byte(s))
	if len(inner) > 0 && json.Valid(inner) {
		return inner
	}
	return raw
}

// str reads a string value: a JSON string, once or twice encoded, or the
// text of a number or boolean. Missing or null gives "".
func str(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	if s, ok := plainString(raw); ok {
		return s
	}
	if c := raw[0]; c == '-' || c >= '0' && c <= '9' {
		return string(raw)
	}
	v := unwrap(raw)
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	switch v[0] {
	case '{', '[', 'n':
		// Not a scalar, or null; a string that merely looks like JSON
		// falls back to its raw text below.
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	return string(v)
}

// integer reads an integer value: a JSON number or a string of digits.
func integer(raw json.RawMessage) (int64, bool) {
	s := str(raw)
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

// timestamp reads a time: RFC 3339, or the .NET round-trip forms the host
// writes (with or without zone, up to seven fractional digits).
func timestamp(raw json.RawMessage) time.Time {
	s := str(raw)
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

// object reads a JSON object value, once or twice encoded; nil otherwise.
func object(raw json.RawMessage) map[string]json.RawMessage {
	v := unwrap(raw)
	if len(v) == 0 || v[0] != '{' {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil {
		return nil
	}
	return m
}

// array reads a JSON array value, once or twice encoded; ok is false when
// raw is not an array.
func array(raw json.RawMessage) ([]json.RawMessage, bool) {
	v := unwrap(raw)
	if len(v) == 0 || v[0] != '[' {
		return nil, false
	}
	var a []json.RawMessage
	if json.Unmarshal(v, &a) != nil {
		return nil, false
	}
	return a, true
}

// jsonValue returns b as a JSON value for an envelope: b itself when it is
// JSON, else a JSON string of its text (base64 when it is not UTF-8; then
// binary is true).
func jsonValue(b []byte) (v json.RawMessage, binary bool) {
	if len(b) == 0 {
		return json.RawMessage(`""`), false
	}
	if json.Valid(b) {
		return b, false
	}
	if utf8.Valid(b) {
		q, _ := json.Marshal(string(b))
		return q, false
	}
	q, _ := json.Marshal(base64.StdEncoding.EncodeToString(b))
	return q, true
}
