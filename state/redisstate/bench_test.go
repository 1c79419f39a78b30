package redisstate_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/faasport/faasport/internal/testenv"
	"github.com/faasport/faasport/state"

	"github.com/faasport/faasport/state/redisstate"
	"github.com/faasport/faasport/testing/statetest"
)

func BenchmarkStore(b *testing.B) {
	c := newClient(b, testenv.RedisAddr(b), nil)
	b.Run("redis", func(b *testing.B) {
		statetest.Benchmark(b, redisstate.New(c, redisstate.WithPrefix(uniquePrefix(b, c))))
	})
}

// BenchmarkRedisSetNX is the bare client doing what PutIfAbsent does, on the
// same server, for comparison with BenchmarkStore/redis/PutIfAbsent.
func BenchmarkRedisSetNX(b *testing.B) {
	c := newClient(b, testenv.RedisAddr(b), nil)
	ctx := context.Background()
	prefix := uniquePrefix(b, c)
	value := make([]byte, 256)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		ok, err := c.SetNX(ctx, prefix+strconv.Itoa(i), value, 0).Result()
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkRedisGet is the bare client reading a string, for comparison
// with BenchmarkStore/redis/Get.
func BenchmarkRedisGet(b *testing.B) {
	c := newClient(b, testenv.RedisAddr(b), nil)
	ctx := context.Background()
	k := uniquePrefix(b, c) + "k"
	if err := c.Set(ctx, k, make([]byte, 256), 0).Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Get(ctx, k).Err(); err != nil && err != redis.Nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWritesVsSetNX interleaves, per iteration, one bare SET NX with a
// TTL and the store's two writes of a lease (Put IfAbsent, then Put
// IfVersion, both with a TTL), so all are measured under the same load. It
// reports each one's ns/op and its ratio to SET NX; the target is about 1.
func BenchmarkWritesVsSetNX(b *testing.B) {
	c := newClient(b, testenv.RedisAddr(b), nil)
	ctx := context.Background()
	prefix := uniquePrefix(b, c)
	st := redisstate.New(c, redisstate.WithPrefix(prefix+"store/"))
	value := make([]byte, 64)
	o := state.PutOptions{IfAbsent: true, TTL: time.Minute}
	var setnx, absent, ifVersion time.Duration
	for i := 0; b.Loop(); i++ {
		k := strconv.Itoa(i)
		t0 := time.Now()
		if err := c.SetNX(ctx, prefix+"nx/"+k, value, time.Minute).Err(); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		v, err := st.Put(ctx, k, value, o)
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if _, err := st.Put(ctx, k, value, state.PutOptions{IfVersion: v, TTL: time.Minute}); err != nil {
			b.Fatal(err)
		}
		setnx += t1.Sub(t0)
		absent += t2.Sub(t1)
		ifVersion += time.Since(t2)
	}
	n := float64(b.N)
	b.ReportMetric(float64(setnx.Nanoseconds())/n, "setnx-ns/op")
	b.ReportMetric(float64(absent.Nanoseconds())/n, "ifabsent-ns/op")
	b.ReportMetric(float64(ifVersion.Nanoseconds())/n, "ifversion-ns/op")
	b.ReportMetric(float64(absent)/float64(setnx), "ifabsent-ratio")
	b.ReportMetric(float64(ifVersion)/float64(setnx), "ifversion-ratio")
}
