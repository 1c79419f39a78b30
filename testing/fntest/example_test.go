package fntest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/fntest"
	"github.com/faasport/faasport/trigger"
)

// Invoke runs one handler through a real adapter with a native input; in a
// test, OnEveryPlatform does this for every platform in subtests.
func ExampleInvoke() {
	h := trigger.Queue(func(_ context.Context, m trigger.Message) error {
		fmt.Printf("got %s\n", m.Body)
		return nil
	})
	for _, p := range []function.Platform{function.PlatformLambda, function.PlatformCloudFunctions, function.PlatformHTTP} {
		r, err := fntest.Invoke(p, h, fntest.QueueMessage(`{"id":"o-1"}`))
		if err != nil {
			panic(err)
		}
		fmt.Println(r.Platform, "calls:", r.Calls, "redelivered:", r.Redelivered)
	}
	// Output:
	// got {"id":"o-1"}
	// aws_lambda calls: 1 redelivered: false
	// got {"id":"o-1"}
	// gcp_cloud_functions calls: 1 redelivered: false
	// got {"id":"o-1"}
	// http calls: 1 redelivered: false
}

// A Sim is one warm instance: the first invocation is the cold start, and
// Again delivers the same message once more, as the next attempt.
func ExampleNewSim() {
	h := trigger.Queue(func(ctx context.Context, m trigger.Message) error {
		inv := function.FromContext(ctx)
		fmt.Println(m.ID, "cold:", inv.ColdStart, "attempt:", inv.Attempt)
		return nil
	})
	sim := fntest.NewSim(nil, function.PlatformLambda, h) // in a test: NewSim(t, …)
	defer sim.Close()
	first := sim.Invoke(fntest.QueueMessage(`{"id":"o-1"}`, fntest.ID("m-1")))
	sim.Again(first)
	// Output:
	// m-1 cold: true attempt: 1
	// m-1 cold: false attempt: 2
}

// After a batch with a failure, Lambda redelivers only the failed record;
// a push sender redelivers the whole request.
func ExampleSim_Redeliver() {
	h := trigger.Queue(func(_ context.Context, m trigger.Message) error {
		if string(m.Body) == "fail" {
			return errors.New("try again")
		}
		return nil
	})
	sim := fntest.NewSim(nil, function.PlatformLambda, h)
	defer sim.Close()
	r := sim.Invoke(fntest.SQS("", fntest.Bodies("ok", "fail", "ok"), fntest.ID("m")))
	fmt.Println("acknowledged:", r.Acknowledged, "redelivered:", r.Failed)
	again := sim.Redeliver(r)
	fmt.Println("attempt", again.Attempt, "delivers", again.Failed)
	// Output:
	// acknowledged: [m-1 m-3] redelivered: [m-2]
	// attempt 2 delivers [m-2]
}

// Deadline bounds each invocation; Now puts the invocation's deadline on a
// fake clock that stores and middleware share.
func ExampleNow() {
	clock := fntest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	h := function.HandlerFunc(func(ctx context.Context, _ event.Event) (*event.Event, error) {
		left := function.FromContext(ctx).Deadline.Sub(clock.Now())
		fmt.Println("time left about 10s:", left > 9*time.Second && left <= 10*time.Second)
		return nil, nil
	})
	_, err := fntest.Invoke(function.PlatformHTTP, h, fntest.QueueMessage("x"), fntest.Deadline(10*time.Second), fntest.Now(clock.Now))
	if err != nil {
		panic(err)
	}
	// Output:
	// time left about 10s: true
}

// The adapter's logs are captured in the Result, not printed.
func ExampleResult_logs() {
	h := function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) {
		return nil, function.Permanent(errors.New("bad order"))
	})
	r, err := fntest.Invoke(function.PlatformCloudFunctions, h, fntest.QueueMessage("x"))
	if err != nil {
		panic(err)
	}
	l := r.Logs[len(r.Logs)-1]
	fmt.Println(r.Status, r.Redelivered, l.Level, l.Message, l.Attrs["error"])
	// Output:
	// 200 false WARN permanent error: event acknowledged, not redelivered bad order
}

// A Sim serves HTTP handlers too; on Lambda a binary body travels
// base64-encoded through API Gateway, as it does when deployed.
func ExampleNewHTTPSim() {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s got % x", r.Method, b)
	})
	sim := fntest.NewHTTPSim(nil, function.PlatformLambda, h)
	defer sim.Close()
	req, _ := http.NewRequest(http.MethodPut, "/raw", bytes.NewReader([]byte{0xff, 0x00}))
	resp := sim.Serve(req)
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(b))
	// Output:
	// 200 PUT got ff 00
}
