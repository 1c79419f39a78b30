package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/trigger"
)

// eventHandler logs each event as one JSON line and replies with it.
func eventHandler(logger *slog.Logger) function.Handler {
	return function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		logger.InfoContext(ctx, "event", slog.Any("event", e))
		var flags struct {
			Fail   bool `json:"fail"`
			Poison bool `json:"poison"`
		}
		// The flags sit in the message body: the event data itself, or the
		// body inside a broker's envelope (SQS, SNS, Pub/Sub, ...). Only JSON
		// objects carry flags; anything else is echoed as is.
		body := e.Data()
		if m, err := trigger.ParseMessage(e); err == nil {
			body = m.Body
		}
		if json.Unmarshal(body, &flags) == nil {
			switch {
			case flags.Poison:
				return nil, function.Permanent(errors.New("echo: event asked to be poison"))
			case flags.Fail:
				return nil, errors.New("echo: event asked to fail")
			}
		}
		return &e, nil
	})
}

// request is what the HTTP handler answers with.
type request struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   map[string][]string `json:"query"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

// httpHandler describes every request it receives.
func httpHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "echo: read request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(request{
			Method:  r.Method,
			Path:    r.URL.Path,
			Query:   r.URL.Query(),
			Headers: r.Header,
			Body:    string(body),
		})
	})
}
