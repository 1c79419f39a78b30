package pgstate_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/internal/proxytest"
	"github.com/faasport/faasport/internal/testenv"
	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/pgstate"
	"github.com/faasport/faasport/testing/statetest"
)

func newPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	cfg.MaxConns = 60
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// uniqueTable names a table for this test only and drops it after.
func uniqueTable(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	name := "faasport_test_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() {
		_, _ = pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+pgx.Identifier{name}.Sanitize())
	})
	return name
}

func newStore(t testing.TB, pool *pgxpool.Pool, opts ...pgstate.Option) *pgstate.Store {
	t.Helper()
	opts = append([]pgstate.Option{pgstate.WithTable(uniqueTable(t, pool))}, opts...)
	s, err := pgstate.New(context.Background(), pool, opts...)
	require.NoError(t, err)
	return s
}

func TestConformance(t *testing.T) {
	pool := newPool(t, testenv.PostgresURL(t))
	s := newStore(t, pool)
	statetest.Run(t, func(t *testing.T) state.Store { return s }, statetest.RequireCurrent())
}

func TestNewIsIdempotent(t *testing.T) {
	pool := newPool(t, testenv.PostgresURL(t))
	table := uniqueTable(t, pool)
	ctx := context.Background()
	for range 3 {
		_, err := pgstate.New(ctx, pool, pgstate.WithTable(table))
		require.NoError(t, err)
	}
}

func TestTableNames(t *testing.T) {
	pool := newPool(t, testenv.PostgresURL(t))
	ctx := context.Background()
	tests := []struct {
		name    string
		table   string
		wantErr bool
	}{
		{"needs quoting", `Odd "name"; DROP` + strconv.FormatInt(time.Now().UnixNano(), 36), false},
		{"schema qualified", "public." + uniqueTable(t, pool), false},
		{"empty part", "public.", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := pgstate.New(ctx, pool, pgstate.WithTable(tc.table))
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			if tc.name == "needs quoting" {
				t.Cleanup(func() { _, _ = pool.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{tc.table}.Sanitize()) })
			}
			_, err = s.Put(ctx, "k", []byte("v"), state.PutOptions{})
			require.NoError(t, err)
		})
	}
}

func TestDeleteExpired(t *testing.T) {
	pool := newPool(t, testenv.PostgresURL(t))
	ctx := context.Background()
	now := time.Now()
	s := newStore(t, pool, pgstate.WithClock(func() time.Time { return now }))
	for i := range 5 {
		_, err := s.Put(ctx, "short/"+strconv.Itoa(i), []byte("v"), state.PutOptions{TTL: time.Minute})
		require.NoError(t, err)
	}
	_, err := s.Put(ctx, "long", []byte("v"), state.PutOptions{TTL: time.Hour})
	require.NoError(t, err)
	_, err = s.Put(ctx, "forever", []byte("v"), state.PutOptions{})
	require.NoError(t, err)

	now = now.Add(2 * time.Minute)
	n, err := s.DeleteExpired(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(5), n)
	for _, k := range []string{"long", "forever"} {
		_, err := s.Get(ctx, k)
		require.NoError(t, err, k)
	}
}

func TestKeysAreBytes(t *testing.T) {
	pool := newPool(t, testenv.PostgresURL(t))
	s := newStore(t, pool)
	ctx := context.Background()
	tests := []struct {
		name string
		key  string
	}{
		{"NUL", "a\x00b"},
		{"invalid UTF-8", "\xff\xfe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := s.Put(ctx, tc.key, []byte(tc.name), state.PutOptions{})
			require.NoError(t, err)
			it, err := s.Get(ctx, tc.key)
			require.NoError(t, err)
			assert.Equal(t, v, it.Version)
			assert.Equal(t, tc.name, string(it.Value))
		})
	}
}

func TestReliability(t *testing.T) {
	raw := testenv.PostgresURL(t)
	u, err := url.Parse(raw)
	require.NoError(t, err)
	p := proxytest.Start(t, u.Host)
	direct := newPool(t, raw)
	table := uniqueTable(t, direct)
	_, err = pgstate.New(context.Background(), direct, pgstate.WithTable(table))
	require.NoError(t, err)

	u.Host = p.Addr
	q := u.Query()
	q.Set("connect_timeout", "1")
	u.RawQuery = q.Encode()
	s, err := pgstate.New(context.Background(), newPool(t, u.String()), pgstate.WithTable(table))
	require.NoError(t, err)
	statetest.CheckNetwork(t, s, p)
}
