package adaptertest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/payload"
)

// Run checks the adapter h builds against the whole table of outcomes,
// skipping the cases of features it does not declare.
func Run(t *testing.T, h Harness) {
	t.Helper()
	f := h.Features()
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			if c.needs != nil && !c.needs(f) {
				t.Skipf("%s lacks the feature", h.Name())
			}
			c.run(t, h, f)
		})
	}
}

type suiteCase struct {
	name  string
	needs func(Features) bool
	run   func(t *testing.T, h Harness, f Features)
}

// NewEvent is the event the suite delivers: JSON data, type test.event.
func NewEvent(id string, data string) event.Event {
	e := event.New()
	e.SetID(id)
	e.SetSource("/adaptertest")
	e.SetType("test.event")
	e.SetTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if data != "" {
		e.SetDataContentType(event.ApplicationJSON)
		e.DataEncoded = []byte(data)
	}
	return e
}

// recorder counts the calls of a handler and keeps their invocations.
type recorder struct {
	mu    sync.Mutex
	invs  []function.Invocation
	evs   []event.Event
	inner func(ctx context.Context, e event.Event) (*event.Event, error)
}

func (r *recorder) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	r.mu.Lock()
	r.invs = append(r.invs, *function.FromContext(ctx))
	r.evs = append(r.evs, e)
	r.mu.Unlock()
	if r.inner == nil {
		return nil, nil
	}
	return r.inner(ctx, e)
}

func (r *recorder) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.invs)
}

func (r *recorder) inv(i int) function.Invocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.invs[i]
}

func returning(err error) *recorder {
	return &recorder{inner: func(context.Context, event.Event) (*event.Event, error) { return nil, err }}
}

func build(t *testing.T, h Harness, fh function.Handler, o Options) Adapter {
	t.Helper()
	a, err := h.New(fh, o)
	require.NoError(t, err, "build the %s adapter", h.Name())
	t.Cleanup(func() { _ = a.Stop(context.Background()) })
	return a
}

func deliver(t *testing.T, a Adapter, d Delivery) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := a.Deliver(ctx, d)
	require.NoError(t, err, "deliver")
	return r
}

func one(id, data string) Delivery { return Delivery{Events: []event.Event{NewEvent(id, data)}} }

// starter fails its first start hook.
type starter struct {
	*recorder
	starts atomic.Int32
}

func (s *starter) Start(context.Context) error {
	if s.starts.Add(1) == 1 {
		return errors.New("adaptertest: the configuration is not there yet")
	}
	return nil
}

// stopper records whether a handler call was running when it stopped.
type stopper struct {
	*recorder
	running   atomic.Int32
	stops     atomic.Int32
	whileBusy atomic.Bool
}

func (s *stopper) Stop(context.Context) error {
	s.stops.Add(1)
	s.whileBusy.Store(s.running.Load() > 0)
	return nil
}

func cases() []suiteCase {
	return []suiteCase{
		{name: "nil acknowledges", run: func(t *testing.T, h Harness, _ Features) {
			rec := &recorder{}
			r := deliver(t, build(t, h, rec, Options{}), one("ok-1", `{"qty":1}`))
			assert.False(t, r.Redelivered, "response %s", r.Response)
			require.Equal(t, 1, rec.calls())
			inv := rec.inv(0)
			assert.Equal(t, h.Platform(), inv.Platform)
			assert.NotEmpty(t, inv.RequestID, "every invocation has a request id")
			m, err := payload.Of(rec.evs[0])
			require.NoError(t, err, "the payload of the event the handler got")
			assert.JSONEq(t, `{"qty":1}`, string(m.Data), "the handler gets what the producer sent")
		}},
		{name: "retryable redelivers", run: func(t *testing.T, h Harness, _ Features) {
			r := deliver(t, build(t, h, returning(errors.New("database down")), Options{}), one("retry-1", `{}`))
			assert.True(t, r.Redelivered)
			assert.Equal(t, []string{"retry-1"}, r.Failed)
			assert.NotContains(t, string(r.Response), "database down", "internal detail stays in the logs")
		}},
		{name: "permanent acknowledges", run: func(t *testing.T, h Harness, _ Features) {
			r := deliver(t, build(t, h, returning(function.Permanent(errors.New("poison"))), Options{}), one("perm-1", `{}`))
			assert.False(t, r.Redelivered, "a permanent failure must not be redelivered: %d %s", r.Status, r.Response)
		}},
		{name: "RetryAfter redelivers later", run: func(t *testing.T, h Harness, f Features) {
			r := deliver(t, build(t, h, returning(function.RetryAfter(errors.New("throttled"), 3*time.Second)), Options{}), one("later-1", `{}`))
			assert.True(t, r.Redelivered)
			if f.RetryAfter {
				assert.Equal(t, 3*time.Second, r.RetryAfter)
			}
		}},
		{name: "decode error is permanent", run: func(t *testing.T, h Harness, _ Features) {
			typed := function.Consume(func(context.Context, struct{ Qty int }) error { return nil })
			r := deliver(t, build(t, h, typed, Options{}), one("dec-1", `{"Qty":"many"}`))
			assert.False(t, r.Redelivered, "data a typed handler can never decode is acknowledged: %d %s", r.Status, r.Response)
		}},
		{name: "panic redelivers and the adapter keeps serving", run: func(t *testing.T, h Harness, _ Features) {
			var n atomic.Int32
			rec := &recorder{inner: func(context.Context, event.Event) (*event.Event, error) {
				if n.Add(1) == 1 {
					panic("adaptertest: secret internal state")
				}
				return nil, nil
			}}
			a := build(t, h, rec, Options{})
			r := deliver(t, a, one("panic-1", `{}`))
			assert.True(t, r.Redelivered)
			assert.NotContains(t, string(r.Response), "secret", "no panic detail to the caller")
			r = deliver(t, a, one("panic-1", `{}`))
			assert.False(t, r.Redelivered, "still serving after a panic")
		}},
		{name: "failed start hook redelivers and runs again", run: func(t *testing.T, h Harness, _ Features) {
			s := &starter{recorder: &recorder{}}
			a := build(t, h, s, Options{})
			r := deliver(t, a, one("start-1", `{}`))
			assert.True(t, r.Redelivered)
			assert.Zero(t, s.calls(), "no handler call without a started function")
			r = deliver(t, a, one("start-1", `{}`))
			assert.False(t, r.Redelivered)
			assert.Equal(t, 1, s.calls())
		}},
		{name: "body limit", needs: func(f Features) bool { return f.BodyLimit }, run: func(t *testing.T, h Harness, _ Features) {
			rec := &recorder{}
			r := deliver(t, build(t, h, rec, Options{MaxBodyBytes: 1024}), one("big-1", `"`+strings.Repeat("x", 4096)+`"`))
			assert.Zero(t, rec.calls(), "the handler must not see a body over the limit")
			assert.Equal(t, 413, r.Status)
		}},
		{name: "deadline", run: func(t *testing.T, h Harness, _ Features) {
			rec := &recorder{inner: func(ctx context.Context, _ event.Event) (*event.Event, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}}
			r := deliver(t, build(t, h, rec, Options{Timeout: 100 * time.Millisecond}), one("slow-1", `{}`))
			assert.True(t, r.Redelivered, "a handler out of time is redelivered")
			require.Equal(t, 1, rec.calls())
			assert.False(t, rec.inv(0).Deadline.IsZero(), "the invocation reports its deadline")
		}},
		{name: "attempt", needs: func(f Features) bool { return f.Attempt }, run: func(t *testing.T, h Harness, _ Features) {
			rec := &recorder{}
			d := one("att-1", `{}`)
			d.Attempt = 3
			r := deliver(t, build(t, h, rec, Options{}), d)
			assert.False(t, r.Redelivered)
			require.Equal(t, 1, rec.calls())
			assert.Equal(t, 3, rec.inv(0).Attempt)
		}},
		{name: "cold start once", run: func(t *testing.T, h Harness, _ Features) {
			rec := &recorder{}
			a := build(t, h, rec, Options{})
			deliver(t, a, one("cold-1", `{}`))
			deliver(t, a, one("cold-2", `{}`))
			require.Equal(t, 2, rec.calls())
			assert.True(t, rec.inv(0).ColdStart)
			assert.False(t, rec.inv(1).ColdStart)
		}},
		{name: "reply", needs: func(f Features) bool { return f.Replies }, run: func(t *testing.T, h Harness, _ Features) {
			rec := &recorder{inner: func(_ context.Context, e event.Event) (*event.Event, error) {
				r := NewEvent("reply-"+e.ID(), `{"reserved":true}`)
				return &r, nil
			}}
			r := deliver(t, build(t, h, rec, Options{}), one("rep-1", `{}`))
			assert.False(t, r.Redelivered)
			assert.True(t, bytes.Contains(bytes.ReplaceAll(r.Reply, []byte(" "), nil), []byte(`"reserved":true`)), "reply %s", r.Reply)
		}},
		{name: "batch with a retryable failure", needs: func(f Features) bool { return f.Batches }, run: func(t *testing.T, h Harness, f Features) {
			rec := &recorder{inner: func(_ context.Context, e event.Event) (*event.Event, error) {
				if e.ID() == "b-2" {
					return nil, errors.New("down")
				}
				return nil, nil
			}}
			d := Delivery{Events: []event.Event{NewEvent("b-1", `{}`), NewEvent("b-2", `{}`), NewEvent("b-3", `{}`)}}
			r := deliver(t, build(t, h, rec, Options{}), d)
			assert.True(t, r.Redelivered)
			assert.Contains(t, r.Failed, "b-2")
			if f.PartialFailures {
				assert.Equal(t, []string{"b-2"}, r.Failed, "only the failed event is redelivered")
			}
		}},
		{name: "batch with a permanent failure", needs: func(f Features) bool { return f.Batches }, run: func(t *testing.T, h Harness, _ Features) {
			rec := &recorder{inner: func(_ context.Context, e event.Event) (*event.Event, error) {
				if e.ID() == "p-2" {
					return nil, function.Permanent(errors.New("poison"))
				}
				return nil, nil
			}}
			d := Delivery{Events: []event.Event{NewEvent("p-1", `{}`), NewEvent("p-2", `{}`), NewEvent("p-3", `{}`)}}
			r := deliver(t, build(t, h, rec, Options{}), d)
			assert.False(t, r.Redelivered, "%d %s", r.Status, r.Response)
			assert.Equal(t, 3, rec.calls())
		}},
		{name: "stop hooks after every handler returned", run: func(t *testing.T, h Harness, _ Features) {
			release := make(chan struct{})
			entered := make(chan struct{})
			s := &stopper{}
			s.recorder = &recorder{inner: func(context.Context, event.Event) (*event.Event, error) {
				s.running.Add(1)
				defer s.running.Add(-1)
				close(entered)
				<-release
				return nil, nil
			}}
			a, err := h.New(s, Options{})
			require.NoError(t, err)
			done := make(chan Result, 1)
			go func() {
				r, _ := a.Deliver(context.Background(), one("stop-1", `{}`))
				done <- r
			}()
			<-entered
			stopped := make(chan error, 1)
			go func() { stopped <- a.Stop(context.Background()) }()
			time.Sleep(50 * time.Millisecond) // give a wrong Stop the chance to run hooks early
			close(release)
			require.NoError(t, <-stopped)
			r := <-done
			assert.False(t, r.Redelivered)
			assert.Equal(t, int32(1), s.stops.Load(), "stop hooks ran once")
			assert.False(t, s.whileBusy.Load(), "stop hooks ran while a handler was still running")
		}},
	}
}
