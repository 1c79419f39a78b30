// Command cloudevent is the Functions Framework conformance CloudEvent
// function, served by adapters/gcf: it writes each event it receives, as
// structured-mode JSON, to function_output.json. Legacy events arrive
// converted to CloudEvents. See ../README.md.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/function"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, function.Permanent(fmt.Errorf("encode event %q: %w", e.ID(), err))
		}
		return nil, os.WriteFile("function_output.json", b, 0o644)
	})
	if err := gcf.ListenAndServe(ctx, gcf.Events(h)); err != nil {
		slog.Error("conformance function stopped", "error", err)
		os.Exit(1)
	}
}
