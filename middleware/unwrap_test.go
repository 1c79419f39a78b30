package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
)

// starter is a handler with a lifecycle hook.
type starter struct {
	countingHandler
	started int
}

func (s *starter) Start(context.Context) error { s.started++; return nil }

func TestMiddlewareKeepLifecycleHooksReachable(t *testing.T) {
	lazy := middleware.NewLazy("x", func(context.Context) (int, error) { return 1, nil })
	tests := []struct {
		name string
		mw   function.Middleware
	}{
		{name: "retry", mw: middleware.Retry()},
		{name: "timeout", mw: middleware.Timeout()},
		{name: "recover", mw: middleware.Recover()},
		{name: "logging", mw: middleware.Logging()},
		{name: "tracing", mw: middleware.Tracing()},
		{name: "metrics", mw: middleware.Metrics()},
		{name: "limit", mw: middleware.Limit(1)},
		{name: "lazy", mw: lazy.Middleware()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &starter{}
			wrapped := tt.mw(s)
			u, ok := wrapped.(function.Unwrapper)
			require.True(t, ok, "implements Unwrap")
			assert.Same(t, s, u.Unwrap())
			require.NoError(t, function.NewLifecycle(wrapped).Start(context.Background()))
			assert.Equal(t, 1, s.started)
		})
	}
}

func TestTracingNoopProviderStillPassesTheParentOn(t *testing.T) {
	var got trace.SpanContext
	h := middleware.Tracing(middleware.TracingProvider(noop.NewTracerProvider()))(&countingHandler{seen: func(ctx context.Context) {
		got = trace.SpanContextFromContext(ctx)
	}})
	_, err := h.Handle(withInvocation(function.Invocation{TraceHeader: xrayHeader}), testEvent(t, "e-1"))
	require.NoError(t, err)
	assert.Equal(t, xrayTraceID, got.TraceID().String())
	assert.Equal(t, xraySpanID, got.SpanID().String(), "the parent, for outgoing calls to propagate")

	var gotHTTP trace.SpanContext
	hh := middleware.TracingHTTP(middleware.TracingProvider(noop.NewTracerProvider()))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHTTP = trace.SpanContextFromContext(r.Context())
	}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Amzn-Trace-Id", xrayHeader)
	hh.ServeHTTP(httptest.NewRecorder(), r)
	assert.Equal(t, xrayTraceID, gotHTTP.TraceID().String())
}

func TestTracingPropagator(t *testing.T) {
	tp, rec := recorder(t)
	var member string
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	h := middleware.Tracing(middleware.TracingProvider(tp), middleware.TracingPropagator(prop))(&countingHandler{seen: func(ctx context.Context) {
		member = baggage.FromContext(ctx).Member("tenant").Value()
	}})
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.Header.Set("traceparent", "00-"+httpTraceID+"-"+httpSpanID+"-01")
	req.Header.Set("baggage", "tenant=acme")
	_, err := h.Handle(withInvocation(function.Invocation{Native: req}), testEvent(t, "e-1"))
	require.NoError(t, err)
	assert.Equal(t, "acme", member)
	assert.Equal(t, httpSpanID, rec.Ended()[0].Parent().SpanID().String())
}

func TestHTTPMiddlewareKeepFlushing(t *testing.T) {
	tp, _ := recorder(t)
	tests := []struct {
		name string
		mw   func(http.Handler) http.Handler
	}{
		{name: "logging", mw: middleware.LoggingHTTP(middleware.LoggingLogger(discardLogger()))},
		{name: "tracing", mw: middleware.TracingHTTP(middleware.TracingProvider(tp))},
		{name: "recover", mw: middleware.RecoverHTTP()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asserted, controlled bool
			h := tt.mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte("chunk"))
				if f, ok := w.(http.Flusher); ok {
					f.Flush()
					asserted = true
				}
				controlled = http.NewResponseController(w).Flush() == nil
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/stream", nil))
			assert.True(t, asserted, "the writer is an http.Flusher")
			assert.True(t, controlled, "http.ResponseController reaches the flusher")
			assert.True(t, rec.Flushed)
		})
	}
}
