package redisstate_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/internal/proxytest"
	"github.com/faasport/faasport/state/redisstate"
	"github.com/faasport/faasport/testing/statetest"
)

// redisAddr returns the address of the test server or skips the test.
func redisAddr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("FAASPORT_REDIS_ADDR")
	if addr == "" {
		t.Skip("set FAASPORT_REDIS_ADDR to run: the address of a Redis server on loopback, e.g. 127.0.0.1:6379")
	}
	return addr
}

func newClient(t testing.TB, addr string, o *redis.Options) *redis.Client {
	t.Helper()
	if o == nil {
		o = &redis.Options{}
	}
	o.Addr = addr
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.Ping(context.Background()).Err(), "ping Redis at %s", addr)
	return c
}

// uniquePrefix keeps tests (and packages run in parallel) apart on one server,
// and removes what the test wrote when it ends.
func uniquePrefix(t testing.TB, c *redis.Client) string {
	t.Helper()
	p := "faasport-test/" + strconv.FormatInt(time.Now().UnixNano(), 36) + "/"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, p+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return p
}

func TestConformance(t *testing.T) {
	c := newClient(t, redisAddr(t), &redis.Options{PoolSize: 64})
	// One store for every subtest: the suite keeps them apart by key.
	s := redisstate.New(c, redisstate.WithPrefix(uniquePrefix(t, c)))
	statetest.Run(t, func(t *testing.T) state.Store { return s }, statetest.RequireCurrent())
}

func TestPrefixIsolates(t *testing.T) {
	c := newClient(t, redisAddr(t), nil)
	ctx := context.Background()
	p := uniquePrefix(t, c)
	a := redisstate.New(c, redisstate.WithPrefix(p+"a/"))
	b := redisstate.New(c, redisstate.WithPrefix(p+"b/"))
	_, err := a.Put(ctx, "k", []byte("a"), state.PutOptions{})
	require.NoError(t, err)
	_, err = b.Get(ctx, "k")
	require.ErrorIs(t, err, state.ErrNotFound)
	require.Equal(t, int64(1), c.Exists(ctx, p+"a/k").Val(), "the prefix is part of the Redis key")
}

func TestNativeTTL(t *testing.T) {
	c := newClient(t, redisAddr(t), nil)
	ctx := context.Background()
	p := uniquePrefix(t, c)
	s := redisstate.New(c, redisstate.WithPrefix(p))
	_, err := s.Put(ctx, "lease", []byte("v"), state.PutOptions{TTL: time.Minute})
	require.NoError(t, err)
	ttl := c.PTTL(ctx, p+"lease").Val()
	require.Greater(t, ttl, 58*time.Second, "Redis must expire the item itself")
	_, err = s.Put(ctx, "lease", []byte("v"), state.PutOptions{})
	require.NoError(t, err)
	require.Equal(t, time.Duration(-1), c.PTTL(ctx, p+"lease").Val(), "a write without TTL removes the old one")
}

func TestForeignKey(t *testing.T) {
	c := newClient(t, redisAddr(t), nil)
	ctx := context.Background()
	p := uniquePrefix(t, c)
	s := redisstate.New(c, redisstate.WithPrefix(p))
	tests := []struct {
		name  string
		setup func() error
	}{
		{"string", func() error { return c.Set(ctx, p+"string", "x", 0).Err() }},
		{"other hash", func() error { return c.HSet(ctx, p+"other hash", "ver", 1, "v", "x").Err() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.setup())
			_, err := s.Get(ctx, tc.name)
			require.Error(t, err)
			require.NotErrorIs(t, err, state.ErrNotFound)
		})
	}
}

func TestReliability(t *testing.T) {
	addr := redisAddr(t)
	p := proxytest.Start(t, addr)
	direct := newClient(t, addr, nil)
	c := redis.NewClient(&redis.Options{
		Addr:                  p.Addr,
		DialTimeout:           500 * time.Millisecond,
		ReadTimeout:           500 * time.Millisecond,
		WriteTimeout:          500 * time.Millisecond,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
	})
	t.Cleanup(func() { _ = c.Close() })
	s := redisstate.New(c, redisstate.WithPrefix(uniquePrefix(t, direct)))
	proxytest.Check(t, s, p)
}
