package idempotency

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/state"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// countingStore counts round trips to the store it wraps.
type countingStore struct {
	state.Store
	gets, puts, deletes atomic.Int64
}

func (s *countingStore) Get(ctx context.Context, key string) (state.Item, error) {
	s.gets.Add(1)
	return s.Store.Get(ctx, key)
}

func (s *countingStore) Put(ctx context.Context, key string, value []byte, o state.PutOptions) (string, error) {
	s.puts.Add(1)
	return s.Store.Put(ctx, key, value, o)
}

func (s *countingStore) Delete(ctx context.Context, key string, ifVersion string) error {
	s.deletes.Add(1)
	return s.Store.Delete(ctx, key, ifVersion)
}

func (s *countingStore) total() int64 { return s.gets.Load() + s.puts.Load() + s.deletes.Load() }

func (s *countingStore) reset() {
	s.gets.Store(0)
	s.puts.Store(0)
	s.deletes.Store(0)
}

// noCurrentStore hides ConflictError.Current, like a backend that cannot
// return the current item with a failed condition.
type noCurrentStore struct{ state.Store }

func (s noCurrentStore) Put(ctx context.Context, key string, value []byte, o state.PutOptions) (string, error) {
	v, err := s.Store.Put(ctx, key, value, o)
	var ce *state.ConflictError
	if errors.As(err, &ce) {
		return "", &state.ConflictError{Key: ce.Key}
	}
	return v, err
}

// slowLeaseStore answers IfAbsent writes latency late, by the fake clock:
// the write is applied at once, its answer arrives later.
type slowLeaseStore struct {
	state.Store
	clk     *clock
	latency time.Duration
}

func (s *slowLeaseStore) Put(ctx context.Context, key string, value []byte, o state.PutOptions) (string, error) {
	v, err := s.Store.Put(ctx, key, value, o)
	if o.IfAbsent {
		s.clk.Add(s.latency)
	}
	return v, err
}

// failingStore fails every call while down is set.
type failingStore struct {
	state.Store
	down atomic.Bool
}

var errDown = errors.New("connection refused")

func (s *failingStore) Get(ctx context.Context, key string) (state.Item, error) {
	if s.down.Load() {
		return state.Item{}, errDown
	}
	return s.Store.Get(ctx, key)
}

func (s *failingStore) Put(ctx context.Context, key string, value []byte, o state.PutOptions) (string, error) {
	if s.down.Load() {
		return "", errDown
	}
	return s.Store.Put(ctx, key, value, o)
}

func (s *failingStore) Delete(ctx context.Context, key string, ifVersion string) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.Delete(ctx, key, ifVersion)
}

// newEvent returns an event with a JSON data payload.
func newEvent(t testing.TB, source, id string, data any) event.Event {
	t.Helper()
	e := event.New()
	e.SetID(id)
	e.SetSource(source)
	e.SetType("com.example.order.created")
	require.NoError(t, e.SetData(event.ApplicationJSON, data))
	return e
}

// echo is a handler that counts its runs and replies with the event's data.
type echo struct {
	runs atomic.Int64
	err  error
}

func (h *echo) Handle(_ context.Context, e event.Event) (*event.Event, error) {
	n := h.runs.Add(1)
	if h.err != nil {
		return nil, h.err
	}
	r := event.New()
	r.SetID(e.ID() + ".reply")
	r.SetSource("test/echo")
	r.SetType("com.example.reply")
	r.SetExtension("run", int32(n))
	_ = r.SetData(event.ApplicationJSON, map[string]any{"echo": string(e.Data())})
	return &r, nil
}

// invocation returns a context carrying an invocation of function fn with
// the given deadline.
func invocation(fn string, deadline time.Time) context.Context {
	return function.NewContext(context.Background(), &function.Invocation{FunctionName: fn, Deadline: deadline})
}

// recordAt returns the record at key in store, decoded, and its item.
func recordAt(t *testing.T, store state.Store, key string) (*record, state.Item) {
	t.Helper()
	item, err := store.Get(context.Background(), key)
	require.NoError(t, err)
	r, err := decodeRecord(item.Value)
	require.NoError(t, err)
	return r, item
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// quiet is a logger for tests that provoke loud logs on purpose.
func quiet() Option { return WithLogger(discardLogger()) }
