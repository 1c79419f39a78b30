package otelsetup

import (
	"context"
	"time"
)

// WithClock replaces time.Now for the flush bounds and the guard's back-off.
func WithClock(now func() time.Time) Option { return func(s *settings) { s.now = now } }

// WithObserver sees the context of every export that reaches an exporter.
func WithObserver(f func(ctx context.Context)) Option { return func(s *settings) { s.observe = f } }

// FlushDeadline is the deadline a flush starting at now gets.
func FlushDeadline(t *Telemetry, ctx context.Context, now time.Time) time.Time {
	return t.flushDeadline(ctx, now)
}
