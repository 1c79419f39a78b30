// Command orders reserves stock for each order message exactly once, on any
// platform: an SQS queue on AWS Lambda, a Pub/Sub topic on Cloud Functions,
// a Service Bus queue on Azure Functions, or CloudEvents over HTTP in a
// container.
//
// Queues deliver at least once, and producers retry sends, so the same order
// can arrive several times. The idempotency middleware keys each delivery by
// the order id inside the message body — the same on every platform — and
// runs the reservation once per order; duplicates are answered from the
// stored outcome. Malformed orders are permanent errors: acknowledged, never
// retried.
//
// State is in memory by default (one process, for local runs); set
// REDIS_ADDR to share it between instances, as production needs.
package main

import (
	"log/slog"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/faasport/faasport/adapters"
	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/state/redisstate"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h := newHandler(newInventory(map[string]int{"sku-1": 100, "sku-2": 5}), newStore(), logger)
	if err := adapters.Start(adapters.Events(h), adapters.WithLogger(logger)); err != nil {
		logger.Error("orders stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}

// newStore picks the idempotency store: Redis when REDIS_ADDR is set, else
// the in-memory default. The Redis client connects lazily, on first use,
// and its calls end with their context (redisstate.NewClient).
func newStore() state.Store {
	if addr := os.Getenv("REDIS_ADDR"); addr != "" {
		return redisstate.New(redisstate.NewClient(&redis.Options{Addr: addr}), redisstate.WithPrefix("orders/"))
	}
	return memstate.New()
}
