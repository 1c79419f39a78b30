package reliability_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/idempotency"
	"github.com/faasport/faasport/internal/testenv"
	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/dynamostate"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/state/pgstate"
	"github.com/faasport/faasport/state/redisstate"
)

// backend makes a store on one real server; it skips when the server's
// variable is unset.
type backend struct {
	name  string
	store func(t *testing.T) state.Store
}

func backends() []backend {
	return []backend{
		{name: "memstate", store: func(*testing.T) state.Store { return memstate.New() }},
		{name: "redis", store: func(t *testing.T) state.Store { return redisstate.New(redisClient(t, testenv.RedisAddr(t), nil)) }},
		{name: "dynamodb", store: dynamoStore},
		{name: "postgres", store: pgStore},
	}
}

// forEachBackend runs f on every backend, with a key prefix of its own.
func forEachBackend(t *testing.T, f func(t *testing.T, store state.Store, prefix idempotency.Option)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			f(t, b.store(t), idempotency.WithKeyPrefix(uniquePrefix()))
		})
	}
}

func uniquePrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "faasport-idem-test/" + hex.EncodeToString(b[:]) + "/"
}

func uniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// redisClient returns a client on addr that honours contexts, as
// redisstate.NewClient makes them, with the options given.
func redisClient(t testing.TB, addr string, o *redis.Options) *redis.Client {
	t.Helper()
	if o == nil {
		o = &redis.Options{PoolSize: 64}
	}
	o.Addr = addr
	c := redisstate.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.Ping(context.Background()).Err(), "ping Redis at %s", addr)
	return c
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
	table := uniqueName("faasport-idem-")
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
	table := uniqueName("faasport_idem_")
	t.Cleanup(func() {
		_, _ = pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+pgx.Identifier{table}.Sanitize())
		pool.Close()
	})
	s, err := pgstate.New(context.Background(), pool, pgstate.WithTable(table))
	require.NoError(t, err)
	return s
}

// newEvent returns an event with a JSON data payload.
func newEvent(t testing.TB, source, id string, data any) event.Event {
	t.Helper()
	e := event.New()
	e.SetID(id)
	e.SetSource(source)
	e.SetType("com.example.order.created")
	require.NoError(t, e.SetData(event.ApplicationJSON, data))
	return e
}

// quiet is a logger for tests that provoke loud logs on purpose.
func quiet() idempotency.Option { return idempotency.WithLogger(slog.New(slog.DiscardHandler)) }

// countingStore counts round trips to the store it wraps and remembers the
// keys it was asked for.
type countingStore struct {
	state.Store
	calls atomic.Int64
	mu    sync.Mutex
	keys  []string
}

func (s *countingStore) note(key string) {
	s.calls.Add(1)
	s.mu.Lock()
	s.keys = append(s.keys, key)
	s.mu.Unlock()
}

func (s *countingStore) Get(ctx context.Context, key string) (state.Item, error) {
	s.note(key)
	return s.Store.Get(ctx, key)
}

func (s *countingStore) Put(ctx context.Context, key string, value []byte, o state.PutOptions) (string, error) {
	s.note(key)
	return s.Store.Put(ctx, key, value, o)
}

func (s *countingStore) Delete(ctx context.Context, key string, ifVersion string) error {
	s.note(key)
	return s.Store.Delete(ctx, key, ifVersion)
}

// lastKey is the key of the latest call.
func (s *countingStore) lastKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keys) == 0 {
		return ""
	}
	return s.keys[len(s.keys)-1]
}
