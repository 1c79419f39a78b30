package idempotency

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/internal/testenv"
	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/dynamostate"
	"github.com/faasport/faasport/state/pgstate"
)

// moreBackends lists the backends beyond memstate and Redis.
func moreBackends() []backend {
	return []backend{
		{name: "dynamodb", store: dynamoStore},
		{name: "postgres", store: pgStore},
	}
}

// dynamoStore returns a store on a table of its own on the dynalite server
// at FAASPORT_DYNAMODB_ENDPOINT, deleted when the test ends.
func dynamoStore(t *testing.T) state.Store {
	t.Helper()
	endpoint := testenv.DynamoDBEndpoint(t)
	c := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		// dynalite drops connections when a thousand arrive at once; a
		// bounded pool queues requests in the client instead, as a
		// production client would.
		HTTPClient: awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.MaxConnsPerHost = 32
		}),
	})
	table := "faasport-idem-" + uniquePrefix()[len("faasport-idem-test/"):len("faasport-idem-test/")+12]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, dynamostate.CreateTable(ctx, c, table))
	t.Cleanup(func() {
		_, _ = c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &table})
	})
	return dynamostate.New(c, table)
}

// pgStore returns a store on a table of its own in the database at
// FAASPORT_POSTGRES_URL, dropped when the test ends.
func pgStore(t *testing.T) state.Store {
	t.Helper()
	url := testenv.PostgresURL(t)
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	cfg.MaxConns = 32
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	table := "faasport_idem_" + uniquePrefix()[len("faasport-idem-test/"):len("faasport-idem-test/")+12]
	t.Cleanup(func() {
		_, _ = pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+pgx.Identifier{table}.Sanitize())
		pool.Close()
	})
	s, err := pgstate.New(context.Background(), pool, pgstate.WithTable(table))
	require.NoError(t, err)
	return s
}
