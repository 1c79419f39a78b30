package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/idempotency"
	"github.com/faasport/faasport/middleware"
	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/trigger"
)

// Order is the message body.
type Order struct {
	ID  string `json:"id"`
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

// errOutOfStock is retryable: stock may be replenished before redelivery.
var errOutOfStock = errors.New("orders: out of stock")

// inventory is the downstream system; in a real function, a database.
type inventory struct {
	mu    sync.Mutex
	stock map[string]int
}

func newInventory(stock map[string]int) *inventory { return &inventory{stock: stock} }

func (inv *inventory) reserve(sku string, qty int) error {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.stock[sku] < qty {
		return fmt.Errorf("%w: %d of %s wanted, %d left", errOutOfStock, qty, sku, inv.stock[sku])
	}
	inv.stock[sku] -= qty
	return nil
}

func (inv *inventory) left(sku string) int {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.stock[sku]
}

// parseOrder reads the order from any queue or topic message.
func parseOrder(e event.Event) (Order, error) {
	m, err := trigger.ParseMessage(e)
	if err != nil {
		return Order{}, err
	}
	var o Order
	if err := json.Unmarshal(m.Body, &o); err != nil {
		return Order{}, fmt.Errorf("orders: message %s is not an order: %w", m.ID, err)
	}
	if o.ID == "" || o.SKU == "" || o.Qty <= 0 {
		return Order{}, fmt.Errorf("orders: message %s: an order needs an id, a sku and a positive qty", m.ID)
	}
	return o, nil
}

// newHandler builds the function: recover, tracing, logging, timeout and
// retry around an idempotent reservation.
func newHandler(inv *inventory, store state.Store, logger *slog.Logger) function.Handler {
	reserve := trigger.Queue(func(ctx context.Context, m trigger.Message) error {
		o, err := parseOrder(m.Event)
		if err != nil {
			return function.Permanent(err) // poison message: acknowledged
		}
		if err := inv.reserve(o.SKU, o.Qty); err != nil {
			return err // redelivered
		}
		middleware.Logger(ctx).InfoContext(ctx, "reserved", slog.String("order", o.ID), slog.Int("qty", o.Qty))
		return nil
	})
	once := idempotency.New(store,
		// The order id, not the delivery id: a producer's retried send is a
		// new message with the same order.
		idempotency.WithEventKey(func(_ context.Context, e event.Event) (string, error) {
			o, err := parseOrder(e)
			if err != nil {
				return "", nil // no key: the handler reports the bad order
			}
			return o.ID, nil
		}),
		idempotency.WithoutPayloadValidation(), // envelopes differ between deliveries
		idempotency.WithLogger(logger),
	)
	mw := append(middleware.Default(middleware.WithLogger(logger)), once)
	return function.Chain(reserve, mw...)
}
