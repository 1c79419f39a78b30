package params_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/params"
)

func Example() {
	// In a real function the provider is awsparams.NewSecretsManager(client),
	// gcpparams.New(client, project), azureparams.New(client) or
	// params.Dir("/secrets"); the cache in front is the same.
	secrets := params.New(params.Static(map[string]string{
		"webhook/signing-key": "s3cr3t",
		"prod/db":             `{"User":"app","Password":"pa55"}`,
	}), params.WithTTL(5*time.Minute))

	type DB struct {
		User     string
		Password params.Secret
	}
	db := params.JSON[DB](secrets, params.Ref{Name: "prod/db"})

	handler := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		key, err := secrets.Get(ctx, "webhook/signing-key") // from memory after the first call
		if err != nil {
			return nil, err
		}
		creds, err := db.Get(ctx)
		if err != nil {
			return nil, err
		}
		logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			},
		}))
		logger.Info("configured", "key", key, "db", creds) // redacted
		fmt.Println(len(key.Reveal()), creds.User, creds.Password)
		return nil, nil
	})
	// Fetched once, at the first invocation, not at start-up.
	h := function.Chain(handler, secrets.Prefetch(params.Ref{Name: "webhook/signing-key"}).Middleware())

	e := event.New()
	e.SetID("1")
	e.SetSource("example")
	e.SetType("example")
	if _, err := h.Handle(context.Background(), e); err != nil {
		fmt.Println(err)
	}
	// Output:
	// level=INFO msg=configured key=[REDACTED] db="{User:app Password:[REDACTED]}"
	// 6 app [REDACTED]
}
