// Package nethttp serves faasport handlers over plain net/http. (Stub: replaced by the net/http adapter work.)
package nethttp

import (
	"context"
	"errors"
)

// ListenAndServe serves on PORT until ctx ends.
func ListenAndServe(ctx context.Context, opts ...Option) error {
	return errors.New("nethttp: adapter not implemented yet")
}
