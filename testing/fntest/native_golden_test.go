package fntest_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/fntest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/native")

func goldenRequest() *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/orders?q=1&q=2", strings.NewReader(`{"id":"o-1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "fntest")
	return req
}

// The native shapes, pinned: a change to a builder shows as a diff against
// testdata/native (go test -run TestNativeGolden -update rewrites them).
func TestNativeGolden(t *testing.T) {
	item := map[string]any{"id": "o-1", "qty": 2}
	inputs := map[string]fntest.Input{
		"sqs":                  fntest.SQS(`{"id":"o-1"}`, fntest.Attribute("origin", "web")),
		"sqs-fifo-batch":       fntest.SQS("", fntest.Bodies("a", "b"), fntest.Group("g"), fntest.Attempt(2)),
		"sns":                  fntest.SNS(`{"id":"o-1"}`),
		"kinesis":              fntest.Kinesis(`{"id":"o-1"}`),
		"kafka":                fntest.Kafka(`{"id":"o-1"}`, fntest.Group("k")),
		"s3":                   fntest.S3("photos", "cats/tom 1.jpg", 42, fntest.Version("v1")),
		"dynamodb":             fntest.DynamoDB("orders", map[string]any{"id": "o-1"}, item, nil),
		"eventbridge":          fntest.EventBridge("order.placed", "com.example.shop", `{"id":"o-1"}`),
		"eventbridge-schedule": fntest.EventBridgeSchedule("nightly"),
		"apigw-v1":             fntest.APIGatewayV1(goldenRequest()),
		"apigw-v2":             fntest.APIGatewayV2(goldenRequest()),
		"alb":                  fntest.ALB(goldenRequest()),
		"function-url":         fntest.FunctionURL(goldenRequest()),
		"pubsub":               fntest.PubSub(`{"id":"o-1"}`, fntest.Group("k"), fntest.Attempt(3)),
		"gcs":                  fntest.GCS("photos", "cats/tom 1.jpg", 42, fntest.ContentType("image/jpeg")),
		"firestore":            fntest.Firestore("orders/o-1", item, map[string]any{"id": "o-1", "qty": 1}),
		"cloud-scheduler":      fntest.CloudScheduler("nightly"),
		"eventarc":             fntest.Eventarc("order.placed", "com.example.shop", `{"id":"o-1"}`, fntest.Attribute("tenant", "t1")),
		// Azure Functions: the {"Data", "Metadata"} body the host posts.
		"azure-servicebus":     fntest.ServiceBus(`{"id":"o-1"}`, fntest.Attribute("origin", "web"), fntest.Group("s-1"), fntest.Attempt(2)),
		"azure-queue":          fntest.QueueStorage(`{"id":"o-1"}`),
		"azure-eventhubs":      fntest.EventHubs("", fntest.Bodies(`{"t":1}`, `{"t":2}`), fntest.Group("device-1")),
		"azure-blob":           fntest.Blob("photos", "cats/tom 1.jpg", []byte("meow"), fntest.Version("v1"), fntest.ContentType("image/jpeg")),
		"azure-storage-object": fntest.StorageObject("photos", "cats/tom 1.jpg", 4),
		"azure-eventgrid":      fntest.BusEvent("order.placed", "com.example.shop", `{"id":"o-1"}`),
		"azure-cloudevent":     fntest.Raw([]byte(`{"specversion":"1.0","id":"ce-1","source":"/shop","type":"order.placed","datacontenttype":"application/json","data":{"id":"o-1"}}`)),
		"azure-cosmosdb":       fntest.DatabaseChange("orders", map[string]any{"id": "o-1"}, item, nil),
		"azure-timer":          fntest.ScheduleTick("nightly"),
		"azure-http-data":      fntest.AzureHTTP(goldenRequest()),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			p := function.PlatformLambda
			switch {
			case strings.HasPrefix(name, "azure-"):
				p = function.PlatformAzureFunctions
			case !in.On(p):
				p = function.PlatformCloudFunctions
			}
			got, err := in.Payload(p)
			require.NoError(t, err)
			path := filepath.Join("testdata", "native", name+".json")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				var pretty bytes.Buffer
				require.NoError(t, json.Indent(&pretty, got, "", "  "))
				pretty.WriteByte('\n')
				require.NoError(t, os.WriteFile(path, pretty.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -run TestNativeGolden -update to write the golden file")
			assert.JSONEq(t, string(want), string(got))
		})
	}
}
