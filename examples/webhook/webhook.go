package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/faasport/faasport/idempotency"
	"github.com/faasport/faasport/state"
)

// Secret returns the signing secret shared with the sender. It is read per
// request, through this one function, so it can come from the environment,
// a secret manager or a parameter store, and rotate without a restart.
type Secret func(ctx context.Context) ([]byte, error)

// maxBody bounds the request body read before the signature is checked.
const maxBody = 1 << 20

// Event is the part of a webhook event the function reads.
type Event struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// Payment is the object of a payment_intent.succeeded event.
type Payment struct {
	ID       string `json:"id"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// ledger is the downstream system; in a real function, a database.
type ledger struct {
	mu       sync.Mutex
	payments map[string]Payment
	applied  int
}

func newLedger() *ledger { return &ledger{payments: map[string]Payment{}} }

func (l *ledger) record(p Payment) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.payments[p.ID] = p
	l.applied++
}

func (l *ledger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.applied
}

// config is what the handler needs besides the ledger.
type config struct {
	secret    Secret
	store     state.Store
	logger    *slog.Logger
	now       func() time.Time
	tolerance time.Duration
}

// newHandler builds the webhook endpoint: POST /webhook verifies the
// signature over the raw body, then runs the event once per event id.
func newHandler(l *ledger, c config) http.Handler {
	if c.now == nil {
		c.now = time.Now
	}
	if c.tolerance == 0 {
		c.tolerance = defaultTolerance
	}
	// The event id in the body is the idempotency key: the sender retries
	// with the same id, so a retry (or a replay within the tolerance) is
	// answered from the first response and processed once.
	once := idempotency.NewGuard(c.store,
		idempotency.WithKeyField("id"), idempotency.WithRequireKey(), idempotency.WithLogger(c.logger))
	mux := http.NewServeMux()
	mux.Handle("POST /webhook", verified(c, once.HTTP(process(l, c.logger))))
	return mux
}

// verified checks the signature before next sees the request; the body is
// read once and handed on unchanged.
func verified(c config, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, "webhook: read the body: "+err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		secret, err := c.secret(r.Context())
		if err != nil {
			// Our fault, not the sender's: 503 so it retries later.
			c.logger.ErrorContext(r.Context(), "webhook: no signing secret", slog.String("error", err.Error()))
			http.Error(w, "webhook: signing secret unavailable", http.StatusServiceUnavailable)
			return
		}
		if err := verify(r.Header.Get(signatureHeader), body, secret, c.now(), c.tolerance); err != nil {
			c.logger.WarnContext(r.Context(), "webhook: rejected", slog.String("error", err.Error()))
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// process handles one verified event.
func process(l *ledger, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := decodeEvent(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch e.Type {
		case "payment_intent.succeeded":
			var p Payment
			if err := json.Unmarshal(e.Data.Object, &p); err != nil || p.ID == "" {
				http.Error(w, fmt.Sprintf("webhook: event %s: data.object is not a payment intent", e.ID), http.StatusBadRequest)
				return
			}
			l.record(p)
			logger.InfoContext(r.Context(), "payment recorded", slog.String("event", e.ID), slog.String("payment", p.ID), slog.Int64("amount", p.Amount))
		default:
			// Acknowledge what we do not handle, or the sender retries it for days.
			logger.InfoContext(r.Context(), "event ignored", slog.String("event", e.ID), slog.String("type", e.Type))
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"received":true}`+"\n")
	})
}

// decodeEvent reads a webhook event body.
func decodeEvent(r io.Reader) (Event, error) {
	var e Event
	if err := json.NewDecoder(r).Decode(&e); err != nil {
		return Event{}, fmt.Errorf("webhook: the body is not a JSON event: %w", err)
	}
	if e.ID == "" || e.Type == "" {
		return Event{}, fmt.Errorf("webhook: an event needs an id and a type")
	}
	return e, nil
}
