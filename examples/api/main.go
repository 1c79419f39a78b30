// Command api is an HTTP API on the standard library's ServeMux, with
// method patterns ("GET /items/{id}") and an idempotent POST, served
// unchanged behind API Gateway (REST or HTTP API), an ALB or a Function URL
// on AWS Lambda, on Cloud Run or Cloud Functions, as an HTTP function on
// Azure Functions, and in any container.
//
//	GET    /items         list
//	POST   /items         create; send an Idempotency-Key to make retries safe
//	GET    /items/{id}    read
//	PUT    /items/{id}    create or replace
//	DELETE /items/{id}    delete
//	GET    /healthz
//
// State is in memory (one process, for local runs and tests).
package main

import (
	"log/slog"
	"os"

	"github.com/faasport/faasport/adapters"
	"github.com/faasport/faasport/state/memstate"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h := newHandler(newCatalog(), memstate.New(), logger)
	if err := adapters.Start(adapters.HTTP(h), adapters.WithLogger(logger)); err != nil {
		logger.Error("api stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}
