// Package pgstate is a [state.Store] on PostgreSQL (github.com/jackc/pgx/v5).
//
// Typical use:
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	store, err := pgstate.New(ctx, pool) // creates the table if missing
//	v, err := store.Put(ctx, "job/42", []byte("running"), state.PutOptions{IfAbsent: true, TTL: time.Minute})
//
// # Table
//
// All items live in one table (default faasport_state, see [WithTable]),
// created by New if missing:
//
//	key        bytea PRIMARY KEY  -- any bytes, so no key is refused for its encoding
//	value      bytea NOT NULL
//	version    text NOT NULL      -- opaque random version
//	expires_at timestamptz        -- NULL: never
//
// # Conditions, expiry and round trips
//
// Every call is one round trip: a single statement, or for conditional
// writes and deletes a pipelined batch that PostgreSQL runs as one implicit
// transaction. Conditions are part of the writing statement's WHERE clause
// (or its unique-key check), so they are atomic under READ COMMITTED; a
// write whose condition fails writes and locks nothing, so it costs about
// as much as a read (no commit to flush). The same batch then reads the
// key's row for state.ConflictError.Current. That read follows the failed
// write, so under a concurrent writer it can report a newer item than the
// one the condition failed on, never an older one.
//
// Expiry is decided by the Store's clock (time.Now unless [WithClock]),
// passed into every statement, like on every faasport backend, so one clock
// defines when an item is gone whatever the server. Keep client clocks in
// sync (NTP). PostgreSQL has no TTL of its own: expired rows are ignored by
// every read and condition, replaced by the next write of their key, and
// removed in bulk by [Store.DeleteExpired], which you should run now and then
// (from a scheduled function, say) if keys are not reused.
//
// pgx honours contexts as it is: a context's deadline or cancellation ends
// a query already sent (pgx interrupts the connection), and acquiring a
// pool connection waits no longer than the context, so a slow server cannot
// hold a function past its deadline. It is a module of its own
// (github.com/faasport/faasport/state/pgstate), so only functions that use
// it get pgx in their module graph.
//
// Neighbours: state (the contract), state/memstate, state/redisstate,
// state/dynamostate, testing/statetest.
package pgstate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/faasport/faasport/state"
)

// DefaultTable is the table New uses without [WithTable].
const DefaultTable = "faasport_state"

// Store is a state.Store on a PostgreSQL table. Create it with [New].
type Store struct {
	pool  *pgxpool.Pool
	table string // as given, for messages
	now   func() time.Time

	sqlGet, sqlPut, sqlDropExpired, sqlInsert, sqlUpdateIf, sqlDeleteIf, sqlCurrent, sqlDelete, sqlDeleteExpired string
}

// Option configures a Store.
type Option func(*Store)

// WithTable sets the table (default [DefaultTable]); "schema.table" names a
// table in another schema. The name is quoted, so it is used exactly as
// written.
func WithTable(name string) Option {
	return func(s *Store) {
		if name != "" {
			s.table = name
		}
	}
}

// WithClock sets the clock that decides expiry (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// New returns a Store on pool, creating its table (and an index on
// expires_at) if missing. The role needs CREATE on the schema for that, or
// the table must exist already.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	s := &Store{pool: pool, table: DefaultTable, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	parts := strings.Split(s.table, ".")
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("pgstate: table name %q has an empty part; use \"table\" or \"schema.table\"", s.table)
		}
	}
	t := pgx.Identifier(parts).Sanitize()
	index := pgx.Identifier{parts[len(parts)-1] + "_expires_at_idx"}.Sanitize()
	s.prepare(t)

	ddl := []string{
		`CREATE TABLE IF NOT EXISTS ` + t + ` (
			key bytea PRIMARY KEY,
			value bytea NOT NULL,
			version text NOT NULL,
			expires_at timestamptz
		)`,
		`CREATE INDEX IF NOT EXISTS ` + index + ` ON ` + t + ` (expires_at) WHERE expires_at IS NOT NULL`,
	}
	for _, q := range ddl {
		if err := execDDL(ctx, pool, q); err != nil {
			return nil, fmt.Errorf("pgstate: create table %q: %w", s.table, err)
		}
	}
	return s, nil
}

// execDDL runs q, retrying once when a concurrent CREATE ... IF NOT EXISTS
// of the same object won the race (PostgreSQL reports that as a unique
// violation rather than skipping).
func execDDL(ctx context.Context, pool *pgxpool.Pool, q string) error {
	_, err := pool.Exec(ctx, q)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "42P07") {
		_, err = pool.Exec(ctx, q)
	}
	return err
}

func (s *Store) prepare(t string) {
	s.sqlGet = `SELECT value, version, expires_at FROM ` + t + ` WHERE key = $1 AND (expires_at IS NULL OR expires_at > $2)`
	s.sqlPut = `INSERT INTO ` + t + ` (key, value, version, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version, expires_at = EXCLUDED.expires_at`
	// IfAbsent: drop the row if it has expired, then insert unless a row
	// is there. Neither statement writes or locks anything when a live row
	// is in the way, so a refused write costs no more than a read.
	s.sqlDropExpired = `DELETE FROM ` + t + ` WHERE key = $1 AND expires_at <= $2`
	s.sqlInsert = `INSERT INTO ` + t + ` (key, value, version, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING`
	s.sqlUpdateIf = `UPDATE ` + t + ` SET value = $2, version = $3, expires_at = $4
		WHERE key = $1 AND version = $5 AND (expires_at IS NULL OR expires_at > $6)`
	s.sqlDeleteIf = `DELETE FROM ` + t + ` WHERE key = $1 AND version = $2 AND (expires_at IS NULL OR expires_at > $3)`
	// The row after a conditional write, for ConflictError.Current; the
	// value is left out when the write succeeded ($2 is our version).
	s.sqlCurrent = `SELECT CASE WHEN version = $2 THEN NULL ELSE value END, version, expires_at FROM ` + t + ` WHERE key = $1`
	s.sqlDelete = `DELETE FROM ` + t + ` WHERE key = $1`
	s.sqlDeleteExpired = `DELETE FROM ` + t + ` WHERE expires_at <= $1`
}

var _ state.Store = (*Store)(nil)

// Get returns the item at key, or state.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (state.Item, error) {
	if err := state.CheckCall(ctx, key); err != nil {
		return state.Item{}, err
	}
	var (
		it  state.Item
		exp *time.Time
	)
	err := s.pool.QueryRow(ctx, s.sqlGet, []byte(key), s.now()).Scan(&it.Value, &it.Version, &exp)
	if errors.Is(err, pgx.ErrNoRows) {
		return state.Item{}, state.ErrNotFound
	}
	if err != nil {
		return state.Item{}, fmt.Errorf("pgstate: get %q from table %q: %w", key, s.table, state.CallError(ctx, err))
	}
	if it.Value == nil {
		it.Value = []byte{}
	}
	if exp != nil {
		it.ExpiresAt = *exp
	}
	return it, nil
}

// Put writes value at key if the conditions in o hold, else it returns a
// *state.ConflictError carrying the live row that made it fail.
func (s *Store) Put(ctx context.Context, key string, value []byte, o state.PutOptions) (string, error) {
	if err := state.CheckPut(ctx, key, value, o); err != nil {
		return "", err
	}
	if value == nil {
		value = []byte{} // NOT NULL
	}
	now := s.now()
	version := state.NewVersion()
	var exp *time.Time
	if o.TTL > 0 {
		// Rounded up to PostgreSQL's microseconds: never early.
		e := now.Add(o.TTL + time.Microsecond - 1).Truncate(time.Microsecond)
		exp = &e
	}
	if !o.IfAbsent && o.IfVersion == "" {
		if _, err := s.pool.Exec(ctx, s.sqlPut, []byte(key), value, version, exp); err != nil {
			return "", fmt.Errorf("pgstate: put %q in table %q: %w", key, s.table, state.CallError(ctx, err))
		}
		return version, nil
	}
	b := &pgx.Batch{}
	if o.IfAbsent {
		b.Queue(s.sqlDropExpired, []byte(key), now)
		b.Queue(s.sqlInsert, []byte(key), value, version, exp)
	} else {
		b.Queue(s.sqlUpdateIf, []byte(key), value, version, exp, o.IfVersion, now)
	}
	b.Queue(s.sqlCurrent, []byte(key), version)
	conflict, err := s.conditional(ctx, b, key, version, now)
	if err != nil {
		return "", fmt.Errorf("pgstate: put %q in table %q: %w", key, s.table, state.CallError(ctx, err))
	}
	if conflict != nil {
		return "", conflict
	}
	return version, nil
}

// conditional sends a batch of one or two writes followed by sqlCurrent, in
// one round trip and one implicit transaction, and reports a
// *state.ConflictError unless the last write changed a row. The row read
// after a failed write is the key's item at that moment: the one that made
// the write fail or, if another write followed in between, a newer one;
// never an older one.
func (s *Store) conditional(ctx context.Context, b *pgx.Batch, key, version string, now time.Time) (conflict, err error) {
	br := s.pool.SendBatch(ctx, b)
	defer func() {
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	}()
	var tag pgconn.CommandTag
	for range b.Len() - 1 {
		if tag, err = br.Exec(); err != nil {
			return nil, err
		}
	}
	var (
		curValue   []byte
		curVersion string
		curExp     *time.Time
	)
	err = br.QueryRow().Scan(&curValue, &curVersion, &curExp)
	if errors.Is(err, pgx.ErrNoRows) {
		err = nil
		curVersion = ""
	}
	if err != nil {
		return nil, err
	}
	if tag.RowsAffected() == 1 {
		return nil, nil
	}
	ce := &state.ConflictError{Key: key}
	if curVersion != "" && curVersion != version {
		ce.Current = s.current(curValue, curVersion, curExp, now)
	}
	return ce, nil
}

// current returns the row as a ConflictError.Current: nil when it expired.
func (s *Store) current(value []byte, version string, exp *time.Time, now time.Time) *state.Item {
	it := &state.Item{Value: value, Version: version}
	if it.Value == nil {
		it.Value = []byte{}
	}
	if exp != nil {
		if !now.Before(*exp) {
			return nil
		}
		it.ExpiresAt = *exp
	}
	return it
}

// Delete removes key; with a non-empty ifVersion only if the current version
// equals it, else it returns a *state.ConflictError.
func (s *Store) Delete(ctx context.Context, key string, ifVersion string) error {
	if err := state.CheckCall(ctx, key); err != nil {
		return err
	}
	if ifVersion == "" {
		if _, err := s.pool.Exec(ctx, s.sqlDelete, []byte(key)); err != nil {
			return fmt.Errorf("pgstate: delete %q from table %q: %w", key, s.table, state.CallError(ctx, err))
		}
		return nil
	}
	now := s.now()
	b := &pgx.Batch{}
	b.Queue(s.sqlDeleteIf, []byte(key), ifVersion, now)
	b.Queue(s.sqlCurrent, []byte(key), "")
	conflict, err := s.conditional(ctx, b, key, "", now)
	if err != nil {
		return fmt.Errorf("pgstate: delete %q from table %q: %w", key, s.table, state.CallError(ctx, err))
	}
	return conflict
}

// DeleteExpired removes the rows that have expired and returns how many.
// Expired rows are invisible anyway; this only frees the space.
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, s.sqlDeleteExpired, s.now())
	if err != nil {
		return 0, fmt.Errorf("pgstate: delete expired rows from table %q: %w", s.table, state.CallError(ctx, err))
	}
	return tag.RowsAffected(), nil
}
