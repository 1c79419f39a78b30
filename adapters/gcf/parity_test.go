package gcf_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/adapters/nethttp"
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
