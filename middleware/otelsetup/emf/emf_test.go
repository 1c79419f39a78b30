package emf_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/faasport/faasport/middleware/otelsetup/emf"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var at = time.Date(2026, 3, 4, 5, 6, 7, 8_000_000, time.UTC)

func attrs(kv ...attribute.KeyValue) attribute.Set { return attribute.NewSet(kv...) }

func manyAttrs(n int) attribute.Set {
	kvs := make([]attribute.KeyValue, n)
	for i := range kvs {
		kvs[i] = attribute.Int(fmt.Sprintf("a%02d", i), i)
	}
	return attribute.NewSet(kvs...)
}

func hist(count uint64, sum float64, min, max float64, bounds []float64, counts []uint64) metricdata.HistogramDataPoint[float64] {
	return metricdata.HistogramDataPoint[float64]{
		Attributes: attrs(attribute.String("faas.trigger", "pubsub")), Time: at,
		Count: count, Sum: sum, Min: metricdata.NewExtrema(min), Max: metricdata.NewExtrema(max),
		Bounds: bounds, BucketCounts: counts,
	}
}

func TestGolden(t *testing.T) {
	res := resource.NewSchemaless(semconv.ServiceName("orders"), semconv.CloudRegion("eu-west-1"))
	scope := instrumentation.Scope{Name: "github.com/faasport/faasport/middleware"}
	big := make([]uint64, 3)
	big[1] = 150
	tests := []struct {
		name string
		opts []emf.Option
		rm   *metricdata.ResourceMetrics
	}{
		{name: "counters and gauges share a document per attribute set", rm: &metricdata.ResourceMetrics{Resource: res, ScopeMetrics: []metricdata.ScopeMetrics{{Scope: scope, Metrics: []metricdata.Metrics{
			{Name: "faas.invocations", Unit: "{invocation}", Data: metricdata.Sum[int64]{Temporality: metricdata.DeltaTemporality, IsMonotonic: true, DataPoints: []metricdata.DataPoint[int64]{
				{Attributes: attrs(attribute.String("faas.trigger", "pubsub")), Time: at, Value: 10},
				{Attributes: attrs(attribute.String("faas.trigger", "http")), Time: at, Value: 2},
			}}},
			{Name: "faas.errors", Unit: "{error}", Data: metricdata.Sum[int64]{Temporality: metricdata.DeltaTemporality, DataPoints: []metricdata.DataPoint[int64]{
				{Attributes: attrs(attribute.String("faas.trigger", "pubsub")), Time: at, Value: 1},
			}}},
			{Name: "queue.depth", Unit: "1", Data: metricdata.Gauge[float64]{DataPoints: []metricdata.DataPoint[float64]{
				{Attributes: attrs(), Time: at, Value: 2.5},
				{Attributes: attrs(attribute.String("q", "nan")), Time: at, Value: math.NaN()},
			}}},
		}}}}},
		{name: "histograms", rm: &metricdata.ResourceMetrics{Resource: res, ScopeMetrics: []metricdata.ScopeMetrics{{Scope: scope, Metrics: []metricdata.Metrics{
			{Name: "faas.invoke_duration", Unit: "s", Data: metricdata.Histogram[float64]{Temporality: metricdata.DeltaTemporality, DataPoints: []metricdata.HistogramDataPoint[float64]{
				hist(1, 0.0123, 0.0123, 0.0123, []float64{0.005, 0.01, 0.025}, []uint64{0, 0, 1, 0}),
			}}},
			{Name: "payload.size", Unit: "By", Data: metricdata.Histogram[float64]{Temporality: metricdata.DeltaTemporality, DataPoints: []metricdata.HistogramDataPoint[float64]{
				{Attributes: attrs(attribute.String("faas.trigger", "http")), Time: at, Count: 4, Sum: 3000, Min: metricdata.NewExtrema(100.0), Max: metricdata.NewExtrema(2000.0),
					Bounds: []float64{0, 500, 1000}, BucketCounts: []uint64{0, 2, 1, 1}},
			}}},
		}}}}},
		{name: "more than 100 values split into documents", rm: &metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Scope: scope, Metrics: []metricdata.Metrics{
			{Name: "latency", Unit: "ms", Data: metricdata.Histogram[float64]{DataPoints: []metricdata.HistogramDataPoint[float64]{
				{Attributes: attrs(), Time: at, Count: 150, Sum: 1500, Min: metricdata.NewExtrema(1.0), Max: metricdata.NewExtrema(20.0),
					Bounds: []float64{5, 15}, BucketCounts: big},
			}}},
		}}}}},
		{name: "more than 30 attributes, the rest are members", opts: []emf.Option{emf.WithResourceDimensions()}, rm: &metricdata.ResourceMetrics{Resource: res, ScopeMetrics: []metricdata.ScopeMetrics{{Scope: scope, Metrics: []metricdata.Metrics{
			{Name: "wide", Unit: "", Data: metricdata.Sum[float64]{DataPoints: []metricdata.DataPoint[float64]{{Attributes: manyAttrs(32), Time: at, Value: 0.5}}}},
		}}}}},
		{name: "namespace and escaping", opts: []emf.Option{emf.WithNamespace("Orders/\"prod\"")}, rm: &metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Scope: scope, Metrics: []metricdata.Metrics{
			{Name: "odd\nname", Unit: "%", Data: metricdata.Gauge[int64]{DataPoints: []metricdata.DataPoint[int64]{{Attributes: attrs(attribute.Bool("ok", true)), Time: at, Value: 99}}}},
		}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			exp := emf.New(append([]emf.Option{emf.WithWriter(&out)}, tt.opts...)...)
			require.NoError(t, exp.Export(context.Background(), tt.rm))
			checkSpec(t, out.Bytes())
			golden := filepath.Join("testdata", strings.ReplaceAll(tt.name, " ", "_")+".jsonl")
			if *update {
				require.NoError(t, os.WriteFile(golden, out.Bytes(), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update to write the golden file")
			assert.Equal(t, string(want), out.String())
		})
	}
}

// checkSpec checks each line against the Embedded Metric Format's rules:
// one JSON object, _aws.Timestamp, directives whose dimensions are string
// members and whose metrics are numeric members, within the limits.
func checkSpec(t *testing.T, out []byte) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	for _, line := range lines {
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &doc), "line %q", line)
		aws, ok := doc["_aws"].(map[string]any)
		require.True(t, ok, "_aws object")
		assert.IsType(t, float64(0), aws["Timestamp"])
		directives, ok := aws["CloudWatchMetrics"].([]any)
		require.True(t, ok, "CloudWatchMetrics array")
		for _, d := range directives {
			dir := d.(map[string]any)
			assert.NotEmpty(t, dir["Namespace"])
			for _, set := range dir["Dimensions"].([]any) {
				assert.LessOrEqual(t, len(set.([]any)), 30)
				for _, name := range set.([]any) {
					assert.IsType(t, "", doc[name.(string)], "dimension %v is a string member", name)
				}
			}
			metrics := dir["Metrics"].([]any)
			assert.LessOrEqual(t, len(metrics), 100)
			for _, m := range metrics {
				name := m.(map[string]any)["Name"].(string)
				switch v := doc[name].(type) {
				case float64:
				case []any:
					assert.LessOrEqual(t, len(v), 100)
					for _, x := range v {
						assert.IsType(t, float64(0), x)
					}
				default:
					t.Errorf("metric %q is %T, not a number or an array of numbers", name, v)
				}
			}
		}
	}
}

// Through the SDK: delta temporality, so each flush carries only what was
// recorded since the previous one.
func TestSDKDelta(t *testing.T) {
	var out bytes.Buffer
	reader := sdkmetric.NewPeriodicReader(emf.New(emf.WithWriter(&out)), sdkmetric.WithInterval(time.Hour))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader),
		sdkmetric.WithResource(resource.NewSchemaless(semconv.ServiceName("orders"))))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	c, err := mp.Meter("test").Int64Counter("orders.placed", metric.WithUnit("{order}"))
	require.NoError(t, err)

	read := func() []map[string]any {
		t.Helper()
		require.NoError(t, mp.ForceFlush(context.Background()))
		checkSpec(t, out.Bytes())
		var docs []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if line == "" {
				continue
			}
			var doc map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &doc))
			docs = append(docs, doc)
		}
		out.Reset()
		return docs
	}
	c.Add(context.Background(), 3)
	docs := read()
	require.Len(t, docs, 1)
	assert.Equal(t, 3.0, docs[0]["orders.placed"])
	assert.Equal(t, "orders", docs[0]["service.name"])

	c.Add(context.Background(), 2)
	docs = read()
	require.Len(t, docs, 1)
	assert.Equal(t, 2.0, docs[0]["orders.placed"], "delta: only what came since the last flush")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestErrors(t *testing.T) {
	rm := &metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{
		{Name: "n", Data: metricdata.Sum[int64]{DataPoints: []metricdata.DataPoint[int64]{{Time: at, Value: 1}}}},
	}}}}
	tests := []struct {
		name    string
		exp     func() *emf.Exporter
		ctx     func() context.Context
		wantErr string
	}{
		{name: "write fails", exp: func() *emf.Exporter { return emf.New(emf.WithWriter(failingWriter{})) }, ctx: context.Background, wantErr: "disk full"},
		{name: "after shutdown", exp: func() *emf.Exporter {
			e := emf.New(emf.WithWriter(&bytes.Buffer{}))
			_ = e.Shutdown(context.Background())
			return e
		}, ctx: context.Background, wantErr: "shut down"},
		{name: "context ended", exp: func() *emf.Exporter { return emf.New(emf.WithWriter(&bytes.Buffer{})) }, ctx: func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, wantErr: "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.exp().Export(tt.ctx(), rm)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestNothingRecordedWritesNothing(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, emf.New(emf.WithWriter(&out)).Export(context.Background(), &metricdata.ResourceMetrics{}))
	assert.Zero(t, out.Len())
}
