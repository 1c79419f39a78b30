package reliability_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/redis/go-redis/v9"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/idempotency"
	"github.com/faasport/faasport/internal/testenv"
	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/state/redisstate"
)

// BenchmarkIdempotency measures the middleware around a handler that does
// nothing: "first" runs a new key each time (lease + complete), "duplicate"
// answers a completed key. Compare redis/first with BenchmarkRedisSetNX, the
// bare client's SET NX on the same server.
func BenchmarkIdempotency(b *testing.B) {
	stores := []struct {
		name  string
		store func(b *testing.B) state.Store
	}{
		{"memstate", func(*testing.B) state.Store { return memstate.New() }},
		{"redis", func(b *testing.B) state.Store {
			return redisstate.New(redisClient(b, testenv.RedisAddr(b), nil))
		}},
	}
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil })
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			store := s.store(b)
			mw := idempotency.New(store, idempotency.WithKeyPrefix(uniquePrefix()))(h)
			ctx := context.Background()
			e := newEvent(b, "bench", "0", map[string]string{"order": "o-1"})
			b.Run("first", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					e.SetID("first-" + strconv.Itoa(i))
					if _, err := mw.Handle(ctx, e); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("duplicate", func(b *testing.B) {
				e.SetID("duplicate")
				if _, err := mw.Handle(ctx, e); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := mw.Handle(ctx, e); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkRedisSetNX is the bare go-redis baseline: one SET NX with a TTL
// per new key, on the same server as BenchmarkIdempotency/redis.
func BenchmarkRedisSetNX(b *testing.B) {
	c := redisClient(b, testenv.RedisAddr(b), &redis.Options{PoolSize: 64})
	ctx := context.Background()
	prefix := uniquePrefix()
	value := make([]byte, 64)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := c.SetNX(ctx, prefix+strconv.Itoa(i), value, idempotency.DefaultExpiry).Err(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRedisFirstVsSetNX interleaves, per iteration, one first
// execution through the middleware, one bare SET NX and the two raw
// redisstate writes a first execution needs (lease, complete), so all three
// are measured under the same load on a shared machine. It reports each
// one's ns/op and the ratios to SET NX: "ratio" (target ≤ 2.2, i.e. first
// executions at ≥ 0.45× the throughput of SET NX) and "floor-ratio", what
// the store's two round trips alone cost.
func BenchmarkRedisFirstVsSetNX(b *testing.B) {
	c := redisClient(b, testenv.RedisAddr(b), nil)
	store := redisstate.New(c)
	mw := idempotency.New(store, idempotency.WithKeyPrefix(uniquePrefix()))(function.HandlerFunc(
		func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil }))
	ctx := context.Background()
	e := newEvent(b, "bench", "0", map[string]string{"order": "o-1"})
	prefix := uniquePrefix()
	value := make([]byte, 64)
	var first, setnx, floor time.Duration
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		e.SetID("vs-" + strconv.Itoa(i))
		if _, err := mw.Handle(ctx, e); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := c.SetNX(ctx, prefix+"nx/"+strconv.Itoa(i), value, idempotency.DefaultExpiry).Err(); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		k := prefix + "put/" + strconv.Itoa(i)
		v, err := store.Put(ctx, k, value, state.PutOptions{IfAbsent: true, TTL: idempotency.DefaultExpiry})
		if err == nil {
			_, err = store.Put(ctx, k, value, state.PutOptions{IfVersion: v, TTL: idempotency.DefaultExpiry})
		}
		if err != nil {
			b.Fatal(err)
		}
		first += t1.Sub(t0)
		setnx += t2.Sub(t1)
		floor += time.Since(t2)
	}
	b.ReportMetric(float64(first.Nanoseconds())/float64(b.N), "first-ns/op")
	b.ReportMetric(float64(setnx.Nanoseconds())/float64(b.N), "setnx-ns/op")
	b.ReportMetric(float64(first)/float64(setnx), "ratio")
	b.ReportMetric(float64(floor)/float64(setnx), "floor-ratio")
}
