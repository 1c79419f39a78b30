package memstate_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/memstate"
)

func Example() {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	store := memstate.New(memstate.WithClock(func() time.Time { return now }))

	_, _ = store.Put(ctx, "lease", []byte("worker-1"), state.PutOptions{IfAbsent: true, TTL: time.Minute})
	_, err := store.Put(ctx, "lease", []byte("worker-2"), state.PutOptions{IfAbsent: true})
	fmt.Println("worker-2 blocked:", errors.Is(err, state.ErrConflict))

	now = now.Add(time.Minute) // the lease expires
	_, err = store.Put(ctx, "lease", []byte("worker-2"), state.PutOptions{IfAbsent: true})
	fmt.Println("worker-2 after expiry:", err)
	// Output:
	// worker-2 blocked: true
	// worker-2 after expiry: <nil>
}
