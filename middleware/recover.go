package middleware

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/invoke"
)

// ErrPanic is matched, with [errors.Is], by the error a recovered panic
// becomes, here and in the adapters.
var ErrPanic = invoke.ErrPanic

// PanicError is the error a panic becomes under [Recover]. Its text names the
// event but carries neither the panic value nor the stack, so it can be sent
// to a client; both are in the log.
type PanicError struct {
	EventID string
	// Value is what was passed to panic, for code that inspects it.
	Value any
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("middleware: handler panicked on event %q; the stack is in the function's log", e.EventID)
}

// Is makes a PanicError match [ErrPanic].
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// RecoverOption configures [Recover] and [RecoverHTTP].
type RecoverOption func(*recoverSettings)

type recoverSettings struct {
	log       *slog.Logger
	permanent bool
}

// RecoverLogger sets the logger the panic and its stack go to (default
// slog.Default() when Recover is built).
func RecoverLogger(l *slog.Logger) RecoverOption {
	return func(s *recoverSettings) {
		if l != nil {
			s.log = l
		}
	}
}

// RecoverPermanent makes panics permanent errors: the event is acknowledged
// instead of redelivered. Use it when a panic means the event itself is bad
// (a poison message), not that the process was unlucky.
func RecoverPermanent() RecoverOption { return func(s *recoverSettings) { s.permanent = true } }

func newRecoverSettings(opts []RecoverOption) recoverSettings {
	s := recoverSettings{log: slog.Default()}
	for _, o := range opts {
		o(&s)
	}
	return s
}

// Recover turns a panic in the handler into a [*PanicError], retryable unless
// [RecoverPermanent] is set, and logs the panic value and stack at error
// level. It allocates nothing when there is no panic. Put it outermost.
func Recover(opts ...RecoverOption) function.Middleware {
	s := newRecoverSettings(opts)
	return func(next function.Handler) function.Handler {
		return &recoverer{s: s, next: next}
	}
}

type recoverer struct {
	s    recoverSettings
	next function.Handler
}

func (r *recoverer) Handle(ctx context.Context, e event.Event) (reply *event.Event, err error) {
	defer func() {
		if p := recover(); p != nil {
			var id string
			if e.Context != nil {
				id = e.ID()
			}
			reply, err = nil, r.recovered(ctx, id, p)
		}
	}()
	return r.next.Handle(ctx, e)
}

func (r *recoverer) recovered(ctx context.Context, eventID string, p any) error {
	r.s.log.ErrorContext(ctx, "handler panicked",
		slog.Any("panic", p), slog.String("event_id", eventID), slog.String("stack", string(debug.Stack())))
	err := error(&PanicError{EventID: eventID, Value: p})
	if r.s.permanent {
		return function.Permanent(err)
	}
	return function.Retryable(err)
}

// Unwrap returns the wrapped handler, so lifecycle hooks stay reachable.
func (r *recoverer) Unwrap() function.Handler { return r.next }

// RecoverHTTP is [Recover] for HTTP handlers: a panic is logged with its
// stack and answered with a bare 500 Internal Server Error, unless the
// handler had started its response already (then the response is cut
// short). http.ErrAbortHandler panics pass through, as net/http expects. The
// handler's writer unwraps (http.ResponseController) to the original one.
func RecoverHTTP(opts ...RecoverOption) func(http.Handler) http.Handler {
	s := newRecoverSettings(opts)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			sw := &statusWriter{ResponseWriter: w}
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(req.Context(), "HTTP handler panicked",
					slog.Any("panic", p), slog.String("method", req.Method), slog.String("path", req.URL.Path),
					slog.String("stack", string(debug.Stack())))
				if sw.status == 0 {
					http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
				}
			}()
			next.ServeHTTP(sw, req)
		})
	}
}
