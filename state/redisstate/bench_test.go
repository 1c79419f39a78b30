package redisstate_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/faasport/faasport/state/redisstate"
	"github.com/faasport/faasport/testing/statetest"
)

func BenchmarkStore(b *testing.B) {
	c := newClient(b, redisAddr(b), nil)
	b.Run("redis", func(b *testing.B) {
		statetest.Benchmark(b, redisstate.New(c, redisstate.WithPrefix(uniquePrefix(b, c))))
	})
}

// BenchmarkRedisSetNX is the bare client doing what PutIfAbsent does, on the
// same server, for comparison with BenchmarkStore/redis/PutIfAbsent.
func BenchmarkRedisSetNX(b *testing.B) {
	c := newClient(b, redisAddr(b), nil)
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
	c := newClient(b, redisAddr(b), nil)
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
