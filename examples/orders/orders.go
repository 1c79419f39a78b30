package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

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

// decodeOrder reads the order in a message body.
func decodeOrder(m trigger.Message) (Order, error) {
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
// retry around a reservation that runs once per order.
func newHandler(inv *inventory, store state.Store, logger *slog.Logger) function.Handler {
	once := idempotency.NewGuard(store, idempotency.WithLogger(logger))
	reserve := trigger.Queue(func(ctx context.Context, m trigger.Message) error {
		o, err := decodeOrder(m)
		if err != nil {
			return function.Permanent(err) // poison message: acknowledged
		}
		// Keyed by the order id, not the delivery id: a producer's retried
		// send is a new message with the same order. The order's content is
		// the payload, so a reused id with other content is refused
		// (idempotency.ErrPayloadMismatch, permanent).
		content := []byte(o.SKU + "\x00" + strconv.Itoa(o.Qty))
		_, err = once.Do(ctx, o.ID, content, func(ctx context.Context) ([]byte, error) {
			if err := inv.reserve(o.SKU, o.Qty); err != nil {
				return nil, err // redelivered
			}
			middleware.Logger(ctx).InfoContext(ctx, "reserved", slog.String("order", o.ID), slog.Int("qty", o.Qty))
			return nil, nil
		})
		return err
	})
	return function.Chain(reserve, middleware.Default(middleware.WithLogger(logger))...)
}
