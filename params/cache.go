package params

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"
)

// Default settings of a [Cache].
const (
	DefaultTTL          = 5 * time.Minute
	DefaultStaleIfError = 15 * time.Minute
	DefaultErrorBackoff = 2 * time.Second
	DefaultFetchTimeout = 10 * time.Second
)

// Option configures a [Cache].
type Option func(*options)

type options struct {
	ttl          time.Duration
	staleIfError time.Duration
	errorBackoff time.Duration
	fetchTimeout time.Duration
	now          func() time.Time
}

// WithTTL sets how long a fetched value is served before the next Get
// fetches it again ([DefaultTTL] by default). A rotated secret reaches the
// function within one TTL. A TTL of 0 fetches on every Get (concurrent Gets
// still share one call); a negative TTL never fetches again.
func WithTTL(d time.Duration) Option { return func(o *options) { o.ttl = d } }

// WithStaleIfError sets how long after its TTL ends a value may still be
// served when the provider fails to refresh it ([DefaultStaleIfError] by
// default). Past that bound Get returns the provider's error. 0 never serves
// a stale value.
func WithStaleIfError(d time.Duration) Option { return func(o *options) { o.staleIfError = d } }

// WithErrorBackoff sets how long after a failed fetch the provider is left
// alone ([DefaultErrorBackoff] by default): meanwhile Get answers with the
// stale value, or with the same error, without a call. It keeps a throttled
// or failing store from being hammered by every invocation.
func WithErrorBackoff(d time.Duration) Option { return func(o *options) { o.errorBackoff = d } }

// WithFetchTimeout bounds one provider call ([DefaultFetchTimeout] by
// default). A fetch does not end when the caller that started it gives up:
// others may be waiting for it.
func WithFetchTimeout(d time.Duration) Option { return func(o *options) { o.fetchTimeout = d } }

// WithClock replaces time.Now, for tests that move time instead of
// sleeping.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Value is a fetched value with what the store said about it.
type Value struct {
	// Secret is the value.
	Secret Secret
	// Version is the version the store served: an SSM parameter version, a
	// Secrets Manager VersionId, a Secret Manager version number, a Key
	// Vault version id; "" for stores without versions.
	Version string
	// Stale is true when the TTL has passed and the provider failed to
	// refresh the value, so the last good one is served (see
	// [WithStaleIfError]).
	Stale bool
}

// Cache serves values from a [Provider], caching each for a TTL. Build it
// with [New] once per process (a package-level variable set in main, or a
// field of the handler) and share it: it is safe for concurrent use, and a
// cached Get is a map lookup with no allocation.
//
// Entries are kept per [Ref] for the life of the Cache; use a bounded set of
// names.
type Cache struct {
	p Provider
	o options

	// entries is copied on write: reads are one atomic load and a map
	// lookup, with no lock shared between cores.
	entries atomic.Pointer[map[Ref]*entry]
	mu      sync.Mutex // serializes writers of entries
}

type entry struct {
	snap atomic.Pointer[snapshot]

	mu     sync.Mutex
	flight *flight
}

// snapshot is an entry's state between fetches; it is replaced, never
// changed.
type snapshot struct {
	val        Value
	has        bool      // val holds a fetched value
	expires    time.Time // end of the TTL
	staleUntil time.Time // last moment val may be served after a failure
	err        error     // the last fetch's error, nil after a success
	retryAt    time.Time // after an error: no call before this
}

type flight struct {
	done chan struct{}
	val  Value
	err  error
}

// New returns a Cache over p.
func New(p Provider, opts ...Option) *Cache {
	o := options{
		ttl:          DefaultTTL,
		staleIfError: DefaultStaleIfError,
		errorBackoff: DefaultErrorBackoff,
		fetchTimeout: DefaultFetchTimeout,
		now:          time.Now,
	}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Cache{p: p, o: o}
	m := make(map[Ref]*entry)
	c.entries.Store(&m)
	return c
}

// Get returns the current value of the named parameter or secret.
func (c *Cache) Get(ctx context.Context, name string) (Secret, error) {
	v, err := c.Value(ctx, Ref{Name: name})
	return v.Secret, err
}

// Value returns the value ref names, with its version. A value within its
// TTL is served from memory. Otherwise one provider call is made for all
// concurrent callers; each waits for it or for its own ctx. If the call
// fails and a value fetched earlier is still within [WithStaleIfError], that
// value is returned with Stale set and no error.
func (c *Cache) Value(ctx context.Context, ref Ref) (Value, error) {
	e := c.entry(ref)
	if s := e.snap.Load(); s != nil {
		if v, err, ok := c.answer(s, c.o.now()); ok {
			return v, err
		}
	}
	return c.fetch(ctx, ref, e)
}

// answer returns what s says without a provider call, if it says anything.
func (c *Cache) answer(s *snapshot, now time.Time) (Value, error, bool) {
	if s.err == nil {
		if s.has && (c.o.ttl < 0 || now.Before(s.expires)) {
			return s.val, nil, true
		}
		return Value{}, nil, false
	}
	if now.Before(s.retryAt) {
		if s.has && now.Before(s.staleUntil) {
			v := s.val
			v.Stale = true
			return v, nil, true
		}
		return Value{}, s.err, true
	}
	return Value{}, nil, false
}

// Invalidate drops the cached value of ref, so the next Get fetches it.
// Call it when a value is known to be wrong (a database refused the
// password: it may have been rotated).
func (c *Cache) Invalidate(ref Ref) {
	if e := (*c.entries.Load())[ref]; e != nil {
		e.snap.Store(nil)
	}
}

func (c *Cache) entry(ref Ref) *entry {
	if e := (*c.entries.Load())[ref]; e != nil {
		return e
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := *c.entries.Load()
	if e := old[ref]; e != nil {
		return e
	}
	m := make(map[Ref]*entry, len(old)+1)
	maps.Copy(m, old)
	e := &entry{}
	m[ref] = e
	c.entries.Store(&m)
	return e
}

func (c *Cache) fetch(ctx context.Context, ref Ref, e *entry) (Value, error) {
	e.mu.Lock()
	// A flight may have finished between the caller's look and the lock.
	if s := e.snap.Load(); s != nil {
		if v, err, ok := c.answer(s, c.o.now()); ok {
			e.mu.Unlock()
			return v, err
		}
	}
	f := e.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		e.flight = f
		// The fetch runs on its own goroutine with a context that the
		// starting caller's cancellation does not end: others wait for it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.fetchTimeout)
		go func() {
			defer cancel()
			c.run(fctx, ref, e, f)
		}()
	}
	e.mu.Unlock()
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		return Value{}, fmt.Errorf("params: wait for %s: %w", ref, ctx.Err())
	}
}

func (c *Cache) run(ctx context.Context, ref Ref, e *entry, f *flight) {
	defer func() {
		if p := recover(); p != nil {
			c.finish(ref, e, f, "", "", fmt.Errorf("provider panicked: %v", p))
		}
	}()
	v, ver, err := c.p.Fetch(ctx, ref)
	c.finish(ref, e, f, v, ver, err)
}

func (c *Cache) finish(ref Ref, e *entry, f *flight, v, ver string, err error) {
	now := c.o.now()
	var s snapshot
	if err == nil {
		s = snapshot{
			val:     Value{Secret: NewSecret(v), Version: ver},
			has:     true,
			expires: now.Add(c.o.ttl),
		}
		s.staleUntil = s.expires.Add(c.o.staleIfError)
		f.val = s.val
	} else {
		if prev := e.snap.Load(); prev != nil && prev.has {
			s = *prev
		}
		s.err = fmt.Errorf("params: fetch %s: %w", ref, err)
		s.retryAt = now.Add(c.o.errorBackoff)
		if s.has && now.Before(s.staleUntil) {
			f.val = s.val
			f.val.Stale = true
		} else {
			f.err = s.err
		}
	}
	e.snap.Store(&s)
	e.mu.Lock()
	e.flight = nil
	e.mu.Unlock()
	close(f.done)
}
