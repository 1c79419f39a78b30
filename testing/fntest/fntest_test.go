package fntest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/adaptertest"
	"github.com/faasport/faasport/testing/fntest"
	"github.com/faasport/faasport/trigger"
)

// The same queue handler sees the same message on every platform, and its
// errors steer redelivery the same way.
func TestQueueMessageOnEveryPlatform(t *testing.T) {
	var got []trigger.Message
	h := trigger.Queue(func(_ context.Context, m trigger.Message) error {
		got = append(got, m)
		switch string(m.Body) {
		case "fail":
			return errors.New("try again")
		case "poison":
			return function.Permanent(errors.New("never again"))
		}
		return nil
	})

	fntest.OnEveryPlatform(t, h, fntest.QueueMessage(`{"id":"o-1"}`), func(t *testing.T, r fntest.Result) {
		require.NoError(t, r.Err)
		assert.Equal(t, 1, r.Calls)
		assert.False(t, r.Redelivered)
		m := got[len(got)-1]
		assert.Equal(t, "fntest-1", m.ID)
		assert.JSONEq(t, `{"id":"o-1"}`, string(m.Body))
	})
	require.Len(t, got, 4)

	fntest.OnEveryPlatform(t, h, fntest.QueueMessage("fail"), func(t *testing.T, r fntest.Result) {
		require.Error(t, r.Err)
		assert.True(t, r.Redelivered, "a retryable error is redelivered on %s (status %d, response %s)", r.Platform, r.Status, r.Response)
	})
	fntest.OnEveryPlatform(t, h, fntest.QueueMessage("poison"), func(t *testing.T, r fntest.Result) {
		require.Error(t, r.Err)
		assert.True(t, function.IsPermanent(r.Err))
		assert.False(t, r.Redelivered, "a permanent error is not redelivered on %s (status %d)", r.Platform, r.Status)
	})
}

func TestStorageObjectOnEveryPlatform(t *testing.T) {
	h := trigger.Storage(func(_ context.Context, o trigger.Object) error {
		if o.Bucket != "photos" || o.Key != "cats/tom 1.jpg" || o.Size != 42 || o.Change != trigger.ObjectCreated {
			return function.Permanent(errors.New("unexpected object " + o.Bucket + "/" + o.Key))
		}
		return nil
	})
	fntest.OnEveryPlatform(t, h, fntest.StorageObject("photos", "cats/tom 1.jpg", 42), func(t *testing.T, r fntest.Result) {
		require.NoError(t, r.Err)
		assert.Equal(t, 1, r.Calls)
	})
}

func TestServeOnEveryPlatform(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]string{"path": r.URL.Path, "q": r.URL.Query().Get("q"), "body": string(body)})
	})
	req, err := http.NewRequest(http.MethodPost, "/orders?q=1", strings.NewReader("hello"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "text/plain")
	fntest.Serve(t, h, req, func(t *testing.T, p function.Platform, resp *http.Response) {
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.JSONEq(t, `{"path":"/orders","q":"1","body":"hello"}`, string(b))
	})
}

// OnEveryPlatform runs on the platform of every adapter harness, and
// reports redelivery from the one answer table.
func TestEveryHarnessPlatform(t *testing.T) {
	var seen []function.Platform
	h := function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) {
		return nil, function.Permanent(errors.New("poison"))
	})
	fntest.OnEveryPlatform(t, h, fntest.QueueMessage(`{"id":"o-1"}`), func(t *testing.T, r fntest.Result) {
		seen = append(seen, r.Platform)
		assert.False(t, r.Redelivered, "a permanent failure is acknowledged on %s (status %d)", r.Platform, r.Status)
	})
	var want []function.Platform
	for _, hh := range adaptertest.Harnesses() {
		want = append(want, hh.Platform())
	}
	assert.Equal(t, want, seen)
	assert.Contains(t, seen, function.PlatformAzureFunctions)
}
