package fntest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/faasport/faasport/function"
)

// Sim is one warm instance of a function on one platform: one adapter
// around one handler, kept across invocations as the platform keeps a
// process. Its first invocation is the cold start
// (function.Invocation.ColdStart), the rest are warm; the handler's state
// carries over, as it does between invocations of one instance. Build one
// with [NewSim]; t's cleanup closes it (running the handler's stop hooks).
type Sim struct {
	t    testing.TB
	tg   *target
	cfg  config
	once sync.Once
}

// NewSim starts an instance of h on platform p (function.PlatformLambda,
// function.PlatformCloudFunctions, function.PlatformCloudRun,
// function.PlatformHTTP or function.PlatformAzureFunctions). It fails t if the adapter cannot be built. Outside
// a test (an Example, a tool) t may be nil: then a failure panics, nothing
// is printed, and closing the Sim is the caller's.
func NewSim(t testing.TB, p function.Platform, h function.Handler, opts ...Option) *Sim {
	if t != nil {
		t.Helper()
	}
	return newSim(t, p, h, nil, newConfig(opts))
}

// NewHTTPSim is [NewSim] for an HTTP handler; send it requests with
// [Sim.Serve].
func NewHTTPSim(t testing.TB, p function.Platform, h http.Handler, opts ...Option) *Sim {
	if t != nil {
		t.Helper()
	}
	return newSim(t, p, nil, h, newConfig(opts))
}

func newSim(t testing.TB, p function.Platform, h function.Handler, web http.Handler, cfg config) *Sim {
	if t == nil {
		t = noTB{}
	}
	t.Helper()
	tg, err := newTarget(p, h, web, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &Sim{t: t, tg: tg, cfg: cfg}
	t.Cleanup(func() {
		s.Close()
		if t.Failed() || (cfg.verbose && testing.Verbose()) {
			for _, l := range tg.logs.since(0) {
				t.Logf("fntest: %s log: %s", p, l)
			}
		}
	})
	return s
}

// noTB stands in for a nil testing.TB: failures panic, cleanups are the
// caller's. Only the methods Sim calls are defined.
type noTB struct{ testing.TB }

func (noTB) Helper()                      {}
func (noTB) Cleanup(func())               {}
func (noTB) Failed() bool                 { return false }
func (noTB) Logf(string, ...any)          {}
func (noTB) Errorf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }
func (noTB) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }
func (noTB) Fatal(args ...any)            { panic(fmt.Sprint(args...)) }

// Platform is the platform the instance runs on.
func (s *Sim) Platform() function.Platform { return s.tg.p }

// Close stops the instance: it waits for invocations in flight and runs the
// handler's stop hooks (function.Stopper). It is safe to call twice.
func (s *Sim) Close() {
	s.once.Do(func() {
		if err := s.tg.close(); err != nil {
			s.t.Errorf("fntest: stop the %s instance: %v", s.tg.p, err)
		}
	})
}

// Invoke delivers in to the instance and returns what the platform made of
// it. It fails t if in has no shape on the platform or cannot be sent.
func (s *Sim) Invoke(in Input) Result {
	s.t.Helper()
	if s.tg.rec == nil {
		s.t.Fatalf("fntest: this %s instance serves an HTTP handler (NewHTTPSim); send it requests with Serve", s.tg.p)
	}
	if !in.On(s.tg.p) {
		s.t.Fatalf("fntest: %s has no native shape on %s; pair it with a builder for that platform (Join)", in.name, s.tg.p)
	}
	r, err := s.tg.deliverInput(in)
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

// Again delivers what r was delivered once more, whatever r's outcome, as
// the next attempt (SQS ApproximateReceiveCount, Pub/Sub deliveryAttempt,
// Service Bus DeliveryCount, Queue Storage DequeueCount one higher, or an
// Azure retry policy's RetryContext): the duplicate delivery an at-least-once
// platform may make of an event it was already acknowledged.
func (s *Sim) Again(r Result) Result {
	s.t.Helper()
	return s.resend(r, nil)
}

// Redeliver delivers what the platform redelivers after r, as the next
// attempt: on Lambda only the records r reports as failed (its
// batchItemFailures; the whole batch after an error or from a source
// without partial batch responses), over HTTP the whole request (a push
// sender redelivers all it sent), on Azure Functions the whole invocation
// (the host retries it after any answer but 2xx). It fails t if r was not redelivered.
func (s *Sim) Redeliver(r Result) Result {
	s.t.Helper()
	if !r.Redelivered {
		s.t.Fatalf("fntest: nothing to redeliver: %s acknowledged %v (status %d, response %.200s)", r.Platform, r.Acknowledged, r.Status, r.Response)
	}
	only := r.Failed
	if only == nil {
		only = []string{}
	}
	return s.resend(r, only)
}

func (s *Sim) resend(r Result, only []string) Result {
	s.t.Helper()
	if r.sent == nil || r.Platform != s.tg.p {
		s.t.Fatalf("fntest: the result is not one of this %s instance's", s.tg.p)
	}
	sn, err := again(r.sent, r.sent.attempt+1, only)
	if err != nil {
		s.t.Fatal(err)
	}
	out, err := s.tg.deliver(sn)
	if err != nil {
		s.t.Fatalf("fntest: deliver again on %s: %v", s.tg.p, err)
	}
	return out
}

// Serve sends req to the instance's HTTP handler — on Lambda as an API
// Gateway HTTP API request ([APIGatewayV2], a body that is not UTF-8
// base64-encoded) read back with [LambdaResponse] — and returns the
// response with its body read. It fails t if the request cannot be sent.
func (s *Sim) Serve(req *http.Request) *http.Response {
	s.t.Helper()
	resp, err := s.tg.serve(req)
	if err != nil {
		s.t.Fatalf("fntest: %s %s on %s: %v", req.Method, req.URL, s.tg.p, err)
	}
	return resp
}

// Logs returns every record the adapter has logged so far.
func (s *Sim) Logs() []Log { return s.tg.logs.since(0) }

// Clock is a fake clock for [Now] and for the clock options of faasport's
// stores and middleware (idempotency.WithClock, memstate.WithClock): it
// stands still until moved with Advance or Sleep. It is safe for
// concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock showing start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Sleep moves the clock on by d at once, unless ctx has ended, so the
// middleware that wait (middleware.Retry, given the Clock) run without
// waiting.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// AssertAcknowledged checks that the platform acknowledged exactly the
// records ids and will redeliver none, failing t with a diff otherwise.
func AssertAcknowledged(t testing.TB, r Result, ids ...string) bool {
	t.Helper()
	return assert.Equal(t, outcome{Acknowledged: nonEmpty(ids)}, outcomeOf(r), "fntest: what %s acknowledged and will redeliver", r.Platform)
}

// AssertRedelivered checks that the platform will deliver exactly the
// records ids again and acknowledged the others, acked, failing t with a
// diff otherwise.
func AssertRedelivered(t testing.TB, r Result, ids []string, acked ...string) bool {
	t.Helper()
	return assert.Equal(t, outcome{Redelivered: len(ids) > 0, Failed: nonEmpty(ids), Acknowledged: nonEmpty(acked)}, outcomeOf(r),
		"fntest: what %s acknowledged and will redeliver", r.Platform)
}

// outcome is the part of a Result the assertions compare, nil and empty
// lists alike.
type outcome struct {
	Redelivered  bool
	Acknowledged []string
	Failed       []string
}

func outcomeOf(r Result) outcome {
	return outcome{Redelivered: r.Redelivered, Acknowledged: nonEmpty(r.Acknowledged), Failed: nonEmpty(r.Failed)}
}

func nonEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
