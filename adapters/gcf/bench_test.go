package gcf_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/function"
)

// BenchmarkCloudEvent compares the adapter with a bare Functions Framework
// CloudEvent function on the same binary-mode request, each behind a real
// loopback listener and the same client: the framework's handler is only
// reachable through funcframework.StartHostPort, its public API.
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

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	run := func(b *testing.B, url string) {
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			req.Header = header
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil })
	adapter, err := gcf.New(gcf.Events(h), gcf.WithGetenv(env()), gcf.WithLogger(quietLogger()))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(adapter)
	defer srv.Close()
	fw := startFramework(b)
	for range 500 { // warm both up: connections, goroutine stacks
		for _, u := range []string{srv.URL, fw.url + "/bench"} {
			req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
			req.Header = header
			if resp, err := client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		}
	}
	b.Run("faasport", func(b *testing.B) { run(b, srv.URL) })
	b.Run("framework", func(b *testing.B) { run(b, fw.url+"/bench") })
}
