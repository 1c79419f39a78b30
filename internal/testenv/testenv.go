// Package testenv gives tests the addresses of the servers scripts/test
// starts, or skips the test with a message naming the variable to set, so
// plain `go test ./...` passes with no servers.
package testenv

import (
	"os"
	"testing"
)

func lookup(t testing.TB, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("set %s to run: %s (./scripts/test starts one and sets it)", name, what)
	}
	return v
}

// RedisAddr returns FAASPORT_REDIS_ADDR or skips the test.
func RedisAddr(t testing.TB) string {
	t.Helper()
	return lookup(t, "FAASPORT_REDIS_ADDR", "the address of a Redis server on loopback, e.g. 127.0.0.1:6379")
}

// PostgresURL returns FAASPORT_POSTGRES_URL or skips the test.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return lookup(t, "FAASPORT_POSTGRES_URL", "a PostgreSQL database on loopback, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
}

// DynamoDBEndpoint returns FAASPORT_DYNAMODB_ENDPOINT or skips the test.
func DynamoDBEndpoint(t testing.TB) string {
	t.Helper()
	return lookup(t, "FAASPORT_DYNAMODB_ENDPOINT", "the URL of a DynamoDB-compatible server on loopback (dynalite), e.g. http://127.0.0.1:8000")
}
