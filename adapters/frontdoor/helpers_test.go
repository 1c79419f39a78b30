package frontdoor_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
)

func binaryHeaders(typ string) map[string]string {
	return map[string]string{
		"Ce-Specversion": "1.0",
		"Ce-Id":          "evt-1",
		"Ce-Source":      "//shop.example.com/orders",
		"Ce-Type":        typ,
		"Content-Type":   "application/json",
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testProfile is a profile like nethttp's.
func testProfile() frontdoor.Profile {
	return frontdoor.Profile{Name: "test", Platform: function.PlatformHTTP}
}

// seen records the events and invocations a handler received.
type seen struct {
	events chan event.Event
	invs   chan function.Invocation
}

func newSeen() *seen {
	return &seen{events: make(chan event.Event, 16), invs: make(chan function.Invocation, 16)}
}

// outcomes answers by event type: test.ok, test.reply (replies with its
// data as text/plain), test.retry, test.retryafter, test.permanent,
// test.decode, test.panic, test.slow (waits for its context).
func (s *seen) handler() function.Handler {
	return function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		if s != nil {
			s.events <- e
			s.invs <- *function.FromContext(ctx)
		}
		switch e.Type() {
		case "test.retry":
			return nil, errors.New("database down")
		case "test.retryafter":
			return nil, function.RetryAfter(errors.New("throttled"), 2*time.Second)
		case "test.permanent":
			return nil, function.Permanent(errors.New("poison"))
		case "test.decode":
			return nil, &function.DecodeError{EventID: e.ID(), Err: errors.New("bad json")}
		case "test.panic":
			panic("boom")
		case "test.slow":
			<-ctx.Done()
			return nil, ctx.Err()
		case "test.reply":
			r := event.New()
			r.SetID("r-" + e.ID())
			r.SetSource("/replies")
			r.SetType("test.replied")
			_ = r.SetData("text/plain", []byte("reply:"+string(e.Data())))
			return &r, nil
		}
		if strings.HasPrefix(e.Type(), "google.") || e.Type() == frontdoor.TypeHTTPRequest {
			r := event.New()
			r.SetID("r-" + e.ID())
			r.SetSource("/replies")
			r.SetType("test.replied")
			_ = r.SetData("application/json", map[string]string{"got": e.Type()})
			return &r, nil
		}
		return nil, nil
	})
}

func loopback(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return l
}

func newDoor(t testing.TB, p frontdoor.Profile, opts ...frontdoor.Option) *frontdoor.Door {
	t.Helper()
	d, err := frontdoor.New(p, append([]frontdoor.Option{frontdoor.WithLogger(quietLogger()), frontdoor.WithGetenv(func(string) string { return "" })}, opts...)...)
	require.NoError(t, err)
	return d
}
