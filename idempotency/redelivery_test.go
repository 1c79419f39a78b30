package idempotency_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/idempotency"
	"github.com/faasport/faasport/payload"
	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/testing/fntest"
)

// testClock is a clock the test moves by hand, starting at the real now.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) Now() time.Time             { return time.Unix(0, c.ns.Load()) }
func (c *testClock) Add(d time.Duration)        { c.ns.Add(int64(d)) }
func newTestClock() *testClock                  { c := &testClock{}; c.ns.Store(time.Now().UnixNano()); return c }
func (c *testClock) store() *memstate.Store     { return memstate.New(memstate.WithClock(c.Now)) }
func (c *testClock) option() idempotency.Option { return idempotency.WithClock(c.Now) }

// frozenStore stands for a process that died: while frozen, no write of
// its reaches the store.
type frozenStore struct {
	state.Store
	frozen atomic.Bool
}

// errDead wraps state.ErrInvalid so the Guard gives up at once, as a dead
// process would, instead of retrying its writes.
var errDead = fmt.Errorf("the process is gone: %w", state.ErrInvalid)

// onTestClock hands the handler an invocation without a deadline, so its
// lease is the fallback lease on the test's clock (which the test moves
// past it) rather than the adapter's real-time deadline.
func onTestClock(next function.Handler) function.Handler {
	return function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		inv := *function.FromContext(ctx)
		inv.Deadline = time.Time{}
		return next.Handle(function.NewContext(context.WithoutCancel(ctx), &inv), e)
	})
}

func (s *frozenStore) Put(ctx context.Context, key string, value []byte, o state.PutOptions) (string, error) {
	if s.frozen.Load() && o.IfVersion != "" {
		return "", errDead
	}
	return s.Store.Put(ctx, key, value, o)
}

func (s *frozenStore) Delete(ctx context.Context, key string, ifVersion string) error {
	if s.frozen.Load() {
		return errDead
	}
	return s.Store.Delete(ctx, key, ifVersion)
}

// everyPlatform lists the platforms a queue message reaches: SQS on
// Lambda, Pub/Sub on Cloud Functions and net/http, Service Bus on Azure
// Functions.
func everyPlatform() []function.Platform {
	return []function.Platform{function.PlatformLambda, function.PlatformCloudFunctions, function.PlatformHTTP, function.PlatformAzureFunctions}
}

// TestRedeliveryOnEveryPlatform: a queue message delivered again by the
// platform (SQS with a new ApproximateReceiveCount, Pub/Sub with a new
// deliveryAttempt, Service Bus with a new DeliveryCount after the host got
// an answer other than 2xx) after the first attempt timed out, crashed or
// failed with a retryable error runs the handler exactly once more,
// through every adapter; the delivery after that is answered from the
// record. Before the payload was hashed instead of the envelope, the
// redelivery was refused as a reused key with another payload and
// acknowledged unprocessed.
func TestRedeliveryOnEveryPlatform(t *testing.T) {
	const body = `{"id":"o-1","qty":2}`
	platforms := everyPlatform()
	cases := []struct {
		name string
		// first runs inside the first attempt's handler; it returns what
		// the handler returns. block, when set, holds the handler until
		// the test has redelivered.
		first func(clk *testClock, store *frozenStore) error
		block bool
	}{
		{name: "timeout", block: true},
		{name: "crash", first: func(clk *testClock, store *frozenStore) error {
			store.frozen.Store(true) // nothing it writes from now on lands
			panic("the instance dies")
		}},
		{name: "retryable error", first: func(*testClock, *frozenStore) error {
			return errors.New("the database is busy")
		}},
	}
	for _, p := range platforms {
		for _, tc := range cases {
			t.Run(string(p)+"/"+tc.name, func(t *testing.T) {
				clk := newTestClock()
				store := &frozenStore{Store: clk.store()}
				var runs atomic.Int64
				release := make(chan struct{})
				entered := make(chan struct{})
				h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
					if runs.Add(1) == 1 {
						if tc.block {
							close(entered)
							<-release
							return nil, nil
						}
						return nil, tc.first(clk, store)
					}
					return nil, nil
				})
				mw := idempotency.New(store, clk.option(), idempotency.WithExpiry(24*time.Hour),
					idempotency.WithLogger(discard()))(h)
				mw = onTestClock(mw)

				first := make(chan fntest.Result, 1)
				go func() {
					r, err := fntest.Invoke(p, mw, fntest.QueueMessage(body, fntest.ID("m-1"), fntest.Attempt(1)))
					assert.NoError(t, err)
					first <- r
				}()
				if tc.block {
					<-entered
				} else {
					r := <-first
					assert.True(t, r.Redelivered, "the first attempt failed: the platform redelivers")
				}
				store.frozen.Store(false)
				// Whatever lease the first attempt left has ended.
				clk.Add(time.Hour)

				r, err := fntest.Invoke(p, mw, fntest.QueueMessage(body, fntest.ID("m-1"), fntest.Attempt(2)))
				require.NoError(t, err)
				require.NoError(t, r.Err, "the redelivery is processed, not refused")
				assert.Equal(t, 2, r.Attempt, "the platform marks the redelivery as its second attempt")
				assert.False(t, r.Redelivered)
				assert.Equal(t, int64(2), runs.Load(), "the handler runs exactly once more")

				r, err = fntest.Invoke(p, mw, fntest.QueueMessage(body, fntest.ID("m-1"), fntest.Attempt(3)))
				require.NoError(t, err)
				require.NoError(t, r.Err)
				assert.False(t, r.Redelivered)
				assert.Equal(t, int64(2), runs.Load(), "a later delivery is answered from the record")

				if tc.block {
					close(release)
					r := <-first
					require.ErrorIs(t, r.Err, idempotency.ErrLeaseLost, "the timed-out attempt's late result is fenced off")
				}
			})
		}
	}
}

// TestAzureRedeliversWholeInvocation: the Functions host retries a whole
// invocation after any answer but 2xx, so when one event of an Event Hubs
// batch fails with a retryable error or crashes, the events
// before it, already handled, come again with the one that failed. Each
// runs exactly once in all: those handled are answered from their records,
// the failed one runs once more, the ones never reached run once; a
// further delivery of the batch runs nothing.
func TestAzureRedeliversWholeInvocation(t *testing.T) {
	cases := []struct {
		name string
		fail func(store *frozenStore) error
	}{
		{name: "retryable error", fail: func(*frozenStore) error { return errors.New("the database is busy") }},
		{name: "crash", fail: func(store *frozenStore) error {
			store.frozen.Store(true)
			panic("the instance dies")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := newTestClock()
			store := &frozenStore{Store: clk.store()}
			var mu sync.Mutex
			runs := map[string]int{}
			h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
				var m payload.Message
				if err := payload.Read(e, &m); err != nil {
					return nil, err
				}
				mu.Lock()
				runs[string(m.Data)]++
				n := runs[string(m.Data)]
				mu.Unlock()
				if n == 1 && string(m.Data) == `{"n":2}` {
					return nil, tc.fail(store)
				}
				return nil, nil
			})
			mw := onTestClock(idempotency.New(store, clk.option(), idempotency.WithExpiry(24*time.Hour),
				idempotency.WithLogger(discard()))(h))
			sim := fntest.NewSim(t, function.PlatformAzureFunctions, mw)

			r := sim.Invoke(fntest.EventHubs("", fntest.Bodies(`{"n":1}`, `{"n":2}`, `{"n":3}`)))
			require.True(t, r.Redelivered, "an event failed: the host retries the invocation")
			assert.Equal(t, []string{"0:1", "0:2", "0:3"}, r.Failed, "the whole batch comes again")
			store.frozen.Store(false)
			clk.Add(time.Hour) // whatever lease the failed attempt left has ended

			r = sim.Redeliver(r)
			require.False(t, r.Redelivered, "the retry succeeds: %s", r.Response)
			assert.Equal(t, []string{"0:1", "0:2", "0:3"}, r.Acknowledged)
			r = sim.Again(r)
			require.False(t, r.Redelivered)

			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, map[string]int{`{"n":1}`: 1, `{"n":2}`: 2, `{"n":3}`: 1}, runs,
				"each event runs once, the failed one once more")
		})
	}
}

// TestReusedMessageIDWithOtherPayload: the same message id with another
// body is still refused on every platform, so hashing the payload instead
// of the envelope did not turn validation off.
func TestReusedMessageIDWithOtherPayload(t *testing.T) {
	for _, p := range everyPlatform() {
		t.Run(string(p), func(t *testing.T) {
			var runs atomic.Int64
			h := function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) { runs.Add(1); return nil, nil })
			mw := idempotency.New(memstate.New(), idempotency.WithLogger(discard()))(h)
			_, err := fntest.Invoke(p, mw, fntest.QueueMessage(`{"id":"o-1"}`, fntest.ID("m-2")))
			require.NoError(t, err)
			r, err := fntest.Invoke(p, mw, fntest.QueueMessage(`{"id":"o-2"}`, fntest.ID("m-2"), fntest.Attempt(2)))
			require.NoError(t, err)
			require.ErrorIs(t, r.Err, idempotency.ErrPayloadMismatch)
			assert.Equal(t, int64(1), runs.Load())
		})
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
