package redisstate_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/state/redisstate"
)

// The store is Redis when an address is configured and in-memory otherwise
// (as in unit tests); the code using it is the same.
func Example() {
	ctx := context.Background()
	var store state.Store = memstate.New()
	if addr := os.Getenv("FAASPORT_REDIS_ADDR"); addr != "" {
		client := redis.NewClient(&redis.Options{Addr: addr})
		defer client.Close()
		prefix := "example/" + strconv.FormatInt(time.Now().UnixNano(), 36) + "/"
		store = redisstate.New(client, redisstate.WithPrefix(prefix))
	}

	lease, err := store.Put(ctx, "job/42", []byte("worker-1"), state.PutOptions{IfAbsent: true, TTL: 30 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = store.Put(ctx, "job/42", []byte("worker-2"), state.PutOptions{IfAbsent: true, TTL: 30 * time.Second})
	var conflict *state.ConflictError
	if errors.As(err, &conflict) {
		fmt.Printf("job/42 is held by %s\n", conflict.Current.Value)
	}
	fmt.Println("released:", store.Delete(ctx, "job/42", lease))
	// Output:
	// job/42 is held by worker-1
	// released: <nil>
}
