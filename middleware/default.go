package middleware

import (
	"log/slog"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/faasport/faasport/function"
)

// DefaultOption configures [Default].
type DefaultOption func(*defaultSettings)

type defaultSettings struct {
	recover   []RecoverOption
	tracing   []TracingOption
	logging   []LoggingOption
	metrics   []MetricsOption
	timeout   []TimeoutOption
	retry     []RetryOption
	metricsOn bool
}

// WithLogger sets the logger of [Recover] and [Logging].
func WithLogger(l *slog.Logger) DefaultOption {
	return func(s *defaultSettings) {
		s.recover = append(s.recover, RecoverLogger(l))
		s.logging = append(s.logging, LoggingLogger(l))
	}
}

// WithTracerProvider sets the tracer provider of [Tracing].
func WithTracerProvider(tp trace.TracerProvider) DefaultOption {
	return func(s *defaultSettings) { s.tracing = append(s.tracing, TracingProvider(tp)) }
}

// WithMeterProvider adds [Metrics], beside [Tracing], recording to mp.
func WithMeterProvider(mp metric.MeterProvider) DefaultOption {
	return func(s *defaultSettings) {
		s.metricsOn = true
		s.metrics = append(s.metrics, MetricsProvider(mp))
	}
}

// WithRecover passes options to [Recover].
func WithRecover(opts ...RecoverOption) DefaultOption {
	return func(s *defaultSettings) { s.recover = append(s.recover, opts...) }
}

// WithTracing passes options to [Tracing].
func WithTracing(opts ...TracingOption) DefaultOption {
	return func(s *defaultSettings) { s.tracing = append(s.tracing, opts...) }
}

// WithLogging passes options to [Logging].
func WithLogging(opts ...LoggingOption) DefaultOption {
	return func(s *defaultSettings) { s.logging = append(s.logging, opts...) }
}

// WithTimeout passes options to [Timeout].
func WithTimeout(opts ...TimeoutOption) DefaultOption {
	return func(s *defaultSettings) { s.timeout = append(s.timeout, opts...) }
}

// WithRetry passes options to [Retry].
func WithRetry(opts ...RetryOption) DefaultOption {
	return func(s *defaultSettings) { s.retry = append(s.retry, opts...) }
}

// Default returns the recommended stack, outermost first: [Recover],
// [Tracing], [Logging], [Metrics] (only with [WithMeterProvider]),
// [Timeout], [Retry]. Add your own middleware, and idempotency innermost,
// after it:
//
//	h := function.Chain(orders, append(middleware.Default(), idempotency.New(store))...)
func Default(opts ...DefaultOption) []function.Middleware {
	var s defaultSettings
	for _, o := range opts {
		o(&s)
	}
	mw := []function.Middleware{
		Recover(s.recover...),
		Tracing(s.tracing...),
		Logging(s.logging...),
	}
	if s.metricsOn {
		mw = append(mw, Metrics(s.metrics...))
	}
	return append(mw, Timeout(s.timeout...), Retry(s.retry...))
}
