package redisstate_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/internal/proxytest"
	"github.com/faasport/faasport/internal/testenv"
	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/redisstate"
	"github.com/faasport/faasport/testing/statetest"
)

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
	c := newClient(t, testenv.RedisAddr(t), &redis.Options{PoolSize: 64})
	// One store for every subtest: the suite keeps them apart by key.
	s := redisstate.New(c, redisstate.WithPrefix(uniquePrefix(t, c)))
	statetest.Run(t, func(t *testing.T) state.Store { return s }, statetest.RequireCurrent())
}

func TestPrefixIsolates(t *testing.T) {
	c := newClient(t, testenv.RedisAddr(t), nil)
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
	c := newClient(t, testenv.RedisAddr(t), nil)
	ctx := context.Background()
	p := uniquePrefix(t, c)
	s := redisstate.New(c, redisstate.WithPrefix(p))
	_, err := s.Put(ctx, "lease", []byte("v"), state.PutOptions{TTL: time.Minute})
	require.NoError(t, err)
	require.Equal(t, "string", c.Type(ctx, p+"lease").Val(), "an item is one Redis string")
	ttl := c.PTTL(ctx, p+"lease").Val()
	require.Greater(t, ttl, 58*time.Second, "Redis must expire the item itself")
	_, err = s.Put(ctx, "lease", []byte("v"), state.PutOptions{})
	require.NoError(t, err)
	require.Equal(t, time.Duration(-1), c.PTTL(ctx, p+"lease").Val(), "a write without TTL removes the old one")
}

// TestForeignKey checks that a key holding something redisstate did not
// write is reported as an error by every call that reads it, never taken
// for a miss, a conflict or an item.
func TestForeignKey(t *testing.T) {
	c := newClient(t, testenv.RedisAddr(t), nil)
	ctx := context.Background()
	p := uniquePrefix(t, c)
	s := redisstate.New(c, redisstate.WithPrefix(p))
	values := []struct {
		name  string
		setup func(key string) error
	}{
		{"string", func(k string) error { return c.Set(ctx, p+k, "x", 0).Err() }},
		{"string with the magic", func(k string) error { return c.Set(ctx, p+k, "\xf5\x01\x00", 0).Err() }},
		{"hash", func(k string) error { return c.HSet(ctx, p+k, "ver", 1, "v", "x").Err() }},
	}
	calls := []struct {
		name string
		call func(key string) error
	}{
		{"Get", func(k string) error { _, err := s.Get(ctx, k); return err }},
		{"Put IfAbsent", func(k string) error {
			_, err := s.Put(ctx, k, []byte("v"), state.PutOptions{IfAbsent: true, TTL: time.Minute})
			return err
		}},
		{"Put IfVersion", func(k string) error {
			_, err := s.Put(ctx, k, []byte("v"), state.PutOptions{IfVersion: "1"})
			return err
		}},
		{"Delete IfVersion", func(k string) error { return s.Delete(ctx, k, "1") }},
	}
	for _, v := range values {
		for _, call := range calls {
			t.Run(v.name+"/"+call.name, func(t *testing.T) {
				k := v.name + "/" + call.name
				require.NoError(t, v.setup(k))
				err := call.call(k)
				require.Error(t, err)
				require.NotErrorIs(t, err, state.ErrNotFound)
				require.NotErrorIs(t, err, state.ErrConflict)
			})
		}
	}
}

func TestReliability(t *testing.T) {
	addr := testenv.RedisAddr(t)
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
	statetest.CheckNetwork(t, s, p)
}
