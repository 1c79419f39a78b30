// Package jsonstr decodes the contents of JSON strings without
// encoding/json, with the same result, for the reflection-free readers of
// the adapters (adapters/lambda's records, internal/azjson's host values).
package jsonstr

import (
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Append appends the value of in, the text between a JSON string's
// quotes, to dst, as encoding/json decodes it into a string: escapes
// resolved, and a lone or broken surrogate escape and every byte of invalid
// UTF-8 each becoming U+FFFD. ok is false when in is not the content of a
// valid JSON string (an unescaped quote or control character, a bad
// escape); dst is then of no use.
func Append(dst, in []byte) (out []byte, ok bool) {
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case c == '\\':
			if i+1 >= len(in) {
				return dst, false
			}
			switch e := in[i+1]; e {
			case '"', '\\', '/':
				dst = append(dst, e)
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := hex4(in[i:])
				if r < 0 {
					return dst, false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if dec := utf16.DecodeRune(r, hex4(in[i:])); dec != unicode.ReplacementChar {
						dst = utf8.AppendRune(dst, dec)
						i += 6
						continue
					}
					r = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default:
				return dst, false
			}
			i += 2
		case c == '"' || c < ' ':
			return dst, false
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, n := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && n == 1 {
				dst = utf8.AppendRune(dst, unicode.ReplacementChar)
			} else {
				dst = append(dst, in[i:i+n]...)
			}
			i += n
		}
	}
	return dst, true
}

// hex4 reads the escape \uXXXX at the start of s; -1 when there is none.
func hex4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}
