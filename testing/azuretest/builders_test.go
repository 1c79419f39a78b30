package azuretest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/payload"
)

func TestBuildersThroughTheAdapter(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	invs := []struct {
		inv      Invocation
		types    []string
		ids      []string
		payloads []string // payload.Of(e).Data, "" to skip
		attempt  int
	}{
		{QueueMessage("q-1", `{"id":"o-1"}`, 2, at), []string{azure.TypeQueueMessage}, []string{"q-1"}, []string{`{"id":"o-1"}`}, 2},
		{ServiceBusMessage("m-1", "hello", 3, map[string]string{"k": "v"}, at), []string{azure.TypeServiceBusMessage}, []string{"m-1"}, []string{"hello"}, 3},
		{EventHubsEvents(at, `{"t":1}`, `{"t":2}`), []string{azure.TypeEventHubsEvent, azure.TypeEventHubsEvent}, []string{"0:1", "0:2"}, []string{`{"t":1}`, `{"t":2}`}, 0},
		{BlobWritten("uploads", "a/b.txt", []byte("content"), "0x1", at), []string{azure.TypeBlobWritten}, []string{"uploads/a/b.txt@0x1"}, []string{"content"}, 0},
		{CosmosChanges(at, map[string]any{"id": "d-1"}, map[string]any{"id": "d-2"}), []string{azure.TypeCosmosDBChange, azure.TypeCosmosDBChange}, []string{"d-1@1", "d-2@2"}, []string{"", ""}, 0},
		{EventGridEvent("eg-1", "Microsoft.Storage.BlobCreated", "/subscriptions/s", "/blobServices/default/containers/c/blobs/b", map[string]string{"url": "u"}, at), []string{"Microsoft.Storage.BlobCreated"}, []string{"eg-1"}, []string{`{"url":"u"}`}, 0},
		{TimerTick(at), []string{azure.TypeTimerTick}, []string{"Tick@2026-03-02T10:05:00Z"}, []string{""}, 0},
	}
	dir := t.TempDir()
	var all []Invocation
	for _, c := range invs {
		all = append(all, c.inv)
	}
	require.NoError(t, WriteApp(dir, all...))

	var mu sync.Mutex
	var got []event.Event
	var attempts []int
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, e)
		attempts = append(attempts, function.FromContext(ctx).Attempt)
		return nil, nil
	})
	host := Start(t, dir, azure.Events(h), azure.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	for _, c := range invs {
		t.Run(c.inv.Function, func(t *testing.T) {
			got, attempts = nil, nil
			res, err := host.Send(context.Background(), c.inv)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.Status, "body %s", res.Body)
			require.Len(t, got, len(c.types))
			for i, e := range got {
				assert.Equal(t, c.types[i], e.Type())
				assert.Equal(t, c.ids[i], e.ID())
				assert.Equal(t, c.attempt, attempts[i])
				if c.payloads[i] != "" {
					m, err := payload.Of(e)
					require.NoError(t, err)
					assert.Equal(t, c.payloads[i], string(m.Data))
				}
			}
		})
	}
}
