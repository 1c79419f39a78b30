package pgstate_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/state/pgstate"
)

// The store is PostgreSQL when a database is configured and in-memory
// otherwise (as in unit tests); the code using it is the same.
func Example() {
	ctx := context.Background()
	var store state.Store = memstate.New()
	if url := os.Getenv("FAASPORT_POSTGRES_URL"); url != "" {
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer pool.Close()
		table := "faasport_example_" + strconv.FormatInt(time.Now().UnixNano(), 36)
		defer func() { _, _ = pool.Exec(ctx, "DROP TABLE "+table) }()
		pg, err := pgstate.New(ctx, pool, pgstate.WithTable(table))
		if err != nil {
			fmt.Println(err)
			return
		}
		store = pg
	}

	counters := state.NewTyped[int](store)
	for range 3 {
		if _, _, err := counters.Update(ctx, "visits", state.PutOptions{}, func(n int, _ bool) (int, error) { return n + 1, nil }); err != nil {
			fmt.Println(err)
			return
		}
	}
	n, _, err := counters.Get(ctx, "visits")
	fmt.Println(n, err)
	// Output: 3 <nil>
}
