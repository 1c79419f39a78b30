package azjson

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// A small reader of JSON objects that finds members without decoding them:
// an invocation is validated and read once, in place, and only the values
// a caller needs are decoded. It accepts exactly what encoding/json
// accepts, nesting limit included.

// Member is one member of a JSON object: its key as written (without the
// quotes, escapes not undone) and its raw value, both slices of the input.
type Member struct{ Key, Value []byte }

// Members is a JSON object's members, in order, duplicates included.
type Members []Member

// MaxDepth bounds the nesting the scanners accept, as encoding/json does,
// so that hostile input cannot exhaust the stack.
const MaxDepth = 10000

// ReadObject validates raw, which must be one JSON object with nothing but
// whitespace around it, and appends its members to dst. ok is false when
// raw is not valid JSON or not an object; the members read before the
// fault are then in the result.
func ReadObject(dst Members, raw []byte) (o Members, ok bool) {
	i := SkipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return dst, false
	}
	o, i, ok = ObjectAt(dst, raw, i, 1)
	return o, ok && SkipSpace(raw, i) == len(raw)
}

// Get returns the value of the member named name: the first whose key is
// name as written, else the first whose key (escapes undone) matches name
// without regard to case, as the host's binding names do. Missing gives
// nil.
func (o Members) Get(name string) json.RawMessage {
	for _, m := range o {
		if string(m.Key) == name {
			return m.Value
		}
	}
	for _, m := range o {
		if KeyFold(m.Key, name) {
			return m.Value
		}
	}
	return nil
}

// Has reports whether Get finds a member named name.
func (o Members) Has(name string) bool { return o.Get(name) != nil }

// Last returns the value of the last member whose key, escapes undone, is
// name: what encoding/json stores under name when it decodes the object
// into a map. Missing gives nil.
func (o Members) Last(name string) json.RawMessage {
	for i := len(o) - 1; i >= 0; i-- {
		if KeyIs(o[i].Key, name) {
			return o[i].Value
		}
	}
	return nil
}

// JSON writes the members back as a JSON object.
func (o Members) JSON() json.RawMessage {
	n := 2
	for _, m := range o {
		n += len(m.Key) + len(m.Value) + 4
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, m.Key...)
		b = append(b, '"', ':')
		b = append(b, m.Value...)
	}
	return append(b, '}')
}

// KeyIs reports whether key, a member's key as written (the inside of a
// valid JSON string), is name once its escapes are undone and invalid
// UTF-8 made U+FFFD, as encoding/json does.
func KeyIs(key []byte, name string) bool {
	if bytes.IndexByte(key, '\\') < 0 && utf8.Valid(key) {
		return string(key) == name
	}
	k, ok := unquoteKey(key)
	return ok && k == name
}

// KeyFold reports whether key, a member's key as written, matches name
// without regard to case (strings.EqualFold) once its escapes are undone.
// encoding/json matches struct fields so too, for names whose letters
// have no non-ASCII case forms (all but k and s).
func KeyFold(key []byte, name string) bool {
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
	k, ok := unquoteKey(key)
	return ok && strings.EqualFold(k, name)
}

// KeyString returns key, a member's key as written, with its escapes
// undone: the key encoding/json gives the member in a map (invalid UTF-8
// becomes U+FFFD). A key that is not the inside of a JSON string gives "".
func KeyString(key []byte) string {
	if bytes.IndexByte(key, '\\') < 0 && utf8.Valid(key) {
		return string(key)
	}
	k, _ := unquoteKey(key)
	return k
}

// unquoteKey undoes the escapes of a key as written.
func unquoteKey(key []byte) (string, bool) {
	b, ok := Unquote(append(append([]byte{'"'}, key...), '"'))
	return string(b), ok
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// SkipSpace returns the index of the first byte of b at or after i that is
// not JSON whitespace, or len(b).
func SkipSpace(b []byte, i int) int {
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

// ValueAt validates the JSON value starting at b[i] and returns the index
// after it; depth is the nesting of the object or array it is in (0 for a
// top-level value). ok is false when it is not valid JSON or nests deeper
// than MaxDepth.
func ValueAt(b []byte, i, depth int) (end int, ok bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		return StringAt(b, i)
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
	_, end, ok := objectAt(nil, false, b, i, depth)
	return end, ok
}

func scanArray(b []byte, i, depth int) (int, bool) {
	if depth > MaxDepth {
		return i, false
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = ValueAt(b, i, depth); !ok {
			return i, false
		}
		i = SkipSpace(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ']':
			return i + 1, true
		case ',':
			i = SkipSpace(b, i+1)
		default:
			return i, false
		}
	}
}

// StringAt validates the JSON string starting at b[i] == '"' and returns
// the index after its closing quote.
func StringAt(b []byte, i int) (end int, ok bool) {
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

// ObjectAt validates the object starting at b[i] == '{' and appends its
// members to dst, in the same pass; depth is the object's own nesting (1
// for a top-level object), end the index after it.
func ObjectAt(dst Members, b []byte, i, depth int) (o Members, end int, ok bool) {
	return objectAt(dst, true, b, i, depth)
}

// objectAt is ObjectAt, appending the members only when keep is set.
func objectAt(dst Members, keep bool, b []byte, i, depth int) (o Members, end int, ok bool) {
	end, ok = WalkObject(b, i, depth, func(key []byte, vs int) (int, bool) {
		end, ok := ValueAt(b, vs, depth)
		if ok && keep {
			dst = append(dst, Member{Key: key, Value: b[vs:end]})
		}
		return end, ok
	})
	return dst, end, ok
}

// WalkObject validates the object starting at b[i] == '{', calling member
// for each of its members with the key as written (without the quotes,
// escapes not undone) and the index of the value's first byte; member
// validates the value (ValueAt at depth, or ObjectAt at depth+1 to keep
// its members) and returns the index after it and whether it is valid.
// depth is the object's own nesting (1 for a top-level object); end is
// the index after the object.
func WalkObject(b []byte, i, depth int, member func(key []byte, vs int) (end int, ok bool)) (end int, ok bool) {
	if depth > MaxDepth {
		return i, false
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		ks := i
		if i, ok = StringAt(b, i); !ok {
			return i, false
		}
		key := b[ks+1 : i-1]
		i = SkipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		if i, ok = member(key, SkipSpace(b, i+1)); !ok {
			return i, false
		}
		i = SkipSpace(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case '}':
			return i + 1, true
		case ',':
			i = SkipSpace(b, i+1)
		default:
			return i, false
		}
	}
}

// Valid reports whether b is one valid JSON value, as json.Valid does.
func Valid(b []byte) bool {
	i, ok := ValueAt(b, SkipSpace(b, 0), 0)
	return ok && SkipSpace(b, i) == len(b)
}
