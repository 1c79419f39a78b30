package middleware

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/trace"

	"github.com/faasport/faasport/function"
)

// LoggingOption configures [Logging] and [LoggingHTTP].
type LoggingOption func(*loggingSettings)

type loggingSettings struct {
	log     *slog.Logger
	okLevel slog.Level
}

// LoggingLogger sets the logger (default slog.Default() when Logging is
// built).
func LoggingLogger(l *slog.Logger) LoggingOption {
	return func(s *loggingSettings) {
		if l != nil {
			s.log = l
		}
	}
}

// LoggingSuccessLevel sets the level of the line for a successful
// invocation (default Info; Debug keeps busy functions quiet). Retryable
// failures log at Warn and permanent ones at Error.
func LoggingSuccessLevel(l slog.Level) LoggingOption {
	return func(s *loggingSettings) { s.okLevel = l }
}

func newLoggingSettings(opts []LoggingOption) loggingSettings {
	s := loggingSettings{log: slog.Default(), okLevel: slog.LevelInfo}
	for _, o := range opts {
		o(&s)
	}
	return s
}

// The keys of the invocation fields in log lines.
const (
	LogKeyPlatform    = "platform"
	LogKeyFunction    = "function"
	LogKeyRequestID   = "request_id"
	LogKeyEventID     = "event_id"
	LogKeyEventType   = "event_type"
	LogKeyEventSource = "event_source"
	LogKeyColdStart   = "cold_start"
	LogKeyAttempt     = "attempt"
	LogKeyDuration    = "duration"
	LogKeyOutcome     = "outcome"
	LogKeyError       = "error"
	LogKeyTraceID     = "trace_id"
	LogKeySpanID      = "span_id"
)

// The outcomes a log line reports.
const (
	OutcomeOK        = "ok"
	OutcomeRetryable = "retryable"
	OutcomePermanent = "permanent"
)

// Outcome classes err as [OutcomeOK], [OutcomeRetryable] or
// [OutcomePermanent].
func Outcome(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case function.IsPermanent(err):
		return OutcomePermanent
	default:
		return OutcomeRetryable
	}
}

// Logging writes one structured line per invocation, when it ends, with the
// invocation's fields (platform, function, request id, event id, type and
// source, cold start, delivery attempt, and the trace and span ids under
// [Tracing]), its duration and its outcome (ok, retryable or permanent, with
// the error). Fields the platform did not give are left out.
//
// It also puts a logger carrying the same fields in the context; the
// handler's own lines get them (a correlation id) through [Logger]:
//
//	middleware.Logger(ctx).Info("reserved", "order", o.ID)
func Logging(opts ...LoggingOption) function.Middleware {
	s := newLoggingSettings(opts)
	return func(next function.Handler) function.Handler {
		return &logging{s: s, next: next}
	}
}

type logging struct {
	s    loggingSettings
	next function.Handler
}

func (l *logging) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	start := time.Now()
	lc := newLogCtx(ctx, l.s.log)
	lc.addInvocation(ctx)
	if e.Context != nil {
		lc.addString(LogKeyEventID, e.ID())
		lc.addString(LogKeyEventType, e.Type())
		lc.addString(LogKeyEventSource, e.Source())
	}
	returned := false
	defer func() {
		// A panic on its way to Recover still gets its line.
		if !returned {
			lc.logEnd(ctx, slog.LevelError, "invocation", time.Since(start), ErrPanic)
		}
	}()
	reply, err := l.next.Handle(lc, e)
	returned = true
	lc.logEnd(ctx, levelOf(err, l.s.okLevel), "invocation", time.Since(start), err)
	return reply, err
}

// Unwrap returns the wrapped handler, so lifecycle hooks stay reachable.
func (l *logging) Unwrap() function.Handler { return l.next }

// LoggingHTTP is [Logging] for HTTP handlers: one line per request with the
// method, path, status, bytes written and duration, plus the invocation's
// fields where the adapter gives them, and the same logger in the request's
// context. 5xx answers log at Error, 4xx at Warn.
func LoggingHTTP(opts ...LoggingOption) func(http.Handler) http.Handler {
	s := newLoggingSettings(opts)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ctx := r.Context()
			lc := newLogCtx(ctx, s.log)
			lc.addInvocation(ctx)
			lc.addString("method", r.Method)
			lc.addString("path", r.URL.Path)
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r.WithContext(lc))
			code := sw.code()
			var err error
			level := s.okLevel
			switch {
			case code >= 500:
				err, level = function.WithStatus(code, nil), slog.LevelError
			case code >= 400:
				// The client's mistake, not the function's.
				err, level = function.WithStatus(code, nil), slog.LevelWarn
			}
			lc.logEnd(ctx, level, "request", time.Since(start), err, slog.Int("status", code), slog.Int64("bytes", sw.written))
		})
	}
}

type loggerKey struct{}

// Logger returns the logger [Logging] put in ctx, which carries the
// invocation's fields, or slog.Default() outside Logging. It is never nil.
func Logger(ctx context.Context) *slog.Logger {
	if lc, ok := ctx.Value(loggerKey{}).(*logCtx); ok {
		return lc.logger()
	}
	return slog.Default()
}

// logCtx is the context Logging passes on: the parent plus the invocation's
// fields, from which the context's logger is built on first use, so an
// invocation that never calls Logger does not pay for it.
type logCtx struct {
	context.Context
	base   *slog.Logger
	attrs  [12]slog.Attr
	n      int
	cached atomic.Pointer[slog.Logger]
}

func newLogCtx(parent context.Context, base *slog.Logger) *logCtx {
	return &logCtx{Context: parent, base: base}
}

func (c *logCtx) Value(key any) any {
	if _, ok := key.(loggerKey); ok {
		return c
	}
	return c.Context.Value(key)
}

func (c *logCtx) add(a slog.Attr) {
	if c.n < len(c.attrs) {
		c.attrs[c.n] = a
		c.n++
	}
}

func (c *logCtx) addString(key, value string) {
	if value != "" {
		c.add(slog.String(key, value))
	}
}

func (c *logCtx) addInvocation(ctx context.Context) {
	// Under Tracing, the lines name the span they belong to.
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		c.add(slog.String(LogKeyTraceID, sc.TraceID().String()))
		c.add(slog.String(LogKeySpanID, sc.SpanID().String()))
	}
	inv, ok := invocationOf(ctx)
	if !ok {
		return
	}
	c.addString(LogKeyPlatform, string(inv.Platform))
	c.addString(LogKeyFunction, inv.FunctionName)
	c.addString(LogKeyRequestID, inv.RequestID)
	if inv.ColdStart {
		c.add(slog.Bool(LogKeyColdStart, true))
	}
	if inv.Attempt > 0 {
		c.add(slog.Int(LogKeyAttempt, inv.Attempt))
	}
}

func (c *logCtx) logger() *slog.Logger {
	if l := c.cached.Load(); l != nil {
		return l
	}
	l := slog.New(c.base.Handler().WithAttrs(c.attrs[:c.n]))
	if c.cached.CompareAndSwap(nil, l) {
		return l
	}
	return c.cached.Load()
}

// levelOf is the level of an invocation's line: okLevel on success, Warn
// for a retryable error (the platform will try again), Error for a
// permanent one (the event is dropped or dead-lettered).
func levelOf(err error, okLevel slog.Level) slog.Level {
	switch {
	case err == nil:
		return okLevel
	case function.IsPermanent(err):
		return slog.LevelError
	default:
		return slog.LevelWarn
	}
}

func (c *logCtx) logEnd(ctx context.Context, level slog.Level, msg string, d time.Duration, err error, extra ...slog.Attr) {
	if !c.base.Enabled(ctx, level) {
		return
	}
	var buf [18]slog.Attr
	attrs := append(buf[:0], c.attrs[:c.n]...)
	attrs = append(attrs, extra...)
	attrs = append(attrs, slog.Duration(LogKeyDuration, d), slog.String(LogKeyOutcome, Outcome(err)))
	if err != nil {
		attrs = append(attrs, slog.String(LogKeyError, err.Error()))
	}
	c.base.LogAttrs(ctx, level, msg, attrs...)
}
