package fntest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/fntest"
	"github.com/faasport/faasport/trigger"
)

var everyPlatform = []function.Platform{function.PlatformLambda, function.PlatformCloudFunctions, function.PlatformHTTP, function.PlatformAzureFunctions}

// failing is a queue handler that fails retryably on "fail", permanently
// on "poison", and records what it saw.
type failing struct {
	mu   sync.Mutex
	seen []string
}

func (f *failing) handler() function.Handler {
	return trigger.Queue(func(_ context.Context, m trigger.Message) error {
		f.mu.Lock()
		f.seen = append(f.seen, m.ID)
		f.mu.Unlock()
		switch string(m.Body) {
		case "fail":
			return errors.New("try again")
		case "poison":
			return function.Permanent(errors.New("never again"))
		}
		return nil
	})
}

// events is the same for plain CloudEvents, on their data.
func (f *failing) events() function.Handler {
	return function.HandlerFunc(func(_ context.Context, e event.Event) (*event.Event, error) {
		f.mu.Lock()
		f.seen = append(f.seen, e.ID())
		f.mu.Unlock()
		switch string(e.Data()) {
		case "fail":
			return nil, errors.New("try again")
		case "poison":
			return nil, function.Permanent(errors.New("never again"))
		}
		return nil, nil
	})
}

// An input with no shape on a platform is skipped there, not run with a
// nil builder.
func TestOnEveryPlatformSkipsPlatformsWithoutShape(t *testing.T) {
	tests := []struct {
		name string
		in   fntest.Input
		want []function.Platform
	}{
		{"SQS", fntest.SQS("x"), []function.Platform{function.PlatformLambda}},
		{"PubSub", fntest.PubSub("x"), []function.Platform{function.PlatformCloudFunctions, function.PlatformHTTP}},
		{"QueueMessage", fntest.QueueMessage("x"), everyPlatform},
		{"ServiceBus", fntest.ServiceBus("x"), []function.Platform{function.PlatformAzureFunctions}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ran []function.Platform
			fntest.OnEveryPlatform(t, (&failing{}).handler(), tt.in, func(t *testing.T, r fntest.Result) {
				ran = append(ran, r.Platform)
				assert.Equal(t, 1, r.Calls)
			})
			assert.Equal(t, tt.want, ran)
		})
	}
}

func TestInvokeWithoutShape(t *testing.T) {
	_, err := fntest.Invoke(function.PlatformCloudFunctions, (&failing{}).handler(), fntest.SQS("x"))
	require.ErrorIs(t, err, fntest.ErrNoShape)
}

// counter counts the events it handled; a fresh one starts at zero.
type counter struct{ n atomic.Int64 }

func (c *counter) Handle(context.Context, event.Event) (*event.Event, error) {
	c.n.Add(1)
	return nil, nil
}

func TestFreshHandlerPerPlatform(t *testing.T) {
	var built []*counter
	fntest.OnEveryPlatformFunc(t, func() function.Handler {
		c := &counter{}
		built = append(built, c)
		return c
	}, fntest.QueueMessage("x"), func(t *testing.T, r fntest.Result) {
		assert.Equal(t, int64(1), built[len(built)-1].n.Load(), "each platform starts from a fresh handler")
	})
	assert.Len(t, built, len(everyPlatform))

	// A shared handler shares its state.
	shared := &counter{}
	var seen []int64
	fntest.OnEveryPlatform(t, shared, fntest.QueueMessage("x"), func(t *testing.T, r fntest.Result) {
		seen = append(seen, shared.n.Load())
	})
	assert.Equal(t, []int64{1, 2, 3, 4}, seen)
}

// One instance: the first invocation is cold, the next warm.
func TestSimColdAndWarm(t *testing.T) {
	for _, p := range everyPlatform {
		t.Run(string(p), func(t *testing.T) {
			sim := fntest.NewSim(t, p, &counter{})
			first := sim.Invoke(fntest.QueueMessage("x"))
			second := sim.Invoke(fntest.QueueMessage("x"))
			assert.True(t, first.Invocation.ColdStart, "first invocation")
			assert.False(t, second.Invocation.ColdStart, "second invocation")
			assert.Equal(t, p, first.Invocation.Platform)
		})
	}
}

// The same event delivered again comes with the next attempt, on every
// platform that reports attempts (nethttp reads Pub/Sub's deliveryAttempt
// as gcf does).
func TestSimAgainIsTheNextAttempt(t *testing.T) {
	for _, p := range everyPlatform {
		t.Run(string(p), func(t *testing.T) {
			var attempts []int
			h := trigger.Queue(func(ctx context.Context, m trigger.Message) error {
				attempts = append(attempts, function.FromContext(ctx).Attempt)
				return nil
			})
			sim := fntest.NewSim(t, p, h)
			r1 := sim.Invoke(fntest.QueueMessage("x", fntest.ID("m-1"), fntest.Attempt(1)))
			r2 := sim.Again(r1)
			r3 := sim.Again(r2)
			assert.Equal(t, []int{1, 2, 3}, attempts)
			assert.Equal(t, []int{1, 2, 3}, []int{r1.Attempt, r2.Attempt, r3.Attempt})
			for _, r := range []fntest.Result{r1, r2, r3} {
				fntest.AssertAcknowledged(t, r, "m-1")
				assert.Equal(t, "m-1", r.Event.ID())
			}
		})
	}
}

// A batch with a failure: Lambda redelivers only the failed record, a push
// sender the whole batch.
func TestSimRedeliverBatch(t *testing.T) {
	batch := func() []event.Event {
		var es []event.Event
		for i, body := range []string{"ok", "fail", "poison"} {
			e := event.New()
			e.SetID(fmt.Sprintf("e-%d", i+1))
			e.SetType("com.example.order")
			e.SetSource("/orders")
			require.NoError(t, e.SetData("text/plain", []byte(body)))
			es = append(es, e)
		}
		return es
	}()
	tests := []struct {
		name         string
		platform     function.Platform
		in           fntest.Input
		failed       []string
		acked        []string
		again        []string // what the handler sees on redelivery
		againAttempt int
	}{
		{"azure events", function.PlatformAzureFunctions, fntest.Events(batch...),
			[]string{"e-1", "e-2", "e-3"}, nil, []string{"e-1", "e-2"}, 2},
		{"azure Event Hubs", function.PlatformAzureFunctions, fntest.EventHubs("", fntest.Bodies("ok", "fail", "poison")),
			[]string{"0:1", "0:2", "0:3"}, nil, []string{"0:1", "0:2"}, 2},
		{"azure Service Bus", function.PlatformAzureFunctions, fntest.ServiceBus("fail", fntest.ID("sb"), fntest.Attempt(3)),
			[]string{"sb"}, nil, []string{"sb"}, 4},
		{"lambda SQS", function.PlatformLambda, fntest.SQS("", fntest.Bodies("ok", "fail", "poison"), fntest.ID("m")),
			[]string{"m-2"}, []string{"m-1", "m-3"}, []string{"m-2"}, 2},
		{"lambda Kafka", function.PlatformLambda, fntest.Kafka("", fntest.Bodies("ok", "fail", "poison")),
			[]string{"fntest-0:1", "fntest-0:2"}, []string{"fntest-0:0"}, []string{"fntest-0:1"}, 2},
		{"lambda events", function.PlatformLambda, fntest.Events(batch...),
			[]string{"e-2"}, []string{"e-1", "e-3"}, []string{"e-2"}, 2},
		{"gcf events", function.PlatformCloudFunctions, fntest.Events(batch...),
			[]string{"e-1", "e-2", "e-3"}, nil, []string{"e-1", "e-2"}, 2},
		{"nethttp events", function.PlatformHTTP, fntest.Events(batch...),
			[]string{"e-1", "e-2", "e-3"}, nil, []string{"e-1", "e-2"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &failing{}
			h := f.handler()
			if !strings.HasPrefix(tt.name, "lambda SQS") && tt.name != "lambda Kafka" && !strings.HasPrefix(tt.name, "azure ") || tt.name == "azure events" {
				h = f.events()
			}
			sim := fntest.NewSim(t, tt.platform, h)
			r := sim.Invoke(tt.in)
			fntest.AssertRedelivered(t, r, tt.failed, tt.acked...)

			f.seen = nil
			again := sim.Redeliver(r)
			assert.ElementsMatch(t, tt.again, f.seen, "what the handler sees again")
			assert.Equal(t, tt.againAttempt, again.Attempt)
			assert.True(t, again.Redelivered, "the failing record fails again")
		})
	}
}

func TestRedeliverAcknowledgedFails(t *testing.T) {
	sim := fntest.NewSim(t, function.PlatformLambda, &counter{})
	r := sim.Invoke(fntest.SQS("x"))
	ft := &fakeTB{TB: t}
	func() {
		defer func() { _ = recover() }()
		fntest.NewSim(ft, function.PlatformLambda, &counter{}).Redeliver(r)
	}()
	assert.True(t, ft.fatal, "redelivering an acknowledged result fails the test")
}

// The handler's context ends at the deadline, and the platform redelivers.
func TestDeadline(t *testing.T) {
	h := function.HandlerFunc(func(ctx context.Context, _ event.Event) (*event.Event, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	fntest.OnEveryPlatform(t, h, fntest.QueueMessage("x"), func(t *testing.T, r fntest.Result) {
		require.ErrorIs(t, r.Err, context.DeadlineExceeded)
		assert.True(t, r.Redelivered)
		assert.False(t, r.Invocation.Deadline.IsZero())
	}, fntest.Deadline(20*time.Millisecond))
}

// With a fake clock the invocation's deadline is on that clock.
func TestNowPutsTheDeadlineOnTheClock(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := fntest.NewClock(start)
	fntest.OnEveryPlatform(t, &counter{}, fntest.QueueMessage("x"), func(t *testing.T, r fntest.Result) {
		dl := r.Invocation.Deadline
		assert.True(t, dl.After(start) && !dl.After(start.Add(time.Minute)), "deadline %s is within a minute of the clock's %s", dl, start)
	}, fntest.Now(clock.Now), fntest.Deadline(time.Minute))

	clock.Advance(time.Hour)
	assert.Equal(t, start.Add(time.Hour), clock.Now())
	require.NoError(t, clock.Sleep(context.Background(), time.Second))
	assert.Equal(t, start.Add(time.Hour+time.Second), clock.Now())
}

// The adapter's logs are captured, and printed only when the test fails.
func TestLogsCapturedAndQuiet(t *testing.T) {
	for _, failed := range []bool{false, true} {
		t.Run(fmt.Sprintf("failed=%v", failed), func(t *testing.T) {
			ft := &fakeTB{TB: t, failed: failed}
			// Cleanups run last first: this one checks after the Sim's.
			t.Cleanup(func() {
				if failed {
					assert.NotEmpty(t, ft.logs, "a failed test shows the adapter's logs")
				} else {
					assert.Empty(t, ft.logs, "a passing test prints nothing")
				}
			})
			for _, p := range everyPlatform {
				sim := fntest.NewSim(ft, p, (&failing{}).handler())
				r := sim.Invoke(fntest.QueueMessage("poison"))
				require.NotEmpty(t, r.Logs, "the permanent failure is logged on %s", p)
				l := r.Logs[len(r.Logs)-1]
				assert.Equal(t, slog.LevelWarn, l.Level, "%s: %s", p, l)
				assert.Contains(t, l.String(), "never again")
				assert.Equal(t, r.Logs, sim.Logs())
			}
		})
	}
}

// A binary request body reaches the handler intact on every platform:
// base64-encoded through API Gateway on Lambda.
func TestServeBinaryBody(t *testing.T) {
	body := []byte{0xff, 0xd8, 0xff, 0x00, 0x80, 'J', 'F', 'I', 'F'}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(b)
	})
	req, err := http.NewRequest(http.MethodPut, "/objects/a.jpg", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "image/jpeg")
	var ran int
	fntest.Serve(t, h, req, func(t *testing.T, p function.Platform, resp *http.Response) {
		ran++
		got, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, body, got)
	})
	assert.Equal(t, len(everyPlatform), ran)
}

func TestServeFuncFreshHandler(t *testing.T) {
	newAPI := func() http.Handler {
		var n int
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n++
			fmt.Fprint(w, n)
		})
	}
	req, err := http.NewRequest(http.MethodGet, "/n", nil)
	require.NoError(t, err)
	fntest.ServeFunc(t, newAPI, req, func(t *testing.T, p function.Platform, resp *http.Response) {
		b, _ := io.ReadAll(resp.Body)
		assert.Equal(t, "1", string(b))
	})

	sim := fntest.NewHTTPSim(t, function.PlatformLambda, newAPI())
	for want := 1; want <= 2; want++ {
		r, err := http.NewRequest(http.MethodGet, "/n", nil)
		require.NoError(t, err)
		b, _ := io.ReadAll(sim.Serve(r).Body)
		assert.Equal(t, fmt.Sprint(want), string(b), "one instance keeps its state")
	}
}

// The assertions fail with a diff.
func TestAssertionsDiff(t *testing.T) {
	r, err := fntest.Invoke(function.PlatformLambda, (&failing{}).handler(), fntest.SQS("", fntest.Bodies("ok", "fail"), fntest.ID("m")))
	require.NoError(t, err)
	ft := &fakeTB{TB: t}
	assert.False(t, fntest.AssertAcknowledged(ft, r, "m-1", "m-2"))
	require.Len(t, ft.errors, 1)
	assert.Contains(t, ft.errors[0], "Diff:")
	assert.Contains(t, ft.errors[0], `"m-2"`)

	ft = &fakeTB{TB: t}
	assert.True(t, fntest.AssertRedelivered(ft, r, []string{"m-2"}, "m-1"))
	assert.Empty(t, ft.errors)
}

// fakeTB records what a helper reports instead of failing the real test.
type fakeTB struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	fatal  bool
	errors []string
	logs   []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	f.fatal = true
	panic("fatal")
}
func (f *fakeTB) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }
func (f *fakeTB) Logf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Log(args ...any) { f.Logf("%s", strings.TrimSpace(fmt.Sprintln(args...))) }

// Platforms picks the platforms, Cloud Run included.
func TestPlatformsOption(t *testing.T) {
	var ran []function.Platform
	fntest.OnEveryPlatform(t, &counter{}, fntest.QueueMessage("x"), func(t *testing.T, r fntest.Result) {
		ran = append(ran, r.Platform)
		assert.Equal(t, r.Platform, r.Invocation.Platform)
		fntest.AssertAcknowledged(t, r, "fntest-1")
	}, fntest.Platforms(function.PlatformCloudRun, function.PlatformLambda))
	assert.Equal(t, []function.Platform{function.PlatformCloudRun, function.PlatformLambda}, ran)
}
