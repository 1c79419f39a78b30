// Command webhook receives signed webhooks (Stripe-style) over HTTP, on any
// platform: API Gateway or a Function URL on AWS Lambda, Cloud Functions or
// Cloud Run, an HTTP function on Azure Functions, or any container.
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
// The secret is read through the params package (secret.go): from
// WEBHOOK_SECRET, else a file of that name in WEBHOOK_SECRET_DIR (a mounted
// secret volume), else a development default for local runs; it is cached
// for five minutes, so a rotated secret needs no restart. State is in
// memory.
package main

import (
	"log/slog"
	"os"

	"github.com/faasport/faasport/adapters"
	"github.com/faasport/faasport/state/memstate"
)

// devSecret is the signing secret of local runs, when neither
// WEBHOOK_SECRET nor a mounted secret file is set. Never deploy with it.
const devSecret = "whsec_local_development_only"

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h := newHandler(newLedger(), config{secret: cachedSecret(newSecrets(os.Getenv)), store: memstate.New(), logger: logger})
	if err := adapters.Start(adapters.HTTP(h), adapters.WithLogger(logger)); err != nil {
		logger.Error("webhook stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}
