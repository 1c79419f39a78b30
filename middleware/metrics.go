package middleware

import (
	"context"
	"errors"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/faasconv"

	"github.com/faasport/faasport/function"
)

// MetricInFlight is the name of the up-down counter of invocations in
// progress, which the semantic conventions do not define.
const MetricInFlight = "faasport.invocations.active"

// MetricsOption configures [Metrics].
type MetricsOption func(*metricsSettings)

type metricsSettings struct {
	provider metric.MeterProvider
}

// MetricsProvider sets the meter provider (default otel.GetMeterProvider()
// when Metrics is built).
func MetricsProvider(mp metric.MeterProvider) MetricsOption {
	return func(s *metricsSettings) {
		if mp != nil {
			s.provider = mp
		}
	}
}

// Metrics records, per invocation, the OpenTelemetry FaaS metrics:
// faas.invocations, faas.errors (with error.type "permanent", "retryable" or
// "timeout"), faas.timeouts, faas.coldstarts and the faas.invoke_duration
// histogram in seconds, each with faas.trigger; and the invocations in
// progress as the up-down counter faasport.invocations.active. An
// instrument the provider refuses is reported to otel.Handle and left out.
func Metrics(opts ...MetricsOption) function.Middleware {
	s := metricsSettings{}
	for _, o := range opts {
		o(&s)
	}
	if s.provider == nil {
		s.provider = otel.GetMeterProvider()
	}
	m := newMeters(s.provider.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL)))
	return func(next function.Handler) function.Handler {
		return &metrics{m: m, next: next}
	}
}

type meters struct {
	invocations metric.Int64Counter
	errors      metric.Int64Counter
	timeouts    metric.Int64Counter
	coldstarts  metric.Int64Counter
	duration    metric.Float64Histogram
	active      metric.Int64UpDownCounter
	// byTrigger holds the measurement options for each trigger, built once
	// so that recording allocates nothing.
	byTrigger map[function.Trigger]*triggerOptions
	other     *triggerOptions
}

type triggerOptions struct {
	add       []metric.AddOption
	record    []metric.RecordOption
	permanent []metric.AddOption
	retryable []metric.AddOption
	timeout   []metric.AddOption
}

func newMeters(m metric.Meter) *meters {
	ms := &meters{byTrigger: make(map[function.Trigger]*triggerOptions)}
	report := func(err error) {
		if err != nil {
			otel.Handle(err)
		}
	}
	inv, err := faasconv.NewInvocations(m)
	report(err)
	errs, err := faasconv.NewErrors(m)
	report(err)
	tos, err := faasconv.NewTimeouts(m)
	report(err)
	cold, err := faasconv.NewColdstarts(m)
	report(err)
	dur, err := faasconv.NewInvokeDuration(m)
	report(err)
	ms.invocations, ms.errors, ms.timeouts, ms.coldstarts, ms.duration = inv.Inst(), errs.Inst(), tos.Inst(), cold.Inst(), dur.Inst()
	ms.active, err = m.Int64UpDownCounter(MetricInFlight,
		metric.WithDescription("Number of invocations in progress."), metric.WithUnit("{invocation}"))
	if err != nil {
		report(err)
		ms.active = nil
	}
	for _, t := range []function.Trigger{function.TriggerHTTP, function.TriggerPubSub, function.TriggerDatasource, function.TriggerTimer, function.TriggerOther} {
		ms.byTrigger[t] = newTriggerOptions(t)
	}
	ms.other = ms.byTrigger[function.TriggerOther]
	return ms
}

func newTriggerOptions(t function.Trigger) *triggerOptions {
	trig := semconv.FaaSTriggerKey.String(string(t))
	set := metric.WithAttributeSet(attribute.NewSet(trig))
	withClass := func(class string) []metric.AddOption {
		return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(trig, semconv.ErrorTypeKey.String(class)))}
	}
	return &triggerOptions{
		add:       []metric.AddOption{set},
		record:    []metric.RecordOption{set},
		permanent: withClass(ErrorClassPermanent),
		retryable: withClass(ErrorClassRetryable),
		timeout:   withClass(ErrorClassTimeout),
	}
}

type metrics struct {
	m    *meters
	next function.Handler
}

func (h *metrics) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	m := h.m
	opts := m.other
	inv, ok := invocationOf(ctx)
	if ok {
		if o, found := m.byTrigger[inv.Trigger]; found {
			opts = o
		}
	}
	if m.active != nil {
		m.active.Add(ctx, 1, opts.add...)
		// Deferred, so a panic on its way to Recover does not leave the
		// invocation counted as active.
		defer m.active.Add(ctx, -1, opts.add...)
	}
	start := time.Now()
	returned := false
	var err error
	defer func() {
		if !returned {
			// A panic on its way to Recover counts as a retryable error.
			err = ErrPanic
		}
		m.record(ctx, opts, time.Since(start), inv, err)
	}()
	reply, err := h.next.Handle(ctx, e)
	returned = true
	return reply, err
}

func (m *meters) record(ctx context.Context, opts *triggerOptions, d time.Duration, inv *function.Invocation, err error) {
	m.duration.Record(ctx, d.Seconds(), opts.record...)
	m.invocations.Add(ctx, 1, opts.add...)
	if inv != nil && inv.ColdStart {
		m.coldstarts.Add(ctx, 1, opts.add...)
	}
	if err != nil {
		switch errorClass(err) {
		case ErrorClassPermanent:
			m.errors.Add(ctx, 1, opts.permanent...)
		case ErrorClassTimeout:
			m.errors.Add(ctx, 1, opts.timeout...)
		default:
			m.errors.Add(ctx, 1, opts.retryable...)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			m.timeouts.Add(ctx, 1, opts.add...)
		}
	}
}

// Unwrap returns the wrapped handler, so lifecycle hooks stay reachable.
func (h *metrics) Unwrap() function.Handler { return h.next }
