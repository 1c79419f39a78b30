package state

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
)

// Helpers for backend authors: every Store makes the same checks in the same
// order, so every backend rejects the same input with the same error.

// CheckCall checks what every Get and Delete checks first: the key, then
// whether ctx has already ended.
func CheckCall(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	return ctx.Err()
}

// CheckPut checks what every Put checks first: the key, the value and
// options, then whether ctx has already ended.
func CheckPut(ctx context.Context, key string, value []byte, o PutOptions) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := CheckValue(value, o); err != nil {
		return err
	}
	return ctx.Err()
}

// CallError makes the error of a backend call whose context ended match
// ctx.Err() with errors.Is, whatever the client reported (a socket timeout,
// say), so callers can tell cancellation from an outage.
func CallError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); err != nil && cerr != nil && !errors.Is(err, cerr) {
		return errors.Join(err, cerr)
	}
	return err
}

// NewVersion returns a fresh random version token (96 bits), which makes a
// collision between two writes of one key practically impossible.
func NewVersion() string {
	return strconv.FormatUint(rand.Uint64(), 36) + "." + strconv.FormatUint(uint64(rand.Uint32()), 36)
}
