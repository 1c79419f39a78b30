package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Codec turns values into the bytes a [Store] keeps and back. [JSON] is the
// default; plug in another (protobuf, gob, msgpack) with [WithCodec].
type Codec interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// JSON is the default [Codec]: encoding/json.
type JSON struct{}

// Marshal encodes v as JSON.
func (JSON) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal decodes JSON data into v.
func (JSON) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// TypedOption configures a [Typed] store.
type TypedOption func(*typedConfig)

type typedConfig struct {
	codec      Codec
	maxRetries int
}

// WithCodec sets the codec values are stored with (default [JSON]).
func WithCodec(c Codec) TypedOption {
	return func(tc *typedConfig) {
		if c != nil {
			tc.codec = c
		}
	}
}

// WithMaxRetries sets how many times [Typed.Update] retries after losing a
// compare-and-set race before it gives up with ErrConflict (default 10).
func WithMaxRetries(n int) TypedOption {
	return func(tc *typedConfig) {
		if n >= 0 {
			tc.maxRetries = n
		}
	}
}

// Typed is a [Store] of values of type T, encoded with a [Codec]. It adds
// no state of its own; versions, conditions and TTLs are the Store's.
//
//	carts := state.NewTyped[Cart](store)
//	cart, version, err := carts.Get(ctx, "cart/7")
type Typed[T any] struct {
	store Store
	cfg   typedConfig
}

// NewTyped returns a typed view of store.
func NewTyped[T any](store Store, opts ...TypedOption) *Typed[T] {
	t := &Typed[T]{store: store, cfg: typedConfig{codec: JSON{}, maxRetries: 10}}
	for _, o := range opts {
		o(&t.cfg)
	}
	return t
}

// Store returns the untyped store underneath.
func (t *Typed[T]) Store() Store { return t.store }

// Get returns the value at key and its version, or ErrNotFound.
func (t *Typed[T]) Get(ctx context.Context, key string) (T, string, error) {
	var zero T
	it, err := t.store.Get(ctx, key)
	if err != nil {
		return zero, "", err
	}
	v, err := t.Decode(key, it.Value)
	if err != nil {
		return zero, "", err
	}
	return v, it.Version, nil
}

// Put encodes value and writes it at key under the conditions in o; see
// [Store.Put].
func (t *Typed[T]) Put(ctx context.Context, key string, value T, o PutOptions) (string, error) {
	b, err := t.cfg.codec.Marshal(value)
	if err != nil {
		return "", fmt.Errorf("state: encode value for key %q: %w", key, err)
	}
	return t.store.Put(ctx, key, b, o)
}

// Delete removes key; see [Store.Delete].
func (t *Typed[T]) Delete(ctx context.Context, key string, ifVersion string) error {
	return t.store.Delete(ctx, key, ifVersion)
}

// Decode decodes a stored value, such as the Current item of a
// [ConflictError]. key only labels the error.
func (t *Typed[T]) Decode(key string, data []byte) (T, error) {
	var v T
	if err := t.cfg.codec.Unmarshal(data, &v); err != nil {
		var zero T
		return zero, fmt.Errorf("state: decode value of key %q (written with another codec or type?): %w", key, err)
	}
	return v, nil
}

// Update reads the value at key, applies fn, and writes the result only if
// nobody wrote in between, retrying from a fresh read when someone did.
// fn gets exists=false and the zero T for a missing key, and must not have
// side effects: it can run more than once. The write uses o.TTL; its
// conditions are set by Update. It returns the new value and version.
func (t *Typed[T]) Update(ctx context.Context, key string, o PutOptions, fn func(current T, exists bool) (T, error)) (T, string, error) {
	var zero T
	for attempt := 0; ; attempt++ {
		cur, version, err := t.Get(ctx, key)
		exists := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return zero, "", err
		}
		next, err := fn(cur, exists)
		if err != nil {
			return zero, "", err
		}
		po := PutOptions{TTL: o.TTL, IfAbsent: !exists, IfVersion: version}
		v, err := t.Put(ctx, key, next, po)
		if err == nil {
			return next, v, nil
		}
		if !errors.Is(err, ErrConflict) || attempt >= t.cfg.maxRetries {
			return zero, "", err
		}
	}
}
