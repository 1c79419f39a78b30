package emf_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/faasport/faasport/middleware/otelsetup/emf"
)

func Example() {
	// On Lambda, leave out WithWriter: the documents go to standard output,
	// and CloudWatch Logs makes metrics of them.
	var stdout bytes.Buffer
	reader := sdkmetric.NewPeriodicReader(emf.New(emf.WithNamespace("orders"), emf.WithWriter(&stdout)))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()

	placed, _ := mp.Meter("orders").Int64Counter("orders.placed")
	placed.Add(context.Background(), 2)
	_ = mp.ForceFlush(context.Background()) // otelsetup does this once per invocation

	var doc struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Namespace string
				Metrics   []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Placed int `json:"orders.placed"`
	}
	_ = json.Unmarshal([]byte(strings.TrimSpace(stdout.String())), &doc)
	d := doc.AWS.CloudWatchMetrics[0]
	fmt.Println(d.Namespace, d.Metrics[0].Name, d.Metrics[0].Unit, doc.Placed)
	// Output:
	// orders orders.placed None 2
}
