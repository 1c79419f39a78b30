package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// errNotFound is returned by Blobs.Get for a missing object. A storage
// event can arrive before the object is readable everywhere, so callers
// treat it as retryable.
var errNotFound = errors.New("thumbnails: object not found")

// Blobs is the object storage the function reads uploads from and writes
// thumbnails to: a few lines over the S3 or Cloud Storage client in a
// deployment (see the README), memBlobs locally and in tests.
type Blobs interface {
	Get(ctx context.Context, bucket, key string) ([]byte, error)
	Put(ctx context.Context, bucket, key string, data []byte, contentType string) error
}

// memBlobs is the in-memory Blobs: the embedded default.
type memBlobs struct {
	mu      sync.Mutex
	objects map[string]blob
	puts    int
}

type blob struct {
	data        []byte
	contentType string
}

func newMemBlobs() *memBlobs { return &memBlobs{objects: map[string]blob{}} }

func (m *memBlobs) Get(_ context.Context, bucket, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objects[bucket+"/"+key]
	if !ok {
		return nil, fmt.Errorf("%w: %s/%s", errNotFound, bucket, key)
	}
	return b.data, nil
}

func (m *memBlobs) Put(_ context.Context, bucket, key string, data []byte, contentType string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[bucket+"/"+key] = blob{data: append([]byte(nil), data...), contentType: contentType}
	m.puts++
	return nil
}

// object returns a stored object and its content type.
func (m *memBlobs) object(bucket, key string) (blob, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objects[bucket+"/"+key]
	return b, ok
}

// keys lists the keys in bucket under prefix.
func (m *memBlobs) keys(bucket, prefix string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range m.objects {
		if rest, ok := strings.CutPrefix(k, bucket+"/"); ok && strings.HasPrefix(rest, prefix) {
			out = append(out, rest)
		}
	}
	sort.Strings(out)
	return out
}

// writes reports how many objects were written.
func (m *memBlobs) writes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.puts
}
