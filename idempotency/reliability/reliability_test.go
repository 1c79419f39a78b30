package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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
	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/redisstate"
)

// TestReliabilityDuplicates: 1,000 concurrent deliveries over 100 keys (10
// duplicates each) run the handler exactly 100 times; every duplicate gets
// the stored reply or ErrInProgress, and redelivering those loses nothing.
func TestReliabilityDuplicates(t *testing.T) {
	forEachBackend(t, func(t *testing.T, store state.Store, prefix idempotency.Option) {
		const keys, dups = 100, 10
		var execs [keys]atomic.Int64
		var replies sync.Map // key index -> nonce of the executing delivery's reply
		h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
			i, _ := strconv.Atoi(e.ID())
			execs[i].Add(1)
			time.Sleep(time.Millisecond) // let duplicates overlap
			nonce := uniquePrefix()
			replies.Store(i, nonce)
			r := event.New()
			r.SetID(e.ID() + ".reply")
			r.SetSource("test")
			r.SetType("reply")
			r.SetExtension("nonce", nonce)
			return &r, nil
		})
		mw := idempotency.New(store, prefix, quiet())(h)

		type result struct {
			key   int
			reply *event.Event
			err   error
		}
		results := make([]result, keys*dups)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range keys * dups {
			wg.Go(func() {
				k := i % keys
				<-start
				// Leases must outlast the run, however slow the server.
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				r, err := mw.Handle(ctx, newEvent(t, "orders", strconv.Itoa(k), map[string]int{"k": k}))
				results[i] = result{k, r, err}
			})
		}
		began := time.Now()
		close(start)
		wg.Wait()
		t.Logf("1000 deliveries in %v", time.Since(began))

		var inProgress int
		for _, r := range results {
			if r.err != nil {
				require.ErrorIs(t, r.err, idempotency.ErrInProgress, "a duplicate gets the stored reply or ErrInProgress")
				assert.True(t, function.IsRetryable(r.err))
				inProgress++
				continue
			}
			want, ok := replies.Load(r.key)
			require.True(t, ok)
			require.NotNil(t, r.reply)
			assert.Equal(t, want, r.reply.Extensions()["nonce"], "duplicates get the stored reply")
		}
		t.Logf("%d of %d deliveries got ErrInProgress", inProgress, keys*dups)
		// Nothing lost: the platform redelivers what got ErrInProgress.
		for _, r := range results {
			if r.err == nil {
				continue
			}
			reply := redeliver(t, mw, newEvent(t, "orders", strconv.Itoa(r.key), map[string]int{"k": r.key}))
			want, _ := replies.Load(r.key)
			require.NotNil(t, reply)
			assert.Equal(t, want, reply.Extensions()["nonce"])
		}
		for k := range keys {
			assert.Equal(t, int64(1), execs[k].Load(), "key %d must run exactly once", k)
		}
	})
}

// redeliver delivers e until it gets no ErrInProgress, as a platform would.
// It reports with t.Error, so goroutines may call it.
func redeliver(t *testing.T, h function.Handler, e event.Event) *event.Event {
	for range 1000 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		r, err := h.Handle(ctx, e)
		cancel()
		if errors.Is(err, idempotency.ErrInProgress) {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if !assert.NoError(t, err) {
			return nil
		}
		return r
	}
	t.Errorf("event %s stayed in progress", e.ID())
	return nil
}

// TestReliabilityCrash: the first execution hangs (the platform would have
// killed it); after its lease expires exactly one redelivery runs, and the
// stalled execution's late completion is rejected by fencing.
func TestReliabilityCrash(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend state.Store, prefix idempotency.Option) {
		store := &countingStore{Store: backend}
		g := idempotency.NewGuard(store, prefix, idempotency.WithLeaseMargin(100*time.Millisecond), quiet())
		entered, stuck := make(chan struct{}), make(chan struct{})
		var runs atomic.Int64
		h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
			n := runs.Add(1)
			if n == 1 {
				close(entered)
				<-stuck // never completes while its lease holds
			}
			r := event.New()
			r.SetID("reply")
			r.SetSource("test")
			r.SetType("reply")
			r.SetExtension("run", int32(n))
			return &r, nil
		})
		mw := g.Middleware()(h)
		e := newEvent(t, "orders", "crash-1", map[string]string{"id": "o-1"})

		first := make(chan error, 1)
		go func() {
			// The platform gives this invocation 300 ms.
			ctx := function.NewContext(context.Background(), &function.Invocation{Deadline: time.Now().Add(300 * time.Millisecond)})
			_, err := mw.Handle(ctx, e)
			first <- err
		}()
		<-entered
		key := store.lastKey() // the lease write's

		// Five redeliveries race, each retrying on ErrInProgress until the
		// lease has expired; exactly one of them runs the handler.
		replies := make([]*event.Event, 5)
		var wg sync.WaitGroup
		for i := range replies {
			wg.Go(func() { replies[i] = redeliver(t, mw, e) })
		}
		wg.Wait()
		assert.Equal(t, int64(2), runs.Load(), "the first execution and exactly one redelivery")
		for _, r := range replies {
			require.NotNil(t, r)
			assert.Equal(t, int32(2), r.Extensions()["run"])
		}
		item, err := backend.Get(context.Background(), key)
		require.NoError(t, err)

		close(stuck)
		err = <-first
		require.ErrorIs(t, err, idempotency.ErrLeaseLost, "the stalled execution's late completion is rejected")
		after, err := backend.Get(context.Background(), key)
		require.NoError(t, err)
		assert.Equal(t, item.Version, after.Version, "the new owner's record is untouched")
		r := redeliver(t, mw, e)
		require.NotNil(t, r)
		assert.Equal(t, int32(2), r.Extensions()["run"])
	})
}

// TestReliabilityRedisOutage: Redis goes away in the middle of a run (a
// toxiproxy in front of it stops). Deliveries fail with retryable errors,
// no key's handler runs twice, and processing resumes when Redis is back.
func TestReliabilityRedisOutage(t *testing.T) {
	p := proxytest.Start(t, testenv.RedisAddr(t))
	client := redisClient(t, p.Addr, &redis.Options{
		PoolSize: 16, MaxRetries: 1, DialTimeout: 300 * time.Millisecond,
		ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond,
	})
	store := redisstate.New(client)

	const keys = 300
	var execs [keys]atomic.Int64
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		i, _ := strconv.Atoi(e.ID())
		execs[i].Add(1)
		time.Sleep(time.Millisecond)
		return nil, nil
	})
	mw := idempotency.New(store, idempotency.WithKeyPrefix(uniquePrefix()), idempotency.WithLeaseMargin(100*time.Millisecond), quiet())(h)

	var done [keys]atomic.Bool
	var completed, storeErrs, inProgress, tooLate atomic.Int64
	outage := make(chan struct{})
	go func() {
		// Take Redis away once a third of the keys are done, for a while.
		for completed.Load() < keys/3 {
			time.Sleep(time.Millisecond)
		}
		t0 := time.Now()
		p.Down()
		defer func() { t.Logf("outage %v, completed %d at restart", time.Since(t0), completed.Load()) }()
		for storeErrs.Load() < 20 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		if err := p.Reopen(); err != nil {
			t.Errorf("restart proxy: %v", err)
		}
		close(outage)
	}()

	deadline := time.Now().Add(2 * time.Minute)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for time.Now().Before(deadline) && completed.Load() < keys {
				for k := w; k < keys; k += 8 {
					if done[k].Load() {
						continue
					}
					ctx := function.NewContext(context.Background(), &function.Invocation{Deadline: time.Now().Add(time.Second)})
					_, err := mw.Handle(ctx, newEvent(t, "orders", strconv.Itoa(k), "x"))
					switch {
					case err == nil:
						done[k].Store(true)
						completed.Add(1)
					case errors.Is(err, idempotency.ErrStore):
						storeErrs.Add(1)
						assert.True(t, function.IsRetryable(err), "store failures are retryable: %v", err)
					case errors.Is(err, idempotency.ErrInProgress):
						inProgress.Add(1)
					case errors.Is(err, idempotency.ErrLeaseExpired):
						tooLate.Add(1)
						assert.True(t, function.IsRetryable(err), "%v", err)
					default:
						t.Errorf("unexpected error for key %d: %v", k, err)
					}
				}
			}
		})
	}
	wg.Wait()
	<-outage
	t.Logf("store errors %d, in progress %d, lease too short %d", storeErrs.Load(), inProgress.Load(), tooLate.Load())
	assert.Positive(t, storeErrs.Load(), "the outage must have been seen")
	require.Equal(t, int64(keys), completed.Load(), "processing resumes after the outage")
	for k := range keys {
		assert.Equal(t, int64(1), execs[k].Load(), "key %d ran %d times", k, execs[k].Load())
	}
}

type response struct {
	code   int
	header http.Header
	body   string
}

func do(t *testing.T, srv *httptest.Server, key, body string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/orders", strings.NewReader(body))
	if !assert.NoError(t, err) {
		return response{}
	}
	req.Header.Set(idempotency.HeaderKey, key)
	res, err := srv.Client().Do(req)
	if !assert.NoError(t, err) {
		return response{}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	assert.NoError(t, err)
	return response{code: res.StatusCode, header: res.Header, body: string(b)}
}

// TestReliabilityHTTP: same key and body replays, same key and another body
// gets 422, concurrent requests with one key get one 2xx and 409s.
func TestReliabilityHTTP(t *testing.T) {
	forEachBackend(t, func(t *testing.T, store state.Store, prefix idempotency.Option) {
		const concurrent = 20
		entered, release := make(chan struct{}), make(chan struct{})
		var runs atomic.Int64
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := runs.Add(1)
			if r.Header.Get(idempotency.HeaderKey) == "slow" {
				close(entered)
				<-release
			}
			w.Header().Set("Location", fmt.Sprintf("/orders/%d", n))
			w.WriteHeader(http.StatusCreated)
			_, _ = fmt.Fprintf(w, `{"order":%d}`, n)
		})
		srv := httptest.NewServer(idempotency.HTTP(store, prefix, quiet())(h))
		defer srv.Close()

		first := do(t, srv, "k-1", `{"sku":"a"}`)
		require.Equal(t, http.StatusCreated, first.code)
		again := do(t, srv, "k-1", `{"sku":"a"}`)
		assert.Equal(t, http.StatusCreated, again.code)
		assert.Equal(t, first.body, again.body)
		assert.Equal(t, first.header.Get("Location"), again.header.Get("Location"))
		assert.Equal(t, "true", again.header.Get(idempotency.DefaultReplayHeader))
		other := do(t, srv, "k-1", `{"sku":"b"}`)
		assert.Equal(t, http.StatusUnprocessableEntity, other.code)
		assert.Equal(t, int64(1), runs.Load())

		slow := make(chan response)
		go func() { slow <- do(t, srv, "slow", `{"sku":"c"}`) }()
		<-entered
		codes := make([]int, concurrent)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Go(func() {
				r := do(t, srv, "slow", `{"sku":"c"}`)
				codes[i] = r.code
				if r.code == http.StatusConflict {
					assert.NotEmpty(t, r.header.Get("Retry-After"))
				}
			})
		}
		wg.Wait()
		close(release)
		assert.Equal(t, http.StatusCreated, (<-slow).code)
		assert.Equal(t, strings.Repeat("409 ", concurrent), func() string {
			var b strings.Builder
			for _, c := range codes {
				fmt.Fprintf(&b, "%d ", c)
			}
			return b.String()
		}())
		assert.Equal(t, int64(2), runs.Load())
	})
}

// TestRoundTripsBackends: on every backend a first execution takes 2 round
// trips; a duplicate takes 1 where the backend returns the current item with
// a failed condition, 2 where it cannot (dynalite does not return it).
func TestRoundTripsBackends(t *testing.T) {
	wantDuplicate := map[string]int64{"memstate": 1, "redis": 1, "postgres": 1, "dynamodb": 2}
	forEachBackend(t, func(t *testing.T, backend state.Store, prefix idempotency.Option) {
		name := t.Name()[strings.LastIndex(t.Name(), "/")+1:]
		store := &countingStore{Store: backend}
		var runs atomic.Int64
		h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
			runs.Add(1)
			r := event.New()
			r.SetID("reply")
			r.SetSource("test")
			r.SetType("reply")
			return &r, nil
		})
		mw := idempotency.New(store, prefix)(h)
		e := newEvent(t, "src", t.Name(), "x")
		first, err := mw.Handle(context.Background(), e)
		require.NoError(t, err)
		assert.Equal(t, int64(2), store.calls.Swap(0), "first execution")
		dup, err := mw.Handle(context.Background(), e)
		require.NoError(t, err)
		assert.Equal(t, wantDuplicate[name], store.calls.Load(), "duplicate")
		assert.Equal(t, first.String(), dup.String())
		assert.Equal(t, int64(1), runs.Load())
	})
}
