package redisstate

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/testing/statetest"
)

// testClient connects to the test server, or skips the test, and gives it
// a key prefix of its own, cleaned up when the test ends.
func testClient(t *testing.T, hooks ...redis.Hook) (c *redis.Client, prefix string) {
	t.Helper()
	addr := os.Getenv("FAASPORT_REDIS_ADDR")
	if addr == "" {
		t.Skip("set FAASPORT_REDIS_ADDR to run: the address of a Redis server on loopback, e.g. 127.0.0.1:6379")
	}
	c = redis.NewClient(&redis.Options{Addr: addr, PoolSize: 64})
	for _, h := range hooks {
		c.AddHook(h)
	}
	ctx := context.Background()
	require.NoError(t, c.Ping(ctx).Err(), "ping Redis at %s", addr)
	prefix = "faasport-test/internal/" + strconv.FormatInt(time.Now().UnixNano(), 36) + "/"
	t.Cleanup(func() {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		_ = c.Close()
	})
	return c, prefix
}

// oldServer makes a Redis 7 server answer SET with both NX and GET the way
// Redis 6.2 and older do, with a syntax error, without running it; it counts
// the commands it refused.
type oldServer struct{ refused atomic.Int64 }

type syntaxError string

func (e syntaxError) Error() string { return string(e) }
func (syntaxError) RedisError()     {}

func (o *oldServer) DialHook(next redis.DialHook) redis.DialHook { return next }
func (o *oldServer) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (o *oldServer) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "set" && hasArgs(cmd.Args(), "nx", "get") {
			o.refused.Add(1)
			err := syntaxError("ERR syntax error")
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func hasArgs(args []any, want ...string) bool {
	n := 0
	for _, w := range want {
		for _, a := range args[1:] {
			if s, ok := a.(string); ok && strings.EqualFold(s, w) {
				n++
				break
			}
		}
	}
	return n == len(want)
}

// TestConformancePaths runs the suite on the IfAbsent paths the default
// test does not take: the Lua script an injected clock needs, and the
// fallback for servers without SET NX GET.
func TestConformancePaths(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		old  bool
	}{
		{"own clock", []Option{WithClock(func() time.Time { return time.Now() })}, false},
		{"server without SET NX GET", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var old oldServer
			var hooks []redis.Hook
			if tc.old {
				hooks = append(hooks, &old)
			}
			c, p := testClient(t, hooks...)
			s := New(c, append(tc.opts, WithPrefix(p))...)
			statetest.Run(t, func(t *testing.T) state.Store { return s }, statetest.RequireCurrent())
			if tc.old {
				require.Equal(t, int64(1), old.refused.Load(), "the store must remember the server lacks SET NX GET")
				require.True(t, s.noSetNXGet.Load())
			}
		})
	}
}

// TestSetNXGetUsed checks that, on Redis 7, IfAbsent writes are the native
// command and not the script.
func TestSetNXGetUsed(t *testing.T) {
	var seen recorder
	c, p := testClient(t, &seen)
	ctx := context.Background()
	s := New(c, WithPrefix(p))
	v, err := s.Put(ctx, "k", []byte("v"), state.PutOptions{IfAbsent: true, TTL: time.Minute})
	require.NoError(t, err)
	_, err = s.Put(ctx, "k", []byte("w"), state.PutOptions{IfAbsent: true})
	var ce *state.ConflictError
	require.ErrorAs(t, err, &ce)
	require.NotNil(t, ce.Current)
	require.Equal(t, v, ce.Current.Version)
	require.Equal(t, []string{"set", "set"}, seen.names())
	require.False(t, s.noSetNXGet.Load())
}

// recorder notes the name of every data command sent (not the ones a
// client sends when it connects).
type recorder struct{ cmds atomic.Pointer[[]string] }

func (r *recorder) names() []string {
	if p := r.cmds.Load(); p != nil {
		return *p
	}
	return nil
}

func (r *recorder) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *recorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (r *recorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		switch cmd.Name() {
		case "get", "set", "del", "eval", "evalsha":
			names := append(append([]string{}, r.names()...), cmd.Name())
			r.cmds.Store(&names)
		}
		return next(ctx, cmd)
	}
}

// TestExpiredByStoreClock stores an item whose header says it has expired
// while Redis still holds it (as when Redis's clock is behind the
// function's): the store must treat it as absent in every call.
func TestExpiredByStoreClock(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
	}{
		{"real clock", nil},
		{"own clock", []Option{WithClock(func() time.Time { return time.Now() })}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, p := testClient(t)
			ctx := context.Background()
			s := New(c, append(tc.opts, WithPrefix(p))...)
			stale := func(key string) string {
				t.Helper()
				packed, version := encode(time.Now().Add(-time.Second).UnixMilli(), []byte("stale"))
				require.NoError(t, c.Set(ctx, p+key, packed, time.Hour).Err())
				return version
			}

			stale("get")
			_, err := s.Get(ctx, "get")
			require.ErrorIs(t, err, state.ErrNotFound)

			v := stale("ifversion")
			_, err = s.Put(ctx, "ifversion", []byte("x"), state.PutOptions{IfVersion: v})
			var ce *state.ConflictError
			require.ErrorAs(t, err, &ce)
			require.Nil(t, ce.Current)

			v = stale("delete")
			err = s.Delete(ctx, "delete", v)
			require.ErrorAs(t, err, &ce)
			require.Nil(t, ce.Current)

			stale("ifabsent")
			nv, err := s.Put(ctx, "ifabsent", []byte("new"), state.PutOptions{IfAbsent: true, TTL: time.Minute})
			require.NoError(t, err, "an item expired by the store's clock is absent")
			it, err := s.Get(ctx, "ifabsent")
			require.NoError(t, err)
			require.Equal(t, nv, it.Version)
			require.Equal(t, "new", string(it.Value))
		})
	}
}

// lossyNet lets commands through to the server but loses the reply to the
// first command that names the marked key after arm, as a network failure
// would; it counts how often such commands were sent.
type lossyNet struct {
	mu      sync.Mutex
	marker  []byte
	sent    int
	pending bool // the next matching command loses its reply
	lose    bool // the next read fails
}

func (l *lossyNet) arm(marker string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.marker, l.sent, l.pending, l.lose = []byte(marker), 0, marker != "", false
}

func (l *lossyNet) sends() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent
}

func (l *lossyNet) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &lossyConn{Conn: c, l: l}, nil
	}
}

func (l *lossyNet) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (l *lossyNet) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

type lossyConn struct {
	net.Conn
	l *lossyNet
}

func (c *lossyConn) Write(b []byte) (int, error) {
	c.l.mu.Lock()
	if len(c.l.marker) > 0 && bytes.Contains(b, c.l.marker) {
		c.l.sent++
		c.l.lose = c.l.pending
		c.l.pending = false
	}
	c.l.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *lossyConn) Read(b []byte) (int, error) {
	c.l.mu.Lock()
	lose := c.l.lose
	c.l.lose = false
	c.l.mu.Unlock()
	if lose {
		_ = c.Conn.Close()
		return 0, io.ErrUnexpectedEOF
	}
	return c.Conn.Read(b)
}

// TestWritesSentOnce loses the reply to each kind of write: the store must
// report an error (the outcome is unknown) and must not let go-redis send
// the write again, although go-redis retries other commands on such errors.
func TestWritesSentOnce(t *testing.T) {
	var l lossyNet
	c, p := testClient(t, &l)
	ctx := context.Background()
	s := New(c, WithPrefix(p))
	tests := []struct {
		name  string
		write func(key, version string) error
	}{
		{"Put", func(k, _ string) error { _, err := s.Put(ctx, k, []byte("x"), state.PutOptions{}); return err }},
		{"Put with TTL", func(k, _ string) error {
			_, err := s.Put(ctx, k, []byte("x"), state.PutOptions{TTL: time.Minute})
			return err
		}},
		{"Put IfAbsent", func(k, _ string) error {
			_, err := s.Put(ctx, k+"/new", []byte("x"), state.PutOptions{IfAbsent: true})
			return err
		}},
		{"Put IfVersion", func(k, v string) error {
			_, err := s.Put(ctx, k, []byte("x"), state.PutOptions{IfVersion: v})
			return err
		}},
		{"Delete", func(k, _ string) error { return s.Delete(ctx, k, "") }},
		{"Delete IfVersion", func(k, v string) error { return s.Delete(ctx, k, v) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := "once/" + tc.name
			v, err := s.Put(ctx, k, []byte("before"), state.PutOptions{})
			require.NoError(t, err)
			l.arm(p + k)
			err = tc.write(k, v)
			sends := l.sends()
			l.arm("")
			require.Error(t, err, "a write whose reply was lost must fail")
			require.NotErrorIs(t, err, state.ErrConflict)
			require.Equal(t, 1, sends, "the write must be sent exactly once")
		})
	}
	// Reads may be retried: the same loss is invisible to Get.
	l.arm(p + "once/Put")
	_, err := s.Get(ctx, "once/Put")
	sends := l.sends()
	l.arm("")
	require.NoError(t, err)
	require.Equal(t, 2, sends, "go-redis resends a GET whose reply was lost")
}
