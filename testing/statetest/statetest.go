// Package statetest is the conformance suite every [state.Store] backend
// runs: a backend is done when it passes it. It checks plain reads and
// writes, both write conditions, conditional deletes, TTL expiry, the
// ConflictError it returns, compare-and-set from many goroutines, binary
// values, unicode and maximum-length keys, input limits and context
// cancellation.
//
// Typical use, in the backend's own tests:
//
//	func TestConformance(t *testing.T) {
//		statetest.Run(t, func(t *testing.T) state.Store {
//			return mystore.New(newClient(t))
//		})
//	}
//
// newStore is called once per subtest and may return a fresh store or the
// same one: the suite gives every subtest keys of its own, so a store shared
// with other tests (or other packages running in parallel against the same
// server) is fine. The TTL subtests sleep for real, a little longer than the
// TTL (one second unless [WithTTL]), in parallel, so the suite needs no clock
// hook in the backend. [Benchmark] measures a backend the same way for all.
//
// Neighbours: state (the contract), state/memstate (the reference backend).
package statetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/state"
)

// Option adjusts the suite to a backend.
type Option func(*config)

type config struct {
	goroutines     int
	rounds         int
	requireCurrent bool
	ttl            time.Duration
	skipTTL        bool
}

// WithConcurrency sets how many goroutines race in each compare-and-set
// round (default 50) and how many rounds run (default 5).
func WithConcurrency(goroutines, rounds int) Option {
	return func(c *config) {
		if goroutines > 1 {
			c.goroutines = goroutines
		}
		if rounds > 0 {
			c.rounds = rounds
		}
	}
}

// RequireCurrent makes the suite fail when a conflict on a live item comes
// without ConflictError.Current. Backends that learn the current item in the
// same round trip (memstate, redisstate, pgstate) should pass it; without it
// the suite only checks that Current, when set, is right.
func RequireCurrent() Option {
	return func(c *config) { c.requireCurrent = true }
}

// WithTTL sets the TTL the expiry subtests use (default one second). Raise it
// for a backend whose expiry is coarser than that.
func WithTTL(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.ttl = d
		}
	}
}

// SkipTTL leaves out the subtests that wait for items to expire.
func SkipTTL() Option {
	return func(c *config) { c.skipTTL = true }
}

// Run runs the conformance suite against the stores newStore returns.
func Run(t *testing.T, newStore func(t *testing.T) state.Store, opts ...Option) {
	t.Helper()
	c := config{goroutines: 50, rounds: 5, ttl: time.Second}
	for _, o := range opts {
		o(&c)
	}
	s := &suite{cfg: c, newStore: newStore, run: randomToken()}
	tests := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"CRUD", s.crud},
		{"IfAbsent", s.ifAbsent},
		{"IfVersion", s.ifVersion},
		{"ConditionalDelete", s.conditionalDelete},
		{"VersionsChange", s.versionsChange},
		{"ConflictCurrent", s.conflictCurrent},
		{"ConcurrentCompareAndSet", s.concurrentCAS},
		{"ConcurrentIfAbsent", s.concurrentIfAbsent},
		{"ConcurrentDeleteAndSet", s.concurrentDeleteAndSet},
		{"BinaryValues", s.binaryValues},
		{"Keys", s.keys},
		{"Invalid", s.invalid},
		{"ContextCanceled", s.canceled},
		{"ValuesAreCopied", s.copied},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.fn)
	}
	if c.skipTTL {
		return
	}
	// The expiry subtests sleep; running them in parallel keeps the suite
	// at about one sleep long. The group waits for them before Run returns.
	t.Run("TTL", func(t *testing.T) {
		ttlTests := []struct {
			name string
			fn   func(t *testing.T)
		}{
			{"Expires", s.ttlExpires},
			{"IfAbsentOverExpired", s.ttlIfAbsentOverExpired},
			{"IfVersionOnExpired", s.ttlIfVersionOnExpired},
			{"DeleteExpired", s.ttlDeleteExpired},
			{"OverwriteClearsTTL", s.ttlOverwriteClears},
			{"Refresh", s.ttlRefresh},
		}
		for _, tc := range ttlTests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tc.fn(t)
			})
		}
	})
}

type suite struct {
	cfg      config
	newStore func(t *testing.T) state.Store
	run      string // unique per Run, so stores shared between runs do not collide
}

// key returns a key unique to this run and subtest.
func (s *suite) key(t *testing.T, name string) string {
	t.Helper()
	return "statetest/" + s.run + "/" + t.Name() + "/" + name
}

func (s *suite) store(t *testing.T) state.Store {
	t.Helper()
	st := s.newStore(t)
	require.NotNil(t, st, "newStore returned nil")
	return st
}

func randomToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// mustPut writes and returns the new version, failing the test on error.
func mustPut(t *testing.T, st state.Store, key string, value []byte, o state.PutOptions) string {
	t.Helper()
	v, err := st.Put(context.Background(), key, value, o)
	require.NoError(t, err, "Put(%q)", key)
	require.NotEmpty(t, v, "Put(%q) returned an empty version", key)
	return v
}

// requireItem checks the item at key has the value and version.
func requireItem(t *testing.T, st state.Store, key string, value []byte, version string) state.Item {
	t.Helper()
	it, err := st.Get(context.Background(), key)
	require.NoError(t, err, "Get(%q)", key)
	require.True(t, bytes.Equal(value, it.Value), "Get(%q) value: want %q, got %q", key, value, it.Value)
	require.Equal(t, version, it.Version, "Get(%q) version", key)
	return it
}

func requireNotFound(t *testing.T, st state.Store, key string) {
	t.Helper()
	it, err := st.Get(context.Background(), key)
	require.ErrorIs(t, err, state.ErrNotFound, "Get(%q) returned %+v", key, it)
}

// requireConflict checks err is a *state.ConflictError for key whose Current
// is right: nil when want is nil (absent or expired), else equal to want
// (or nil, unless the suite requires Current).
func (s *suite) requireConflict(t *testing.T, err error, key string, want *state.Item) {
	t.Helper()
	require.ErrorIs(t, err, state.ErrConflict)
	require.NotErrorIs(t, err, state.ErrNotFound)
	var ce *state.ConflictError
	require.ErrorAs(t, err, &ce, "conflict errors must be *state.ConflictError")
	assert.Equal(t, key, ce.Key, "ConflictError.Key")
	if want == nil {
		require.Nil(t, ce.Current, "ConflictError.Current must be nil when the key is absent or expired")
		return
	}
	if ce.Current == nil {
		require.False(t, s.cfg.requireCurrent, "ConflictError.Current is nil although the key holds a live item")
		return
	}
	require.True(t, bytes.Equal(want.Value, ce.Current.Value), "ConflictError.Current.Value: want %q, got %q", want.Value, ce.Current.Value)
	require.Equal(t, want.Version, ce.Current.Version, "ConflictError.Current.Version")
	if !want.ExpiresAt.IsZero() {
		require.WithinDuration(t, want.ExpiresAt, ce.Current.ExpiresAt, time.Second, "ConflictError.Current.ExpiresAt")
	} else {
		require.True(t, ce.Current.ExpiresAt.IsZero(), "ConflictError.Current.ExpiresAt: want zero, got %v", ce.Current.ExpiresAt)
	}
}

func (s *suite) crud(t *testing.T) {
	st := s.store(t)
	ctx := context.Background()
	k := s.key(t, "a")

	requireNotFound(t, st, k)
	require.NoError(t, st.Delete(ctx, k, ""), "unconditional Delete of a missing key is not an error")

	v1 := mustPut(t, st, k, []byte("one"), state.PutOptions{})
	it := requireItem(t, st, k, []byte("one"), v1)
	assert.True(t, it.ExpiresAt.IsZero(), "an item written without TTL must not expire, got ExpiresAt %v", it.ExpiresAt)

	v2 := mustPut(t, st, k, []byte("two"), state.PutOptions{})
	assert.NotEqual(t, v1, v2, "every write must change the version")
	requireItem(t, st, k, []byte("two"), v2)

	require.NoError(t, st.Delete(ctx, k, ""))
	requireNotFound(t, st, k)
	require.NoError(t, st.Delete(ctx, k, ""), "deleting twice is not an error")

	// Keys are independent.
	a, b := s.key(t, "x"), s.key(t, "y")
	va := mustPut(t, st, a, []byte("A"), state.PutOptions{})
	vb := mustPut(t, st, b, []byte("B"), state.PutOptions{})
	require.NoError(t, st.Delete(ctx, a, ""))
	requireNotFound(t, st, a)
	requireItem(t, st, b, []byte("B"), vb)
	_ = va
}

func (s *suite) ifAbsent(t *testing.T) {
	st := s.store(t)
	ctx := context.Background()
	k := s.key(t, "k")

	v1 := mustPut(t, st, k, []byte("first"), state.PutOptions{IfAbsent: true})
	requireItem(t, st, k, []byte("first"), v1)

	_, err := st.Put(ctx, k, []byte("second"), state.PutOptions{IfAbsent: true})
	s.requireConflict(t, err, k, &state.Item{Value: []byte("first"), Version: v1})
	requireItem(t, st, k, []byte("first"), v1)

	require.NoError(t, st.Delete(ctx, k, ""))
	v2 := mustPut(t, st, k, []byte("third"), state.PutOptions{IfAbsent: true})
	assert.NotEqual(t, v1, v2, "a re-created key must get a new version")
	requireItem(t, st, k, []byte("third"), v2)
}

func (s *suite) ifVersion(t *testing.T) {
	st := s.store(t)
	ctx := context.Background()
	k := s.key(t, "k")

	cases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"missing key", func(t *testing.T) {
			_, err := st.Put(ctx, s.key(t, "missing"), []byte("x"), state.PutOptions{IfVersion: "no-such-version"})
			s.requireConflict(t, err, s.key(t, "missing"), nil)
			requireNotFound(t, st, s.key(t, "missing"))
		}},
		{"match", func(t *testing.T) {
			v1 := mustPut(t, st, k, []byte("one"), state.PutOptions{})
			v2 := mustPut(t, st, k, []byte("two"), state.PutOptions{IfVersion: v1})
			assert.NotEqual(t, v1, v2)
			requireItem(t, st, k, []byte("two"), v2)
		}},
		{"mismatch", func(t *testing.T) {
			v1 := mustPut(t, st, k, []byte("one"), state.PutOptions{})
			v2 := mustPut(t, st, k, []byte("two"), state.PutOptions{})
			_, err := st.Put(ctx, k, []byte("stale"), state.PutOptions{IfVersion: v1})
			s.requireConflict(t, err, k, &state.Item{Value: []byte("two"), Version: v2})
			requireItem(t, st, k, []byte("two"), v2)
		}},
		{"deleted key", func(t *testing.T) {
			v1 := mustPut(t, st, k, []byte("one"), state.PutOptions{})
			require.NoError(t, st.Delete(ctx, k, ""))
			_, err := st.Put(ctx, k, []byte("again"), state.PutOptions{IfVersion: v1})
			s.requireConflict(t, err, k, nil)
			requireNotFound(t, st, k)
		}},
		{"keeps TTL choice", func(t *testing.T) {
			v1 := mustPut(t, st, k, []byte("one"), state.PutOptions{TTL: time.Hour})
			v2 := mustPut(t, st, k, []byte("two"), state.PutOptions{IfVersion: v1, TTL: 2 * time.Hour})
			it := requireItem(t, st, k, []byte("two"), v2)
			assert.WithinDuration(t, time.Now().Add(2*time.Hour), it.ExpiresAt, time.Minute)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, tc.run)
	}
}

func (s *suite) conditionalDelete(t *testing.T) {
	st := s.store(t)
	ctx := context.Background()
	k := s.key(t, "k")

	cases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"match", func(t *testing.T) {
			v := mustPut(t, st, k, []byte("v"), state.PutOptions{})
			require.NoError(t, st.Delete(ctx, k, v))
			requireNotFound(t, st, k)
		}},
		{"mismatch", func(t *testing.T) {
			v1 := mustPut(t, st, k, []byte("one"), state.PutOptions{})
			v2 := mustPut(t, st, k, []byte("two"), state.PutOptions{})
			err := st.Delete(ctx, k, v1)
			s.requireConflict(t, err, k, &state.Item{Value: []byte("two"), Version: v2})
			requireItem(t, st, k, []byte("two"), v2)
		}},
		{"missing key", func(t *testing.T) {
			mk := s.key(t, "missing")
			err := st.Delete(ctx, mk, "no-such-version")
			s.requireConflict(t, err, mk, nil)
		}},
		{"already deleted", func(t *testing.T) {
			v := mustPut(t, st, k, []byte("v"), state.PutOptions{})
			require.NoError(t, st.Delete(ctx, k, v))
			s.requireConflict(t, st.Delete(ctx, k, v), k, nil)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, tc.run)
	}
}

func (s *suite) versionsChange(t *testing.T) {
	st := s.store(t)
	ctx := context.Background()
	k := s.key(t, "k")
	seen := map[string]bool{}
	for i := range 20 {
		// The same value every time: the version must change anyway.
		v := mustPut(t, st, k, []byte("same"), state.PutOptions{})
		require.False(t, seen[v], "write %d reused version %q", i, v)
		seen[v] = true
		if i%5 == 4 {
			require.NoError(t, st.Delete(ctx, k, ""))
		}
	}
}

func (s *suite) conflictCurrent(t *testing.T) {
	st := s.store(t)
	ctx := context.Background()
	k := s.key(t, "k")
	v := mustPut(t, st, k, []byte("holder"), state.PutOptions{TTL: time.Hour})
	want := &state.Item{Value: []byte("holder"), Version: v, ExpiresAt: time.Now().Add(time.Hour)}

	_, err := st.Put(ctx, k, []byte("x"), state.PutOptions{IfAbsent: true, TTL: time.Minute})
	s.requireConflict(t, err, k, want)
	_, err = st.Put(ctx, k, []byte("x"), state.PutOptions{IfVersion: v + "-not"})
	s.requireConflict(t, err, k, want)
	s.requireConflict(t, st.Delete(ctx, k, v+"-not"), k, want)

	var ce *state.ConflictError
	_, err = st.Put(ctx, k, []byte("x"), state.PutOptions{IfAbsent: true})
	require.ErrorAs(t, err, &ce)
	if ce.Current != nil {
		// Current is the caller's to keep: changing it must not change the store.
		for i := range ce.Current.Value {
			ce.Current.Value[i] = 'Z'
		}
		requireItem(t, st, k, []byte("holder"), v)
	}
}

// raceResult is what one round of a race produced.
type raceResult struct {
	winners  []int    // the goroutines whose call succeeded
	versions []string // the version each winner got, in the same order
	errs     []error  // failures other than expected conflicts
}

// race runs call from cfg.goroutines goroutines released at once. A call
// that fails with ErrConflict lost the race; its ConflictError must not
// report conditionedOn (the version the call was conditioned on) as current.
func (s *suite) race(conditionedOn string, call func(g int) (string, error)) raceResult {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		r     raceResult
		start = make(chan struct{})
	)
	for g := range s.cfg.goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			v, err := call(g)
			mu.Lock()
			defer mu.Unlock()
			var ce *state.ConflictError
			switch {
			case err == nil:
				r.winners = append(r.winners, g)
				r.versions = append(r.versions, v)
			case errors.As(err, &ce):
				if conditionedOn != "" && ce.Current != nil && ce.Current.Version == conditionedOn {
					r.errs = append(r.errs, errors.New("ConflictError.Current reports the version the call was conditioned on"))
				}
			case errors.Is(err, state.ErrConflict):
			default:
				r.errs = append(r.errs, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return r
}

// concurrentCAS races compare-and-set writes on one version: exactly one
// wins each round.
func (s *suite) concurrentCAS(t *testing.T) {
	st := s.store(t)
	ctx := context.Background()
	k := s.key(t, "counter")
	version := mustPut(t, st, k, []byte("round-0"), state.PutOptions{})
	for round := 1; round <= s.cfg.rounds; round++ {
		val := func(g int) []byte { return []byte("round-" + strconv.Itoa(round) + "-g" + strconv.Itoa(g)) }
		r := s.race(version, func(g int) (string, error) {
			return st.Put(ctx, k, val(g), state.PutOptions{IfVersion: version})
		})
		require.Empty(t, r.errs, "round %d: unexpected errors", round)
		require.Len(t, r.winners, 1, "round %d: want exactly one winner, got %v", round, r.winners)
		requireItem(t, st, k, val(r.winners[0]), r.versions[0])
		version = r.versions[0]
	}
}

// concurrentIfAbsent races goroutines to create one key per round.
func (s *suite) concurrentIfAbsent(t *testing.T) {
	st := s.store(t)
	ctx := context.Background()
	for round := 1; round <= s.cfg.rounds; round++ {
		k := s.key(t, "lock-"+strconv.Itoa(round))
		r := s.race("", func(g int) (string, error) {
			return st.Put(ctx, k, []byte("g"+strconv.Itoa(g)), state.PutOptions{IfAbsent: true, TTL: time.Minute})
		})
		require.Empty(t, r.errs, "round %d: unexpected errors", round)
		require.Len(t, r.winners, 1, "round %d: want exactly one winner, got %v", round, r.winners)
		requireItem(t, st, k, []byte("g"+strconv.Itoa(r.winners[0])), r.versions[0])
	}
}

// concurrentDeleteAndSet races conditional deletes against conditional
// writes on the same version: exactly one of them wins each round.
func (s *suite) concurrentDeleteAndSet(t *testing.T) {
	st := s.store(t)
	ctx := context.Background()
	k := s.key(t, "k")
	for round := 1; round <= s.cfg.rounds; round++ {
		version := mustPut(t, st, k, []byte("round-"+strconv.Itoa(round)), state.PutOptions{})
		// Even goroutines delete, odd ones write.
		r := s.race(version, func(g int) (string, error) {
			if g%2 == 0 {
				return "", st.Delete(ctx, k, version)
			}
			return st.Put(ctx, k, []byte("g"+strconv.Itoa(g)), state.PutOptions{IfVersion: version})
		})
		require.Empty(t, r.errs, "round %d", round)
		require.Len(t, r.winners, 1, "round %d: want exactly one winner among deletes and writes, got %v", round, r.winners)
		if r.winners[0]%2 == 0 {
			requireNotFound(t, st, k)
		} else {
			it, err := st.Get(ctx, k)
			require.NoError(t, err)
			require.Equal(t, r.versions[0], it.Version)
		}
	}
}

func (s *suite) binaryValues(t *testing.T) {
	st := s.store(t)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	cases := []struct {
		name  string
		value []byte
	}{
		{"all byte values", all},
		{"all byte values reversed twice", append(append([]byte{}, all...), reverse(all)...)},
		{"empty", []byte{}},
		{"nil", nil},
		{"NUL only", []byte{0}},
		{"invalid UTF-8", []byte{0xff, 0xfe, 0xc3, 0x28}},
		{"max size", bytes.Repeat([]byte{0xa5}, state.MaxValueSize)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := s.key(t, "v")
			v := mustPut(t, st, k, tc.value, state.PutOptions{})
			it := requireItem(t, st, k, tc.value, v)
			require.Len(t, it.Value, len(tc.value))
			// And through a conflict, where backends return the value another way.
			_, err := st.Put(context.Background(), k, []byte("x"), state.PutOptions{IfAbsent: true})
			s.requireConflict(t, err, k, &state.Item{Value: tc.value, Version: v})
		})
	}
}

func (s *suite) keys(t *testing.T) {
	st := s.store(t)
	prefix := s.key(t, "")
	maxKey := prefix + strings.Repeat("k", state.MaxKeySize-len(prefix))
	// A maximum-length key made of multi-byte runes, cut at a rune boundary.
	uni := prefix
	for len(uni)+len("日") <= state.MaxKeySize {
		uni += "日"
	}
	require.True(t, utf8.ValidString(uni))
	cases := []struct {
		name string
		key  string
	}{
		{"unicode", prefix + "ключ/キー/🔑/é"},
		{"spaces and punctuation", prefix + ` a b "c" 'd' %s \n {x}[y]*?`},
		{"max length ASCII", maxKey},
		{"long unicode", uni},
		{"lookalike of another key", prefix + "ключ/キー/🔑/e\u0301"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.LessOrEqual(t, len(tc.key), state.MaxKeySize)
			v := mustPut(t, st, tc.key, []byte(tc.name), state.PutOptions{})
			requireItem(t, st, tc.key, []byte(tc.name), v)
		})
	}
	// Every key kept its own value (no normalisation or truncation).
	for _, tc := range cases {
		it, err := st.Get(context.Background(), tc.key)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.name, string(it.Value), "key %q", tc.name)
	}
	// A prefix of a stored key is a different key.
	requireNotFound(t, st, maxKey[:len(maxKey)-1])
	for _, tc := range cases {
		require.NoError(t, st.Delete(context.Background(), tc.key, ""))
		requireNotFound(t, st, tc.key)
	}
}

func (s *suite) invalid(t *testing.T) {
	st := s.store(t)
	ctx := context.Background()
	ok := s.key(t, "ok")
	tooLongKey := strings.Repeat("k", state.MaxKeySize+1)
	tooBig := make([]byte, state.MaxValueSize+1)
	cases := []struct {
		name string
		call func() error
	}{
		{"Get empty key", func() error { _, err := st.Get(ctx, ""); return err }},
		{"Get long key", func() error { _, err := st.Get(ctx, tooLongKey); return err }},
		{"Put empty key", func() error { _, err := st.Put(ctx, "", []byte("v"), state.PutOptions{}); return err }},
		{"Put long key", func() error { _, err := st.Put(ctx, tooLongKey, []byte("v"), state.PutOptions{}); return err }},
		{"Put big value", func() error { _, err := st.Put(ctx, ok, tooBig, state.PutOptions{}); return err }},
		{"Put negative TTL", func() error {
			_, err := st.Put(ctx, ok, []byte("v"), state.PutOptions{TTL: -time.Second})
			return err
		}},
		{"Put both conditions", func() error {
			_, err := st.Put(ctx, ok, []byte("v"), state.PutOptions{IfAbsent: true, IfVersion: "v"})
			return err
		}},
		{"Delete empty key", func() error { return st.Delete(ctx, "", "") }},
		{"Delete long key", func() error { return st.Delete(ctx, tooLongKey, "v") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.ErrorIs(t, err, state.ErrInvalid)
			require.NotErrorIs(t, err, state.ErrConflict)
		})
	}
	requireNotFound(t, st, ok)
}

func (s *suite) canceled(t *testing.T) {
	st := s.store(t)
	k := s.key(t, "k")
	v := mustPut(t, st, k, []byte("kept"), state.PutOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		call func() error
	}{
		{"Get", func() error { _, err := st.Get(ctx, k); return err }},
		{"Put", func() error { _, err := st.Put(ctx, k, []byte("lost"), state.PutOptions{}); return err }},
		{"Put IfAbsent", func() error {
			_, err := st.Put(ctx, s.key(t, "new"), []byte("lost"), state.PutOptions{IfAbsent: true})
			return err
		}},
		{"Put IfVersion", func() error { _, err := st.Put(ctx, k, []byte("lost"), state.PutOptions{IfVersion: v}); return err }},
		{"Delete", func() error { return st.Delete(ctx, k, "") }},
		{"Delete IfVersion", func() error { return st.Delete(ctx, k, v) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, tc.call(), context.Canceled)
		})
	}
	requireItem(t, st, k, []byte("kept"), v)
	requireNotFound(t, st, s.key(t, "new"))

	// An expired deadline is reported as such too.
	dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer dcancel()
	_, err := st.Get(dctx, k)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func (s *suite) copied(t *testing.T) {
	st := s.store(t)
	k := s.key(t, "k")
	in := []byte("original")
	v := mustPut(t, st, k, in, state.PutOptions{})
	copy(in, "CHANGED!")
	it := requireItem(t, st, k, []byte("original"), v)
	copy(it.Value, "CHANGED!")
	requireItem(t, st, k, []byte("original"), v)
}

// waitPast sleeps until the store's expiry time has certainly passed.
func waitPast(exp time.Time) {
	time.Sleep(time.Until(exp) + 250*time.Millisecond)
}

func (s *suite) ttlExpires(t *testing.T) {
	st := s.store(t)
	k := s.key(t, "k")
	start := time.Now()
	v := mustPut(t, st, k, []byte("short"), state.PutOptions{TTL: s.cfg.ttl})
	it, err := st.Get(context.Background(), k)
	require.NoError(t, err)
	require.Equal(t, v, it.Version)
	require.False(t, it.ExpiresAt.IsZero(), "an item written with a TTL must report ExpiresAt")
	require.WithinDuration(t, start.Add(s.cfg.ttl), it.ExpiresAt, time.Second)

	long := s.key(t, "long")
	vl := mustPut(t, st, long, []byte("long"), state.PutOptions{TTL: time.Hour})
	waitPast(start.Add(s.cfg.ttl))
	requireNotFound(t, st, k)
	requireItem(t, st, long, []byte("long"), vl)
}

func (s *suite) ttlIfAbsentOverExpired(t *testing.T) {
	st := s.store(t)
	k := s.key(t, "k")
	start := time.Now()
	v1 := mustPut(t, st, k, []byte("old"), state.PutOptions{TTL: s.cfg.ttl})
	_, err := st.Put(context.Background(), k, []byte("early"), state.PutOptions{IfAbsent: true})
	s.requireConflict(t, err, k, &state.Item{Value: []byte("old"), Version: v1, ExpiresAt: start.Add(s.cfg.ttl)})
	waitPast(start.Add(s.cfg.ttl))
	v2 := mustPut(t, st, k, []byte("new"), state.PutOptions{IfAbsent: true})
	assert.NotEqual(t, v1, v2)
	it := requireItem(t, st, k, []byte("new"), v2)
	assert.True(t, it.ExpiresAt.IsZero(), "the new item has no TTL, got ExpiresAt %v", it.ExpiresAt)
}

func (s *suite) ttlIfVersionOnExpired(t *testing.T) {
	st := s.store(t)
	k := s.key(t, "k")
	start := time.Now()
	v1 := mustPut(t, st, k, []byte("old"), state.PutOptions{TTL: s.cfg.ttl})
	waitPast(start.Add(s.cfg.ttl))
	_, err := st.Put(context.Background(), k, []byte("revive"), state.PutOptions{IfVersion: v1})
	s.requireConflict(t, err, k, nil)
	requireNotFound(t, st, k)
}

func (s *suite) ttlDeleteExpired(t *testing.T) {
	st := s.store(t)
	k := s.key(t, "k")
	start := time.Now()
	v1 := mustPut(t, st, k, []byte("old"), state.PutOptions{TTL: s.cfg.ttl})
	waitPast(start.Add(s.cfg.ttl))
	s.requireConflict(t, st.Delete(context.Background(), k, v1), k, nil)
	require.NoError(t, st.Delete(context.Background(), k, ""))
	requireNotFound(t, st, k)
}

func (s *suite) ttlOverwriteClears(t *testing.T) {
	st := s.store(t)
	k := s.key(t, "k")
	start := time.Now()
	mustPut(t, st, k, []byte("old"), state.PutOptions{TTL: s.cfg.ttl})
	v2 := mustPut(t, st, k, []byte("forever"), state.PutOptions{})
	waitPast(start.Add(s.cfg.ttl))
	it := requireItem(t, st, k, []byte("forever"), v2)
	assert.True(t, it.ExpiresAt.IsZero())
}

func (s *suite) ttlRefresh(t *testing.T) {
	st := s.store(t)
	k := s.key(t, "k")
	start := time.Now()
	v1 := mustPut(t, st, k, []byte("lease"), state.PutOptions{TTL: s.cfg.ttl})
	v2 := mustPut(t, st, k, []byte("lease"), state.PutOptions{IfVersion: v1, TTL: time.Hour})
	waitPast(start.Add(s.cfg.ttl))
	requireItem(t, st, k, []byte("lease"), v2)
}

func reverse(b []byte) []byte {
	r := make([]byte, len(b))
	for i, c := range b {
		r[len(b)-1-i] = c
	}
	return r
}
