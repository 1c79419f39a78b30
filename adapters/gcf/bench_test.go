package gcf

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// BenchmarkCloudEvent compares the adapter with a bare Functions Framework
// CloudEvent function on the same binary-mode request, served in-process.
// The framework's handler is the one funcframework.Start serves at "/" for a
// function registered with RegisterCloudEventFunctionContext.
func BenchmarkCloudEvent(b *testing.B) {
	body := []byte(`{"kind":"storage#object","name":"invoices/inv-17.pdf","bucket":"shop-uploads","size":"48213"}`)
	header := http.Header{}
	header.Set("Ce-Specversion", "1.0")
	header.Set("Ce-Id", "5518331928847211")
	header.Set("Ce-Type", "google.cloud.storage.object.v1.finalized")
	header.Set("Ce-Source", "//storage.googleapis.com/projects/_/buckets/shop-uploads")
	header.Set("Ce-Subject", "objects/invoices/inv-17.pdf")
	header.Set("Ce-Time", "2024-05-11T08:15:42.117Z")
	header.Set("Content-Type", "application/json")

	run := func(b *testing.B, h http.Handler) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			req.Header = header
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	}
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil })
	adapter, err := New(Events(h), WithGetenv(func(string) string { return "" }),
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	framework, err := ffWrapCloudEventFunction(context.Background(), func(ctx context.Context, e cloudevents.Event) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	// Warm both up first: the runtime sizes new goroutines' stacks (the SDK
	// starts one per request) from those seen before, which would otherwise
	// favour whichever runs second.
	for range 2000 {
		for _, h := range []http.Handler{adapter, framework} {
			req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			req.Header = header
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
	}
	b.Run("faasport", func(b *testing.B) { run(b, adapter) })
	b.Run("framework", func(b *testing.B) { run(b, framework) })
}
