package gcf_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/adapters/nethttp"
	"github.com/faasport/faasport/function"
)

// The same handler served by adapters/nethttp and by adapters/gcf receives
// identical CloudEvents for identical CloudEvent requests.
func TestParityWithNetHTTP(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		body   string
	}{
		{"binary JSON", []string{
			"Ce-Specversion", "1.0", "Ce-Id", "5518331928847400", "Ce-Type", "google.cloud.storage.object.v1.finalized",
			"Ce-Source", "//storage.googleapis.com/projects/_/buckets/shop-uploads", "Ce-Subject", "objects/a.pdf",
			"Ce-Time", "2024-05-11T08:16:40.123456Z", "Content-Type", "application/json"},
			string(readTestdata(t, "cloudevent/storage_binary.json"))},
		{"binary with extensions and dataschema", []string{
			"Ce-Specversion", "1.0", "Ce-Id", "x-1", "Ce-Type", "com.example.order.created", "Ce-Source", "/orders",
			"Ce-Dataschema", "https://example.com/schemas/order.json", "Ce-Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
			"Ce-Partitionkey", "customer-17", "Content-Type", "application/json; charset=utf-8"},
			`{"orderId":"o-1042","total":42.5}`},
		{"binary text", []string{
			"Ce-Specversion", "1.0", "Ce-Id", "t-1", "Ce-Type", "com.example.note", "Ce-Source", "/notes", "Content-Type", "text/plain"},
			`hello, world`},
		{"binary without data", []string{
			"Ce-Specversion", "1.0", "Ce-Id", "tick-1", "Ce-Type", "google.cloud.scheduler.job.v1.executed",
			"Ce-Source", "//cloudscheduler.googleapis.com/projects/p/locations/europe-west1/jobs/nightly"},
			``},
		{"structured JSON", []string{"Content-Type", "application/cloudevents+json"},
			string(readTestdata(t, "cloudevent/pubsub_structured.json"))},
		{"structured base64", []string{"Content-Type", "application/cloudevents+json; charset=utf-8"},
			`{"specversion":"1.0","id":"b-1","type":"com.example.blob","source":"/blobs","datacontenttype":"application/octet-stream","data_base64":"AAECAwQ=","exampleext":"v"}`},
		{"structured string data", []string{"Content-Type", "application/cloudevents+json"},
			`{"specversion":"1.0","id":"s-1","type":"com.example.greeting","source":"/greetings","datacontenttype":"text/plain","data":"hi there","time":"2024-05-01T00:00:00Z"}`},
		{"Pub/Sub push", []string{"Content-Type", "application/json"}, string(readTestdata(t, "push/message.json"))},
		{"unwrapped Pub/Sub push", []string{"Content-Type", "application/json", "X-Goog-Pubsub-Message-Id", "77",
			"X-Goog-Pubsub-Subscription-Name", "projects/p/subscriptions/s", "X-Goog-Pubsub-Publish-Time", "2024-05-17T11:00:00Z"}, `{"orderId":"o-7"}`},
		{"Cloud Scheduler", []string{"Content-Type", "application/json", "X-Cloudscheduler", "true",
			"X-Cloudscheduler-Jobname", "nightly", "X-Cloudscheduler-Scheduletime", "2024-05-17T00:00:00Z"}, `{"run":1}`},
		{"legacy event", []string{"Content-Type", "application/json"}, string(readTestdata(t, "legacy/storage_finalize.json"))},
		{"plain request", []string{"Content-Type", "application/json", "X-Request-Id", "req-1"}, `{"orderId":"o-8"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			viaGCF, viaNetHTTP := &recorder{}, &recorder{}
			g := newServer(t, gcf.Events(viaGCF))
			n := nethttp.New(nethttp.Events(viaNetHTTP), nethttp.WithLogger(quietLogger()))

			respG := post(g, "/", hdr(tt.header...), []byte(tt.body))
			respN := post(n, "/", hdr(tt.header...), []byte(tt.body))
			require.Less(t, respG.Code, 300, "gcf: %s", respG.Body)
			require.Less(t, respN.Code, 300, "nethttp: %s", respN.Body)

			eg, _ := viaGCF.only(t)
			en, _ := viaNetHTTP.only(t)
			jg, err := json.Marshal(eg)
			require.NoError(t, err)
			jn, err := json.Marshal(en)
			require.NoError(t, err)
			assert.JSONEq(t, string(jn), string(jg))
			assert.Equal(t, en.Data(), eg.Data(), "data bytes")
			assert.Equal(t, en.Extensions(), eg.Extensions())
		})
	}
	_ = http.StatusOK
}

// The same outcome gets the same answer from nethttp and gcf, for every
// format: acknowledged or redelivered, its status class and Retry-After.
func TestOutcomeParityWithNetHTTP(t *testing.T) {
	inputs := []struct {
		name   string
		header []string
		body   string
	}{
		{"binary", []string{"Ce-Specversion", "1.0", "Ce-Id", "1", "Ce-Type", "t", "Ce-Source", "/s", "Content-Type", "application/json"}, `{"qty":1}`},
		{"structured", []string{"Content-Type", "application/cloudevents+json"}, `{"specversion":"1.0","id":"1","type":"t","source":"/s","data":{"qty":1}}`},
		{"batch", []string{"Content-Type", "application/cloudevents-batch+json"}, `[{"specversion":"1.0","id":"1","type":"t","source":"/s","data":{"qty":1}}]`},
		{"push", []string{"Content-Type", "application/json"}, string(readTestdata(t, "push/message.json"))},
		{"legacy", []string{"Content-Type", "application/json"}, string(readTestdata(t, "legacy/storage_finalize.json"))},
		{"plain", []string{"Content-Type", "application/json"}, `{"qty":1}`},
		{"binary, not JSON", []string{"Ce-Specversion", "1.0", "Ce-Id", "1", "Ce-Type", "t", "Ce-Source", "/s", "Content-Type", "application/json"}, `qty=1`},
	}
	outcomes := []struct {
		name string
		h    function.Handler
	}{
		{"nil", function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) { return nil, nil })},
		{"retryable", function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) { return nil, errors.New("down") })},
		{"retry after", function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) {
			return nil, function.RetryAfter(errors.New("slow"), 3*time.Second)
		})},
		{"permanent", function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) {
			return nil, function.Permanent(errors.New("poison"))
		})},
		{"typed, cannot decode", function.Consume(func(_ context.Context, o struct{ Qty int }) error { return nil })},
		{"panic", function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) { panic("boom") })},
	}
	for _, in := range inputs {
		for _, out := range outcomes {
			t.Run(in.name+"/"+out.name, func(t *testing.T) {
				g := newServer(t, gcf.Events(out.h))
				n := nethttp.New(nethttp.Events(out.h), nethttp.WithLogger(quietLogger()))
				respG := post(g, "/", hdr(in.header...), []byte(in.body))
				respN := post(n, "/", hdr(in.header...), []byte(in.body))
				assert.Equal(t, frontdoor.Redelivered(respN.Code), frontdoor.Redelivered(respG.Code), "redelivered: nethttp %d, gcf %d", respN.Code, respG.Code)
				assert.Equal(t, respN.Code/100, respG.Code/100, "status class")
				if respN.Code != http.StatusNoContent {
					assert.Equal(t, respN.Code, respG.Code, "status")
				}
				assert.Equal(t, respN.Header().Get("Retry-After"), respG.Header().Get("Retry-After"))
			})
		}
	}
}
