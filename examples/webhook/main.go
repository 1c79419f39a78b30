// Command webhook receives signed webhooks (Stripe-style) over HTTP, on any
// platform: API Gateway or a Function URL on AWS Lambda, Cloud Functions or
// Cloud Run, or any container.
//
// Each POST /webhook is checked before anything else: the
// Webhook-Signature header "t=<unix seconds>,v1=<hex>" must hold an
// HMAC-SHA256 of "<t>.<raw body>" under the shared secret, compared in
// constant time, with t within five minutes of now, so a captured request
// cannot be replayed later. A verified event is then processed once per
// event id (the idempotency package's HTTP support, keyed by the body's
// "id"): the sender's retries and replays within the tolerance get the first
// response back, marked Idempotent-Replayed: true.
//
// The secret comes from WEBHOOK_SECRET, or a development default for local
// runs; state is in memory.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/faasport/faasport/adapters"
	"github.com/faasport/faasport/state/memstate"
)

// devSecret is the signing secret of local runs, when WEBHOOK_SECRET is
// unset. Never deploy with it.
const devSecret = "whsec_local_development_only"

// envSecret reads the signing secret from WEBHOOK_SECRET, else devSecret.
func envSecret(getenv func(string) string) Secret {
	return func(context.Context) ([]byte, error) {
		if s := getenv("WEBHOOK_SECRET"); s != "" {
			return []byte(s), nil
		}
		return []byte(devSecret), nil
	}
}

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h := newHandler(newLedger(), config{secret: envSecret(os.Getenv), store: memstate.New(), logger: logger})
	if err := adapters.Start(adapters.HTTP(h), adapters.WithLogger(logger)); err != nil {
		logger.Error("webhook stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}
