package middleware

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/payload"
)

// ScopeName is the instrumentation scope of the spans and metrics this
// package records.
const ScopeName = "github.com/faasport/faasport/middleware"

// TracingOption configures [Tracing] and [TracingHTTP].
type TracingOption func(*tracingSettings)

type tracingSettings struct {
	provider   trace.TracerProvider
	propagator propagation.TextMapPropagator
	spanName   func(ctx context.Context, e event.Event) string
}

// TracingProvider sets the tracer provider (default otel.GetTracerProvider()
// when Tracing is built).
func TracingProvider(tp trace.TracerProvider) TracingOption {
	return func(s *tracingSettings) {
		if tp != nil {
			s.provider = tp
		}
	}
}

// TracingPropagator sets the propagator that reads the parent from an HTTP
// invocation's headers (default W3C Trace Context). The CloudEvents
// distributed-tracing extension is always W3C Trace Context.
func TracingPropagator(p propagation.TextMapPropagator) TracingOption {
	return func(s *tracingSettings) {
		if p != nil {
			s.propagator = p
		}
	}
}

// TracingSpanName sets how event spans are named (default: the function's
// name, else the event type).
func TracingSpanName(f func(ctx context.Context, e event.Event) string) TracingOption {
	return func(s *tracingSettings) { s.spanName = f }
}

func newTracingSettings(opts []TracingOption) (tracingSettings, trace.Tracer) {
	s := tracingSettings{propagator: propagation.TraceContext{}}
	for _, o := range opts {
		o(&s)
	}
	if s.provider == nil {
		s.provider = otel.GetTracerProvider()
	}
	return s, s.provider.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))
}

// isNoop reports whether tp is the API's no-op provider, whose spans record
// nothing: the middleware then only passes the parent on, which is all a
// no-op span would carry, and skips building attributes.
func isNoop(tp trace.TracerProvider) bool {
	_, ok := tp.(noop.TracerProvider)
	return ok
}

// Tracing starts a span per invocation, named after the function (else the
// event type) and attributed with the OpenTelemetry semantic conventions for
// FaaS (faas.trigger, faas.invocation_id, faas.coldstart, faas.name,
// cloud.provider, cloud.platform) and CloudEvents (cloudevents.event_id,
// event_type, event_source, event_spec_version, event_subject).
//
// The span's parent is taken from the first of: the event's CloudEvents
// distributed-tracing extension (traceparent, tracestate), the W3C headers
// of an HTTP invocation's request, the platform trace header
// ([ParseTraceHeader]: AWS X-Ray, Google Cloud Trace), and the span already
// in the context. A failed invocation records the error, an error.type of
// "permanent", "retryable" or "timeout", and an error status.
//
// A broker message (see [payload.Of]) continues its producer's trace, as
// the OpenTelemetry messaging conventions say: the trace context the
// message carries (W3C traceparent in its attributes, also in the
// "googclient_" form of the Pub/Sub client libraries or in Kafka headers;
// SQS's AWSTraceHeader) is the span's parent when the message is the whole
// invocation (an SNS notification, an EventBridge event, a Pub/Sub push,
// a one-record batch), with the platform's own context kept as a link; a
// message that is one of a batch ([function.Invocation].Batch > 1) is
// linked, under the invocation's parent. Message spans are consumer spans
// with the messaging attributes (messaging.system, messaging.operation.type
// "process", messaging.message.id, messaging.destination.name,
// messaging.batch.message_count). The message is read once: the context
// passed on carries it ([payload.FromContext]), and a typed handler below
// (function.Typed, function.Consume) takes it from there instead of
// reading the envelope again.
//
// It uses only the OpenTelemetry API: pass the SDK's provider with
// [TracingProvider] or install it globally before building the chain
// (faasport/middleware/otelsetup does both and exports over OTLP).
func Tracing(opts ...TracingOption) function.Middleware {
	s, tracer := newTracingSettings(opts)
	noopProvider := isNoop(s.provider)
	return func(next function.Handler) function.Handler {
		return &tracing{s: s, tracer: tracer, noop: noopProvider, next: next}
	}
}

type tracing struct {
	s      tracingSettings
	tracer trace.Tracer
	noop   bool
	next   function.Handler
}

func (t *tracing) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	inv, _ := invocationOf(ctx)
	single := inv == nil || inv.Batch <= 1
	var msg *payload.Message
	var producer trace.SpanContext
	if e.Context != nil && payload.Enveloped(e.Type()) {
		// The message is read once per event: the context passed on carries
		// it, and a typed handler below reads it from there.
		if mctx, _, _, err := payload.Attach(ctx, e, function.AttemptFromContext); err == nil {
			msg, _ = payload.FromContext(mctx)
			ctx, producer = mctx, producerContext(msg.Trace)
		}
	}
	pctx := t.parent(ctx, e, inv)
	if t.noop {
		if single && producer.IsValid() {
			pctx = trace.ContextWithRemoteSpanContext(ctx, producer)
		}
		return t.next.Handle(pctx, e)
	}
	var attrs [20]attribute.KeyValue
	n := invocationAttrs(attrs[:0], inv)
	var name string
	if e.Context != nil {
		n = append(n,
			semconv.CloudEventsEventID(e.ID()),
			semconv.CloudEventsEventType(e.Type()),
			semconv.CloudEventsEventSource(e.Source()),
			semconv.CloudEventsEventSpecVersion(e.SpecVersion()))
		if sub := e.Subject(); sub != "" {
			n = append(n, semconv.CloudEventsEventSubject(sub))
		}
		name = e.Type()
	}
	switch {
	case t.s.spanName != nil:
		name = t.s.spanName(ctx, e)
	case inv != nil && inv.FunctionName != "":
		name = inv.FunctionName
	case name == "":
		name = "invocation"
	}
	kind := trace.SpanKindServer
	if msg != nil || inv != nil && (inv.Trigger == function.TriggerPubSub || inv.Trigger == function.TriggerDatasource) {
		kind = trace.SpanKindConsumer
	}
	opts := make([]trace.SpanStartOption, 0, 3)
	if msg != nil {
		n = messagingAttrs(n, e.Type(), msg, inv)
		if producer.IsValid() {
			if single {
				// The producer's span is the parent; the platform's context
				// (Lambda's X-Ray segment, the push request's trace) stays
				// reachable as a link.
				if own := trace.SpanContextFromContext(pctx); own.IsValid() && !own.Equal(producer) {
					opts = append(opts, trace.WithLinks(trace.Link{SpanContext: own}))
				}
				pctx = trace.ContextWithRemoteSpanContext(ctx, producer)
			} else {
				opts = append(opts, trace.WithLinks(trace.Link{SpanContext: producer, Attributes: []attribute.KeyValue{semconv.MessagingMessageID(msg.ID)}}))
			}
		}
	}
	opts = append(opts, trace.WithSpanKind(kind), trace.WithAttributes(n...))
	ctx, span := t.tracer.Start(pctx, name, opts...)
	returned := false
	defer func() {
		// A panic on its way to Recover: record it, and end the span anyway.
		if !returned {
			recordError(span, ErrPanic)
		}
		span.End()
	}()
	reply, err := t.next.Handle(ctx, e)
	returned = true
	if err != nil {
		recordError(span, err)
	}
	return reply, err
}

// producerContext reads the producer's span context from a message's trace
// context: W3C Trace Context first, else AWS X-Ray.
func producerContext(tc payload.Trace) trace.SpanContext {
	if tc.TraceParent != "" {
		carrier := propagation.MapCarrier{extTraceparent: tc.TraceParent}
		if tc.TraceState != "" {
			carrier[extTracestate] = tc.TraceState
		}
		if sc := trace.SpanContextFromContext((propagation.TraceContext{}).Extract(context.Background(), carrier)); sc.IsValid() {
			return sc
		}
	}
	if tc.XRay != "" {
		if sc, ok := ParseTraceHeader(tc.XRay); ok {
			return sc
		}
	}
	return trace.SpanContext{}
}

// messagingAttrs appends the messaging attributes of a message to dst.
func messagingAttrs(dst []attribute.KeyValue, eventType string, m *payload.Message, inv *function.Invocation) []attribute.KeyValue {
	dst = append(dst, messagingSystem(eventType), semconv.MessagingOperationTypeProcess, semconv.MessagingOperationName("process"))
	if m.ID != "" {
		dst = append(dst, semconv.MessagingMessageID(m.ID))
	}
	if m.Source != "" {
		dst = append(dst, semconv.MessagingDestinationName(m.Source))
	}
	if inv != nil && inv.Batch > 1 {
		dst = append(dst, semconv.MessagingBatchMessageCount(inv.Batch))
	}
	if len(m.Data) > 0 {
		dst = append(dst, semconv.MessagingMessageBodySize(len(m.Data)))
	}
	return dst
}

// messagingSystem names the broker of an event type by the messaging
// conventions' well-known values, else by the AWS service.
func messagingSystem(eventType string) attribute.KeyValue {
	switch {
	case strings.HasPrefix(eventType, "com.amazonaws.sqs."):
		return semconv.MessagingSystemAWSSQS
	case strings.HasPrefix(eventType, "com.amazonaws.sns."):
		return semconv.MessagingSystemAWSSNS
	case strings.HasPrefix(eventType, "com.amazonaws.kafka."):
		return semconv.MessagingSystemKafka
	case strings.HasPrefix(eventType, "google.") || strings.HasPrefix(eventType, "providers/cloud.pubsub/"):
		return semconv.MessagingSystemGCPPubSub
	case strings.HasPrefix(eventType, "com.microsoft.azure.servicebus."):
		return semconv.MessagingSystemServiceBus
	case strings.HasPrefix(eventType, "com.microsoft.azure.eventhubs."):
		return semconv.MessagingSystemEventHubs
	case strings.HasPrefix(eventType, "com.amazonaws."):
		service, _, _ := strings.Cut(strings.TrimPrefix(eventType, "com.amazonaws."), ".")
		return semconv.MessagingSystemKey.String("aws_" + service)
	}
	return semconv.MessagingSystemKey.String("other")
}

// Unwrap returns the wrapped handler, so lifecycle hooks stay reachable.
func (t *tracing) Unwrap() function.Handler { return t.next }

// parent returns ctx carrying the remote parent of the invocation's span, if
// one of the sources has it.
func (t *tracing) parent(ctx context.Context, e event.Event, inv *function.Invocation) context.Context {
	if e.Context != nil {
		if ext := e.Extensions(); len(ext) > 0 {
			if _, ok := ext[extTraceparent]; ok {
				if pctx := (propagation.TraceContext{}).Extract(ctx, extensionCarrier(ext)); trace.SpanContextFromContext(pctx).IsRemote() {
					return pctx
				}
			}
		}
	}
	if inv == nil {
		return ctx
	}
	if r, ok := inv.Native.(*http.Request); ok && r != nil {
		if pctx := t.s.propagator.Extract(ctx, propagation.HeaderCarrier(r.Header)); trace.SpanContextFromContext(pctx).IsRemote() {
			return pctx
		}
	}
	if inv.TraceHeader != "" {
		if sc, ok := ParseTraceHeader(inv.TraceHeader); ok {
			return trace.ContextWithRemoteSpanContext(ctx, sc)
		}
	}
	return ctx
}

// The CloudEvents distributed-tracing extension's attributes.
const (
	extTraceparent = "traceparent"
	extTracestate  = "tracestate"
)

// extensionCarrier reads W3C Trace Context from CloudEvents extensions.
type extensionCarrier map[string]any

func (c extensionCarrier) Get(key string) string {
	if s, ok := c[key].(string); ok {
		return s
	}
	return ""
}

func (c extensionCarrier) Set(key, value string) { c[key] = value }

func (c extensionCarrier) Keys() []string { return []string{extTraceparent, extTracestate} }

// invocationAttrs appends the FaaS and cloud attributes of inv to dst.
func invocationAttrs(dst []attribute.KeyValue, inv *function.Invocation) []attribute.KeyValue {
	if inv == nil {
		return dst
	}
	if inv.Trigger != "" {
		dst = append(dst, semconv.FaaSTriggerKey.String(string(inv.Trigger)))
	}
	if inv.RequestID != "" {
		dst = append(dst, semconv.FaaSInvocationID(inv.RequestID))
	}
	dst = append(dst, semconv.FaaSColdstart(inv.ColdStart))
	if inv.FunctionName != "" {
		dst = append(dst, semconv.FaaSName(inv.FunctionName))
	}
	switch inv.Platform {
	case function.PlatformLambda:
		dst = append(dst, semconv.CloudProviderAWS, semconv.CloudPlatformAWSLambda)
	case function.PlatformCloudFunctions:
		dst = append(dst, semconv.CloudProviderGCP, semconv.CloudPlatformGCPCloudFunctions)
	case function.PlatformCloudRun:
		dst = append(dst, semconv.CloudProviderGCP, semconv.CloudPlatformGCPCloudRun)
	}
	return dst
}

// The error.type values this package records.
const (
	ErrorClassPermanent = "permanent"
	ErrorClassRetryable = "retryable"
	ErrorClassTimeout   = "timeout"
)

// errorClass returns the error.type recorded for err.
func errorClass(err error) string {
	switch {
	case function.IsPermanent(err):
		return ErrorClassPermanent
	case errors.Is(err, context.DeadlineExceeded):
		return ErrorClassTimeout
	default:
		return ErrorClassRetryable
	}
}

func recordError(span trace.Span, err error) {
	if !span.IsRecording() {
		return
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	span.SetAttributes(semconv.ErrorTypeKey.String(errorClass(err)))
}

// TracingHTTP is [Tracing] for HTTP handlers: a server span named after the
// method and route pattern (set by a net/http ServeMux, above or below), with the HTTP attributes (method, path, route,
// status code) and the invocation's FaaS attributes. The parent comes from
// the request's headers through the propagator, else from the platform's
// trace header (X-Amzn-Trace-Id, X-Cloud-Trace-Context, or the
// invocation's). A 5xx answer sets an error status.
func TracingHTTP(opts ...TracingOption) func(http.Handler) http.Handler {
	s, tracer := newTracingSettings(opts)
	noopProvider := isNoop(s.provider)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			inv, _ := invocationOf(ctx)
			pctx := s.propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
			if !trace.SpanContextFromContext(pctx).IsRemote() {
				pctx = ctx
				for _, h := range [...]string{r.Header.Get("X-Amzn-Trace-Id"), r.Header.Get("X-Cloud-Trace-Context"), traceHeaderOf(inv)} {
					if sc, ok := ParseTraceHeader(h); ok {
						pctx = trace.ContextWithRemoteSpanContext(ctx, sc)
						break
					}
				}
			}
			if noopProvider {
				if pctx != ctx {
					r = r.WithContext(pctx)
				}
				next.ServeHTTP(w, r)
				return
			}
			var attrs [10]attribute.KeyValue
			n := invocationAttrs(attrs[:0], inv)
			n = append(n, semconv.HTTPRequestMethodKey.String(r.Method), semconv.URLPath(r.URL.Path))
			if r.Pattern != "" {
				n = append(n, semconv.HTTPRoute(r.Pattern))
			}
			ctx, span := tracer.Start(pctx, httpSpanName(r), trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(n...))
			defer span.End()
			sw := &statusWriter{ResponseWriter: w}
			r2 := r.WithContext(ctx)
			next.ServeHTTP(sw, r2)
			if r.Pattern == "" && r2.Pattern != "" {
				// A ServeMux below matched a route: name the span after it.
				span.SetName(httpSpanName(r2))
				span.SetAttributes(semconv.HTTPRoute(r2.Pattern))
			}
			code := sw.code()
			span.SetAttributes(semconv.HTTPResponseStatusCode(code))
			if code >= 500 {
				span.SetStatus(codes.Error, http.StatusText(code))
				span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(code)))
			}
		})
	}
}

// httpSpanName is "METHOD route", or the method alone without a route.
func httpSpanName(r *http.Request) string {
	switch {
	case r.Pattern == "":
		return r.Method
	case strings.HasPrefix(r.Pattern, r.Method+" "):
		return r.Pattern
	default:
		return r.Method + " " + r.Pattern
	}
}

func traceHeaderOf(inv *function.Invocation) string {
	if inv == nil {
		return ""
	}
	return inv.TraceHeader
}
