package dynamostate_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/faasport/faasport/internal/testenv"
	"github.com/faasport/faasport/state/dynamostate"
	"github.com/faasport/faasport/testing/statetest"
)

func BenchmarkStore(b *testing.B) {
	c := newClient(testenv.DynamoDBEndpoint(b))
	table := newTable(b, c)
	b.Run("dynamodb", func(b *testing.B) { statetest.Benchmark(b, dynamostate.New(c, table)) })
}

// BenchmarkDynamoPutItemIfAbsent is the bare SDK doing what PutIfAbsent
// does, for comparison with BenchmarkStore/dynamodb/PutIfAbsent.
func BenchmarkDynamoPutItemIfAbsent(b *testing.B) {
	c := newClient(testenv.DynamoDBEndpoint(b))
	table := newTable(b, c)
	ctx := context.Background()
	value := make([]byte, 256)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: &table,
			Item: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "k" + strconv.Itoa(i)},
				"v":  &types.AttributeValueMemberB{Value: value},
			},
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDynamoGetItem is the bare SDK reading one item, for comparison
// with BenchmarkStore/dynamodb/Get.
func BenchmarkDynamoGetItem(b *testing.B) {
	c := newClient(testenv.DynamoDBEndpoint(b))
	table := newTable(b, c)
	ctx := context.Background()
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"}}
	_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{
		"pk": key["pk"], "v": &types.AttributeValueMemberB{Value: make([]byte, 256)},
	}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key, ConsistentRead: aws.Bool(true)}); err != nil {
			b.Fatal(err)
		}
	}
}
