// Package testenv gives tests the addresses of the servers scripts/test
// starts, or skips the test with a message naming the variable to set, so
// plain `go test ./...` passes with no servers; and the inputs of a fuzz
// corpus, for tests that run what the fuzzers found.
package testenv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// FuzzCorpus returns the []byte values of the fuzz corpus files in dir
// (testdata/fuzz/FuzzX), keyed by file name, so that tests can also run
// what the fuzzers found. It fails t when dir holds no such file.
func FuzzCorpus(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fuzz corpus in %s (%v)", dir, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "[]byte("); ok {
				s, err := strconv.Unquote(strings.TrimSuffix(v, ")"))
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				out[filepath.Base(f)] = []byte(s)
			}
		}
	}
	return out
}
