//go:build !faasport_nolambda

package adapters

import (
	"context"

	"github.com/faasport/faasport/adapters/lambda"
)

func startLambda(ctx context.Context, o options) error {
	return lambda.Start(ctx, adapterOptions(o, lambda.Events, lambda.HTTP, lambda.WithLogger)...)
}
