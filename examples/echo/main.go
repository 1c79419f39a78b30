// Command echo is the smallest complete faasport function, and the
// project's black-box contract: it behaves the same on AWS Lambda, Google
// Cloud Functions / Cloud Run and plain net/http.
//
//   - Every event it receives is logged as one JSON line on stdout (message
//     "event", attribute "event" holding the event in structured-mode JSON)
//     and sent back as the reply.
//   - Every HTTP request is answered 200 with a JSON object describing it:
//     {"method","path","query","headers","body"}.
//
// To exercise redelivery, an event whose JSON message body (the data, or the
// body inside an SQS, SNS or Pub/Sub envelope) has "fail": true fails with a
// retryable error, and one with "poison": true with a permanent one.
//
// Run it locally with `go run ./examples/echo` (PORT, default 8080).
package main

import (
	"log/slog"
	"os"

	"github.com/faasport/faasport/adapters"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	err := adapters.Start(
		adapters.Events(eventHandler(logger)),
		adapters.HTTP(httpHandler()),
		adapters.WithLogger(logger),
	)
	if err != nil {
		logger.Error("echo stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}
