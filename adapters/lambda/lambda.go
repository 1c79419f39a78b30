// Package lambda runs faasport handlers on AWS Lambda. (Stub: replaced by the Lambda adapter work.)
package lambda

import (
	"context"
	"errors"
)

// Start runs the Lambda runtime loop. It returns only on failure.
func Start(ctx context.Context, opts ...Option) error {
	return errors.New("lambda: adapter not implemented yet")
}
