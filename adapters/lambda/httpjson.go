package lambda

import (
	"slices"
	"strconv"
	"unicode/utf8"
)

// appendV2Response appends the JSON of an API Gateway v2 / Function URL
// response, byte for byte what encoding/json makes of
// events.APIGatewayV2HTTPResponse{StatusCode, Headers, Cookies, Body,
// IsBase64Encoded} (FuzzV2Response holds it to that), without reflection
// or the map sorting encoding/json does through reflect.
func appendV2Response(b []byte, status int, headers map[string]string, cookies []string, body string, b64 bool) []byte {
	b = append(b, `{"statusCode":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"headers":`...)
	if headers == nil {
		b = append(b, "null"...)
	} else {
		keys := make([]string, 0, len(headers))
		for k := range headers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendMarshaledString(b, k)
			b = append(b, ':')
			b = appendMarshaledString(b, headers[k])
		}
		b = append(b, '}')
	}
	b = append(b, `,"multiValueHeaders":null,"body":`...)
	b = appendMarshaledString(b, body)
	if b64 {
		b = append(b, `,"isBase64Encoded":true`...)
	}
	b = append(b, `,"cookies":`...)
	if cookies == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, c := range cookies {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendMarshaledString(b, c)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendMarshaledString appends s as encoding/json.Marshal writes a string:
// HTML characters, U+2028 and U+2029 escaped, invalid UTF-8 replaced by
// U+FFFD.
func appendMarshaledString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
