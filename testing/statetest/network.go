package statetest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/state"
)

// Network is a faulty network between a store's client and its server: a
// TCP proxy the backend's test starts (toxiproxy, in-process, in the
// backends' own tests) and [CheckNetwork] drives.
type Network interface {
	// Delay delays everything the server sends back by d.
	Delay(t testing.TB, d time.Duration)
	// Reset resets every connection as soon as data flows through it.
	Reset(t testing.TB)
	// Heal removes delays and resets.
	Heal()
	// Down closes every connection and refuses new ones, as if the server
	// went away; Up accepts connections again, on the same address.
	Down()
	Up(t testing.TB)
}

// CheckNetwork checks that st, a store whose client connects through p,
// behaves under latency, connection resets and outages: calls fail with
// errors, never with a wrong success or a silently lost write, a context's
// deadline ends a call already waiting for the server, and the store
// recovers when the network does. Clients should fail fast (timeouts
// around a second, few retries) so the checks stay quick.
func CheckNetwork(t *testing.T, st state.Store, p Network) {
	t.Helper()
	k := "statetest-network/" + strconv.FormatInt(time.Now().UnixNano(), 36) + "/"
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
		p.Delay(t, 700*time.Millisecond)
		errorsOnly(t, 200*time.Millisecond, context.DeadlineExceeded)

		// A context cancelled while the call waits ends it with an error
		// that says so.
		cctx, cancel := context.WithCancel(ctx)
		timer := time.AfterFunc(100*time.Millisecond, cancel)
		_, err := st.Get(cctx, k+"base")
		timer.Stop()
		cancel()
		require.ErrorIs(t, err, context.Canceled)

		p.Heal()
		recovered(t)
		it, err := st.Get(ctx, k+"base")
		require.NoError(t, err)
		require.Equal(t, base, it.Version, "a timed-out call must not change other items")
	})
	t.Run("connection reset", func(t *testing.T) {
		p.Reset(t)
		errorsOnly(t, time.Second, nil)
		p.Heal()
		recovered(t)
	})
	t.Run("outage", func(t *testing.T) {
		p.Down()
		errorsOnly(t, time.Second, nil)
		p.Up(t)
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
func noLostWrites(t *testing.T, st state.Store, p Network, key string) {
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
			p.Down()
		} else {
			p.Up(t)
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
