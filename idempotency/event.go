package idempotency

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/cejson"
	"github.com/faasport/faasport/payload"
	"github.com/faasport/faasport/state"
)

// New returns middleware that runs a [function.Handler] at most once per
// idempotency key, coordinating through store; see the package
// documentation for what happens to duplicates.
func New(store state.Store, opts ...Option) function.Middleware {
	return NewGuard(store, opts...).Middleware()
}

// Middleware returns the event middleware of g.
func (g *Guard) Middleware() function.Middleware {
	return func(next function.Handler) function.Handler {
		if g.o.disabled {
			return next
		}
		return &eventHandler{g: g, next: next}
	}
}

type eventHandler struct {
	g    *Guard
	next function.Handler
}

// Unwrap returns the guarded handler, so its lifecycle hooks stay reachable.
func (h *eventHandler) Unwrap() function.Handler { return h.next }

func (h *eventHandler) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	g := h.g
	var msg payload.Message
	data := eventPayload(e, &msg)
	material, ok, err := g.eventKey(ctx, e, &msg, data)
	if err != nil {
		return nil, err
	}
	if !ok {
		if g.o.requireKey {
			return nil, function.Permanent(function.WithStatus(http.StatusBadRequest,
				fmt.Errorf("idempotency: event %q from %q: %w", e.ID(), e.Source(), ErrMissingKey)))
		}
		g.o.logger.DebugContext(ctx, "idempotency: event has no idempotency key; running without idempotency",
			slog.String("event_id", e.ID()))
		return h.next.Handle(ctx, e)
	}
	key := g.o.storeKey(ctx, material)
	ex, final, err := g.acquire(ctx, key, g.o.payloadHash(data))
	if err != nil {
		return nil, err
	}
	if final != nil {
		return g.replayEvent(ctx, key, final)
	}
	defer ex.cancel()

	var reply *event.Event
	func() {
		defer g.releaseOnPanic(ctx, ex.lease)
		reply, err = h.next.Handle(ex.ctx, e)
	}()
	if err != nil {
		g.failed(ctx, ex.lease, kindEvent, err)
		return reply, err
	}
	rec := &record{status: statusCompleted, kind: kindEvent}
	if reply != nil {
		if rec.reply, err = json.Marshal(reply); err != nil {
			g.o.logger.WarnContext(ctx, "idempotency: reply event cannot be encoded; duplicates get no reply",
				slog.String("key", key), slog.String("error", err.Error()))
			rec.flags |= flagTruncated
		}
	}
	if err := g.finish(ctx, ex.lease, rec); errors.Is(err, ErrLeaseLost) {
		return nil, err
	}
	// A store failure after the work is done is logged by finish; reporting
	// it would make the platform redeliver and run the work again.
	return reply, nil
}

// eventPayload returns what the producer sent in e (see package payload):
// a broker message's body, not its envelope, whose receipt handle and
// receive count change with every delivery. m gets the message's metadata;
// an envelope that cannot be read leaves m with the event's own id and
// source and makes the whole data the payload.
func eventPayload(e event.Event, m *payload.Message) []byte {
	if payload.Enveloped(e.Type()) && payload.Read(e, m) == nil {
		return m.Data
	}
	*m = payload.Message{ID: e.ID(), Source: e.Source()}
	return e.Data()
}

// eventKey returns the key material of e: the message's source and id by
// default (for a broker message, the queue or topic and the broker's
// message id; else the event's source and id).
func (g *Guard) eventKey(ctx context.Context, e event.Event, m *payload.Message, data []byte) (material []byte, ok bool, err error) {
	switch {
	case g.o.eventKey != nil:
		k, err := g.o.eventKey(ctx, e)
		if err != nil || k == "" {
			return nil, false, err
		}
		return appendPart([]byte("k"), k), true, nil
	case g.o.keyField != "":
		k, found := fieldKey(data, g.o.keyField)
		if !found && len(data) != len(e.Data()) {
			// A path written against the envelope ("body.orderId").
			k, found = fieldKey(e.Data(), g.o.keyField)
		}
		if !found {
			return nil, false, nil
		}
		return appendPart([]byte("f"), k), true, nil
	}
	src, id := m.Source, m.ID
	if src == "" && id == "" {
		return nil, false, nil
	}
	b := make([]byte, 0, len(src)+len(id)+12)
	b = appendPart(b, src)
	return appendPart(b, id), true, nil
}

func (g *Guard) replayEvent(ctx context.Context, key string, r *record) (*event.Event, error) {
	if r.status == statusFailed {
		return nil, function.Permanent(&ReplayedError{Message: r.message, Status: r.code})
	}
	if r.kind != kindEvent {
		return nil, kindMismatch(key)
	}
	var reply *event.Event
	if len(r.reply) > 0 {
		e := event.New()
		if err := cejson.Unmarshal(r.reply, &e); err != nil {
			return nil, function.Retryable(fmt.Errorf("idempotency: decode recorded reply of key %q: %w: %w", key, ErrStore, err))
		}
		reply = &e
	}
	if g.o.replayHook != nil {
		reply = g.o.replayHook(ctx, key, reply)
	}
	return reply, nil
}
