package azure

import (
	"encoding/base64"
	"encoding/json"
	"unicode/utf8"
)

// Values the Functions host sends are read with internal/azjson, which
// knows the host's once- and twice-encoded forms.

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
