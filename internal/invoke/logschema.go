package invoke

import (
	"context"
	"log/slog"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// The one log schema every adapter writes (docs/logging.md): the same
// messages, levels and attribute names for the same outcome on every
// platform.

// Messages, one per outcome.
const (
	// MsgHandled (DEBUG): the handler succeeded.
	MsgHandled = "event handled"
	// MsgPermanent (WARN): a permanent failure, acknowledged.
	MsgPermanent = "permanent error: event acknowledged, not redelivered"
	// MsgRetryable (WARN): a retryable failure; the platform redelivers.
	MsgRetryable = "event failed: the platform redelivers it"
	// MsgPanic (ERROR): the handler panicked; retryable. Has a stack.
	MsgPanic = "handler panicked"
	// MsgStartFailed (ERROR): a start hook failed; it runs again next time.
	MsgStartFailed = "start hook failed: it runs again on the next invocation"
	// MsgRefused (INFO): the adapter could not read the request or event.
	MsgRefused = "request refused"
)

// Attribute keys.
const (
	KeyPlatform    = "platform"
	KeyFunction    = "function"
	KeyRequestID   = "request_id"
	KeyEventID     = "event_id"
	KeyEventType   = "event_type"
	KeyEventSource = "event_source"
	KeyAttempt     = "attempt"
	KeyOutcome     = "outcome"
	// KeyDuration is the handler's run time in milliseconds, a float.
	KeyDuration = "duration_ms"
	KeyError    = "error"
	KeyStatus   = "status"
	KeyPanic    = "panic"
	KeyStack    = "stack"
)

// Outcome names what became of an event, the value of KeyOutcome.
type Outcome string

// The outcomes.
const (
	OutcomeOK          Outcome = "ok"
	OutcomePermanent   Outcome = "permanent"
	OutcomeRetryable   Outcome = "retryable"
	OutcomePanic       Outcome = "panic"
	OutcomeStartFailed Outcome = "start_failed"
	OutcomeRefused     Outcome = "refused"
)

// Level is the level every adapter logs an outcome at.
func (o Outcome) Level() slog.Level {
	switch o {
	case OutcomeOK:
		return slog.LevelDebug
	case OutcomeRefused:
		return slog.LevelInfo
	case OutcomePermanent, OutcomeRetryable:
		return slog.LevelWarn
	}
	return slog.LevelError
}

// Message is the message of an outcome.
func (o Outcome) Message() string {
	switch o {
	case OutcomeOK:
		return MsgHandled
	case OutcomePermanent:
		return MsgPermanent
	case OutcomeRetryable:
		return MsgRetryable
	case OutcomePanic:
		return MsgPanic
	case OutcomeStartFailed:
		return MsgStartFailed
	}
	return MsgRefused
}

// OutcomeOf classes a handler's error.
func OutcomeOf(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeOK
	case isPanic(err):
		return OutcomePanic
	case function.IsPermanent(err):
		return OutcomePermanent
	}
	return OutcomeRetryable
}

// LogOutcome logs what became of e, handled under ctx (whose
// function.Invocation gives platform, function, request id and attempt) in
// d, in the one schema. extra attributes (an HTTP status) come last. Success
// is logged only when the logger is enabled for DEBUG, so the hot path pays
// nothing.
func LogOutcome(ctx context.Context, log *slog.Logger, e *event.Event, o Outcome, err error, d time.Duration, extra ...slog.Attr) {
	if log == nil || !log.Enabled(ctx, o.Level()) {
		return
	}
	attrs := make([]slog.Attr, 0, 12+len(extra))
	attrs = appendInvocation(attrs, function.FromContext(ctx))
	attrs = appendEvent(attrs, e)
	attrs = append(attrs, slog.String(KeyOutcome, string(o)))
	if d > 0 {
		attrs = append(attrs, slog.Float64(KeyDuration, float64(d.Microseconds())/1000))
	}
	if err != nil {
		attrs = append(attrs, slog.String(KeyError, err.Error()))
	}
	attrs = append(attrs, extra...)
	log.LogAttrs(ctx, o.Level(), o.Message(), attrs...)
}

func appendInvocation(attrs []slog.Attr, inv *function.Invocation) []slog.Attr {
	if inv == nil {
		return attrs
	}
	if inv.Platform != "" {
		attrs = append(attrs, slog.String(KeyPlatform, string(inv.Platform)))
	}
	if inv.FunctionName != "" {
		attrs = append(attrs, slog.String(KeyFunction, inv.FunctionName))
	}
	if inv.RequestID != "" {
		attrs = append(attrs, slog.String(KeyRequestID, inv.RequestID))
	}
	if inv.Attempt > 0 {
		attrs = append(attrs, slog.Int(KeyAttempt, inv.Attempt))
	}
	return attrs
}

func appendEvent(attrs []slog.Attr, e *event.Event) []slog.Attr {
	if e == nil || e.Context == nil {
		return attrs
	}
	return append(attrs, slog.String(KeyEventID, e.ID()), slog.String(KeyEventType, e.Type()), slog.String(KeyEventSource, e.Source()))
}
