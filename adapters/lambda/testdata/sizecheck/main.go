// Command sizecheck is examples/echo's event and HTTP handlers served by
// adapters/lambda alone, to measure what the Lambda adapter adds to a
// bootstrap (see the closing note of the Lambda adapter work).
package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	events := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		logger.InfoContext(ctx, "event", slog.Any("event", e))
		return &e, nil
	})
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(w, r.Body) })
	if err := lambda.Start(context.Background(), lambda.Events(events), lambda.HTTP(web), lambda.WithLogger(logger)); err != nil {
		logger.Error("stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}
