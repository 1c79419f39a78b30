package pgstate_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/faasport/faasport/internal/testenv"
	"github.com/faasport/faasport/testing/statetest"
)

func BenchmarkStore(b *testing.B) {
	pool := newPool(b, testenv.PostgresURL(b))
	s := newStore(b, pool)
	b.Run("postgres", func(b *testing.B) { statetest.Benchmark(b, s) })
}

// BenchmarkPostgresInsertIfAbsent is bare pgx doing what PutIfAbsent does
// (without reporting the current row), for comparison with
// BenchmarkStore/postgres/PutIfAbsent.
func BenchmarkPostgresInsertIfAbsent(b *testing.B) {
	pool := newPool(b, testenv.PostgresURL(b))
	table := uniqueTable(b, pool)
	ctx := context.Background()
	t := pgx.Identifier{table}.Sanitize()
	if _, err := pool.Exec(ctx, "CREATE TABLE "+t+" (key bytea PRIMARY KEY, value bytea NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 256)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		tag, err := pool.Exec(ctx, "INSERT INTO "+t+" (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", []byte("k"+strconv.Itoa(i)), value)
		if err != nil || tag.RowsAffected() != 1 {
			b.Fatal(tag, err)
		}
	}
}

// BenchmarkPostgresSelect is bare pgx reading one row, for comparison with
// BenchmarkStore/postgres/Get.
func BenchmarkPostgresSelect(b *testing.B) {
	pool := newPool(b, testenv.PostgresURL(b))
	table := uniqueTable(b, pool)
	ctx := context.Background()
	t := pgx.Identifier{table}.Sanitize()
	if _, err := pool.Exec(ctx, "CREATE TABLE "+t+" (key bytea PRIMARY KEY, value bytea NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "INSERT INTO "+t+" VALUES ($1, $2)", []byte("k"), make([]byte, 256)); err != nil {
		b.Fatal(err)
	}
	var v []byte
	b.ReportAllocs()
	for b.Loop() {
		if err := pool.QueryRow(ctx, "SELECT value FROM "+t+" WHERE key = $1", []byte("k")).Scan(&v); err != nil {
			b.Fatal(err)
		}
	}
}
