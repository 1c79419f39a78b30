package otelsetup_test

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
	"github.com/faasport/faasport/middleware/otelsetup"
)

const xray = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

func testEvent(id string) event.Event {
	e := event.New()
	e.SetID(id)
	e.SetType("com.example.order.created")
	e.SetSource("/orders")
	return e
}

func newTelemetry(t *testing.T, r *receiver, opts ...otelsetup.Option) *otelsetup.Telemetry {
	t.Helper()
	base := []otelsetup.Option{
		otelsetup.WithEndpoint(r.addr), otelsetup.WithInsecure(),
		otelsetup.WithResource(resource.NewSchemaless(semconv.ServiceName("orders-test"))),
		// These tests check what arrives, not the bounds: leave the first
		// connection time on a loaded machine.
		otelsetup.WithFlushTimeout(10 * time.Second),
	}
	tel := otelsetup.New(append(base, opts...)...)
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel
}

func chain(tel *otelsetup.Telemetry, h function.Handler) function.Handler {
	return function.Chain(h,
		tel.Middleware(),
		middleware.Tracing(middleware.TracingProvider(tel.TracerProvider())),
		middleware.Metrics(middleware.MetricsProvider(tel.MeterProvider())),
	)
}

func ok(context.Context, event.Event) (*event.Event, error) { return nil, nil }

// TestExportOverOTLP sends a Lambda invocation's span and metrics over a real
// gRPC connection to an in-process OTLP receiver: they have arrived when the
// invocation returns, because the process may freeze right after.
func TestExportOverOTLP(t *testing.T) {
	r := newReceiver(t)
	tel := newTelemetry(t, r)
	h := chain(tel, function.HandlerFunc(ok))
	ctx := function.NewContext(context.Background(), &function.Invocation{
		Platform: function.PlatformLambda, FunctionName: "orders", RequestID: "req-1",
		TraceHeader: xray, Deadline: time.Now().Add(time.Minute), Trigger: function.TriggerPubSub,
	})
	_, err := h.Handle(ctx, testEvent("e-1"))
	require.NoError(t, err)

	spans, services, metrics := r.received()
	require.Len(t, spans, 1, "flushed before the invocation returned")
	s := spans[0]
	assert.Equal(t, "orders", s.GetName())
	assert.Equal(t, "5759e988bd862e3fe1be46a994272793", hex.EncodeToString(s.GetTraceId()))
	assert.Equal(t, "53995c3f42cd8ad8", hex.EncodeToString(s.GetParentSpanId()))
	attrs := map[string]string{}
	for _, kv := range s.GetAttributes() {
		attrs[kv.GetKey()] = kv.GetValue().GetStringValue()
	}
	assert.Equal(t, "req-1", attrs["faas.invocation_id"])
	assert.Equal(t, "e-1", attrs["cloudevents.event_id"])
	assert.Equal(t, []string{"orders-test"}, services)
	assert.Contains(t, metrics, "faas.invocations")
	assert.Contains(t, metrics, "faas.invoke_duration")
}

func TestNoFlushOutsideLambdaUntilShutdown(t *testing.T) {
	r := newReceiver(t)
	tel := newTelemetry(t, r)
	h := chain(tel, function.HandlerFunc(ok))
	ctx := function.NewContext(context.Background(), &function.Invocation{Platform: function.PlatformCloudRun})
	_, err := h.Handle(ctx, testEvent("e-1"))
	require.NoError(t, err)
	spans, _, _ := r.received()
	assert.Empty(t, spans, "batched, not flushed per invocation")
	require.NoError(t, tel.Shutdown(context.Background()))
	spans, _, metrics := r.received()
	assert.Len(t, spans, 1, "Shutdown exports what is left")
	assert.Contains(t, metrics, "faas.invocations")
}

// The adapters' lifecycle stops the telemetry with the chain: no Shutdown
// call in main is needed.
func TestStopHookShutsDown(t *testing.T) {
	r := newReceiver(t)
	tel := newTelemetry(t, r)
	h := function.Chain(function.HandlerFunc(ok), tel.Middleware(), middleware.Tracing(middleware.TracingProvider(tel.TracerProvider())))
	ctx := function.NewContext(context.Background(), &function.Invocation{Platform: function.PlatformCloudRun})
	_, err := h.Handle(ctx, testEvent("e-1"))
	require.NoError(t, err)
	spans, _, _ := r.received()
	require.Empty(t, spans)

	lc := function.NewLifecycle(h)
	require.NoError(t, lc.Start(ctx))
	require.NoError(t, lc.Stop(context.Background()))
	spans, _, _ = r.received()
	assert.Len(t, spans, 1, "stopping the chain exports what is left")
	assert.NoError(t, tel.Shutdown(context.Background()), "a later Shutdown is harmless")
}

func TestFlushAlways(t *testing.T) {
	r := newReceiver(t)
	tel := newTelemetry(t, r, otelsetup.WithFlushAlways(), otelsetup.WithoutMetrics())
	h := chain(tel, function.HandlerFunc(ok))
	_, err := h.Handle(context.Background(), testEvent("e-1"))
	require.NoError(t, err)
	spans, _, metrics := r.received()
	assert.Len(t, spans, 1)
	assert.Empty(t, metrics, "metrics are off")
}

func TestLazy(t *testing.T) {
	r := newReceiver(t)
	tel := newTelemetry(t, r)
	_ = tel.TracerProvider().Tracer("x")
	require.NoError(t, tel.Flush(context.Background()), "nothing to flush before first use")
	assert.Zero(t, r.conns.Load(), "no connection before the first export")

	_, err := chain(tel, function.HandlerFunc(ok)).Handle(
		function.NewContext(context.Background(), &function.Invocation{Platform: function.PlatformLambda}), testEvent("e-1"))
	require.NoError(t, err)
	assert.Positive(t, r.conns.Load())
}

func TestConcurrentFirstUse(t *testing.T) {
	r := newReceiver(t)
	tel := newTelemetry(t, r, otelsetup.WithoutMetrics())
	h := chain(tel, function.HandlerFunc(ok))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			_, err := h.Handle(context.Background(), testEvent("e-"+string(rune('a'+i))))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	require.NoError(t, tel.Flush(context.Background()))
	spans, _, _ := r.received()
	assert.Len(t, spans, 20)
}

func TestHTTPFlushesOnLambda(t *testing.T) {
	r := newReceiver(t)
	tel := newTelemetry(t, r, otelsetup.WithoutMetrics())
	h := tel.HTTP(middleware.TracingHTTP(middleware.TracingProvider(tel.TracerProvider()))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	req := httptest.NewRequest(http.MethodGet, "/health", nil)
	req = req.WithContext(function.NewContext(req.Context(), &function.Invocation{Platform: function.PlatformLambda}))
	h.ServeHTTP(httptest.NewRecorder(), req)
	spans, _, _ := r.received()
	require.Len(t, spans, 1)
	assert.Equal(t, "GET", spans[0].GetName())
}

func TestResourceFromPlatform(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "lambda", env: map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "orders-fn", "AWS_REGION": "eu-west-1"}, want: "orders-fn"},
		{name: "cloud run", env: map[string]string{"K_SERVICE": "orders-svc"}, want: "orders-svc"},
		{name: "OTEL_SERVICE_NAME wins", env: map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "orders-fn", "OTEL_SERVICE_NAME": "orders"}, want: "orders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION", "K_SERVICE", "FUNCTION_TARGET", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES"} {
				t.Setenv(k, tt.env[k])
			}
			r := newReceiver(t)
			tel := otelsetup.New(otelsetup.WithEndpoint(r.addr), otelsetup.WithInsecure(), otelsetup.WithoutMetrics(), otelsetup.WithFlushAlways(),
				otelsetup.WithFlushTimeout(10*time.Second))
			t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
			_, err := chain(tel, function.HandlerFunc(ok)).Handle(context.Background(), testEvent("e-1"))
			require.NoError(t, err)
			_, services, _ := r.received()
			assert.Equal(t, []string{tt.want}, services)
		})
	}
}
