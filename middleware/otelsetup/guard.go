package otelsetup

import (
	"context"
	"log/slog"
	"sync"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Back-off between attempts to reach a collector that did not answer: the
// first retry comes after minBackoff, each further failure doubles the wait
// up to maxBackoff. While it waits, exports are dropped at no cost.
const (
	minBackoff = time.Second
	maxBackoff = time.Minute
)

// guard stands between the SDK and the exporters. After an export fails it
// drops exports until a back-off has passed, so a collector that is down or
// does not answer costs an invocation nothing but the one attempt that
// found out; it reports the outage once through the logger (and its end),
// never through otel.Handle, whose default handler writes a line per
// failure with the standard log package. Exporters' errors are not passed
// on to the SDK, which would hand them to otel.Handle too.
type guard struct {
	signal  string // "traces" or "metrics"
	logger  *slog.Logger
	now     func() time.Time
	observe func(context.Context)

	mu       sync.Mutex
	down     bool      // the last attempt failed
	retryAt  time.Time // when the next attempt may go out
	backoff  time.Duration
	dropped  int // exports dropped or failed during this outage
	inflight int // exports started and not yet returned
	written  int // of those, how many a flush already counted as failed

	buildLogged bool
}

func newGuard(signal string, s settings) *guard {
	return &guard{signal: signal, logger: s.logger, now: s.now, observe: s.observe}
}

// allow reports whether an export may go out now.
func (g *guard) allow() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.down && g.now().Before(g.retryAt) {
		g.dropped++
		return false
	}
	g.inflight++
	return true
}

// abandoned records that a flush gave up while exports were still running:
// the collector did not answer in time, which counts as a failure now
// rather than when (or if) the export returns.
func (g *guard) abandoned(err error) {
	g.mu.Lock()
	stuck := g.inflight > g.written
	g.written = g.inflight
	g.mu.Unlock()
	if stuck {
		g.fail(err)
	}
}

// done records an export's outcome.
func (g *guard) done(err error) {
	g.mu.Lock()
	g.inflight--
	counted := g.written > 0
	if counted {
		g.written--
	}
	if err == nil {
		if g.down {
			g.logger.Info("otelsetup: telemetry exports work again",
				slog.String("signal", g.signal), slog.Int("exports_lost", g.dropped))
		}
		g.down, g.backoff, g.dropped = false, 0, 0
	}
	g.mu.Unlock()
	if err != nil && !counted {
		g.fail(err)
	}
}

// fail records a failed export and starts or lengthens the back-off.
func (g *guard) fail(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.dropped++
	if !g.down {
		g.logger.Warn("otelsetup: telemetry export failed; dropping exports until the collector answers, retrying with back-off (check the endpoint, or that the collector runs)",
			slog.String("signal", g.signal), slog.Any("error", err))
		g.down, g.backoff = true, minBackoff
	} else {
		g.backoff = min(2*g.backoff, maxBackoff)
	}
	g.retryAt = g.now().Add(g.backoff)
}

// buildFailed reports that the exporter or provider could not be built,
// once for the life of the guard.
func (g *guard) buildFailed(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.buildLogged {
		return
	}
	g.buildLogged = true
	g.logger.Warn("otelsetup: telemetry is off until the exporter can be built; it is tried again on later use",
		slog.String("signal", g.signal), slog.Any("error", err))
}

func (g *guard) spans(next sdktrace.SpanExporter) sdktrace.SpanExporter {
	return &guardedSpans{g: g, next: next}
}

func (g *guard) metrics(next sdkmetric.Exporter) sdkmetric.Exporter {
	return &guardedMetrics{Exporter: next, g: g}
}

type guardedSpans struct {
	g    *guard
	next sdktrace.SpanExporter
}

func (e *guardedSpans) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if !e.g.allow() {
		return nil
	}
	if e.g.observe != nil {
		e.g.observe(ctx)
	}
	e.g.done(e.next.ExportSpans(ctx, spans))
	return nil
}

func (e *guardedSpans) Shutdown(ctx context.Context) error { return e.next.Shutdown(ctx) }

// guardedMetrics keeps the exporter's Temporality, Aggregation, ForceFlush
// and Shutdown.
type guardedMetrics struct {
	sdkmetric.Exporter
	g *guard
}

func (e *guardedMetrics) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if !e.g.allow() {
		return nil
	}
	if e.g.observe != nil {
		e.g.observe(ctx)
	}
	e.g.done(e.Exporter.Export(ctx, rm))
	return nil
}
