package azjson

import "github.com/faasport/faasport/internal/jsonstr"

// Unquote returns the text of raw, which must be one JSON string with
// nothing around it, its escapes undone, as encoding/json decodes it into
// a string: invalid UTF-8 and unpaired surrogates become U+FFFD. ok is
// false when raw is not a valid JSON string. The result is a new slice,
// empty but not nil for "".
func Unquote(raw []byte) (s []byte, ok bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	in := raw[1 : len(raw)-1]
	b, ok := jsonstr.Append(make([]byte, 0, len(in)), in)
	if !ok {
		return nil, false
	}
	return b, true
}
