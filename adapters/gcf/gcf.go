// Package gcf runs faasport handlers on Google Cloud Functions. (Stub: replaced by the Cloud Functions adapter work.)
package gcf

import (
	"context"
	"errors"
)

// ListenAndServe serves on PORT until ctx ends.
func ListenAndServe(ctx context.Context, opts ...Option) error {
	return errors.New("gcf: adapter not implemented yet")
}
