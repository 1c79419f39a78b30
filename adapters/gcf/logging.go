package gcf

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/faasport/faasport/function"
)

// The structured-logging keys Cloud Logging reads from a JSON log line.
const (
	logKeyTrace        = "logging.googleapis.com/trace"
	logKeySpanID       = "logging.googleapis.com/spanId"
	logKeyTraceSampled = "logging.googleapis.com/trace_sampled"
	logKeyLabels       = "logging.googleapis.com/labels"
	logKeySource       = "logging.googleapis.com/sourceLocation"
)

// LogOptions configures [NewLogHandler]. The zero value logs at Info and
// above.
type LogOptions struct {
	// Level is the minimum level logged; nil means slog.LevelInfo.
	Level slog.Leveler
	// ProjectID is the Google Cloud project that traces belong to. Cloud
	// Logging links a line to its trace only by the full name
	// projects/PROJECT/traces/TRACE, and no request header carries the
	// project, so without one no trace field is written. Empty means the
	// GOOGLE_CLOUD_PROJECT environment variable (read by NewLogHandler).
	ProjectID string
	// AddSource adds the caller's file, line and function as
	// logging.googleapis.com/sourceLocation.
	AddSource bool
	// ReplaceAttr, if set, rewrites attributes as slog.HandlerOptions does,
	// after the renaming to Cloud Logging's keys.
	ReplaceAttr func(groups []string, a slog.Attr) slog.Attr
	// CurrentSpan, if set, reports the span current in ctx: its trace id
	// (32 hex digits), span id (16 hex digits, or empty) and whether it is
	// sampled. Its span, when it returns a valid trace id, wins over the
	// invocation's trace header, so a line logged inside a handler's span
	// names that span rather than the caller's. This package links no
	// tracing library; with OpenTelemetry, for instance:
	//
	//	CurrentSpan: func(ctx context.Context) (string, string, bool) {
	//		sc := trace.SpanContextFromContext(ctx)
	//		if !sc.IsValid() {
	//			return "", "", false
	//		}
	//		return sc.TraceID().String(), sc.SpanID().String(), sc.IsSampled()
	//	},
	CurrentSpan func(ctx context.Context) (traceID, spanID string, sampled bool)
}

// NewLogHandler returns an slog.Handler that writes one JSON object per line
// to w in the form Cloud Logging reads from a function's stdout or stderr:
// "severity" (DEBUG, INFO, WARNING, ERROR, CRITICAL), "message", "time",
// and, under an invocation served by this adapter (or a span that
// [LogOptions].CurrentSpan reports), "logging.googleapis.com/trace",
// "logging.googleapis.com/spanId", "logging.googleapis.com/trace_sampled"
// and the execution id as the label execution_id. Pass it to [WithLogger]
// or slog.SetDefault:
//
//	log := slog.New(gcf.NewLogHandler(os.Stdout, &gcf.LogOptions{ProjectID: "my-project"}))
//
// A nil opts is the zero LogOptions.
func NewLogHandler(w io.Writer, opts *LogOptions) slog.Handler {
	var o LogOptions
	if opts != nil {
		o = *opts
	}
	if o.ProjectID == "" {
		o.ProjectID = os.Getenv("GOOGLE_CLOUD_PROJECT")
	}
	root := slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level:       o.Level,
		AddSource:   o.AddSource,
		ReplaceAttr: cloudKeys(o.ReplaceAttr),
	})
	return &logHandler{inner: root, root: root, project: o.ProjectID, span: o.CurrentSpan}
}

// cloudKeys renames slog's built-in keys to Cloud Logging's.
func cloudKeys(next func([]string, slog.Attr) slog.Attr) func([]string, slog.Attr) slog.Attr {
	return func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 {
			switch a.Key {
			case slog.LevelKey:
				if l, ok := a.Value.Any().(slog.Level); ok {
					a = slog.String("severity", severity(l))
				}
			case slog.MessageKey:
				a.Key = "message"
			case slog.SourceKey:
				a.Key = logKeySource
			}
		}
		if next != nil {
			a = next(groups, a)
		}
		return a
	}
}

// severity maps an slog level to a Cloud Logging severity.
func severity(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "DEBUG"
	case l < slog.LevelWarn:
		return "INFO"
	case l < slog.LevelError:
		return "WARNING"
	case l < slog.LevelError+4:
		return "ERROR"
	default:
		return "CRITICAL"
	}
}

// logHandler adds the trace fields of the context to each record. They must
// be top-level keys, so under an open group the handler rebuilds its chain
// from the root with the trace fields first.
type logHandler struct {
	inner   slog.Handler
	root    slog.Handler
	ops     []func(slog.Handler) slog.Handler // WithAttrs and WithGroup, in order
	grouped bool
	project string
	span    func(context.Context) (traceID, spanID string, sampled bool)
}

func (h *logHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	attrs := h.traceAttrs(ctx)
	if len(attrs) == 0 {
		return h.inner.Handle(ctx, r)
	}
	if !h.grouped {
		r = r.Clone()
		r.AddAttrs(attrs...)
		return h.inner.Handle(ctx, r)
	}
	inner := h.root.WithAttrs(attrs)
	for _, op := range h.ops {
		inner = op(inner)
	}
	return inner.Handle(ctx, r)
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(func(in slog.Handler) slog.Handler { return in.WithAttrs(attrs) }, false)
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(func(in slog.Handler) slog.Handler { return in.WithGroup(name) }, true)
}

func (h *logHandler) with(op func(slog.Handler) slog.Handler, group bool) *logHandler {
	ops := make([]func(slog.Handler) slog.Handler, len(h.ops), len(h.ops)+1)
	copy(ops, h.ops)
	return &logHandler{
		inner:   op(h.inner),
		root:    h.root,
		ops:     append(ops, op),
		grouped: h.grouped || group,
		project: h.project,
		span:    h.span,
	}
}

// traceAttrs returns the Cloud Logging trace fields for ctx: from the span
// CurrentSpan reports if there is one, else from the invocation's trace
// header.
func (h *logHandler) traceAttrs(ctx context.Context) []slog.Attr {
	inv, hasInv := function.InvocationFromContext(ctx)
	var attrs []slog.Attr
	if h.project != "" {
		traceID, spanID, sampled, ok := h.currentSpan(ctx)
		if !ok && hasInv && inv.TraceHeader != "" {
			traceID, spanID, sampled, ok = parseTraceHeader(inv.TraceHeader)
		}
		if ok {
			attrs = append(attrs, slog.String(logKeyTrace, "projects/"+h.project+"/traces/"+traceID))
			if spanID != "" {
				attrs = append(attrs, slog.String(logKeySpanID, spanID))
			}
			attrs = append(attrs, slog.Bool(logKeyTraceSampled, sampled))
		}
	}
	if hasInv && inv.RequestID != "" {
		attrs = append(attrs, slog.Group(logKeyLabels, slog.String("execution_id", inv.RequestID)))
	}
	return attrs
}

// currentSpan asks the CurrentSpan hook for ctx's span. A trace id that is
// not 32 hex digits, or all zeros, means no span; a span id that is not 16
// hex digits, or all zeros, is left out.
func (h *logHandler) currentSpan(ctx context.Context) (traceID, spanID string, sampled, ok bool) {
	if h.span == nil {
		return "", "", false, false
	}
	traceID, spanID, sampled = h.span(ctx)
	if !isHex(traceID, 32) || isZero(traceID) {
		return "", "", false, false
	}
	if !isHex(spanID, 16) || isZero(spanID) {
		spanID = ""
	}
	return traceID, spanID, sampled, true
}

// parseTraceHeader reads an X-Cloud-Trace-Context header
// (TRACE_ID/SPAN_ID;o=OPTIONS, span id in decimal) or a W3C traceparent
// (00-TRACE_ID-SPAN_ID-FLAGS). The span id is returned as 16 hex digits, the
// form Cloud Logging expects.
func parseTraceHeader(h string) (traceID, spanID string, sampled, ok bool) {
	if p := strings.Split(h, "-"); len(p) == 4 && len(p[0]) == 2 {
		if !isHex(p[1], 32) || !isHex(p[2], 16) || len(p[3]) != 2 {
			return "", "", false, false
		}
		flags, err := strconv.ParseUint(p[3], 16, 8)
		return p[1], p[2], err == nil && flags&1 == 1, err == nil
	}
	rest, opts, _ := strings.Cut(h, ";")
	traceID, span, _ := strings.Cut(rest, "/")
	if !isHex(traceID, 32) {
		return "", "", false, false
	}
	if n, err := strconv.ParseUint(span, 10, 64); err == nil && n != 0 {
		var b [8]byte
		for i := 7; i >= 0; i-- {
			b[i] = byte(n)
			n >>= 8
		}
		spanID = hex.EncodeToString(b[:])
	}
	return traceID, spanID, strings.Contains(opts, "o=1"), true
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

func isZero(s string) bool {
	return strings.Trim(s, "0") == ""
}
