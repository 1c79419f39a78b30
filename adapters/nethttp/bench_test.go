package nethttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/client"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/protocol"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/nethttp"
	"github.com/faasport/faasport/function"
)

// order is the 1 KiB payload of testdata/order.json.
type order struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	Currency  string    `json:"currency"`
	Total     float64   `json:"total"`
	CreatedAt time.Time `json:"createdAt"`
	Customer  struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Email string `json:"email"`
		Tier  string `json:"tier"`
	} `json:"customer"`
	Shipping struct {
		Street   string `json:"street"`
		City     string `json:"city"`
		Postcode string `json:"postcode"`
		Country  string `json:"country"`
	} `json:"shipping"`
	Items []struct {
		SKU      string  `json:"sku"`
		Name     string  `json:"name"`
		Quantity int     `json:"quantity"`
		Price    float64 `json:"price"`
	} `json:"items"`
	Tags    []string `json:"tags"`
	Notes   string   `json:"notes"`
	Payment struct {
		Method     string `json:"method"`
		Last4      string `json:"last4"`
		Authorised bool   `json:"authorised"`
		Reference  string `json:"reference"`
	} `json:"payment"`
}

// body is a request body that can be rewound without allocating.
type body struct{ *bytes.Reader }

func (body) Close() error { return nil }

// BenchmarkReceiveBinary serves the same binary-mode CloudEvent, carrying a
// 1 KiB JSON order, through three handlers that each decode the order:
// faasport's, the CloudEvents SDK's HTTP receiver, and a bare net/http one.
func BenchmarkReceiveBinary(b *testing.B) {
	data, err := os.ReadFile("testdata/order.json")
	require.NoError(b, err)
	benchmarkReceive(b, data)
}

// BenchmarkReceiveBinarySmall is BenchmarkReceiveBinary with a 30-byte
// order, so that decoding the data weighs little against the adapter's own
// work.
func BenchmarkReceiveBinarySmall(b *testing.B) {
	benchmarkReceive(b, []byte(`{"id":"o-20261123-000042"}`))
}

func benchmarkReceive(b *testing.B, data []byte) {
	var sink order

	faasport := nethttp.New(nethttp.Events(function.Consume(func(_ context.Context, o order) error {
		sink = o
		return nil
	})))

	p, err := cehttp.New()
	require.NoError(b, err)
	sdkgo, err := client.NewHTTPReceiveHandler(context.Background(), p, func(_ context.Context, e event.Event) protocol.Result {
		var o order
		if err := e.DataAs(&o); err != nil {
			return err
		}
		sink = o
		return nil
	})
	require.NoError(b, err)

	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var o order
		if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sink = o
		w.WriteHeader(http.StatusNoContent)
	})

	// The -nodecode pair measures the receivers alone: each handler only
	// takes the event, so what differs is all binding overhead. The other
	// three decode the 1 KiB JSON data into the same struct, as a real
	// handler would, which costs the same in all of them.
	faasportReceive := nethttp.New(nethttp.Events(function.HandlerFunc(func(_ context.Context, e event.Event) (*event.Event, error) {
		sink.ID = e.ID()
		return nil, nil
	})))
	sdkgoReceive, err := client.NewHTTPReceiveHandler(context.Background(), p, func(_ context.Context, e event.Event) protocol.Result {
		sink.ID = e.ID()
		return nil
	})
	require.NoError(b, err)

	for _, bc := range []struct {
		name string
		h    http.Handler
		want int
	}{
		{"faasport", faasport, http.StatusNoContent},
		{"sdkgo", sdkgo, http.StatusOK},
		{"nethttp", bare, http.StatusNoContent},
		{"faasport-nodecode", faasportReceive, http.StatusNoContent},
		{"sdkgo-nodecode", sdkgoReceive, http.StatusOK},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rd := body{bytes.NewReader(data)}
			req := httptest.NewRequest(http.MethodPost, "/", rd)
			req.Header.Set("Ce-Specversion", "1.0")
			req.Header.Set("Ce-Id", "o-20261123-000042")
			req.Header.Set("Ce-Source", "//shop.example.com/orders")
			req.Header.Set("Ce-Type", "com.example.order.created")
			req.Header.Set("Ce-Time", "2026-11-23T10:15:30Z")
			req.Header.Set("Content-Type", "application/json")
			req.ContentLength = int64(len(data))
			serve := func() *httptest.ResponseRecorder {
				rd.Reset(data)
				rec := httptest.NewRecorder()
				bc.h.ServeHTTP(rec, req)
				return rec
			}
			rec := serve()
			require.Equal(b, bc.want, rec.Code, rec.Body.String())
			sink = order{}
			serve()
			require.Equal(b, "o-20261123-000042", sink.ID)

			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				serve()
			}
		})
	}
}
