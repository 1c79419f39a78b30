package params

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
)

// Decode decodes the JSON document in s into a T. Fields of type [Secret]
// in T stay redacted in every printed form. The error wraps [ErrDecode] and
// never quotes the value.
func Decode[T any](s Secret) (T, error) {
	var v T
	if err := json.Unmarshal([]byte(s.Reveal()), &v); err != nil {
		return v, fmt.Errorf("%w: JSON into %T: %s; check that the stored value is a JSON document of that shape", ErrDecode, v, decodeReason(err))
	}
	return v, nil
}

// decodeReason describes a JSON error without the input's bytes: a syntax
// error's message can quote a character of the secret.
func decodeReason(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("invalid JSON at byte offset %d", e.Offset)
	case *json.UnmarshalTypeError:
		// Value is "number 1e400" for numbers: keep the kind, not the literal.
		kind, _, _ := strings.Cut(e.Value, " ")
		return fmt.Sprintf("a JSON %s at field %q cannot be a %s", kind, e.Field, e.Type)
	default:
		return "the document does not fit"
	}
}

// Decoded is a value of a [Cache] decoded into a T, decoded again only when
// the cache fetches a new value. Build it with [JSON] or [DecodedWith] once
// and call [Decoded.Get] on every invocation.
type Decoded[T any] struct {
	c      *Cache
	ref    Ref
	decode func(Secret) (T, error)
	last   atomic.Pointer[decodedValue[T]]
}

type decodedValue[T any] struct {
	from *string // the fetched value this was decoded from
	v    T
}

// JSON returns the value ref names as a T decoded from JSON, for a secret
// that holds a document (Secrets Manager's key/value secrets, a service
// account key, a connection description):
//
//	type DB struct {
//		User     string
//		Password params.Secret
//	}
//	db := params.JSON[DB](cache, params.Ref{Name: "prod/db"})
func JSON[T any](c *Cache, ref Ref) *Decoded[T] {
	return DecodedWith(c, ref, Decode[T])
}

// DecodedWith is [JSON] with a decoder of your own (YAML, a PEM key,
// "key=value" lines). decode must not put the value in its error.
func DecodedWith[T any](c *Cache, ref Ref, decode func(Secret) (T, error)) *Decoded[T] {
	return &Decoded[T]{c: c, ref: ref, decode: decode}
}

// Get returns the decoded value. While the cache serves the same fetched
// value, it returns the T decoded last time without decoding again.
func (d *Decoded[T]) Get(ctx context.Context) (T, error) {
	var zero T
	v, err := d.c.Value(ctx, d.ref)
	if err != nil {
		return zero, err
	}
	if last := d.last.Load(); last != nil && last.from == v.Secret.p {
		return last.v, nil
	}
	t, err := d.decode(v.Secret)
	if err != nil {
		return zero, fmt.Errorf("params: decode %s: %w", d.ref, err)
	}
	d.last.Store(&decodedValue[T]{from: v.Secret.p, v: t})
	return t, nil
}
