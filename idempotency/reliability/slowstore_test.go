package reliability_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/idempotency"
	"github.com/faasport/faasport/internal/proxytest"
	"github.com/faasport/faasport/internal/testenv"
	"github.com/faasport/faasport/state/redisstate"
)

// TestReliabilitySlowStore: for 30 s Redis answers a share of the
// connections later than a whole lease (toxiproxy latency). Two deliveries
// of each key race, and every delivery that does not complete is
// redelivered, as a platform would; at the end Redis is fast again and
// the rest is redelivered until every key completes. A handler that
// honours its context (its effect happens only while the context lives)
// has its effect exactly once per key: a lease answered too late never
// starts the handler, and the handler's context ends before its lease
// does. The one exception is inherent: a completion record that does not
// land (a store error, or a write slower than the lease margin that finds
// the lease taken over) leaves the effect unrecorded, so it may happen
// again; such keys are counted apart. It holds with go-redis's default options, where a call already on
// the wire ignores the context, and with a client that honours contexts
// (redisstate.NewClient).
func TestReliabilitySlowStore(t *testing.T) {
	const (
		keys     = 100
		timeout  = time.Second            // each invocation's deadline
		margin   = 200 * time.Millisecond // lease = deadline + margin
		latency  = 1500 * time.Millisecond
		slowConn = 0.35 // share of connections with the latency: some of the pool's are, whatever its size
	)
	clients := []struct {
		name   string
		client func(t *testing.T, addr string) *redis.Client
	}{
		{"go-redis defaults", func(t *testing.T, addr string) *redis.Client {
			c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 32})
			t.Cleanup(func() { _ = c.Close() })
			require.NoError(t, c.Ping(context.Background()).Err())
			return c
		}},
		{"redisstate.NewClient", func(t *testing.T, addr string) *redis.Client {
			return redisClient(t, addr, &redis.Options{PoolSize: 32})
		}},
	}
	for _, tc := range clients {
		t.Run(tc.name, func(t *testing.T) {
			p := proxytest.Start(t, testenv.RedisAddr(t))
			c := tc.client(t, p.Addr)
			p.Slow(t, latency, slowConn)

			var effects [keys]atomic.Int64
			var late atomic.Int64 // handler runs whose context ended before the effect
			h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
				k, _ := strconv.Atoi(e.ID())
				time.Sleep(10 * time.Millisecond) // the work
				if err := ctx.Err(); err != nil {
					late.Add(1)
					return nil, err // honour the context: no effect after it ends
				}
				effects[k].Add(1)
				ctx.Value(effectKey{}).(*atomic.Bool).Store(true)
				return nil, nil
			})
			mw := idempotency.New(redisstate.New(c), idempotency.WithKeyPrefix(uniquePrefix()),
				idempotency.WithLeaseMargin(margin), quiet())(h)

			var done [keys]atomic.Bool
			var completed atomic.Int64
			outcomes := map[string]*atomic.Int64{}
			for _, o := range []string{"ok", "in progress", "lease expired", "store", "lease lost", "handler context"} {
				outcomes[o] = new(atomic.Int64)
			}
			// unrecorded marks keys for which a delivery had its effect but
			// failed anyway: its completion record, written after the
			// effect, did not land (a store error, or a write so slow that
			// the lease had been taken over when it arrived, ErrLeaseLost).
			// The effect can then happen again on redelivery — at least
			// once is all any idempotency layer can promise when the effect
			// and its record are not written together.
			var unrecorded [keys]atomic.Bool
			var slowest atomic.Int64 // the longest delivery, in nanoseconds
			deliverOnce := func(k int) {
				start := time.Now()
				defer func() {
					for d := int64(time.Since(start)); ; {
						if cur := slowest.Load(); d <= cur || slowest.CompareAndSwap(cur, d) {
							break
						}
					}
				}()
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				ctx = function.NewContext(ctx, &function.Invocation{Deadline: time.Now().Add(timeout)})
				effect := new(atomic.Bool) // this delivery's handler had its effect
				ctx = context.WithValue(ctx, effectKey{}, effect)
				_, err := mw.Handle(ctx, newEvent(t, "orders", strconv.Itoa(k), map[string]int{"k": k}))
				cancel()
				if err != nil && effect.Load() {
					unrecorded[k].Store(true)
				}
				switch {
				case err == nil:
					outcomes["ok"].Add(1)
					if !done[k].Swap(true) {
						completed.Add(1)
					}
				case errors.Is(err, idempotency.ErrInProgress):
					outcomes["in progress"].Add(1)
				case errors.Is(err, idempotency.ErrLeaseExpired):
					outcomes["lease expired"].Add(1)
				case errors.Is(err, idempotency.ErrStore):
					outcomes["store"].Add(1)
				case errors.Is(err, idempotency.ErrLeaseLost):
					outcomes["lease lost"].Add(1)
				case errors.Is(err, context.DeadlineExceeded):
					outcomes["handler context"].Add(1)
				default:
					t.Errorf("key %d: unexpected error: %v", k, err)
				}
				if err != nil {
					assert.True(t, function.IsRetryable(err), "key %d: %v", k, err)
				}
			}
			// deliver delivers every key not yet completed, over and over,
			// until all are or until stop.
			deliver := func(stop time.Time) {
				var wg sync.WaitGroup
				const workers = 16 // two per key: deliveries of a key race
				for w := range workers {
					wg.Go(func() {
						for time.Now().Before(stop) && completed.Load() < keys {
							for k := w % (workers / 2); k < keys; k += workers / 2 {
								if done[k].Load() {
									continue
								}
								deliverOnce(k)
							}
						}
					})
				}
				wg.Wait()
			}
			// While Redis is slow, for a while; then, as a platform would,
			// redeliver what is left once it is fast again.
			deliver(time.Now().Add(30 * time.Second))
			slowPhase := completed.Load()
			p.Heal()
			deliver(time.Now().Add(2 * time.Minute))

			var dups, lost, again int
			for k := range keys {
				switch n := effects[k].Load(); {
				case n > 1 && unrecorded[k].Load():
					again++
				case n > 1:
					dups++
				case n == 0:
					lost++
				}
			}
			var summary []any
			for _, o := range []string{"ok", "in progress", "lease expired", "store", "lease lost", "handler context"} {
				summary = append(summary, o, outcomes[o].Load())
			}
			t.Logf("%d keys, %v latency on %.0f%% of connections (%d completed while slow): %d keys with duplicate effects (%d more after a completion record that did not land), %d without effect; late handler runs %d; outcomes %v",
				keys, latency, slowConn*100, slowPhase, dups, again, lost, late.Load(), summary)
			require.Equal(t, int64(keys), completed.Load(), "every key completes in the end")
			assert.Zero(t, dups, "keys whose effect happened twice though every completion record landed")
			assert.Zero(t, lost, "keys whose effect never happened")
			// The fault must have reached the store, or the run proves
			// nothing: some delivery waited on a slow connection, far past
			// the few milliseconds a fast one takes.
			assert.GreaterOrEqual(t, time.Duration(slowest.Load()), timeout/2,
				"no delivery met the injected latency")
		})
	}
}

// effectKey is the context key of a delivery's flag that its handler had
// its effect.
type effectKey struct{}
