package idempotency

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/state"
)

// Guard runs work at most once per idempotency key, coordinating through a
// [state.Store]. [New] and [HTTP] build one for a single middleware; build
// one yourself to share its options and cache between the event and HTTP
// middleware ([Guard.Middleware], [Guard.HTTP]) or to guard any function
// ([Guard.Do]). A Guard is safe for concurrent use.
type Guard struct {
	store state.Store
	o     options
	cache *cache
}

// NewGuard returns a Guard on store.
func NewGuard(store state.Store, opts ...Option) *Guard {
	o := newOptions(opts)
	return &Guard{store: store, o: o, cache: newCache(o.cacheSize)}
}

// lease is one execution's ownership of a key: the store version its lease
// write returned. Every later write for the key is conditional on it, so an
// execution whose lease was taken over can never overwrite the new owner.
type lease struct {
	key     string
	version string // "" for a fail-open run without a record
	token   uint64
	hash    []byte
	until   time.Time // the lease's end, by the Guard's clock
}

// execution is a lease and the context the guarded work runs in.
type execution struct {
	lease  lease
	ctx    context.Context
	cancel context.CancelFunc
}

type tokenKey struct{}

// FencingToken returns the fencing token of the execution running in ctx:
// a number that grows each time a key's lease is taken (by the first
// execution and by every take-over of an expired lease), as long as the
// instances' clocks do not go backwards. Pass it to downstream systems that
// can reject writes carrying a token lower than one they have seen, to fence
// off an execution that outlived its lease. ok is false outside a guarded
// execution.
func FencingToken(ctx context.Context) (token uint64, ok bool) {
	t, ok := ctx.Value(tokenKey{}).(uint64)
	return t, ok
}

// deadline is when the platform stops the invocation: the earlier of the
// invocation's deadline and the context's; zero if neither is known.
func deadline(ctx context.Context) time.Time {
	d := function.FromContext(ctx).Deadline
	if cd, ok := ctx.Deadline(); ok && (d.IsZero() || cd.Before(d)) {
		d = cd
	}
	return d
}

// acquire takes the lease on key, or returns the final record that answers
// this duplicate. The execution's context ends at the invocation's deadline
// (or, without one, the fallback lease's end), so the work it runs stops
// before its lease does; work that would start with less than the minimum
// lease left (WithMinLease) is not started at all.
func (g *Guard) acquire(ctx context.Context, key string, hash []byte) (*execution, *record, error) {
	now := g.o.now()
	if r := g.cache.get(key, now); r != nil {
		if err := checkHash(key, r, hash); err != nil {
			return nil, nil, err
		}
		return nil, r, nil
	}

	dl := deadline(ctx)
	if dl.IsZero() {
		dl = now.Add(g.o.fallback)
	}
	// run is the context the guarded work runs in: it carries the fencing
	// token and ends at dl, measured from the Guard's clock.
	run := func(token uint64, now time.Time) *execution {
		ex := &execution{ctx: ctx, cancel: func() {}}
		if cd, ok := ctx.Deadline(); !ok || !g.o.realClock || cd.After(dl) {
			ex.ctx, ex.cancel = context.WithTimeout(ctx, dl.Sub(now))
		}
		if token != 0 {
			ex.ctx = context.WithValue(ex.ctx, tokenKey{}, token)
		}
		return ex
	}
	// The lease ends a margin after dl; it never has no end, even when the
	// platform is about to stop us.
	until := dl.Add(g.o.margin)
	if dl.Before(now) {
		until = now.Add(g.o.margin)
	}

	rec := &record{status: statusInProgress, token: nextToken(0, now), hash: hash, until: until}
	opts := state.PutOptions{IfAbsent: true, TTL: until.Sub(now) + g.o.expiry}
	waited := false
	for try := 0; ; try++ {
		version, err := g.store.Put(ctx, key, rec.encode(), opts)
		if err == nil {
			l := lease{key: key, version: version, token: rec.token, hash: hash, until: rec.until}
			// A slow store may answer when little or nothing of the lease
			// is left (another execution may even have taken it over):
			// starting the work then would risk running it twice.
			now = g.o.now()
			if left := dl.Sub(now); left < g.o.minLease {
				g.release(ctx, l)
				return nil, nil, function.Retryable(function.WithStatus(http.StatusServiceUnavailable,
					fmt.Errorf("idempotency: key %q: %w: %v left of the invocation after taking the lease, %v needed",
						key, ErrLeaseExpired, max(left, 0).Round(time.Millisecond), g.o.minLease)))
			}
			ex := run(rec.token, now)
			ex.lease = l
			return ex, nil, nil
		}
		var ce *state.ConflictError
		if !errors.As(err, &ce) {
			if waited && ctx.Err() != nil {
				return nil, nil, function.Retryable(fmt.Errorf("idempotency: wait for key %q: %w: %w", key, ErrInProgress, ctx.Err()))
			}
			return g.storeFailed(ctx, run, key, hash, "take the lease", err)
		}
		cur := ce.Current
		if cur == nil {
			if opts.IfVersion != "" {
				// The stale record we meant to take over changed or vanished:
				// start again from "only if absent".
				opts = state.PutOptions{IfAbsent: true, TTL: opts.TTL}
				continue
			}
			// The backend does not return the current item with a failed
			// condition: one more round trip.
			item, err := g.store.Get(ctx, key)
			if errors.Is(err, state.ErrNotFound) {
				if g.o.wait || try < g.o.maxTakeTries {
					continue // it expired or was released in between
				}
				return nil, nil, g.inProgress(key, time.Second)
			}
			if err != nil {
				return g.storeFailed(ctx, run, key, hash, "read the record", err)
			}
			cur = &item
		}
		r, err := decodeRecord(cur.Value)
		if err != nil {
			g.o.logger.ErrorContext(ctx, "idempotency: corrupt record", slog.String("key", key))
			return nil, nil, function.Retryable(function.WithStatus(http.StatusServiceUnavailable,
				fmt.Errorf("idempotency: decode record %q: %w: %w", key, ErrStore, err)))
		}
		now = g.o.now()
		expired := !r.final() && !now.Before(r.until)
		// An expired lease is taken over whatever payload its owner had:
		// that owner never finished, so there is no result to protect.
		if !expired {
			if err := checkHash(key, r, hash); err != nil {
				return nil, nil, err
			}
		}
		if r.final() {
			g.cache.put(key, r)
			return nil, r, nil
		}
		if expired {
			// The owner's lease ended (it crashed or timed out): take the
			// record over, only if it is still the same stale record.
			rec.token = nextToken(r.token, now)
			opts = state.PutOptions{IfVersion: cur.Version, TTL: opts.TTL}
			if g.o.wait || try < g.o.maxTakeTries {
				continue
			}
		}
		remaining := r.until.Sub(now)
		if !g.o.wait {
			return nil, nil, g.inProgress(key, remaining)
		}
		// Wait for the owner until our own deadline.
		left := dl.Sub(now)
		if left <= 0 {
			return nil, nil, g.inProgress(key, remaining)
		}
		pause := min(g.o.poll, left, max(remaining, time.Millisecond))
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, function.Retryable(fmt.Errorf("idempotency: wait for key %q: %w: %w", key, ErrInProgress, ctx.Err()))
		case <-t.C:
		}
		waited = true
		opts = state.PutOptions{IfAbsent: true, TTL: opts.TTL}
	}
}

// nextToken is a fencing token greater than prev and, normally, than every
// token issued before now.
func nextToken(prev uint64, now time.Time) uint64 {
	t := uint64(max(now.UnixNano(), 0))
	return max(prev+1, t)
}

func checkHash(key string, r *record, hash []byte) error {
	if len(r.hash) == 0 || len(hash) == 0 || bytes.Equal(r.hash, hash) {
		return nil
	}
	return function.Permanent(function.WithStatus(http.StatusUnprocessableEntity,
		fmt.Errorf("idempotency: key %q: %w", key, ErrPayloadMismatch)))
}

func (g *Guard) inProgress(key string, remaining time.Duration) error {
	remaining = max(remaining, time.Millisecond)
	return function.RetryAfter(function.WithStatus(http.StatusConflict,
		fmt.Errorf("idempotency: key %q: %w", key, ErrInProgress)), remaining)
}

// storeFailed fails closed (a retryable error) or, with WithFailOpen, lets
// the work run without a record.
func (g *Guard) storeFailed(ctx context.Context, run func(uint64, time.Time) *execution, key string, hash []byte, what string, err error) (*execution, *record, error) {
	if g.o.failOpen {
		g.o.logger.ErrorContext(ctx, "idempotency: store failed; running WITHOUT idempotency (fail open): duplicates of this key may run again",
			slog.String("key", key), slog.String("error", err.Error()))
		ex := run(0, g.o.now())
		ex.lease = lease{key: key, hash: hash}
		return ex, nil, nil
	}
	return nil, nil, function.Retryable(function.WithStatus(http.StatusServiceUnavailable,
		fmt.Errorf("idempotency: %s for key %q: %w: %w", what, key, ErrStore, err)))
}

// finish records the final record r for the lease. It reports ErrLeaseLost
// when another execution took the lease over; the other execution's record
// is left as it is. Other store failures are retried briefly, then logged
// and returned wrapped in ErrStore.
func (g *Guard) finish(ctx context.Context, l lease, r *record) error {
	if l.version == "" {
		return nil
	}
	r.token, r.hash = l.token, l.hash
	r.until = g.o.now().Add(g.o.expiry)
	value := r.encode()
	if len(value) > state.MaxValueSize {
		g.o.logger.WarnContext(ctx, "idempotency: result too large to record; duplicates get it without its body",
			slog.String("key", l.key), slog.Int("size", len(value)))
		r.reply, r.body, r.message = nil, nil, truncate(r.message, 1024)
		r.flags |= flagTruncated
		value = r.encode()
	}
	// The first try runs in the invocation's context, the retries in one
	// that outlives it (writeContext), made only when needed.
	wctx, cancel := ctx, context.CancelFunc(func() {})
	defer func() { cancel() }()
	var err error
	ambiguous := false // an earlier try failed without saying whether it wrote
	for try := 0; ; try++ {
		if (try > 0 || ctx.Err() != nil) && wctx == ctx {
			wctx, cancel = g.writeContext(ctx, l)
		}
		if try > 0 && !backoff(wctx, try) {
			break
		}
		_, err = g.store.Put(wctx, l.key, value, state.PutOptions{IfVersion: l.version, TTL: g.o.expiry})
		if err == nil {
			g.cache.put(l.key, r)
			return nil
		}
		var ce *state.ConflictError
		if errors.As(err, &ce) && ambiguous && g.ours(wctx, l, ce) {
			// The earlier try did write; its reply was lost.
			g.cache.put(l.key, r)
			return nil
		}
		if errors.Is(err, state.ErrInvalid) {
			break
		}
		if !errors.Is(err, state.ErrConflict) {
			ambiguous = true
		} else {
			g.o.logger.ErrorContext(ctx, "idempotency: lease was taken over by another execution; result NOT recorded (fencing)",
				slog.String("key", l.key), slog.Uint64("token", l.token))
			return function.Retryable(fmt.Errorf("idempotency: complete key %q: %w", l.key, ErrLeaseLost))
		}
	}
	g.o.logger.ErrorContext(ctx, "idempotency: could not record the result; a duplicate arriving after the lease ends will run again",
		slog.String("key", l.key), slog.String("error", err.Error()))
	return fmt.Errorf("idempotency: complete key %q: %w: %w", l.key, ErrStore, err)
}

// writeContext is the context of the writes that end a lease: not cancelled
// with the invocation's, and lasting while the lease holds (at least the
// write timeout, at most 30 s), because a result recorded late still beats
// one not recorded, which a later duplicate would run again.
func (g *Guard) writeContext(ctx context.Context, l lease) (context.Context, context.CancelFunc) {
	d := min(max(l.until.Sub(g.o.now()), g.o.writeTimeout), 30*time.Second)
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

// backoff waits before try number try (1, 2, ...) of a write, doubling from
// 25 ms up to a second; it reports false when ctx ends first.
func backoff(ctx context.Context, try int) bool {
	d := min(25*time.Millisecond<<min(try-1, 6), time.Second)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// ours reports whether the record that failed a completion's condition is
// the one this lease's own earlier, seemingly failed, try wrote.
func (g *Guard) ours(ctx context.Context, l lease, ce *state.ConflictError) bool {
	cur := ce.Current
	if cur == nil {
		item, err := g.store.Get(ctx, l.key)
		if err != nil {
			return false
		}
		cur = &item
	}
	r, err := decodeRecord(cur.Value)
	return err == nil && r.final() && r.token == l.token
}

// release removes the lease's record so a retry runs again. A record owned
// by another execution is left alone.
func (g *Guard) release(ctx context.Context, l lease) {
	if l.version == "" {
		return
	}
	wctx, cancel := ctx, context.CancelFunc(func() {})
	defer func() { cancel() }()
	var err error
	ambiguous := false
	for try := 0; ; try++ {
		if (try > 0 || ctx.Err() != nil) && wctx == ctx {
			wctx, cancel = g.writeContext(ctx, l)
		}
		if try > 0 && !backoff(wctx, try) {
			break
		}
		err = g.store.Delete(wctx, l.key, l.version)
		if err == nil {
			return
		}
		var ce *state.ConflictError
		if ambiguous && errors.As(err, &ce) && ce.Current == nil {
			return // the earlier try deleted it; its reply was lost
		}
		if errors.Is(err, state.ErrInvalid) {
			break
		}
		if !errors.Is(err, state.ErrConflict) {
			ambiguous = true
		} else {
			g.o.logger.WarnContext(ctx, "idempotency: lease was taken over by another execution; its record left alone (fencing)",
				slog.String("key", l.key), slog.Uint64("token", l.token))
			return
		}
	}
	g.o.logger.ErrorContext(ctx, "idempotency: could not release the record; retries get ErrInProgress until the lease ends",
		slog.String("key", l.key), slog.String("error", err.Error()))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Do runs fn at most once for key and returns its result; a duplicate gets
// the first result back without running fn (like Powertools'
// idempotent_function). payload is validated as for events (see
// [WithPayloadFields]); pass nil to validate nothing. fn's error removes the
// record so a retry runs again (or, with [WithPermanentFailures] and a
// permanent error, is replayed). Errors are those of the middleware:
// [ErrInProgress], [ErrPayloadMismatch], [ErrStore], [ErrLeaseLost].
func (g *Guard) Do(ctx context.Context, key string, payload []byte, fn func(ctx context.Context) ([]byte, error)) ([]byte, error) {
	if g.o.disabled {
		return fn(ctx)
	}
	if key == "" {
		if g.o.requireKey {
			return nil, function.Permanent(function.WithStatus(http.StatusBadRequest, ErrMissingKey))
		}
		return fn(ctx)
	}
	var hash []byte
	if payload != nil {
		hash = g.o.payloadHash(payload)
	}
	skey := g.o.storeKey(ctx, appendPart([]byte("do"), key))
	ex, final, err := g.acquire(ctx, skey, hash)
	if err != nil {
		return nil, err
	}
	if final != nil {
		return replayBytes(skey, final)
	}
	defer ex.cancel()
	var out []byte
	func() {
		defer g.releaseOnPanic(ctx, ex.lease)
		out, err = fn(ex.ctx)
	}()
	if err != nil {
		g.failed(ctx, ex.lease, kindBytes, err)
		return nil, err
	}
	if err := g.finish(ctx, ex.lease, &record{status: statusCompleted, kind: kindBytes, reply: out}); errors.Is(err, ErrLeaseLost) {
		return nil, err
	}
	return out, nil
}

func replayBytes(key string, r *record) ([]byte, error) {
	switch {
	case r.status == statusFailed:
		return nil, function.Permanent(&ReplayedError{Message: r.message, Status: r.code})
	case r.kind != kindBytes:
		return nil, kindMismatch(key)
	}
	return bytes.Clone(r.reply), nil
}

func kindMismatch(key string) error {
	return function.Permanent(fmt.Errorf("idempotency: key %q holds a record of another kind of handler; give each handler its own key prefix", key))
}

// failed handles an error of the guarded work: a permanent one is recorded
// when WithPermanentFailures is set, anything else releases the record.
func (g *Guard) failed(ctx context.Context, l lease, k kind, err error) {
	if g.o.permanent && function.IsPermanent(err) {
		_ = g.finish(ctx, l, &record{status: statusFailed, kind: k, code: function.HTTPStatus(err), message: err.Error()})
		return
	}
	g.release(ctx, l)
}

// releaseOnPanic, deferred around the guarded work, releases the record
// when the work panics and lets the panic go on.
func (g *Guard) releaseOnPanic(ctx context.Context, l lease) {
	if p := recover(); p != nil {
		g.release(ctx, l)
		panic(p)
	}
}
