package middleware_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// testEvent returns a valid CloudEvent with the given id.
func testEvent(t testing.TB, id string) event.Event {
	t.Helper()
	e := event.New()
	e.SetID(id)
	e.SetType("com.example.order.created")
	e.SetSource("/orders")
	return e
}

// withInvocation returns a context carrying inv.
func withInvocation(inv function.Invocation) context.Context {
	return function.NewContext(context.Background(), &inv)
}

// fakeClock is a Clock whose time moves only when the code under test sleeps
// or the test advances it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
	ends   []time.Time // when each sleep ended
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	c.ends = append(c.ends, c.now)
	return nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// countingHandler fails with errs[i] on call i (nil once errs runs out),
// advancing clock by took per call when clock is set.
type countingHandler struct {
	mu    sync.Mutex
	calls int
	errs  []error
	clock *fakeClock
	took  time.Duration
	seen  func(ctx context.Context)
}

func (h *countingHandler) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	h.mu.Lock()
	i := h.calls
	h.calls++
	h.mu.Unlock()
	if h.seen != nil {
		h.seen(ctx)
	}
	if h.clock != nil {
		h.clock.advance(h.took)
	}
	if i < len(h.errs) {
		return nil, h.errs[i]
	}
	return nil, nil
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
