package otelsetup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
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
	"github.com/faasport/faasport/middleware/otelsetup/emf"
)

// logRecords is a slog handler that keeps what it is given.
type logRecords struct {
	mu   sync.Mutex
	list []slog.Record
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecords) WithGroup(string) slog.Handler            { return l }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, r)
	return nil
}

func (l *logRecords) messages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.list {
		out = append(out, r.Level.String()+" "+r.Message)
	}
	return out
}

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestFlushDeadline(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tel := otelsetup.New(otelsetup.WithFlushTimeout(100*time.Millisecond), otelsetup.WithFlushReserve(50*time.Millisecond))
	tests := []struct {
		name        string
		invDeadline time.Time
		ctxDeadline time.Time
		want        time.Time
	}{
		{name: "no deadline: the timeout", want: now.Add(100 * time.Millisecond)},
		{name: "far deadline: the timeout", invDeadline: now.Add(time.Minute), want: now.Add(100 * time.Millisecond)},
		{name: "near deadline: less the reserve", invDeadline: now.Add(120 * time.Millisecond), want: now.Add(70 * time.Millisecond)},
		{name: "context's deadline is earlier", invDeadline: now.Add(time.Minute), ctxDeadline: now.Add(80 * time.Millisecond), want: now.Add(30 * time.Millisecond)},
		{name: "invocation's deadline is earlier", invDeadline: now.Add(60 * time.Millisecond), ctxDeadline: now.Add(time.Minute), want: now.Add(10 * time.Millisecond)},
		{name: "within the reserve: give up at once", invDeadline: now.Add(20 * time.Millisecond), want: now},
		{name: "deadline passed: give up at once", invDeadline: now.Add(-time.Second), want: now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := function.NewContext(context.Background(), &function.Invocation{Platform: function.PlatformLambda, Deadline: tt.invDeadline})
			if !tt.ctxDeadline.IsZero() {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, tt.ctxDeadline)
				defer cancel()
			}
			assert.Equal(t, tt.want, otelsetup.FlushDeadline(tel, ctx, now))
		})
	}
}

// closedPort returns a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	require.NoError(t, lis.Close())
	return addr
}

// blackhole returns a loopback address that accepts connections and never
// answers, and the number of connections it accepted.
func blackhole(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns atomic.Int32
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = lis.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			_ = c.Close()
		}
	})
	return lis.Addr().String(), &conns
}

// An unreachable collector costs the invocation one bounded attempt, is
// logged once, and is then skipped until the back-off has passed. The bound
// is checked on the export's own context (its deadline is the fake clock's
// time plus the flush timeout), never by timing.
func TestUnreachableCollector(t *testing.T) {
	tests := []struct {
		name string
		addr func(t *testing.T) string
	}{
		{name: "nothing listens", addr: closedPort},
		{name: "accepts and never answers", addr: func(t *testing.T) string {
			addr, conns := blackhole(t)
			t.Cleanup(func() { assert.Positive(t, conns.Load(), "the exporter did reach the blackhole") })
			return addr
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: time.Now()}
			logs := &logRecords{}
			var mu sync.Mutex
			var deadlines []time.Time
			// Metrics are off: the SDK's periodic reader gives its exports a
			// deadline of its own (the flush timeout, by the real clock).
			tel := otelsetup.New(otelsetup.WithEndpoint(tt.addr(t)), otelsetup.WithInsecure(), otelsetup.WithoutMetrics(),
				otelsetup.WithLogger(slog.New(logs)), otelsetup.WithClock(clock.Now),
				otelsetup.WithObserver(func(ctx context.Context) {
					d, ok := ctx.Deadline()
					require.True(t, ok, "every export has a deadline")
					mu.Lock()
					defer mu.Unlock()
					deadlines = append(deadlines, d)
				}))
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				_ = tel.Shutdown(ctx)
			})
			h := chain(tel, function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) {
				return nil, errors.New("handler's own error")
			}))
			invoke := func() {
				t.Helper()
				ctx := function.NewContext(context.Background(), &function.Invocation{
					Platform: function.PlatformLambda, Deadline: clock.Now().Add(time.Minute),
				})
				_, err := h.Handle(ctx, testEvent("e-1"))
				require.EqualError(t, err, "handler's own error", "the flush does not change the invocation's result")
			}

			invoke()
			mu.Lock()
			require.NotEmpty(t, deadlines, "the first invocation tries the collector")
			for _, d := range deadlines {
				assert.Equal(t, clock.Now().Add(otelsetup.DefaultFlushTimeout), d, "bounded by the short default")
			}
			tried := len(deadlines)
			mu.Unlock()

			for range 5 {
				invoke()
			}
			mu.Lock()
			assert.Len(t, deadlines, tried, "while backing off, no export reaches the collector")
			mu.Unlock()
			assert.Equal(t, []string{"WARN otelsetup: telemetry export failed; dropping exports until the collector answers, retrying with back-off (check the endpoint, or that the collector runs)"},
				logs.messages(), "reported once")

			clock.Advance(time.Second)
			invoke()
			mu.Lock()
			assert.Greater(t, len(deadlines), tried, "after the back-off the collector is tried again")
			mu.Unlock()
			assert.Len(t, logs.messages(), 1, "a failed retry is not reported again")
		})
	}
}

// runBatch invokes h once per record as an adapter does, marking the
// invocation with the chain's Finish hooks when finishers is not nil.
func runBatch(t *testing.T, h function.Handler, finishers *function.Finishers, records int) {
	t.Helper()
	ctx := function.NewContext(context.Background(), &function.Invocation{Platform: function.PlatformLambda, Deadline: time.Now().Add(time.Minute)})
	finish := func(context.Context) {}
	if finishers != nil {
		ctx, finish = finishers.Begin(ctx)
	}
	for i := range records {
		_, err := h.Handle(ctx, testEvent("e-"+string(rune('a'+i))))
		require.NoError(t, err)
	}
	finish(ctx)
}

func TestOneFlushPerInvocation(t *testing.T) {
	tests := []struct {
		name        string
		finish      bool
		wantExports int32
	}{
		{name: "adapter calls Finish: one flush for the batch", finish: true, wantExports: 1},
		{name: "no Finish: a flush per record", finish: false, wantExports: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceiver(t)
			tel := newTelemetry(t, r, otelsetup.WithoutMetrics())
			h := chain(tel, function.HandlerFunc(ok))
			var finishers *function.Finishers
			if tt.finish {
				finishers = function.FindFinishers(h)
			}
			runBatch(t, h, finishers, 10)
			spans, _, _ := r.received()
			assert.Len(t, spans, 10, "every record's span is exported before the invocation returns")
			assert.Equal(t, tt.wantExports, r.exports.Load())
		})
	}
}

// On Lambda, metrics can go to standard output as CloudWatch Embedded
// Metric Format, with no collector: each invocation's flush writes them.
func TestMetricsAsEMF(t *testing.T) {
	var out bytes.Buffer
	tel := otelsetup.New(otelsetup.WithMetricExporter(emf.New(emf.WithWriter(&out), emf.WithNamespace("orders"))),
		otelsetup.WithResource(resource.NewSchemaless(semconv.ServiceName("orders-test"))))
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	h := function.Chain(function.HandlerFunc(ok), tel.Middleware(), middleware.Metrics(middleware.MetricsProvider(tel.MeterProvider())))
	finishers := function.FindFinishers(h)

	runBatch(t, h, finishers, 3)
	var doc map[string]any
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		require.NoError(t, json.Unmarshal([]byte(line), &doc), "every line is one JSON document")
		if v, ok := doc["faas.invocations"]; ok {
			found = true
			assert.Equal(t, 3.0, v, "the batch's three records, in one flush")
			assert.Equal(t, "orders-test", doc["service.name"])
		}
	}
	assert.True(t, found, "faas.invocations written: %s", out.String())
}
