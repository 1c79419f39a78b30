package middleware_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
)

const (
	ceTraceID    = "4bf92f3577b34da6a3ce929d0e0e4736"
	ceSpanID     = "00f067aa0ba902b7"
	httpTraceID  = "0af7651916cd43dd8448eb211c80319c"
	httpSpanID   = "b7ad6b7169203331"
	xrayHeader   = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	xrayTraceID  = "5759e988bd862e3fe1be46a994272793"
	xraySpanID   = "53995c3f42cd8ad8"
	gcpHeader    = "105445aa7843bc8bf206b12000100000/1;o=1"
	gcpTraceID   = "105445aa7843bc8bf206b12000100000"
	gcpSpanID    = "0000000000000001"
	localTraceID = "11111111111111111111111111111111"
)

// recorder returns a tracer provider that records ended spans.
func recorder(t *testing.T) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}

func attrMap(kvs []attribute.KeyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

func TestTracingParent(t *testing.T) {
	withCE := func(e *event.Event) {
		e.SetExtension("traceparent", "00-"+ceTraceID+"-"+ceSpanID+"-01")
		e.SetExtension("tracestate", "vendor=ce")
	}
	httpReq := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("traceparent", "00-"+httpTraceID+"-"+httpSpanID+"-01")
		return r
	}
	localParent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: mustTraceID(t, localTraceID), SpanID: mustSpanID(t, "2222222222222222"), TraceFlags: trace.FlagsSampled,
	})
	tests := []struct {
		name        string
		event       func(*event.Event)
		native      any
		traceHeader string
		ctxParent   bool
		wantTrace   string
		wantParent  string
		wantState   string
	}{
		{name: "CloudEvents extension first", event: withCE, native: httpReq(), traceHeader: xrayHeader, ctxParent: true, wantTrace: ceTraceID, wantParent: ceSpanID, wantState: "vendor=ce"},
		{name: "HTTP headers next", native: httpReq(), traceHeader: xrayHeader, wantTrace: httpTraceID, wantParent: httpSpanID},
		{name: "X-Ray header last", native: httptest.NewRequest(http.MethodPost, "/", nil), traceHeader: xrayHeader, ctxParent: true, wantTrace: xrayTraceID, wantParent: xraySpanID},
		{name: "Cloud Trace header", traceHeader: gcpHeader, wantTrace: gcpTraceID, wantParent: gcpSpanID},
		{name: "invalid extension falls through", event: func(e *event.Event) { e.SetExtension("traceparent", "00-zz-yy-01") }, traceHeader: xrayHeader, wantTrace: xrayTraceID, wantParent: xraySpanID},
		{name: "invalid trace header keeps the context's span", traceHeader: "Root=1-nope", ctxParent: true, wantTrace: localTraceID, wantParent: "2222222222222222"},
		{name: "no parent at all", wantParent: "0000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, rec := recorder(t)
			e := testEvent(t, "e-1")
			if tt.event != nil {
				tt.event(&e)
			}
			ctx := withInvocation(function.Invocation{Native: tt.native, TraceHeader: tt.traceHeader})
			if tt.ctxParent {
				ctx = trace.ContextWithSpanContext(ctx, localParent)
			}
			var inner trace.SpanContext
			h := middleware.Tracing(middleware.TracingProvider(tp))(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
				inner = trace.SpanContextFromContext(ctx)
				return nil, nil
			}))
			_, err := h.Handle(ctx, e)
			require.NoError(t, err)
			spans := rec.Ended()
			require.Len(t, spans, 1)
			s := spans[0]
			assert.Equal(t, tt.wantParent, s.Parent().SpanID().String(), "parent span")
			if tt.wantTrace != "" {
				assert.Equal(t, tt.wantTrace, s.SpanContext().TraceID().String(), "trace")
			}
			assert.Equal(t, tt.wantParent != localSpanOf(localParent) && tt.wantParent != "0000000000000000", s.Parent().IsRemote(), "remote parent")
			if tt.wantState != "" {
				assert.Equal(t, tt.wantState, s.SpanContext().TraceState().String())
			}
			assert.Equal(t, s.SpanContext().SpanID(), inner.SpanID(), "the handler runs in the span")
		})
	}
}

func localSpanOf(sc trace.SpanContext) string { return sc.SpanID().String() }

func mustTraceID(t *testing.T, s string) trace.TraceID {
	t.Helper()
	id, err := trace.TraceIDFromHex(s)
	require.NoError(t, err)
	return id
}

func mustSpanID(t *testing.T, s string) trace.SpanID {
	t.Helper()
	id, err := trace.SpanIDFromHex(s)
	require.NoError(t, err)
	return id
}

func TestTracingAttributes(t *testing.T) {
	tests := []struct {
		name     string
		inv      function.Invocation
		subject  string
		wantName string
		wantKind trace.SpanKind
		want     map[string]any
		absent   []string
	}{
		{
			name: "lambda queue message",
			inv: function.Invocation{Platform: function.PlatformLambda, FunctionName: "orders", RequestID: "req-1",
				ColdStart: true, Trigger: function.TriggerPubSub},
			subject:  "o-1",
			wantName: "orders",
			wantKind: trace.SpanKindConsumer,
			want: map[string]any{
				"faas.trigger": "pubsub", "faas.invocation_id": "req-1", "faas.coldstart": true, "faas.name": "orders",
				"cloud.provider": "aws", "cloud.platform": "aws_lambda",
				"cloudevents.event_id": "e-1", "cloudevents.event_type": "com.example.order.created",
				"cloudevents.event_source": "/orders", "cloudevents.event_spec_version": "1.0", "cloudevents.event_subject": "o-1",
			},
		},
		{
			name:     "cloud run timer",
			inv:      function.Invocation{Platform: function.PlatformCloudRun, Trigger: function.TriggerTimer},
			wantName: "com.example.order.created",
			wantKind: trace.SpanKindServer,
			want:     map[string]any{"faas.trigger": "timer", "faas.coldstart": false, "cloud.provider": "gcp", "cloud.platform": "gcp_cloud_run"},
			absent:   []string{"faas.invocation_id", "faas.name", "cloudevents.event_subject"},
		},
		{
			name:     "cloud functions",
			inv:      function.Invocation{Platform: function.PlatformCloudFunctions, FunctionName: "f"},
			wantName: "f",
			wantKind: trace.SpanKindServer,
			want:     map[string]any{"cloud.provider": "gcp", "cloud.platform": "gcp_cloud_functions"},
			absent:   []string{"faas.trigger"},
		},
		{
			name:     "plain http host",
			inv:      function.Invocation{Platform: function.PlatformHTTP},
			wantName: "com.example.order.created",
			wantKind: trace.SpanKindServer,
			absent:   []string{"cloud.provider", "cloud.platform"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, rec := recorder(t)
			e := testEvent(t, "e-1")
			if tt.subject != "" {
				e.SetSubject(tt.subject)
			}
			_, err := middleware.Tracing(middleware.TracingProvider(tp))(&countingHandler{}).Handle(withInvocation(tt.inv), e)
			require.NoError(t, err)
			require.Len(t, rec.Ended(), 1)
			s := rec.Ended()[0]
			assert.Equal(t, tt.wantName, s.Name())
			assert.Equal(t, tt.wantKind, s.SpanKind())
			got := attrMap(s.Attributes())
			for k, v := range tt.want {
				assert.Equal(t, v, got[k], "attribute %s", k)
			}
			for _, k := range tt.absent {
				assert.NotContains(t, got, k)
			}
			assert.Equal(t, codes.Unset, s.Status().Code)
			assert.Equal(t, "github.com/faasport/faasport/middleware", s.InstrumentationScope().Name)
		})
	}
}

func TestTracingRecordsErrors(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantClass string
	}{
		{name: "retryable", err: errors.New("db down"), wantClass: "retryable"},
		{name: "permanent", err: function.Permanent(errors.New("bad input")), wantClass: "permanent"},
		{name: "timeout", err: context.DeadlineExceeded, wantClass: "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, rec := recorder(t)
			_, err := middleware.Tracing(middleware.TracingProvider(tp))(&countingHandler{errs: []error{tt.err}}).Handle(context.Background(), testEvent(t, "e-1"))
			require.ErrorIs(t, err, tt.err)
			s := rec.Ended()[0]
			assert.Equal(t, codes.Error, s.Status().Code)
			assert.Equal(t, tt.err.Error(), s.Status().Description)
			assert.Equal(t, tt.wantClass, attrMap(s.Attributes())["error.type"])
			require.NotEmpty(t, s.Events())
			assert.Equal(t, "exception", s.Events()[0].Name)
		})
	}
}

func TestTracingEndsSpanOnPanic(t *testing.T) {
	tp, rec := recorder(t)
	h := function.Chain(function.HandlerFunc(panicking), middleware.Recover(middleware.RecoverLogger(discardLogger())), middleware.Tracing(middleware.TracingProvider(tp)))
	_, err := h.Handle(context.Background(), testEvent(t, "e-1"))
	require.ErrorIs(t, err, middleware.ErrPanic)
	require.Len(t, rec.Ended(), 1)
	s := rec.Ended()[0]
	assert.Equal(t, codes.Error, s.Status().Code)
	assert.Equal(t, "retryable", attrMap(s.Attributes())["error.type"])
}

func TestTracingSpanName(t *testing.T) {
	tp, rec := recorder(t)
	h := middleware.Tracing(middleware.TracingProvider(tp), middleware.TracingSpanName(func(ctx context.Context, e event.Event) string {
		return "process " + e.Type()
	}))(&countingHandler{})
	_, err := h.Handle(context.Background(), testEvent(t, "e-1"))
	require.NoError(t, err)
	assert.Equal(t, "process com.example.order.created", rec.Ended()[0].Name())
}

func TestTracingHTTP(t *testing.T) {
	tests := []struct {
		name       string
		header     map[string]string
		inv        *function.Invocation
		status     int
		wantTrace  string
		wantParent string
		wantError  bool
	}{
		{name: "W3C headers", header: map[string]string{"traceparent": "00-" + httpTraceID + "-" + httpSpanID + "-01", "X-Amzn-Trace-Id": xrayHeader},
			status: 200, wantTrace: httpTraceID, wantParent: httpSpanID},
		{name: "X-Ray header", header: map[string]string{"X-Amzn-Trace-Id": xrayHeader}, status: 201, wantTrace: xrayTraceID, wantParent: xraySpanID},
		{name: "Cloud Trace header", header: map[string]string{"X-Cloud-Trace-Context": gcpHeader}, status: 200, wantTrace: gcpTraceID, wantParent: gcpSpanID},
		{name: "invocation's trace header", inv: &function.Invocation{Platform: function.PlatformLambda, TraceHeader: xrayHeader, RequestID: "req-1"},
			status: 503, wantTrace: xrayTraceID, wantParent: xraySpanID, wantError: true},
		{name: "no parent", status: 404, wantParent: "0000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, rec := recorder(t)
			mux := http.NewServeMux()
			var inner trace.SpanContext
			mux.HandleFunc("POST /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
				inner = trace.SpanContextFromContext(r.Context())
				w.WriteHeader(tt.status)
			})
			h := middleware.TracingHTTP(middleware.TracingProvider(tp))(mux)
			r := httptest.NewRequest(http.MethodPost, "/orders/o-1", nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if tt.inv != nil {
				r = r.WithContext(function.NewContext(r.Context(), tt.inv))
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			require.Equal(t, tt.status, w.Code)
			require.Len(t, rec.Ended(), 1)
			s := rec.Ended()[0]
			assert.Equal(t, tt.wantParent, s.Parent().SpanID().String())
			if tt.wantTrace != "" {
				assert.Equal(t, tt.wantTrace, s.SpanContext().TraceID().String())
			}
			assert.Equal(t, s.SpanContext().SpanID(), inner.SpanID())
			assert.Equal(t, trace.SpanKindServer, s.SpanKind())
			got := attrMap(s.Attributes())
			assert.Equal(t, "POST", got["http.request.method"])
			assert.Equal(t, "POST /orders/{id}", s.Name())
			assert.Equal(t, "POST /orders/{id}", got["http.route"])
			assert.Equal(t, "/orders/o-1", got["url.path"])
			assert.Equal(t, int64(tt.status), got["http.response.status_code"])
			if tt.inv != nil {
				assert.Equal(t, "req-1", got["faas.invocation_id"])
				assert.Equal(t, "aws", got["cloud.provider"])
			}
			if tt.wantError {
				assert.Equal(t, codes.Error, s.Status().Code)
			} else {
				assert.Equal(t, codes.Unset, s.Status().Code)
			}
		})
	}
}
