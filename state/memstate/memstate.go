// Package memstate is an in-memory [state.Store]: the embedded default for a
// single instance and the fake for unit tests. It is safe for concurrent use
// and honours TTLs; an injectable clock ([WithClock]) makes expiry testable
// without sleeping.
//
// Typical use:
//
//	store := memstate.New()
//	v, err := store.Put(ctx, "job/42", []byte("running"), state.PutOptions{IfAbsent: true, TTL: time.Minute})
//	if errors.Is(err, state.ErrConflict) {
//		// someone else holds job/42
//	}
//	_ = store.Delete(ctx, "job/42", v)
//
// State kept here is lost when the process exits and is not shared between
// instances; use state/redisstate, state/dynamostate or state/pgstate for
// state that must survive both.
package memstate

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/faasport/faasport/state"
)

// Store is an in-memory state.Store. Create it with [New]; the zero value is
// not usable.
type Store struct {
	now func() time.Time

	mu      sync.Mutex
	items   map[string]entry
	version uint64
	writes  int // since the last sweep of expired items
}

type entry struct {
	value     []byte
	version   string
	expiresAt time.Time // zero: never
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock that decides expiry (default time.Now). Tests pass
// a fake clock to expire items without sleeping.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// New returns an empty in-memory store.
func New(opts ...Option) *Store {
	s := &Store{now: time.Now, items: make(map[string]entry)}
	for _, o := range opts {
		o(s)
	}
	return s
}

var _ state.Store = (*Store)(nil)

// sweepEvery is the least number of writes between sweeps of expired items,
// so memory held by expired keys that are never read again stays bounded.
// Sweeps also wait for as many writes as there are items, which keeps their
// cost per write constant however large the store grows.
const sweepEvery = 1024

// live returns the unexpired entry at key. The caller holds s.mu.
func (s *Store) live(key string, now time.Time) (entry, bool) {
	e, ok := s.items[key]
	if !ok {
		return entry{}, false
	}
	if !e.expiresAt.IsZero() && !now.Before(e.expiresAt) {
		delete(s.items, key)
		return entry{}, false
	}
	return e, true
}

func (e entry) item() *state.Item {
	return &state.Item{Value: clone(e.value), Version: e.version, ExpiresAt: e.expiresAt}
}

// Get returns the item at key, or state.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (state.Item, error) {
	if err := state.CheckCall(ctx, key); err != nil {
		return state.Item{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(key, s.now())
	if !ok {
		return state.Item{}, state.ErrNotFound
	}
	return *e.item(), nil
}

// Put writes value at key if the conditions in o hold, else it returns a
// *state.ConflictError whose Current is the item that made it fail (nil when
// the key was absent). It returns the new version.
func (s *Store) Put(ctx context.Context, key string, value []byte, o state.PutOptions) (string, error) {
	if err := state.CheckPut(ctx, key, value, o); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	cur, ok := s.live(key, now)
	switch {
	case o.IfAbsent && ok:
		return "", &state.ConflictError{Key: key, Current: cur.item()}
	case o.IfVersion != "" && !ok:
		return "", &state.ConflictError{Key: key}
	case o.IfVersion != "" && cur.version != o.IfVersion:
		return "", &state.ConflictError{Key: key, Current: cur.item()}
	}
	s.version++
	e := entry{value: clone(value), version: strconv.FormatUint(s.version, 36)}
	if o.TTL > 0 {
		e.expiresAt = now.Add(o.TTL)
	}
	s.items[key] = e
	s.writes++
	if s.writes >= sweepEvery && s.writes >= len(s.items) {
		s.sweep(now)
	}
	return e.version, nil
}

// Delete removes key; with a non-empty ifVersion only if the current version
// equals it, else it returns a *state.ConflictError.
func (s *Store) Delete(ctx context.Context, key string, ifVersion string) error {
	if err := state.CheckCall(ctx, key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.live(key, s.now())
	if ifVersion != "" {
		if !ok {
			return &state.ConflictError{Key: key}
		}
		if cur.version != ifVersion {
			return &state.ConflictError{Key: key, Current: cur.item()}
		}
	}
	delete(s.items, key)
	return nil
}

// Len returns the number of unexpired items, for tests and metrics.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(s.now())
	return len(s.items)
}

// sweep drops expired items. The caller holds s.mu.
func (s *Store) sweep(now time.Time) {
	s.writes = 0
	for k, e := range s.items {
		if !e.expiresAt.IsZero() && !now.Before(e.expiresAt) {
			delete(s.items, k)
		}
	}
}

func clone(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return append([]byte{}, b...)
}
