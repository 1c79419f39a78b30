package middleware_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
)

// collect reads every metric of reader, by name.
func collect(t *testing.T, reader *sdkmetric.ManualReader) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// sums returns an int64 sum's data points keyed by their attributes.
func sums(t *testing.T, m metricdata.Metrics) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			out[p.Attributes.Encoded(attribute.DefaultEncoder())] = p.Value
		}
	default:
		t.Fatalf("%s is a %T, not an int64 sum", m.Name, m.Data)
	}
	return out
}

func TestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()

	errs := []error{
		nil,
		errors.New("db down"),
		function.Permanent(errors.New("bad")),
		context.DeadlineExceeded,
		nil,
	}
	var i int
	h := middleware.Metrics(middleware.MetricsProvider(mp))(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		err := errs[i]
		i++
		return nil, err
	}))
	for n := range errs {
		inv := function.Invocation{Trigger: function.TriggerPubSub, ColdStart: n == 0}
		if n == 4 {
			inv.Trigger = function.TriggerHTTP
		}
		_, _ = h.Handle(withInvocation(inv), testEvent(t, "e"))
	}

	got := collect(t, reader)
	assert.Equal(t, map[string]int64{"faas.trigger=pubsub": 4, "faas.trigger=http": 1}, sums(t, got["faas.invocations"]))
	assert.Equal(t, map[string]int64{
		"error.type=retryable,faas.trigger=pubsub": 1,
		"error.type=permanent,faas.trigger=pubsub": 1,
		"error.type=timeout,faas.trigger=pubsub":   1,
	}, sums(t, got["faas.errors"]))
	assert.Equal(t, map[string]int64{"faas.trigger=pubsub": 1}, sums(t, got["faas.timeouts"]))
	assert.Equal(t, map[string]int64{"faas.trigger=pubsub": 1}, sums(t, got["faas.coldstarts"]))
	assert.Equal(t, map[string]int64{"faas.trigger=pubsub": 0, "faas.trigger=http": 0}, sums(t, got[middleware.MetricInFlight]))

	hist, ok := got["faas.invoke_duration"].Data.(metricdata.Histogram[float64])
	require.True(t, ok)
	var count uint64
	for _, p := range hist.DataPoints {
		count += p.Count
	}
	assert.Equal(t, uint64(5), count)
	assert.Equal(t, "s", got["faas.invoke_duration"].Unit)
}

func TestMetricsInFlight(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	g := newGate()
	h := middleware.Metrics(middleware.MetricsProvider(mp))(g)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { _, _ = h.Handle(context.Background(), testEvent(t, "e")) })
	}
	for g.inside.Load() < 3 {
		runtime.Gosched()
	}
	assert.Equal(t, map[string]int64{"faas.trigger=other": 3}, sums(t, collect(t, reader)[middleware.MetricInFlight]))
	close(g.release)
	wg.Wait()
	assert.Equal(t, map[string]int64{"faas.trigger=other": 0}, sums(t, collect(t, reader)[middleware.MetricInFlight]))
}

func TestMetricsNoAllocationsWithSDK(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	h := middleware.Metrics(middleware.MetricsProvider(mp))(&countingHandler{})
	ctx := withInvocation(function.Invocation{Trigger: function.TriggerHTTP})
	e := testEvent(t, "e")
	_, _ = h.Handle(ctx, e)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = h.Handle(ctx, e) }))
}
