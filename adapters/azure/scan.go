package azure

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// A small reader of JSON objects that finds members without decoding them:
// the host's invocations are validated and read once, in place, by
// readInvocation, and only the values the mapping needs are decoded. The
// other functions here expect valid JSON.

// member is one member of a JSON object: its key as written (without the
// quotes, escapes not undone) and its raw value.
type member struct{ key, value []byte }

// obj is a JSON object's members, in order.
type obj []member

// members returns the members of the JSON object raw, appended to dst; ok
// is false when raw is not an object.
func members(dst obj, raw []byte) (obj, bool) {
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return dst, false
	}
	i = skipWS(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return dst, true
	}
	for i < len(raw) {
		ks := i
		ke := skipString(raw, i)
		i = skipWS(raw, ke)
		if i >= len(raw) || raw[i] != ':' {
			return dst, false
		}
		vs := skipWS(raw, i+1)
		ve := skipValue(raw, vs)
		dst = append(dst, member{key: raw[ks+1 : ke-1], value: raw[vs:ve]})
		i = skipWS(raw, ve)
		if i >= len(raw) {
			return dst, false
		}
		if raw[i] == '}' {
			return dst, true
		}
		i = skipWS(raw, i+1) // ','
	}
	return dst, false
}

// get returns the value of the member named name: the exact key, else one
// that matches without regard to case (the host's binding names are
// case-insensitive). Missing gives nil.
func (o obj) get(name string) json.RawMessage {
	for _, m := range o {
		if string(m.key) == name {
			return m.value
		}
	}
	for _, m := range o {
		if keyFold(m.key, name) {
			return m.value
		}
	}
	return nil
}

// has reports whether a member is named name.
func (o obj) has(name string) bool { return o.get(name) != nil }

func keyFold(key []byte, name string) bool {
	// Most keys differ from name in their first letter: when both first
	// bytes are ASCII, and the key's is not an escape, they are the first
	// runes, and must match but for case.
	if len(key) > 0 && len(name) > 0 {
		if k, n := key[0], name[0]; k < utf8.RuneSelf && n < utf8.RuneSelf && k != '\\' && lowerASCII(k) != lowerASCII(n) {
			return false
		}
	}
	if bytes.IndexByte(key, '\\') < 0 {
		return strings.EqualFold(string(key), name)
	}
	var k string
	if json.Unmarshal(append(append([]byte{'"'}, key...), '"'), &k) != nil {
		return false
	}
	return strings.EqualFold(k, name)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
// A byte loop: the strings the host sends are JSON text full of escaped
// quotes, where jumping from quote to quote is slower.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
	}
	return i
}

// json writes the members back as a JSON object.
func (o obj) json() json.RawMessage {
	n := 2
	for _, m := range o {
		n += len(m.key) + len(m.value) + 4
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, m.key...)
		b = append(b, '"', ':')
		b = append(b, m.value...)
	}
	return append(b, '}')
}

// maxDepth bounds the nesting the scanners accept, as encoding/json does,
// so hostile input cannot exhaust the stack.
const maxDepth = 10000

func scanValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		return scanString(b, i)
	case c == '{':
		return scanObject(b, i, depth+1)
	case c == '[':
		return scanArray(b, i, depth+1)
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	case c == '-' || c >= '0' && c <= '9':
		return scanNumber(b, i)
	}
	return i, false
}

func scanObject(b []byte, i, depth int) (int, bool) {
	if depth > maxDepth {
		return i, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		var ok bool
		if i, ok = scanString(b, i); !ok {
			return i, false
		}
		i = skipWS(b, i)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		if i, ok = scanValue(b, skipWS(b, i+1), depth); !ok {
			return i, false
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case '}':
			return i + 1, true
		case ',':
			i = skipWS(b, i+1)
		default:
			return i, false
		}
	}
}

func scanArray(b []byte, i, depth int) (int, bool) {
	if depth > maxDepth {
		return i, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = scanValue(b, i, depth); !ok {
			return i, false
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ']':
			return i + 1, true
		case ',':
			i = skipWS(b, i+1)
		default:
			return i, false
		}
	}
}

func scanString(b []byte, i int) (int, bool) {
	for i++; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			return i + 1, true
		case c == '\\':
			if i+1 >= len(b) {
				return i, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+5 >= len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return i, false
				}
				i += 6
			default:
				return i, false
			}
		case c < 0x20:
			return i, false
		default:
			i++
		}
	}
	return i, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func scanLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

func scanNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > start
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return i, false
		}
	}
	return i, true
}

// objectMembers validates the object starting at b[i] == '{' and appends
// its members to dst, in the same pass; end is the index after it.
func objectMembers(dst obj, b []byte, i, depth int) (o obj, end int, ok bool) {
	if depth > maxDepth {
		return dst, i, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return dst, i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return dst, i, false
		}
		ks := i
		if i, ok = scanString(b, i); !ok {
			return dst, i, false
		}
		ke := i
		i = skipWS(b, i)
		if i >= len(b) || b[i] != ':' {
			return dst, i, false
		}
		vs := skipWS(b, i+1)
		if i, ok = scanValue(b, vs, depth); !ok {
			return dst, i, false
		}
		dst = append(dst, member{key: b[ks+1 : ke-1], value: b[vs:i]})
		i = skipWS(b, i)
		if i >= len(b) {
			return dst, i, false
		}
		switch b[i] {
		case '}':
			return dst, i + 1, true
		case ',':
			i = skipWS(b, i+1)
		default:
			return dst, i, false
		}
	}
}

// readInvocation validates body, which must be one JSON object, and finds
// its Data and Metadata members and their own members, in one pass. ok is
// false for anything that is not valid JSON or not an object.
func readInvocation(body []byte, inv *invocation) bool {
	i := skipWS(body, 0)
	if i >= len(body) || body[i] != '{' {
		return false
	}
	i = skipWS(body, i+1)
	if i < len(body) && body[i] == '}' {
		return skipWS(body, i+1) == len(body)
	}
	for {
		if i >= len(body) || body[i] != '"' {
			return false
		}
		ks := i
		var ok bool
		if i, ok = scanString(body, i); !ok {
			return false
		}
		key := body[ks+1 : i-1]
		i = skipWS(body, i)
		if i >= len(body) || body[i] != ':' {
			return false
		}
		vs := skipWS(body, i+1)
		switch {
		case string(key) == "Data" && vs < len(body) && body[vs] == '{':
			inv.data, i, ok = objectMembers(inv.dataBuf[:0], body, vs, 1)
			inv.dataRaw, inv.dataObject = body[vs:i], true
		case string(key) == "Metadata" && vs < len(body) && body[vs] == '{':
			inv.md, i, ok = objectMembers(inv.mdBuf[:0], body, vs, 1)
			inv.mdRaw, inv.mdObject = body[vs:i], true
		default:
			i, ok = scanValue(body, vs, 1)
			switch string(key) {
			case "Data":
				inv.dataRaw, inv.data, inv.dataObject = body[vs:i], nil, false
			case "Metadata":
				inv.mdRaw, inv.md, inv.mdObject = body[vs:i], nil, false
			}
		}
		if !ok {
			return false
		}
		i = skipWS(body, i)
		if i >= len(body) {
			return false
		}
		switch body[i] {
		case '}':
			return skipWS(body, i+1) == len(body)
		case ',':
			i = skipWS(body, i+1)
		default:
			return false
		}
	}
}
