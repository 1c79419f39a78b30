// Package proxytest puts a toxiproxy (github.com/Shopify/toxiproxy/v2,
// in-process, on loopback) between a store and its server, and checks that a
// state.Store behaves under latency, connection resets and outages: calls
// fail with errors, never with a wrong success or a silently lost write, and
// the store recovers when the network does.
package proxytest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/state"
)

// Proxy is a TCP proxy in front of one upstream server.
type Proxy struct {
	p *toxiproxy.Proxy
	// Addr is the host:port clients dial instead of the upstream.
	Addr string
}

// Start starts a proxy on 127.0.0.1 in front of upstream (host:port) and
// stops it when the test ends.
func Start(t testing.TB, upstream string) *Proxy {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, strings.ReplaceAll(t.Name(), "/", "_"), "127.0.0.1:0", upstream)
	require.NoError(t, p.Start(), "start toxiproxy in front of %s", upstream)
	t.Cleanup(p.Stop)
	return &Proxy{p: p, Addr: p.Listen}
}

// Disable closes every connection through the proxy and refuses new ones,
// as if the server went away.
func (p *Proxy) Disable() { p.p.Stop() }

// Enable accepts connections again, on the same address.
func (p *Proxy) Enable(t testing.TB) {
	t.Helper()
	require.NoError(t, p.p.Start(), "restart toxiproxy")
}

// Toxic adds a toxic (see toxiproxy's README for types and attributes),
// downstream, to every connection.
func (p *Proxy) Toxic(t testing.TB, name, typ string, attrs map[string]int64) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `{"name":%q,"type":%q,"stream":"downstream","toxicity":1,"attributes":{`, name, typ)
	first := true
	for k, v := range attrs {
		if !first {
			b.WriteString(",")
		}
		first = false
		fmt.Fprintf(&b, "%q:%d", k, v)
	}
	b.WriteString("}}")
	_, err := p.p.Toxics.AddToxicJson(strings.NewReader(b.String()))
	require.NoError(t, err, "add toxic %s", name)
}

// RemoveToxics removes every toxic.
func (p *Proxy) RemoveToxics() { p.p.Toxics.ResetToxics(context.Background()) }

// Check runs the reliability checks on st, a store whose client connects
// through p. Clients should fail fast (timeouts around a second, few
// retries) so the checks stay quick.
func Check(t *testing.T, st state.Store, p *Proxy) {
	t.Helper()
	k := "proxytest/" + strconv.FormatInt(time.Now().UnixNano(), 36) + "/"
	ctx := context.Background()

	// errorsOnly runs every kind of call and requires each to fail with an
	// error that is neither a miss nor a conflict: a store that cannot reach
	// its server must not answer as if it had.
	errorsOnly := func(t *testing.T, timeout time.Duration, want error) {
		t.Helper()
		calls := []struct {
			name string
			call func(ctx context.Context) error
		}{
			{"Get", func(ctx context.Context) error { _, err := st.Get(ctx, k+"base"); return err }},
			{"Get missing", func(ctx context.Context) error { _, err := st.Get(ctx, k+"missing"); return err }},
			{"Put IfAbsent", func(ctx context.Context) error {
				_, err := st.Put(ctx, k+"new", []byte("x"), state.PutOptions{IfAbsent: true})
				return err
			}},
			{"Delete", func(ctx context.Context) error { return st.Delete(ctx, k+"other", "") }},
		}
		for _, c := range calls {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			err := c.call(cctx)
			cancel()
			require.Error(t, err, "%s must fail while the server is unreachable", c.name)
			assert.NotErrorIs(t, err, state.ErrNotFound, c.name)
			assert.NotErrorIs(t, err, state.ErrConflict, c.name)
			if want != nil {
				assert.ErrorIs(t, err, want, c.name)
			}
		}
	}
	recovered := func(t *testing.T) {
		t.Helper()
		// A pooled connection broken by the outage may fail the first call
		// or two; after that the store must work again.
		var err error
		for range 20 {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err = st.Get(cctx, k+"base")
			cancel()
			if err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		require.NoError(t, err, "the store must recover once the network does")
		v, err := st.Put(ctx, k+"after", []byte("ok"), state.PutOptions{})
		require.NoError(t, err)
		it, err := st.Get(ctx, k+"after")
		require.NoError(t, err)
		require.Equal(t, v, it.Version)
	}

	base, err := st.Put(ctx, k+"base", []byte("base"), state.PutOptions{})
	require.NoError(t, err, "put through the proxy")

	t.Run("latency beyond the deadline", func(t *testing.T) {
		p.Toxic(t, "slow", "latency", map[string]int64{"latency": 700})
		errorsOnly(t, 200*time.Millisecond, context.DeadlineExceeded)

		// A context cancelled while the call waits ends it with an error
		// that says so.
		cctx, cancel := context.WithCancel(ctx)
		timer := time.AfterFunc(100*time.Millisecond, cancel)
		_, err := st.Get(cctx, k+"base")
		timer.Stop()
		cancel()
		require.ErrorIs(t, err, context.Canceled)

		p.RemoveToxics()
		recovered(t)
		it, err := st.Get(ctx, k+"base")
		require.NoError(t, err)
		require.Equal(t, base, it.Version, "a timed-out call must not change other items")
	})
	t.Run("connection reset", func(t *testing.T) {
		p.Toxic(t, "reset", "reset_peer", map[string]int64{"timeout": 0})
		errorsOnly(t, time.Second, nil)
		p.RemoveToxics()
		recovered(t)
	})
	t.Run("outage", func(t *testing.T) {
		p.Disable()
		errorsOnly(t, time.Second, nil)
		p.Enable(t)
		recovered(t)
	})
	t.Run("no acknowledged write lost", func(t *testing.T) {
		noLostWrites(t, st, p, k+"counter")
	})
}

// noLostWrites increments a counter with compare-and-set from several
// goroutines while the network fails now and then. Every acknowledged
// increment must be in the final count; a failed write may or may not have
// happened (the reply was lost), so the count may exceed the acknowledged
// ones by at most the number of failed writes.
func noLostWrites(t *testing.T, st state.Store, p *Proxy, key string) {
	t.Helper()
	ctx := context.Background()
	_, err := st.Put(ctx, key, []byte("0"), state.PutOptions{})
	require.NoError(t, err)

	var acked, ambiguous atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				it, err := st.Get(cctx, key)
				if err != nil {
					cancel()
					time.Sleep(10 * time.Millisecond)
					continue
				}
				n, err := strconv.Atoi(string(it.Value))
				if err != nil {
					cancel()
					t.Errorf("counter holds %q: %v", it.Value, err)
					return
				}
				_, err = st.Put(cctx, key, []byte(strconv.Itoa(n+1)), state.PutOptions{IfVersion: it.Version})
				cancel()
				switch {
				case err == nil:
					acked.Add(1)
				case errors.Is(err, state.ErrConflict):
				default:
					ambiguous.Add(1)
				}
			}
		}()
	}
	for i := range 6 {
		time.Sleep(150 * time.Millisecond)
		if i%2 == 0 {
			p.Disable()
		} else {
			p.Enable(t)
		}
	}
	time.Sleep(300 * time.Millisecond) // up again: some writes succeed
	close(stop)
	wg.Wait()

	var it state.Item
	for range 20 {
		it, err = st.Get(ctx, key)
		if err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.NoError(t, err)
	n, err := strconv.Atoi(string(it.Value))
	require.NoError(t, err)
	t.Logf("acknowledged %d, failed %d, final %d", acked.Load(), ambiguous.Load(), n)
	require.Positive(t, acked.Load(), "some writes must succeed while the network is up")
	require.GreaterOrEqual(t, int64(n), acked.Load(), "an acknowledged write was lost")
	require.LessOrEqual(t, int64(n), acked.Load()+ambiguous.Load(), "more increments than writes")
}
