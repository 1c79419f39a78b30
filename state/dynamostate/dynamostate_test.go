package dynamostate_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/internal/proxytest"
	"github.com/faasport/faasport/internal/testenv"
	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/dynamostate"
	"github.com/faasport/faasport/testing/statetest"
)

func newClient(endpoint string, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, optFns...)
}

// newTable creates a table of its own for the test and deletes it after.
func newTable(t testing.TB, c *dynamodb.Client) string {
	t.Helper()
	table := "faasport-test-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, dynamostate.CreateTable(ctx, c, table))
	t.Cleanup(func() {
		_, _ = c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &table})
	})
	return table
}

func TestConformance(t *testing.T) {
	c := newClient(testenv.DynamoDBEndpoint(t))
	table := newTable(t, c)
	statetest.Run(t, func(t *testing.T) state.Store {
		return dynamostate.New(c, table)
	})
}

func TestCreateTableTwice(t *testing.T) {
	c := newClient(testenv.DynamoDBEndpoint(t))
	table := newTable(t, c)
	require.NoError(t, dynamostate.CreateTable(context.Background(), c, table), "an existing table is fine")
	out, err := c.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: &table})
	require.NoError(t, err)
	assert.Equal(t, dynamostate.KeyAttribute, aws.ToString(out.Table.KeySchema[0].AttributeName))
}

func TestItemLayout(t *testing.T) {
	c := newClient(testenv.DynamoDBEndpoint(t))
	table := newTable(t, c)
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 250_000_000)
	s := dynamostate.New(c, table, dynamostate.WithPrefix("app/"), dynamostate.WithClock(func() time.Time { return now }))
	_, err := s.Put(ctx, "k", []byte("v"), state.PutOptions{TTL: 1500 * time.Millisecond})
	require.NoError(t, err)

	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &table,
		Key:       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "app/k"}},
	})
	require.NoError(t, err)
	require.NotEmpty(t, out.Item, "the prefix is part of the partition key")
	exp, ok := out.Item[dynamostate.TTLAttribute].(*types.AttributeValueMemberN)
	require.True(t, ok, "the TTL attribute is a number")
	assert.Equal(t, "1800000002", exp.Value, "Unix seconds, rounded up")
}

// TestExpiredButNotDeleted covers DynamoDB's late TTL deletion: an item
// past its expiry that is still in the table is neither returned nor in the
// way of a write.
func TestExpiredButNotDeleted(t *testing.T) {
	c := newClient(testenv.DynamoDBEndpoint(t))
	table := newTable(t, c)
	ctx := context.Background()
	now := time.Now()
	s := dynamostate.New(c, table, dynamostate.WithClock(func() time.Time { return now }))
	v, err := s.Put(ctx, "k", []byte("v"), state.PutOptions{TTL: time.Minute})
	require.NoError(t, err)

	now = now.Add(time.Hour) // the item is still stored, but expired
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"Get", func() error { _, err := s.Get(ctx, "k"); return err }, state.ErrNotFound},
		{"Put IfVersion", func() error { _, err := s.Put(ctx, "k", []byte("x"), state.PutOptions{IfVersion: v}); return err }, state.ErrConflict},
		{"Delete IfVersion", func() error { return s.Delete(ctx, "k", v) }, state.ErrConflict},
		{"Put IfAbsent", func() error { _, err := s.Put(ctx, "k", []byte("x"), state.PutOptions{IfAbsent: true}); return err }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			var ce *state.ConflictError
			if errors.As(err, &ce) {
				require.Nil(t, ce.Current, "an expired item is never current")
			}
		})
	}
}

func TestReliability(t *testing.T) {
	ep := testenv.DynamoDBEndpoint(t)
	table := newTable(t, newClient(ep))
	host := ep[len("http://"):]
	p := proxytest.Start(t, host)
	c := newClient("http://"+p.Addr, func(o *dynamodb.Options) { o.RetryMaxAttempts = 2 })
	statetest.CheckNetwork(t, dynamostate.New(c, table), p)
}
