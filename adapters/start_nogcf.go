//go:build faasport_nogcf

package adapters

import (
	"context"
	"errors"
)

func startGCF(context.Context, options) error {
	return errors.New("adapters: running on Google Cloud Functions / Cloud Run, but this binary was built with -tags faasport_nogcf; rebuild without that tag")
}
