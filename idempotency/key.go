package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/faasport/faasport/function"
)

// storeKey is the namespace of the invocation in ctx (the prefix set with
// WithKeyPrefix, or "idempotency/<function>/") followed by the URL-safe
// SHA-256 of the key material, so any material (binary, long) makes a short
// valid store key. It is built in one allocation, once per invocation.
func (o *options) storeKey(ctx context.Context, material []byte) string {
	const defaultPrefix = "idempotency/"
	sum := sha256.Sum256(material)
	var enc [43]byte
	base64.RawURLEncoding.Encode(enc[:], sum[:])
	var b strings.Builder
	if o.prefixSet {
		b.Grow(len(o.prefix) + len(enc))
		b.WriteString(o.prefix)
	} else {
		fn := function.FromContext(ctx).FunctionName
		if fn == "" {
			fn = "-"
		}
		b.Grow(len(defaultPrefix) + len(fn) + 1 + len(enc))
		b.WriteString(defaultPrefix)
		b.WriteString(fn)
		b.WriteByte('/')
	}
	b.Write(enc[:])
	return b.String()
}

// appendPart appends s length-prefixed, so parts cannot run into each other.
func appendPart(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// payloadHash is the SHA-256 of the payload, or of the chosen fields of a
// JSON payload; nil when validation is off.
func (o *options) payloadHash(payload []byte) []byte {
	if o.noValidation {
		return nil
	}
	if len(o.payloadFields) > 0 {
		if v, ok := decodeJSON(payload); ok {
			var b []byte
			for _, p := range o.payloadFields {
				f, found := lookup(v, p)
				b = appendPart(b, p)
				if !found {
					b = append(b, '!')
					continue
				}
				enc, err := json.Marshal(f)
				if err != nil {
					return o.wholeHash(payload)
				}
				b = appendPart(b, string(enc))
			}
			sum := sha256.Sum256(b)
			return sum[:]
		}
	}
	return o.wholeHash(payload)
}

func (o *options) wholeHash(payload []byte) []byte {
	sum := sha256.Sum256(payload)
	return sum[:]
}

// fieldKey returns the text of the field at path of a JSON payload: a
// string's value, or any other value's JSON. ok is false when the payload is
// not JSON or the field is missing, null or empty.
func fieldKey(payload []byte, path string) (string, bool) {
	v, ok := decodeJSON(payload)
	if !ok {
		return "", false
	}
	f, found := lookup(v, path)
	if !found || f == nil {
		return "", false
	}
	if s, isString := f.(string); isString {
		return s, s != ""
	}
	enc, err := json.Marshal(f)
	if err != nil {
		return "", false
	}
	return string(enc), true
}

func decodeJSON(payload []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

// lookup follows a dotted path ("a.b.0.c") through decoded JSON; a numeric
// part indexes an array, and a string holding JSON (an SQS body, an API
// Gateway body) is decoded and followed into, like Powertools'
// powertools_json().
func lookup(v any, path string) (any, bool) {
	if path == "" {
		return v, true
	}
	for part := range strings.SplitSeq(path, ".") {
		if str, ok := v.(string); ok {
			if v, ok = decodeJSON([]byte(str)); !ok {
				return nil, false
			}
		}
		switch t := v.(type) {
		case map[string]any:
			next, ok := t[part]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			v = t[i]
		default:
			return nil, false
		}
	}
	return v, true
}
