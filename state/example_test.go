package state_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/memstate"
)

func Example() {
	ctx := context.Background()
	var store state.Store = memstate.New() // or redisstate, dynamostate, pgstate

	v, err := store.Put(ctx, "job/42", []byte("running"), state.PutOptions{IfAbsent: true, TTL: time.Minute})
	if err != nil {
		fmt.Println("put:", err)
		return
	}
	_, err = store.Put(ctx, "job/42", []byte("running"), state.PutOptions{IfAbsent: true})
	var ce *state.ConflictError
	if errors.As(err, &ce) {
		fmt.Printf("job/42 is taken: %s\n", ce.Current.Value)
	}
	fmt.Println("released:", store.Delete(ctx, "job/42", v) == nil)
	// Output:
	// job/42 is taken: running
	// released: true
}

func ExampleTyped() {
	type cart struct{ Items []string }
	ctx := context.Background()
	carts := state.NewTyped[cart](memstate.New())

	_, _, err := carts.Update(ctx, "cart/7", state.PutOptions{TTL: 24 * time.Hour}, func(c cart, _ bool) (cart, error) {
		c.Items = append(c.Items, "tea")
		return c, nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, _, _ := carts.Get(ctx, "cart/7")
	fmt.Println(c.Items)
	// Output: [tea]
}
