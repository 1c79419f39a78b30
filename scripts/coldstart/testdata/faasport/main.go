// Command faasport is scripts/coldstart's faasport function: the same echo
// through adapters.Start, as a user's main deploys it, with no build tags.
package main

import (
	"context"
	"os"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters"
	"github.com/faasport/faasport/function"
)

func main() {
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		return &e, nil
	})
	if err := adapters.Start(adapters.Events(h)); err != nil {
		os.Exit(1)
	}
}
