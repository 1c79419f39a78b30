package middleware

import (
	"context"
	"time"

	"github.com/faasport/faasport/function"
)

// Clock tells the time and sleeps. The middleware that wait ([Retry],
// [Limit]) or measure take one as an option so tests can run them on a fake
// clock; the default is the system clock.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx ends, in which case it returns
	// ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

// systemClock is the default [Clock].
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deadlineOf returns the earlier of ctx's deadline and the invocation's
// deadline less reserve, and whether there is one at all. It does not
// allocate.
func deadlineOf(ctx context.Context, reserve time.Duration) (time.Time, bool) {
	d, ok := ctx.Deadline()
	if inv, found := invocationOf(ctx); found && !inv.Deadline.IsZero() {
		if id := inv.Deadline.Add(-reserve); !ok || id.Before(d) {
			d, ok = id, true
		}
	}
	return d, ok
}

// invocationOf is [function.InvocationFromContext] by another name, kept
// here because the middleware must not call [function.FromContext] on hot
// paths: it allocates an empty Invocation when ctx carries none.
func invocationOf(ctx context.Context) (*function.Invocation, bool) {
	return function.InvocationFromContext(ctx)
}
