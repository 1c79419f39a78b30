package azure_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/benchpair"
	"github.com/faasport/faasport/payload"
)

// order is the message the benchmark's Service Bus invocation carries.
type order struct {
	ID       string  `json:"id"`
	Status   string  `json:"status"`
	Currency string  `json:"currency"`
	Total    float64 `json:"total"`
	Customer struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"customer"`
	Items []struct {
		SKU      string  `json:"sku"`
		Quantity int     `json:"quantity"`
		Price    float64 `json:"price"`
	} `json:"items"`
	Tags []string `json:"tags"`
}

// body is a request body that can be rewound without allocating.
type body struct{ *bytes.Reader }

func (body) Close() error { return nil }

func serviceBusInvocation(tb testing.TB) []byte {
	o := order{ID: "o-20261123-000042", Status: "paid", Currency: "EUR", Total: 129.9, Tags: []string{"priority", "gift"}}
	o.Customer.ID, o.Customer.Name, o.Customer.Email = "c-7", "Ada Lovelace", "ada@example.com"
	for i := range 8 {
		o.Items = append(o.Items, struct {
			SKU      string  `json:"sku"`
			Quantity int     `json:"quantity"`
			Price    float64 `json:"price"`
		}{SKU: "sku-" + string(rune('a'+i)), Quantity: i + 1, Price: 9.99})
	}
	msg, err := json.Marshal(o)
	require.NoError(tb, err)
	req := map[string]any{
		"Data": map[string]any{"message": string(msg)},
		"Metadata": map[string]any{
			"MessageId": "pay-0001", "SessionId": "customer-7", "ContentType": "application/json",
			"DeliveryCount": 1, "SequenceNumber": 81, "EnqueuedTimeUtc": "2026-03-02T09:59:58.123Z",
			"ExpiresAtUtc": "2026-03-16T09:59:58.123Z", "LockToken": "a3b1d2c4-0000-4f00-8a00-000000000001",
			"ApplicationProperties": map[string]string{"tenant": "acme"},
			"sys":                   map[string]string{"MethodName": "Payments", "UtcNow": "2026-03-02T10:00:00Z", "RandGuid": "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d"},
		},
	}
	b, err := json.Marshal(req)
	require.NoError(tb, err)
	return b
}

// BenchmarkServiceBus serves the same Service Bus invocation, carrying a
// ~600-byte JSON order, through faasport's Azure adapter and through a bare
// net/http custom handler that decodes the same JSON (the request, then
// the message into the order) and answers the same response payload.
func BenchmarkServiceBus(b *testing.B) {
	invocation := serviceBusInvocation(b)
	var sink order
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	faasport, err := azure.New(
		azure.WithScriptRoot("testdata/app"),
		azure.WithLogger(quiet),
		azure.Events(function.HandlerFunc(func(_ context.Context, e event.Event) (*event.Event, error) {
			// An untyped handler finds the message with payload.Of (the
			// envelope's Data, with its metadata) and decodes it itself.
			m, err := payload.Of(e)
			if err != nil {
				return nil, function.Permanent(err)
			}
			if err := json.Unmarshal(m.Data, &sink); err != nil {
				return nil, function.Permanent(err)
			}
			return nil, nil
		})))
	require.NoError(b, err)

	// consume is the README's Quick Start shape: a typed handler, the
	// message decoded into the order by payload.
	consume, err := azure.New(
		azure.WithScriptRoot("testdata/app"),
		azure.WithLogger(quiet),
		azure.Events(function.Consume(func(_ context.Context, o order) error {
			sink = o
			return nil
		})))
	require.NoError(b, err)

	done := []byte(`{"Outputs":{},"Logs":[],"ReturnValue":null}`)
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Data struct {
				Message string `json:"message"`
			}
			Metadata struct {
				MessageID     string `json:"MessageId"`
				DeliveryCount int
			}
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := json.Unmarshal([]byte(req.Data.Message), &sink); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(done)
	})

	// serveWith returns a function that serves the invocation through h,
	// on a request and body reused from one call to the next.
	serveWith := func(h http.Handler) func() *httptest.ResponseRecorder {
		rd := body{bytes.NewReader(invocation)}
		req := httptest.NewRequest(http.MethodPost, "/Payments", rd)
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.Header.Set(azure.HeaderInvocationID, "0e7a35c2-1d1c-4a8e-8f0e-4c9b7b9d6a02")
		req.Header.Set(azure.HeaderHostVersion, "4.1036.1.23224")
		req.ContentLength = int64(len(invocation))
		return func() *httptest.ResponseRecorder {
			rd.Reset(invocation)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
	}
	check := func(b *testing.B, serve func() *httptest.ResponseRecorder) {
		rec := serve()
		require.Equal(b, http.StatusOK, rec.Code, rec.Body.String())
		sink = order{}
		serve()
		require.Equal(b, "o-20261123-000042", sink.ID)
	}

	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"faasport", faasport},
		{"consume", consume},
		{"nethttp", bare},
	} {
		b.Run(bc.name, func(b *testing.B) {
			serve := serveWith(bc.h)
			check(b, serve)
			b.ReportAllocs()
			b.SetBytes(int64(len(invocation)))
			for b.Loop() {
				serve()
			}
		})
	}

	// paired serves an adapter and the bare handler alternately, in
	// chunks, and reports their times and ratio: the machine's load drifts
	// alike for both, unlike between the runs above. paired-consume does
	// so for the typed handler.
	paired := func(h http.Handler) func(b *testing.B) {
		return func(b *testing.B) {
			ours, theirs := serveWith(h), serveWith(bare)
			check(b, ours)
			check(b, theirs)
			benchpair.Run(b, "faasport", func() { ours() }, "nethttp", func() { theirs() })
		}
	}
	b.Run("paired", paired(faasport))
	b.Run("paired-consume", paired(consume))
}
