package dynamostate_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/dynamostate"
	"github.com/faasport/faasport/state/memstate"
)

// The store is DynamoDB when an endpoint is configured and in-memory
// otherwise (as in unit tests); the code using it is the same.
func Example() {
	ctx := context.Background()
	var store state.Store = memstate.New()
	if ep := os.Getenv("FAASPORT_DYNAMODB_ENDPOINT"); ep != "" {
		// In production: dynamodb.NewFromConfig(cfg) and a table made by
		// infrastructure code with "expires_at" as its TTL attribute.
		client := newClient(ep)
		table := "faasport-example-" + time.Now().Format("150405.000000")
		if err := dynamostate.CreateTable(ctx, client, table); err != nil {
			fmt.Println(err)
			return
		}
		defer func() { _, _ = client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: &table}) }()
		store = dynamostate.New(client, table)
	}

	v, err := store.Put(ctx, "order/7", []byte("paid"), state.PutOptions{IfAbsent: true, TTL: time.Hour})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = store.Put(ctx, "order/7", []byte("paid"), state.PutOptions{IfAbsent: true})
	fmt.Println("duplicate refused:", errors.Is(err, state.ErrConflict))
	_, err = store.Put(ctx, "order/7", []byte("shipped"), state.PutOptions{IfVersion: v})
	fmt.Println("update with the version:", err)
	// Output:
	// duplicate refused: true
	// update with the version: <nil>
}
