// Package redisstate is a [state.Store] on Redis (github.com/redis/go-redis/v9):
// standalone, Sentinel or Cluster, through any redis.UniversalClient.
//
// Typical use:
//
//	client := redisstate.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR")})
//	store := redisstate.New(client, redisstate.WithPrefix("orders/"))
//	v, err := store.Put(ctx, "job/42", []byte("running"), state.PutOptions{IfAbsent: true, TTL: time.Minute})
//
// Each item is one Redis string at prefix+key: a short header (format tag,
// expiry, an opaque random version) followed by the value's raw bytes, with
// native expiry (PXAT). Every call is one round trip of one small command:
// Get is GET, an unconditional Put is SET, Put with IfAbsent is
// SET NX PXAT GET, which writes, or returns the current item in the same
// reply (state.ConflictError.Current). Put with IfVersion and Delete with a
// version run a short Lua script by EVALSHA. A second round trip is taken
// only in rare cases: the first script call after the server lost its
// script cache (to send the script), the first IfAbsent write on a server
// older than Redis 7.0, which lacks SET NX GET (the Store then uses the
// script for IfAbsent too, and remembers that), and an IfAbsent write over
// an item Redis still holds but the Store's clock says has expired. It
// needs Redis 6.2 or later (7.0 or later for one-command IfAbsent writes).
//
// Expiry is written into the header and checked against the Store's clock
// on every read and condition, so an expired item is never returned and
// never fails a condition, even while Redis still holds it. Redis deletes the
// item at the same instant by its own clock, so the functions' and the
// server's clocks should agree (NTP), as for any TTL: an item may vanish
// early by as much as Redis's clock is ahead. With [WithClock], IfAbsent
// writes also run as the script, so every expiry is decided by that clock.
//
// Writes and deletes are sent once: go-redis does not resend them after a
// network error, because the first attempt may have run, and a second
// would fail its own condition, or undo a newer write by someone else; the
// caller gets the error and decides. Build the client with [NewClient]
// (or set ContextTimeoutEnabled in its options yourself): go-redis's default
// lets a call already on the wire outlast its context by up to ReadTimeout,
// so a slow server could hold a function past its deadline. Whatever the
// client reports, an error from a call whose context ended matches
// ctx.Err() with errors.Is.
//
// It is a module of its own (github.com/faasport/faasport/state/redisstate),
// so only functions that use it get go-redis in their module graph.
//
// Neighbours: state (the contract), state/memstate, state/dynamostate,
// state/pgstate, testing/statetest.
package redisstate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/faasport/faasport/state"
)

// Store is a state.Store on Redis. Create it with [New].
type Store struct {
	client redis.UniversalClient
	prefix string
	now    func() time.Time
	// ownClock is set by WithClock: expiry is then decided by now alone, so
	// IfAbsent writes cannot leave it to Redis (SET NX).
	ownClock bool
	// noSetNXGet caches that the server rejected SET NX GET (Redis < 7.0).
	noSetNXGet atomic.Bool
}

// Option configures a Store.
type Option func(*Store)

// WithPrefix puts prefix in front of every key, so several stores (or
// applications) can share one Redis database. It does not count towards
// state.MaxKeySize.
func WithPrefix(prefix string) Option {
	return func(s *Store) { s.prefix = prefix }
}

// WithClock sets the clock that decides expiry (default time.Now). Redis
// also deletes expired items itself, by its own clock, so a clock far from
// the server's only makes sense in tests. With it, IfAbsent writes run as a
// Lua script (checking expiry by now) instead of a plain SET NX.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
			s.ownClock = true
		}
	}
}

// NewClient returns redis.NewClient(o) with ContextTimeoutEnabled set, so
// that a context's deadline or cancellation also ends a call already waiting
// for the server's answer, not only one waiting for a connection. o is not
// modified. Use it, or set the option yourself, for every client a Store
// uses; for Cluster, Sentinel and Ring clients set
// ContextTimeoutEnabled in their options.
func NewClient(o *redis.Options) *redis.Client {
	c := *o
	c.ContextTimeoutEnabled = true
	return redis.NewClient(&c)
}

// New returns a Store that keeps its items in client's database.
func New(client redis.UniversalClient, opts ...Option) *Store {
	s := &Store{client: client, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

var _ state.Store = (*Store)(nil)

// Get returns the item at key, or state.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (state.Item, error) {
	if err := state.CheckCall(ctx, key); err != nil {
		return state.Item{}, err
	}
	raw, err := s.client.Get(ctx, s.prefix+key).Result()
	if errors.Is(err, redis.Nil) {
		return state.Item{}, state.ErrNotFound
	}
	if err != nil {
		return state.Item{}, fmt.Errorf("redisstate: get %q: %w", key, state.CallError(ctx, err))
	}
	it, live, err := s.decode(key, raw)
	if err != nil {
		return state.Item{}, err
	}
	if !live {
		return state.Item{}, state.ErrNotFound
	}
	return it, nil
}

// Put writes value at key if the conditions in o hold, else it returns a
// *state.ConflictError carrying the live item that made it fail.
func (s *Store) Put(ctx context.Context, key string, value []byte, o state.PutOptions) (string, error) {
	if err := state.CheckPut(ctx, key, value, o); err != nil {
		return "", err
	}
	now := s.now()
	var exp int64 // Unix ms, 0 for none
	if o.TTL > 0 {
		// Round up so an item never expires before its TTL has passed.
		exp = now.Add(o.TTL + time.Millisecond - 1).UnixMilli()
	}
	packed, version := encode(exp, value)
	rkey := s.prefix + key
	var err error
	switch {
	case o.IfAbsent && !s.ownClock && !s.noSetNXGet.Load():
		err = s.setNX(ctx, key, rkey, packed, exp, version, now)
	case o.IfAbsent:
		err = s.runScript(ctx, key, rkey, packed, exp, modeAbsent, "", version, now)
	case o.IfVersion != "":
		err = s.runScript(ctx, key, rkey, packed, exp, modeVersion, o.IfVersion, version, now)
	default:
		// Sent once too: a resend after a lost reply could put back this
		// version over a newer write, and a version must never return.
		var rc onceCmd
		if exp != 0 {
			rc = onceCmd{redis.NewCmd(ctx, "set", rkey, packed, "pxat", exp)}
		} else {
			rc = onceCmd{redis.NewCmd(ctx, "set", rkey, packed)}
		}
		_ = s.client.Process(ctx, rc)
		if err = rc.Err(); err != nil {
			err = fmt.Errorf("redisstate: put %q: %w", key, state.CallError(ctx, err))
		}
	}
	if err != nil {
		return "", err
	}
	return version, nil
}

// setNX writes with SET NX GET, one native command whose reply is the item
// that was there, if any.
func (s *Store) setNX(ctx context.Context, key, rkey string, packed []byte, exp int64, version string, now time.Time) error {
	var rc onceCmd
	if exp != 0 {
		rc = onceCmd{redis.NewCmd(ctx, "set", rkey, packed, "nx", "pxat", exp, "get")}
	} else {
		rc = onceCmd{redis.NewCmd(ctx, "set", rkey, packed, "nx", "get")}
	}
	_ = s.client.Process(ctx, rc)
	cur, err := rc.Text()
	switch {
	case errors.Is(err, redis.Nil):
		return nil
	case isSyntaxError(err):
		// Redis < 7.0 rejects NX with GET before running anything, so the
		// script can safely do the write instead, now and from now on.
		s.noSetNXGet.Store(true)
		return s.runScript(ctx, key, rkey, packed, exp, modeAbsent, "", version, now)
	case err != nil:
		return fmt.Errorf("redisstate: put %q: %w", key, state.CallError(ctx, err))
	}
	it, live, err := s.decode(key, cur)
	switch {
	case err != nil:
		return err
	case live && it.Version == version:
		// Our own write, seen again by a resend: it happened.
		return nil
	case live:
		return &state.ConflictError{Key: key, Current: &it}
	}
	// Expired by our clock but not yet by Redis's: absent as far as the
	// contract goes. The script decides by our clock and writes over it.
	return s.runScript(ctx, key, rkey, packed, exp, modeAbsent, "", version, now)
}

// Delete removes key; with a non-empty ifVersion only if the current version
// equals it, else it returns a *state.ConflictError.
func (s *Store) Delete(ctx context.Context, key string, ifVersion string) error {
	if err := state.CheckCall(ctx, key); err != nil {
		return err
	}
	if ifVersion == "" {
		// Sent once: a resend after a lost reply could delete a newer write.
		rc := onceCmd{redis.NewCmd(ctx, "del", s.prefix+key)}
		_ = s.client.Process(ctx, rc)
		if err := rc.Err(); err != nil {
			return fmt.Errorf("redisstate: delete %q: %w", key, state.CallError(ctx, err))
		}
		return nil
	}
	return s.runScript(ctx, key, s.prefix+key, nil, 0, modeDelete, ifVersion, "", s.now())
}

// Modes of writeScript.
const (
	modeAbsent  = "a"
	modeVersion = "v"
	modeDelete  = "d"
)

// writeScript is every conditional write the plain commands cannot do: it
// reads the item, checks the condition by the Store's clock and writes
// (or deletes) it.
//
//	KEYS[1] key
//	ARGV    packed item, PXAT in ms ("0" for none), mode ("a" if absent,
//	        "v" if version, "d" delete if version), expected version,
//	        now in ms
//
// It returns 1 when it wrote, 0 when the condition failed on an absent or
// expired item, and the stored string when it failed otherwise or found
// something that is not an item (the caller decodes it and reports a
// conflict, or the foreign value). The header checks mirror unpack.
const writeScript = `
local cur = redis.call("GET", KEYS[1])
local mode = ARGV[3]
if cur then
  local n = string.byte(cur, 11)
  if not n or n == 0 or #cur < 11 + n or string.sub(cur, 1, 2) ~= "\245\1" then return cur end
  if mode ~= "a" and string.sub(cur, 12, 11 + n) ~= ARGV[4] then return cur end
  local a, b, c, d, e, f, g, h = string.byte(cur, 3, 10)
  if a >= 128 then return cur end
  local exp = ((((((a * 256 + b) * 256 + c) * 256 + d) * 256 + e) * 256 + f) * 256 + g) * 256 + h
  if exp == 0 or exp > tonumber(ARGV[5]) then
    if mode == "a" then return cur end
  elseif mode ~= "a" then
    return 0
  end
elseif mode ~= "a" then
  return 0
end
if mode == "d" then
  redis.call("DEL", KEYS[1])
elseif ARGV[2] == "0" then
  redis.call("SET", KEYS[1], ARGV[1])
else
  redis.call("SET", KEYS[1], ARGV[1], "PXAT", ARGV[2])
end
return 1
`

// writeScriptSHA is what EVALSHA names writeScript by.
var writeScriptSHA = redis.NewScript(writeScript).Hash()

// onceCmd is a command go-redis must not resend after a network error: a
// write whose reply was lost may have run, and running it again could
// answer "conflict" for a write that happened, or undo a newer write by
// someone else. The caller gets the network error instead and knows the
// outcome is unknown.
type onceCmd struct{ *redis.Cmd }

// NoRetry tells go-redis not to resend the command.
func (onceCmd) NoRetry() bool { return true }

// runScript runs writeScript on rkey and turns its reply into nil (written)
// or an error. ours is the version this call writes: should a script whose
// first run succeeded be sent again anyway (a client hook, a proxy), the
// second run finds our own item and reports a conflict, which is really a
// success.
func (s *Store) runScript(ctx context.Context, key, rkey string, packed []byte, exp int64, mode, expected, ours string, now time.Time) error {
	call := func(cmd, body string) (any, error) {
		rc := onceCmd{redis.NewCmd(ctx, cmd, body, 1, rkey, packed, exp, mode, expected, now.UnixMilli())}
		_ = s.client.Process(ctx, rc)
		return rc.Result()
	}
	reply, err := call("evalsha", writeScriptSHA)
	if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		// The server lost or never had the script (restart, SCRIPT FLUSH,
		// failover). Nothing ran, so sending the body is safe.
		reply, err = call("eval", writeScript)
	}
	what := "put"
	if mode == modeDelete {
		what = "delete"
	}
	if err != nil {
		return fmt.Errorf("redisstate: %s %q: %w", what, key, state.CallError(ctx, err))
	}
	switch r := reply.(type) {
	case int64:
		if r == 1 {
			return nil
		}
		return &state.ConflictError{Key: key}
	case string:
		it, live, err := s.decode(key, r)
		switch {
		case err != nil:
			return err
		case live && ours != "" && it.Version == ours:
			return nil
		case live:
			return &state.ConflictError{Key: key, Current: &it}
		}
		return &state.ConflictError{Key: key}
	}
	return fmt.Errorf("redisstate: %s %q: unexpected script reply %T; is the server Redis?", what, key, reply)
}

// isSyntaxError reports whether err is the server refusing a command's form,
// as Redis < 7.0 refuses SET with both NX and GET.
func isSyntaxError(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && strings.Contains(strings.ToLower(re.Error()), "syntax error")
}

// decode turns a stored string into an item; live is false when the item
// has expired by the Store's clock.
func (s *Store) decode(key, raw string) (it state.Item, live bool, err error) {
	exp, version, value, ok := unpack(raw)
	if !ok {
		return state.Item{}, false, fmt.Errorf("redisstate: read %q: the Redis value is not a redisstate item; give the store a prefix of its own (WithPrefix)", key)
	}
	it = state.Item{Value: []byte(value), Version: version}
	if exp != 0 {
		it.ExpiresAt = time.UnixMilli(exp)
		if !s.now().Before(it.ExpiresAt) {
			return state.Item{}, false, nil
		}
	}
	return it, true, nil
}

// The stored form of an item:
//
//	2 bytes  magic, 0xF5 0x01 (0xF5 never occurs in UTF-8 text)
//	8 bytes  expiry, Unix ms, big-endian, below 2^63; 0 for none
//	1 byte   length n of the version, 1 to 255
//	n bytes  version
//	rest     value
const (
	magic      = "\xf5\x01"
	headerSize = len(magic) + 8 + 1
	versionLen = 16
)

// encode packs a new item with a fresh random version.
func encode(exp int64, value []byte) (packed []byte, version string) {
	b := make([]byte, headerSize+versionLen+len(value))
	copy(b, magic)
	for i := range 8 {
		b[len(magic)+i] = byte(uint64(exp) >> (56 - 8*i))
	}
	b[headerSize-1] = versionLen
	newVersion(b[headerSize : headerSize+versionLen])
	copy(b[headerSize+versionLen:], value)
	return b, string(b[headerSize : headerSize+versionLen])
}

// unpack splits a stored string; ok is false when raw is not an item.
func unpack(raw string) (exp int64, version, value string, ok bool) {
	if len(raw) < headerSize || raw[:len(magic)] != magic || raw[len(magic)] >= 0x80 {
		return 0, "", "", false
	}
	var u uint64
	for i := range 8 {
		u = u<<8 | uint64(raw[len(magic)+i])
	}
	n := int(raw[headerSize-1])
	if n == 0 || len(raw) < headerSize+n {
		return 0, "", "", false
	}
	return int64(u), raw[headerSize : headerSize+n], raw[headerSize+n:], true
}

// versionAlphabet has 64 symbols, so each version character carries 6 bits.
const versionAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"

// newVersion fills dst (16 bytes) with a random version: 96 random bits
// make a repeat on one key practically impossible.
func newVersion(dst []byte) {
	hi, lo := rand.Uint64(), rand.Uint32()
	for i := range 10 {
		dst[i] = versionAlphabet[hi&63]
		hi >>= 6
	}
	dst[10] = versionAlphabet[(hi&15)|uint64(lo&3)<<4]
	lo >>= 2
	for i := 11; i < versionLen; i++ {
		dst[i] = versionAlphabet[lo&63]
		lo >>= 6
	}
}
