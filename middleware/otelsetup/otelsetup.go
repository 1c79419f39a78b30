// Package otelsetup sets up the OpenTelemetry SDK to export traces and
// metrics over OTLP/gRPC, for the faasport/middleware tracing and metrics
// middleware, and flushes them before a Lambda function's process freezes.
//
// It lives apart from faasport/middleware so that a function that does not
// export telemetry (or sets the SDK up itself) does not link the SDK.
//
// Typical use:
//
//	tel := otelsetup.New(otelsetup.WithEndpoint("127.0.0.1:4317"), otelsetup.WithInsecure())
//	h := function.Chain(orders, append([]function.Middleware{tel.Middleware()},
//		middleware.Default(middleware.WithTracerProvider(tel.TracerProvider()),
//			middleware.WithMeterProvider(tel.MeterProvider()))...)...)
//
// To have other instrumented libraries (HTTP clients, database drivers)
// record into the same trace, also install the providers globally:
// otel.SetTracerProvider(tel.TracerProvider()).
//
// Nothing is built when New is called: the tracer provider and its exporter
// are made when the first span starts, the meter provider when
// [Telemetry.MeterProvider] is first called, and the gRPC connection when
// the first batch is exported. Without [WithEndpoint], the exporters follow
// the standard OTEL_EXPORTER_OTLP_* environment variables.
//
// On AWS Lambda the process is frozen as soon as the invocation returns, so
// a batch waiting in memory may be sent minutes later, or never:
// [Telemetry.Middleware] (outermost, so it flushes the span of the whole
// invocation) exports everything before the invocation answers, once per
// invocation (the adapters call its [function.Finisher] hook after the last
// record of a batch). Elsewhere it does nothing unless [WithFlushAlways] is
// set. When the process is asked to stop, the adapters run the chain's stop
// hooks, and [Telemetry.Middleware]'s hook shuts the providers down,
// exporting what is left; call [Telemetry.Shutdown] yourself only for
// providers used outside such a chain.
//
// A flush never costs an invocation more than [DefaultFlushTimeout] (see
// [WithFlushTimeout]), nor runs into the last [DefaultFlushReserve] before
// its deadline. A collector that refuses or does not answer is reported once
// through the logger ([WithLogger], default slog.Default()) and then skipped,
// at no cost, until a back-off (1 s, doubling up to a minute) has passed;
// its recovery is logged too.
//
// On Lambda, metrics need no collector: [WithMetricExporter] with
// emf.New() (sub-package emf) writes them to standard output in CloudWatch
// Embedded Metric Format.
//
// This package is a module of its own
// (github.com/faasport/faasport/middleware/otelsetup), so that the OTLP
// exporters and gRPC stay out of the module graph of functions that do not
// import it.
package otelsetup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
)

// Option configures [New].
type Option func(*settings)

type settings struct {
	trace        []otlptracegrpc.Option
	metric       []otlpmetricgrpc.Option
	tracerOpts   []sdktrace.TracerProviderOption
	meterOpts    []sdkmetric.Option
	metricExp    sdkmetric.Exporter
	resource     *resource.Resource
	logger       *slog.Logger
	noMetrics    bool
	flushAlways  bool
	flushTimeout time.Duration
	flushReserve time.Duration
	now          func() time.Time
	// observe, when set (by tests), sees the context of every export.
	observe func(ctx context.Context)
}

// Defaults for the flush bounds: a collector on the same host (the Lambda
// collector extension, a sidecar) answers well within the timeout; the
// reserve leaves the function time to answer before its deadline.
const (
	DefaultFlushTimeout = 100 * time.Millisecond
	DefaultFlushReserve = 50 * time.Millisecond
)

// WithEndpoint sets the collector's host:port for traces and metrics
// (default: OTEL_EXPORTER_OTLP_ENDPOINT, else localhost:4317).
func WithEndpoint(hostport string) Option {
	return func(s *settings) {
		s.trace = append(s.trace, otlptracegrpc.WithEndpoint(hostport))
		s.metric = append(s.metric, otlpmetricgrpc.WithEndpoint(hostport))
	}
}

// WithInsecure sends without TLS, for a collector on the same host or in the
// same pod (the Lambda collector extension listens on localhost).
func WithInsecure() Option {
	return func(s *settings) {
		s.trace = append(s.trace, otlptracegrpc.WithInsecure())
		s.metric = append(s.metric, otlpmetricgrpc.WithInsecure())
	}
}

// WithHeaders adds gRPC metadata (an API key, say) to every export.
func WithHeaders(h map[string]string) Option {
	return func(s *settings) {
		s.trace = append(s.trace, otlptracegrpc.WithHeaders(h))
		s.metric = append(s.metric, otlpmetricgrpc.WithHeaders(h))
	}
}

// WithTraceExporterOptions passes options to the OTLP trace exporter.
func WithTraceExporterOptions(opts ...otlptracegrpc.Option) Option {
	return func(s *settings) { s.trace = append(s.trace, opts...) }
}

// WithMetricExporterOptions passes options to the OTLP metric exporter.
func WithMetricExporterOptions(opts ...otlpmetricgrpc.Option) Option {
	return func(s *settings) { s.metric = append(s.metric, opts...) }
}

// WithTracerProviderOptions passes options (a sampler, span processors) to
// the SDK tracer provider.
func WithTracerProviderOptions(opts ...sdktrace.TracerProviderOption) Option {
	return func(s *settings) { s.tracerOpts = append(s.tracerOpts, opts...) }
}

// WithMeterProviderOptions passes options (views, readers) to the SDK meter
// provider.
func WithMeterProviderOptions(opts ...sdkmetric.Option) Option {
	return func(s *settings) { s.meterOpts = append(s.meterOpts, opts...) }
}

// WithResource sets the resource describing the function (default: the
// SDK's default resource, which reads OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES, plus the function's name, cloud provider and
// region from the platform's environment).
func WithResource(r *resource.Resource) Option { return func(s *settings) { s.resource = r } }

// WithoutMetrics exports traces only; [Telemetry.MeterProvider] returns a
// no-op provider.
func WithoutMetrics() Option { return func(s *settings) { s.noMetrics = true } }

// WithFlushAlways makes [Telemetry.Middleware] flush after every invocation
// on every platform, not only on Lambda.
func WithFlushAlways() Option { return func(s *settings) { s.flushAlways = true } }

// WithFlushTimeout bounds each flush (default [DefaultFlushTimeout]; never
// past the invocation's deadline less the reserve). A collector far away
// may need more; every invocation waits for the flush.
func WithFlushTimeout(d time.Duration) Option {
	return func(s *settings) {
		if d > 0 {
			s.flushTimeout = d
		}
	}
}

// WithFlushReserve sets how long before the invocation's deadline a flush
// gives up, so the function still answers in time (default
// [DefaultFlushReserve]).
func WithFlushReserve(d time.Duration) Option {
	return func(s *settings) {
		if d >= 0 {
			s.flushReserve = d
		}
	}
}

// WithLogger sets the logger that reports a collector that cannot be
// reached, or an exporter that cannot be built, once per outage (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) {
		if l != nil {
			s.logger = l
		}
	}
}

// WithMetricExporter exports metrics with exp instead of OTLP: on AWS
// Lambda, emf.New() writes them to standard output in CloudWatch Embedded
// Metric Format, and no collector is needed for metrics. A periodic reader
// drives it, and each flush exports through it. The reader gives each
// export the flush timeout.
func WithMetricExporter(exp sdkmetric.Exporter) Option {
	return func(s *settings) { s.metricExp = exp }
}

// Telemetry owns the SDK's tracer and meter providers and their
// exporters. It is safe for concurrent use.
type Telemetry struct {
	s        settings
	traces   *guard
	metrics  *guard
	tracer   *middleware.Lazy[*sdktrace.TracerProvider]
	meter    *middleware.Lazy[*sdkmetric.MeterProvider]
	shutdown sync.Once
	stopErr  error
}

// New returns a Telemetry that builds its providers on first use.
func New(opts ...Option) *Telemetry {
	s := settings{flushTimeout: DefaultFlushTimeout, flushReserve: DefaultFlushReserve, now: time.Now}
	for _, o := range opts {
		o(&s)
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	t := &Telemetry{s: s, traces: newGuard("traces", s), metrics: newGuard("metrics", s)}
	t.tracer = middleware.NewLazy("OTLP trace exporter", t.newTracerProvider)
	t.meter = middleware.NewLazy("OTLP metric exporter", t.newMeterProvider)
	return t
}

func (t *Telemetry) res(ctx context.Context) (*resource.Resource, error) {
	if t.s.resource != nil {
		return t.s.resource, nil
	}
	// Later detectors win: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
	// override what the platform's environment says.
	return resource.New(ctx, resource.WithTelemetrySDK(),
		resource.WithAttributes(platformAttributes()...), resource.WithFromEnv())
}

func (t *Telemetry) newTracerProvider(ctx context.Context) (*sdktrace.TracerProvider, error) {
	res, err := t.res(ctx)
	if err != nil {
		return nil, fmt.Errorf("otelsetup: build the resource: %w", err)
	}
	// The exporter's own retries would spend the whole flush budget waiting
	// on a collector that is down; the guard decides when to try again.
	opts := append([]otlptracegrpc.Option{otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false})}, t.s.trace...)
	exp, err := otlptracegrpc.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otelsetup: create the OTLP trace exporter (check the endpoint options or OTEL_EXPORTER_OTLP_*): %w", err)
	}
	tpOpts := append([]sdktrace.TracerProviderOption{sdktrace.WithBatcher(t.traces.spans(exp)), sdktrace.WithResource(res)}, t.s.tracerOpts...)
	return sdktrace.NewTracerProvider(tpOpts...), nil
}

func (t *Telemetry) newMeterProvider(ctx context.Context) (*sdkmetric.MeterProvider, error) {
	res, err := t.res(ctx)
	if err != nil {
		return nil, fmt.Errorf("otelsetup: build the resource: %w", err)
	}
	exp := t.s.metricExp
	if exp == nil {
		opts := append([]otlpmetricgrpc.Option{otlpmetricgrpc.WithRetry(otlpmetricgrpc.RetryConfig{Enabled: false})}, t.s.metric...)
		exp, err = otlpmetricgrpc.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("otelsetup: create the OTLP metric exporter (check the endpoint options or OTEL_EXPORTER_OTLP_*): %w", err)
		}
	}
	mpOpts := append([]sdkmetric.Option{sdkmetric.WithReader(sdkmetric.NewPeriodicReader(t.metrics.metrics(exp), sdkmetric.WithTimeout(t.s.flushTimeout))), sdkmetric.WithResource(res)}, t.s.meterOpts...)
	return sdkmetric.NewMeterProvider(mpOpts...), nil
}

// platformAttributes describe the function from the platform's
// environment.
func platformAttributes() []attribute.KeyValue {
	if name := os.Getenv("AWS_LAMBDA_FUNCTION_NAME"); name != "" {
		return []attribute.KeyValue{semconv.CloudProviderAWS, semconv.CloudPlatformAWSLambda,
			semconv.CloudRegion(os.Getenv("AWS_REGION")), semconv.FaaSName(name),
			semconv.FaaSVersion(os.Getenv("AWS_LAMBDA_FUNCTION_VERSION")), semconv.ServiceName(name)}
	}
	if name := os.Getenv("K_SERVICE"); name != "" {
		platform := semconv.CloudPlatformGCPCloudRun
		if os.Getenv("FUNCTION_TARGET") != "" {
			platform = semconv.CloudPlatformGCPCloudFunctions
		}
		return []attribute.KeyValue{semconv.CloudProviderGCP, platform, semconv.FaaSName(name),
			semconv.FaaSVersion(os.Getenv("K_REVISION")), semconv.ServiceName(name)}
	}
	return nil
}

// TracerProvider returns a tracer provider that builds the SDK's provider
// and OTLP exporter when the first span starts. If that fails, the error
// is logged (once until a build succeeds), spans are not recorded, and the
// next span tries again.
func (t *Telemetry) TracerProvider() trace.TracerProvider { return lazyProvider{t: t} }

// MeterProvider returns the SDK meter provider exporting over OTLP, building
// it on the first call. If that fails, the error is logged (once until a
// build succeeds) and a no-op provider is returned (the next call tries
// again).
func (t *Telemetry) MeterProvider() metric.MeterProvider {
	if t.s.noMetrics {
		return metricnoop.NewMeterProvider()
	}
	mp, err := t.meter.Get(context.Background())
	if err != nil {
		t.metrics.buildFailed(err)
		return metricnoop.NewMeterProvider()
	}
	return mp
}

// Flush exports every span and metric recorded so far, within ctx. It does
// nothing for a provider not yet built. A collector that does not take the
// export is reported through the logger (once per outage), not returned:
// the error is only ctx's, when it ends first.
func (t *Telemetry) Flush(ctx context.Context) error {
	var errs []error
	if tp, ok := t.tracer.Peek(); ok {
		if err := tp.ForceFlush(ctx); err != nil {
			errs = append(errs, fmt.Errorf("otelsetup: flush spans: %w", err))
		}
	}
	if mp, ok := t.meter.Peek(); ok {
		if err := mp.ForceFlush(ctx); err != nil {
			errs = append(errs, fmt.Errorf("otelsetup: flush metrics: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Shutdown flushes and stops the providers when the process ends (on
// SIGTERM). Spans and metrics recorded afterwards are dropped. Later calls
// return the first call's result. A handler chained with [Telemetry.Middleware]
// needs no call: the adapters run it as the chain's stop hook.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	t.shutdown.Do(func() { t.stopErr = t.stop(ctx) })
	return t.stopErr
}

func (t *Telemetry) stop(ctx context.Context) error {
	var errs []error
	if tp, ok := t.tracer.Peek(); ok {
		if err := tp.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("otelsetup: shut down the tracer provider: %w", err))
		}
	}
	if mp, ok := t.meter.Peek(); ok {
		if err := mp.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("otelsetup: shut down the meter provider: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Middleware flushes spans and metrics once per invocation on AWS Lambda,
// whose process freezes as soon as the invocation returns (everywhere with
// [WithFlushAlways]). Put it outermost, so the invocation's own span has
// ended when it flushes.
//
// The faasport adapters call its [function.Finisher] hook once at the end
// of each invocation, after the last record of a batch, so a batch of ten
// SQS messages costs one flush, not ten. Driven by anything that does not
// (see [function.Finishing]), it flushes after each event instead.
//
// A flush never fails the invocation and is bounded (see [WithFlushTimeout]
// and [WithFlushReserve]); a collector that does not answer is reported
// once through the logger and skipped until it answers again.
func (t *Telemetry) Middleware() function.Middleware {
	return func(next function.Handler) function.Handler {
		return &flusher{t: t, next: next}
	}
}

type flusher struct {
	t    *Telemetry
	next function.Handler
}

func (f *flusher) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	reply, err := f.next.Handle(ctx, e)
	if !function.Finishing(ctx) {
		f.t.flushAfter(ctx)
	}
	return reply, err
}

// Finish flushes once at the end of the invocation (a [function.Finisher]).
func (f *flusher) Finish(ctx context.Context) { f.t.flushAfter(ctx) }

// Unwrap returns the wrapped handler, so lifecycle hooks stay reachable.
func (f *flusher) Unwrap() function.Handler { return f.next }

// Stop shuts the providers down when the adapter stops (a
// [function.Stopper]), so what is left in the batches is exported.
func (f *flusher) Stop(ctx context.Context) error { return f.t.Shutdown(ctx) }

// HTTP is [Telemetry.Middleware] for HTTP handlers.
func (t *Telemetry) HTTP(next http.Handler) http.Handler {
	return &httpFlusher{t: t, next: next}
}

type httpFlusher struct {
	t    *Telemetry
	next http.Handler
}

func (f *httpFlusher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.next.ServeHTTP(w, r)
	if !function.Finishing(r.Context()) {
		f.t.flushAfter(r.Context())
	}
}

// Finish flushes once at the end of the invocation (a [function.Finisher]).
func (f *httpFlusher) Finish(ctx context.Context) { f.t.flushAfter(ctx) }

// Unwrap returns the wrapped handler, so lifecycle hooks stay reachable.
func (f *httpFlusher) Unwrap() http.Handler { return f.next }

// Stop shuts the providers down when the adapter stops.
func (f *httpFlusher) Stop(ctx context.Context) error { return f.t.Shutdown(ctx) }

func (t *Telemetry) flushAfter(ctx context.Context) {
	inv := function.FromContext(ctx)
	if !t.s.flushAlways && inv.Platform != function.PlatformLambda {
		return
	}
	// Nothing built, nothing to flush: skip the deadline context (and its
	// timer) that every invocation would otherwise pay for.
	if _, ok := t.tracer.Peek(); !ok {
		if _, ok := t.meter.Peek(); !ok {
			return
		}
	}
	fctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), t.flushDeadline(ctx, t.s.now()))
	defer cancel()
	// Export failures are reported by the exporters' guards, once per
	// outage. An error here means the flush ran out of time with exports
	// still waiting on the collector.
	if err := t.Flush(fctx); err != nil {
		t.traces.abandoned(err)
		t.metrics.abandoned(err)
	}
}

// flushDeadline bounds a flush that starts at now: the flush timeout, and
// the invocation's deadline (the context's or the invocation's, whichever
// is earlier) less the reserve the function needs to answer in time. A
// deadline already in the past yields now: the flush gives up at once.
func (t *Telemetry) flushDeadline(ctx context.Context, now time.Time) time.Time {
	deadline := now.Add(t.s.flushTimeout)
	end := function.FromContext(ctx).Deadline
	if d, ok := ctx.Deadline(); ok && (end.IsZero() || d.Before(end)) {
		end = d
	}
	if !end.IsZero() {
		if limit := end.Add(-t.s.flushReserve); limit.Before(deadline) {
			deadline = limit
		}
	}
	if deadline.Before(now) {
		return now
	}
	return deadline
}

// lazyProvider hands out tracers that build the SDK provider on first use.
type lazyProvider struct {
	embedded.TracerProvider
	t *Telemetry
}

func (p lazyProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return &lazyTracer{t: p.t, name: name, opts: opts}
}

type lazyTracer struct {
	embedded.Tracer
	t    *Telemetry
	name string
	opts []trace.TracerOption
	// tracer is the SDK's tracer once built.
	tracer atomic.Pointer[trace.Tracer]
}

func (l *lazyTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if tr := l.tracer.Load(); tr != nil {
		return (*tr).Start(ctx, name, opts...)
	}
	tp, err := l.t.tracer.Get(ctx)
	if err != nil {
		l.t.traces.buildFailed(err)
		return tracenoop.NewTracerProvider().Tracer(l.name).Start(ctx, name, opts...)
	}
	tr := tp.Tracer(l.name, l.opts...)
	l.tracer.Store(&tr)
	return tr.Start(ctx, name, opts...)
}
