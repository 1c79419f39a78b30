// Package state is external key-value state for stateless functions: byte
// values with opaque versions for compare-and-set, and per-key TTLs.
//
// A [Store] is small on purpose; backends live in sub-packages so a function
// links only the one it uses: state/memstate (in-memory, the embedded default
// and the fake for unit tests), state/redisstate, state/dynamostate and
// state/pgstate. Every backend passes the same conformance suite,
// testing/statetest; a new backend is done when it passes it too.
//
// Typical use:
//
//	v, err := store.Put(ctx, "job/42", []byte("running"), state.PutOptions{IfAbsent: true, TTL: time.Minute})
//	if errors.Is(err, state.ErrConflict) {
//		// someone else holds job/42
//	}
//	_ = store.Delete(ctx, "job/42", v) // only if still ours
package state

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Errors reported by every Store, matched with [errors.Is].
var (
	// ErrNotFound: the key does not exist or has expired.
	ErrNotFound = errors.New("state: key not found")
	// ErrConflict: a write condition (IfAbsent, IfVersion) did not hold.
	ErrConflict = errors.New("state: condition failed")
	// ErrInvalid: an empty or oversized key or value, or a negative TTL.
	ErrInvalid = errors.New("state: invalid argument")
)

// Limits every backend accepts at least; larger keys and values are
// rejected with ErrInvalid so behaviour is the same on every backend.
const (
	MaxKeySize   = 1024       // bytes
	MaxValueSize = 350 * 1024 // bytes, under DynamoDB's 400 KB item limit
)

// Item is a stored value with its version.
type Item struct {
	Value []byte
	// Version changes on every write; pass it back in PutOptions.IfVersion
	// or to Delete for compare-and-set. It is opaque: compare it only for
	// equality.
	Version string
	// ExpiresAt is when the item expires; zero if it never does.
	ExpiresAt time.Time
}

// PutOptions are the conditions and TTL of a write. The zero value writes
// unconditionally with no expiry.
type PutOptions struct {
	// IfAbsent writes only if the key does not exist (or has expired).
	IfAbsent bool
	// IfVersion, when not empty, writes only if the current version equals it.
	IfVersion string
	// TTL, when positive, makes the item expire after it.
	TTL time.Duration
}

// Store is key-value state with compare-and-set. Implementations are safe
// for concurrent use, and an expired item is never returned, even where the
// backend deletes expired items late.
type Store interface {
	// Get returns the item at key, or ErrNotFound.
	Get(ctx context.Context, key string) (Item, error)
	// Put writes value at key if the conditions in o hold, else returns
	// ErrConflict. It returns the new version.
	Put(ctx context.Context, key string, value []byte, o PutOptions) (version string, err error)
	// Delete removes key. With a non-empty ifVersion it removes it only if
	// the current version equals ifVersion, else returns ErrConflict.
	// Deleting a missing key without a condition is not an error; with a
	// condition it is ErrConflict.
	Delete(ctx context.Context, key string, ifVersion string) error
}

// CheckKey returns an ErrInvalid error for a key no backend accepts.
// Backends call it (and [CheckValue]) first so every backend rejects the same
// input the same way.
func CheckKey(key string) error {
	switch {
	case key == "":
		return errors.Join(ErrInvalid, errors.New("state: empty key; give every item a non-empty key"))
	case len(key) > MaxKeySize:
		return errors.Join(ErrInvalid, errors.New("state: key longer than state.MaxKeySize bytes; hash long keys"))
	}
	return nil
}

// CheckValue returns an ErrInvalid error for a value or options no backend
// accepts.
func CheckValue(value []byte, o PutOptions) error {
	switch {
	case len(value) > MaxValueSize:
		return errors.Join(ErrInvalid, errors.New("state: value larger than state.MaxValueSize bytes; store large payloads elsewhere and keep a reference"))
	case o.TTL < 0:
		return errors.Join(ErrInvalid, errors.New("state: negative TTL"))
	case o.IfAbsent && o.IfVersion != "":
		return errors.Join(ErrInvalid, errors.New("state: IfAbsent and IfVersion together can never both hold; set one"))
	}
	return nil
}

// ConflictError is the error a conditional write fails with. It matches
// [ErrConflict] with errors.Is. Backends that learn the current item in the
// same round trip report it, which saves callers (idempotency, say) a Get.
type ConflictError struct {
	Key string
	// Current is the unexpired item that made the condition fail. It is nil
	// when the key was absent, or when the backend could not return the item
	// without another round trip.
	Current *Item
}

func (e *ConflictError) Error() string {
	return "state: condition failed for key " + strconv.Quote(e.Key)
}

// Is makes a ConflictError match ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
