// Package redisstate is a [state.Store] on Redis (github.com/redis/go-redis/v9):
// standalone, Sentinel or Cluster, through any redis.UniversalClient.
//
// Typical use:
//
//	client := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR")})
//	store := redisstate.New(client, redisstate.WithPrefix("orders/"))
//	v, err := store.Put(ctx, "job/42", []byte("running"), state.PutOptions{IfAbsent: true, TTL: time.Minute})
//
// Every call is one round trip (the first conditional write after the server
// lost its script cache takes two, to load the script). Each item is a Redis hash at prefix+key with
// the value, an opaque random version and the expiry time; conditional
// writes and deletes run as Lua scripts, so the check and the write are
// atomic, and a failed condition returns the current item in the same reply
// (state.ConflictError.Current). Expiry is native (PEXPIREAT) and is also
// checked on every read and condition against the Store's clock, so an item
// is gone at exactly its ExpiresAt even if Redis's clock is slightly behind.
// Keep the clocks of clients and servers in sync (NTP), as for any TTL.
//
// Conditional writes are sent once: go-redis does not resend them after a
// network error, because the first attempt may have run and a second would
// fail its own condition; the caller gets the error and decides. Set
// ContextTimeoutEnabled in the client's options so a context deadline also
// bounds a call already on the wire; whatever the client reports, an error
// from a call whose context ended matches ctx.Err() with errors.Is.
//
// Neighbours: state (the contract), state/memstate, state/dynamostate,
// state/pgstate, testing/statetest.
package redisstate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/faasport/faasport/state"
)

// Store is a state.Store on Redis. Create it with [New].
type Store struct {
	client redis.UniversalClient
	prefix string
	now    func() time.Time
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
// the server's only makes sense in tests.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
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

// Hash fields of an item. exp is the expiry in Unix milliseconds, 0 for none.
const (
	fieldValue   = "v"
	fieldVersion = "ver"
	fieldExpiry  = "exp"
)

// putScript writes the item if the condition holds.
//
//	KEYS[1] key
//	ARGV    value, new version, mode ("" none, "a" if absent, "v" if version),
//	        expected version, now (ms), expiry (ms, "0" for none)
//
// It returns {1} on success, {0} when the condition fails on an absent or
// expired key, and {0, value, version, expiry} when it fails on a live item.
var putScript = newScript(`
local mode = ARGV[3]
if mode ~= "" then
  local cur = redis.call("HMGET", KEYS[1], "v", "ver", "exp")
  local live = cur[2] and (cur[3] == "0" or tonumber(cur[3]) > tonumber(ARGV[5]))
  if mode == "a" and live then
    return {0, cur[1], cur[2], cur[3]}
  end
  if mode == "v" then
    if not live then return {0} end
    if cur[2] ~= ARGV[4] then return {0, cur[1], cur[2], cur[3]} end
  end
end
redis.call("DEL", KEYS[1])
redis.call("HSET", KEYS[1], "v", ARGV[1], "ver", ARGV[2], "exp", ARGV[6])
if ARGV[6] ~= "0" then redis.call("PEXPIREAT", KEYS[1], ARGV[6]) end
return {1}
`)

// deleteScript deletes the item if its version matches; same replies as
// putScript.
//
//	KEYS[1] key
//	ARGV    expected version, now (ms)
var deleteScript = newScript(`
local cur = redis.call("HMGET", KEYS[1], "v", "ver", "exp")
local live = cur[2] and (cur[3] == "0" or tonumber(cur[3]) > tonumber(ARGV[2]))
if not live then return {0} end
if cur[2] ~= ARGV[1] then return {0, cur[1], cur[2], cur[3]} end
redis.call("DEL", KEYS[1])
return {1}
`)

// Get returns the item at key, or state.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (state.Item, error) {
	if err := state.CheckKey(key); err != nil {
		return state.Item{}, err
	}
	if err := ctx.Err(); err != nil {
		return state.Item{}, err
	}
	vals, err := s.client.HMGet(ctx, s.prefix+key, fieldValue, fieldVersion, fieldExpiry).Result()
	if err != nil {
		return state.Item{}, fmt.Errorf("redisstate: get %q: %w", key, callErr(ctx, err))
	}
	it, ok, err := s.decode(key, vals)
	if err != nil {
		return state.Item{}, err
	}
	if !ok {
		return state.Item{}, state.ErrNotFound
	}
	return it, nil
}

// Put writes value at key if the conditions in o hold, else it returns a
// *state.ConflictError carrying the live item that made it fail.
func (s *Store) Put(ctx context.Context, key string, value []byte, o state.PutOptions) (string, error) {
	if err := state.CheckKey(key); err != nil {
		return "", err
	}
	if err := state.CheckValue(value, o); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	now := s.now()
	exp := "0"
	if o.TTL > 0 {
		// Round up so an item never expires before its TTL has passed.
		exp = strconv.FormatInt(now.Add(o.TTL+time.Millisecond-1).UnixMilli(), 10)
	}
	mode := ""
	switch {
	case o.IfAbsent:
		mode = "a"
	case o.IfVersion != "":
		mode = "v"
	}
	version := newVersion()
	reply, err := putScript.run(ctx, s.client, s.prefix+key,
		value, version, mode, o.IfVersion, now.UnixMilli(), exp)
	if err != nil {
		return "", fmt.Errorf("redisstate: put %q: %w", key, callErr(ctx, err))
	}
	if err := s.conflict(key, reply, version); err != nil {
		return "", err
	}
	return version, nil
}

// Delete removes key; with a non-empty ifVersion only if the current version
// equals it, else it returns a *state.ConflictError.
func (s *Store) Delete(ctx context.Context, key string, ifVersion string) error {
	if err := state.CheckKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if ifVersion == "" {
		if err := s.client.Del(ctx, s.prefix+key).Err(); err != nil {
			return fmt.Errorf("redisstate: delete %q: %w", key, callErr(ctx, err))
		}
		return nil
	}
	reply, err := deleteScript.run(ctx, s.client, s.prefix+key, ifVersion, s.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("redisstate: delete %q: %w", key, callErr(ctx, err))
	}
	return s.conflict(key, reply, "")
}

// conflict turns a script reply into nil (written) or a ConflictError.
// ours is the version this call wrote: should a script whose first run
// succeeded be sent again anyway (a client hook, a proxy), the second run
// finds our own item and reports a conflict, which is really a success.
func (s *Store) conflict(key string, reply []any, ours string) error {
	if len(reply) == 0 {
		return fmt.Errorf("redisstate: write %q: empty script reply", key)
	}
	if ok, _ := reply[0].(int64); ok == 1 {
		return nil
	}
	ce := &state.ConflictError{Key: key}
	if len(reply) == 4 {
		it, live, err := s.decode(key, reply[1:])
		if err != nil {
			return err
		}
		if live && ours != "" && it.Version == ours {
			return nil
		}
		if live {
			ce.Current = &it
		}
	}
	return ce
}

// decode turns the fields v, ver, exp into an item; ok is false when the
// item is absent or expired.
func (s *Store) decode(key string, vals []any) (it state.Item, ok bool, err error) {
	if len(vals) != 3 || vals[1] == nil {
		return state.Item{}, false, nil
	}
	value, okV := vals[0].(string)
	version, okVer := vals[1].(string)
	expStr, okExp := vals[2].(string)
	if !okV || !okVer || !okExp {
		return state.Item{}, false, fmt.Errorf("redisstate: read %q: the Redis hash is not a redisstate item; use a prefix of its own (WithPrefix)", key)
	}
	expMs, err := strconv.ParseInt(expStr, 10, 64)
	if err != nil {
		return state.Item{}, false, fmt.Errorf("redisstate: read expiry of %q: %w", key, err)
	}
	it = state.Item{Value: []byte(value), Version: version}
	if expMs != 0 {
		it.ExpiresAt = time.UnixMilli(expMs)
		if !s.now().Before(it.ExpiresAt) {
			return state.Item{}, false, nil
		}
	}
	return it, true, nil
}

// script is a Lua script run with EVALSHA, falling back to EVAL once when
// the server does not have it cached.
type script struct {
	src, sha string
}

func newScript(src string) *script {
	return &script{src: src, sha: redis.NewScript(src).Hash()}
}

// onceCmd is a command go-redis must not resend after a network error: a
// conditional write whose reply was lost may have run, and running it again
// could answer "conflict" for a write that happened. The caller gets the
// network error instead and knows the outcome is unknown.
type onceCmd struct{ *redis.Cmd }

// NoRetry tells go-redis not to resend the command.
func (onceCmd) NoRetry() bool { return true }

// run runs the script on one key and returns its array reply.
func (sc *script) run(ctx context.Context, c redis.UniversalClient, key string, args ...any) ([]any, error) {
	call := func(cmd string, body string) ([]any, error) {
		argv := make([]any, 0, 4+len(args))
		argv = append(argv, cmd, body, 1, key)
		argv = append(argv, args...)
		rc := onceCmd{redis.NewCmd(ctx, argv...)}
		_ = c.Process(ctx, rc)
		return rc.Slice()
	}
	reply, err := call("evalsha", sc.sha)
	if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		// The server lost or never had the script (restart, SCRIPT FLUSH,
		// failover). Nothing ran, so sending the body is safe.
		return call("eval", sc.src)
	}
	return reply, err
}

// newVersion returns a random version. 96 random bits make a repeat on one
// key practically impossible.
func newVersion() string {
	return strconv.FormatUint(rand.Uint64(), 36) + "." + strconv.FormatUint(uint64(rand.Uint32()), 36)
}

// callErr makes the error of a call whose context ended match ctx.Err()
// with errors.Is, whatever the client reported (a socket timeout, say).
func callErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return errors.Join(err, cerr)
	}
	return err
}
