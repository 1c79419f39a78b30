//go:build !faasport_nogcf

package adapters

import (
	"context"

	"github.com/faasport/faasport/adapters/gcf"
)

func startGCF(ctx context.Context, o options) error {
	return gcf.ListenAndServe(ctx, adapterOptions(o, gcf.Events, gcf.HTTP, gcf.WithLogger)...)
}
