package memstate_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/testing/statetest"
)

func TestConformance(t *testing.T) {
	shared := memstate.New()
	statetest.Run(t, func(t *testing.T) state.Store { return shared }, statetest.RequireCurrent())
}

func TestConformanceFreshStores(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store { return memstate.New() }, statetest.RequireCurrent(), statetest.SkipTTL())
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestWithClock(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := memstate.New(memstate.WithClock(clock.Now))

	v, err := s.Put(ctx, "lease", []byte("mine"), state.PutOptions{TTL: time.Minute})
	require.NoError(t, err)
	it, err := s.Get(ctx, "lease")
	require.NoError(t, err)
	require.Equal(t, clock.Now().Add(time.Minute), it.ExpiresAt)

	tests := []struct {
		name    string
		advance time.Duration
		found   bool
	}{
		{"just before expiry", time.Minute - time.Nanosecond, true},
		{"at expiry", time.Nanosecond, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock.Advance(tc.advance)
			_, err := s.Get(ctx, "lease")
			if tc.found {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, state.ErrNotFound)
			}
		})
	}
	_, err = s.Put(ctx, "lease", []byte("late"), state.PutOptions{IfVersion: v})
	var ce *state.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Nil(t, ce.Current, "an expired item is never reported as current")
	_, err = s.Put(ctx, "lease", []byte("next"), state.PutOptions{IfAbsent: true})
	require.NoError(t, err)
}

func TestSweepBoundsMemory(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Unix(0, 0)}
	s := memstate.New(memstate.WithClock(clock.Now))
	for i := range 5000 {
		_, err := s.Put(ctx, "k"+string(rune('a'+i%26))+time.Duration(i).String(), []byte("v"), state.PutOptions{TTL: time.Second})
		require.NoError(t, err)
	}
	require.Equal(t, 5000, s.Len())
	clock.Advance(time.Second)
	require.Zero(t, s.Len())
}
