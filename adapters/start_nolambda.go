//go:build faasport_nolambda

package adapters

import (
	"context"
	"errors"
)

func startLambda(context.Context, options) error {
	return errors.New("adapters: running on AWS Lambda, but this binary was built with -tags faasport_nolambda; rebuild without that tag")
}
