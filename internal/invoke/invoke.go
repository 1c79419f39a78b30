// Package invoke holds what every adapter does around a handler call: panic
// recovery, cold-start tracking, and the one log schema of outcomes
// (LogOutcome, documented in docs/logging.md).
package invoke

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// ErrPanic is wrapped by the error a recovered handler panic becomes.
var ErrPanic = errors.New("handler panicked")

// Call runs h on e. A panic becomes a retryable error wrapping ErrPanic; its
// stack goes to log, never into the error's text, so it cannot reach a client.
func Call(ctx context.Context, h function.Handler, e event.Event, log *slog.Logger) (reply *event.Event, err error) {
	defer func() {
		if p := recover(); p != nil {
			if log != nil {
				LogOutcome(ctx, log, &e, OutcomePanic, nil, 0, slog.Any(KeyPanic, p), slog.String(KeyStack, string(debug.Stack())))
			}
			reply, err = nil, fmt.Errorf("faasport: event %q: %w", e.ID(), ErrPanic)
		}
	}()
	return h.Handle(ctx, e)
}

// ColdStart reports true exactly once: for the first invocation of the
// adapter that owns it.
type ColdStart struct{ warm atomic.Bool }

// Next reports whether this is the first invocation.
func (c *ColdStart) Next() bool {
	if c.warm.Load() {
		return false
	}
	return !c.warm.Swap(true)
}

func isPanic(err error) bool { return errors.Is(err, ErrPanic) }
