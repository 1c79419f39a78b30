// Package emf is an OpenTelemetry metric exporter that writes CloudWatch
// Embedded Metric Format (EMF) documents, one JSON object per line, to
// standard output. On AWS Lambda, standard output goes to CloudWatch Logs,
// which turns the documents into CloudWatch metrics: no collector, no
// extension, no network call during the invocation.
//
// Typical use, with middleware/otelsetup flushing once per invocation:
//
//	tel := otelsetup.New(otelsetup.WithMetricExporter(emf.New(emf.WithNamespace("orders"))))
//	h := function.Chain(orders, append([]function.Middleware{tel.Middleware()},
//		middleware.Default(middleware.WithMeterProvider(tel.MeterProvider()))...)...)
//
// Or with the SDK directly:
//
//	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(emf.New())))
//
// # What it writes
//
// The exporter asks for delta temporality, so each export (each flush)
// carries what was recorded since the previous one. Data points that share
// an attribute set and a timestamp share one document: its dimensions are
// the attributes (values as strings), preceded by the resource attributes
// chosen with [WithResourceDimensions] (default service.name); each metric
// is a member holding its value:
//
//   - counters and up-down counters: the sum over the interval;
//   - gauges: the last value;
//   - histograms: one value when a single measurement was recorded (exact),
//     otherwise one value per measurement, each the middle of its bucket,
//     clamped to the recorded minimum and maximum, at most 100 per
//     document (the format's limit; more go to further documents), so
//     CloudWatch's statistics and percentiles stay close to the truth.
//
// Exponential histograms and summaries are skipped. OpenTelemetry units
// map to CloudWatch units (s to Seconds, ms to Milliseconds, By to Bytes, a
// {annotation} to Count, ...), others to None. An attribute set with more
// than 30 attributes (the format's limit) keeps the first 30 as dimensions
// and the rest as plain members. Numbers that JSON cannot carry (NaN, ±Inf)
// are dropped.
//
// Neighbours: middleware/otelsetup (flushes on Lambda, OTLP for traces),
// middleware (the tracing and metrics middleware that record).
package emf

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Format limits from the Embedded Metric Format specification.
const (
	maxDimensions = 30  // dimensions in one dimension set
	maxMetrics    = 100 // metrics in one directive
	maxValues     = 100 // values of one metric in one document
)

// Option configures [New].
type Option func(*Exporter)

// WithNamespace sets the CloudWatch namespace of the metrics (default
// "faasport").
func WithNamespace(ns string) Option {
	return func(e *Exporter) {
		if ns != "" {
			e.namespace = ns
		}
	}
}

// WithWriter writes the documents to w instead of standard output. Each
// export makes one Write call.
func WithWriter(w io.Writer) Option { return func(e *Exporter) { e.w = w } }

// WithResourceDimensions names the resource attributes that become
// dimensions of every metric, in this order, where the resource has them
// (default: service.name). Call it with no keys for none.
func WithResourceDimensions(keys ...attribute.Key) Option {
	return func(e *Exporter) { e.resourceDims = keys }
}

// Exporter is an sdkmetric.Exporter writing Embedded Metric Format. It is
// safe for concurrent use.
type Exporter struct {
	namespace    string
	w            io.Writer
	resourceDims []attribute.Key

	mu       sync.Mutex
	shutdown bool
}

var _ sdkmetric.Exporter = (*Exporter)(nil)

// ErrShutdown is returned by Export after Shutdown.
var ErrShutdown = errors.New("emf: the exporter is shut down; build a new one to export again")

// New returns an exporter writing to standard output.
func New(opts ...Option) *Exporter {
	e := &Exporter{namespace: "faasport", w: os.Stdout, resourceDims: []attribute.Key{semconv.ServiceNameKey}}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Temporality asks for delta: CloudWatch adds up what each document says.
func (e *Exporter) Temporality(sdkmetric.InstrumentKind) metricdata.Temporality {
	return metricdata.DeltaTemporality
}

// Aggregation is the SDK's default for each instrument kind.
func (e *Exporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

// Export writes rm as EMF documents, one per line, in one Write call.
func (e *Exporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.shutdown {
		return ErrShutdown
	}
	buf := encode(e.namespace, e.resourceDims, rm)
	if len(buf) == 0 {
		return nil
	}
	if _, err := e.w.Write(buf); err != nil {
		return errors.Join(errors.New("emf: write the metric documents"), err)
	}
	return nil
}

// ForceFlush has nothing to do: Export writes at once.
func (e *Exporter) ForceFlush(ctx context.Context) error { return ctx.Err() }

// Shutdown makes later exports fail with [ErrShutdown].
func (e *Exporter) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.shutdown = true
	return ctx.Err()
}
