package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/idempotency"
	"github.com/faasport/faasport/middleware"
	"github.com/faasport/faasport/payload"
	"github.com/faasport/faasport/state"
)

// Order is what the producer sends: the message's payload.
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

// validate refuses an order that can never be reserved.
func (o Order) validate() error {
	if o.ID == "" || o.SKU == "" || o.Qty <= 0 {
		return fmt.Errorf("orders: order %q: an order needs an id, a sku and a positive qty", o.ID)
	}
	return nil
}

// newHandler builds the function: recover, tracing, logging, timeout and
// retry around a reservation that runs once per order. The order is the
// payload — the SQS body, the SNS message, the Pub/Sub message's data, the
// EventBridge detail — decoded by function.Consume on every platform; a
// body that is not an order is a permanent *function.DecodeError.
func newHandler(inv *inventory, store state.Store, logger *slog.Logger) function.Handler {
	once := idempotency.NewGuard(store, idempotency.WithLogger(logger))
	reserve := function.Consume(func(ctx context.Context, o Order) error {
		if err := o.validate(); err != nil {
			return function.Permanent(err) // poison message: acknowledged
		}
		// Keyed by the order id, not the delivery id: a producer's retried
		// send is a new message with the same order. The order's content is
		// the payload, so a reused id with other content is refused
		// (idempotency.ErrPayloadMismatch, permanent).
		content := []byte(o.SKU + "\x00" + strconv.Itoa(o.Qty))
		_, err := once.Do(ctx, o.ID, content, func(ctx context.Context) ([]byte, error) {
			if err := inv.reserve(o.SKU, o.Qty); err != nil {
				return nil, err // redelivered
			}
			m, _ := payload.FromContext(ctx)
			middleware.Logger(ctx).InfoContext(ctx, "reserved", slog.String("order", o.ID), slog.Int("qty", o.Qty),
				slog.String("message", m.ID), slog.Int("attempt", m.Attempt))
			return nil, nil
		})
		return err
	})
	return function.Chain(reserve, middleware.Default(middleware.WithLogger(logger))...)
}
