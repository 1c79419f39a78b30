// Package fntest unit-tests a faasport function through the same adapters
// it is deployed with, in-process, in the style of net/http/httptest: each
// input is built in every platform's native shape (an SQS batch for
// Lambda, a Pub/Sub CloudEvent for Cloud Functions, a CloudEvents HTTP
// request for net/http, a Service Bus message posted by the Functions host
// for Azure Functions), sent through the real adapter, and the outcome —
// what the platform acknowledged and will deliver again, the reply, the
// HTTP answer and the adapter's logs — is handed to a check that runs once
// per platform:
//
//	func TestOrders(t *testing.T) {
//		fntest.OnEveryPlatformFunc(t, newHandler, fntest.QueueMessage(`{"id":"o-1"}`), func(t *testing.T, r fntest.Result) {
//			require.NoError(t, r.Err)
//			assert.False(t, r.Redelivered)
//		})
//	}
//
// [OnEveryPlatformFunc] builds a fresh handler for every platform;
// [OnEveryPlatform] shares one handler, and so its state, between them.
// [NewSim] keeps one adapter and handler across invocations, as one warm
// instance of a function does, to test cold and warm starts, duplicate
// deliveries ([Sim.Again]) and redeliveries of failed records
// ([Sim.Redeliver]); options set a deadline ([Deadline]) and a fake clock
// ([Now], [NewClock]). Use [Serve] and [ServeFunc] for HTTP handlers.
//
// The adapters' logs are captured into [Result.Logs] and printed only when
// the test fails (or with [Verbose] and go test -v).
//
// On Azure Functions the adapter runs as a custom handler on a loopback
// port under the test host of testing/azuretest, which posts each input as
// the Functions host does ({"Data", "Metadata"}, values encoded as the host
// encodes them) and forwards HTTP requests (enableForwardingHttpRequest).
// The function app it serves is written at the instance's first
// invocation: fntest's fixed functions (fntest-servicebus, fntest-queue,
// fntest-eventhubs, fntest-blob, fntest-eventgrid, fntest-http,
// fntest-http-data) and the one that invocation is for (a timer is named
// after its schedule, a Cosmos DB trigger after its container). The host
// retries a whole invocation after any answer but 2xx, so a batch's events
// are acknowledged or failed together.
//
// Neighbours: testing/adaptertest is the adapters' conformance suite whose
// platforms fntest runs on; testing/statetest checks state backends;
// state/memstate is the in-memory store for unit tests.
package fntest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/adaptertest"
)

// platforms are the platforms OnEveryPlatform and Serve run on, in order:
// those of the adapters' conformance harnesses (testing/adaptertest).
func platforms() []function.Platform {
	var ps []function.Platform
	for _, h := range adaptertest.Harnesses() {
		ps = append(ps, h.Platform())
	}
	return ps
}

// Input is one invocation, in the native shape of each platform.
type Input struct {
	name string
	// lambda is the Lambda invoke payload.
	lambda func() ([]byte, error)
	// google is the CloudEvent Cloud Functions receives.
	google func() (event.Event, error)
	// http is the CloudEvent a net/http host receives.
	http func() (event.Event, error)
	// batch, if set, is what the HTTP platforms receive instead of
	// google and http: a CloudEvents batch.
	batch func() ([]event.Event, error)
	// azure is the Functions host's invocation of a custom handler.
	azure func() (azureCall, error)
}

// OnEveryPlatform sends in to h through the adapter of every platform in
// turn (Lambda, Cloud Functions, net/http, Azure Functions), each in a
// subtest named after the platform, and calls check with that platform's Result. A platform
// the input has no native shape for (an [SQS] input on Cloud Functions) is
// skipped. Every platform is sent to the same h, so whatever state h keeps
// (an idempotency store, a counter) the later platforms see; use
// [OnEveryPlatformFunc] to give each platform a fresh handler.
func OnEveryPlatform(t *testing.T, h function.Handler, in Input, check func(t *testing.T, r Result), opts ...Option) {
	t.Helper()
	OnEveryPlatformFunc(t, func() function.Handler { return h }, in, check, opts...)
}

// OnEveryPlatformFunc is [OnEveryPlatform] with a handler built by
// newHandler for each platform, so that no platform sees another's
// effects.
func OnEveryPlatformFunc(t *testing.T, newHandler func() function.Handler, in Input, check func(t *testing.T, r Result), opts ...Option) {
	t.Helper()
	cfg := newConfig(opts)
	for _, p := range cfg.platformsOr(platforms()) {
		t.Run(string(p), func(t *testing.T) {
			t.Helper()
			if !in.On(p) {
				t.Skipf("fntest: %s has no native shape on %s; pair it with a builder for that platform (Join) to run it there", in.name, p)
			}
			s := newSim(t, p, newHandler(), nil, cfg)
			defer s.Close()
			check(t, s.Invoke(in))
		})
	}
}

// Invoke sends in to h through a fresh adapter of platform p
// (function.PlatformLambda, function.PlatformCloudFunctions,
// function.PlatformCloudRun, function.PlatformHTTP or
// function.PlatformAzureFunctions) and returns what happened. It fails only if the
// input cannot be built or sent there (with [ErrNoShape] if it has no shape
// for p). Within a test, [NewSim] and [OnEveryPlatform] report such
// failures, and the captured logs, on t.
func Invoke(p function.Platform, h function.Handler, in Input, opts ...Option) (Result, error) {
	if !in.On(p) {
		return Result{}, fmt.Errorf("%w (%s on %s)", ErrNoShape, in.name, p)
	}
	tg, err := newTarget(p, h, nil, newConfig(opts))
	if err != nil {
		return Result{}, err
	}
	defer tg.close()
	return tg.deliverInput(in)
}

// Serve sends req to h through the adapter of every platform in turn — on
// Lambda as an API Gateway HTTP API request ([APIGatewayV2]; a body that is
// not UTF-8 travels base64-encoded, as API Gateway sends it), on Cloud
// Functions and net/http as itself, on Azure Functions forwarded by the
// host to an HTTP-only function as itself — and calls check with each platform's
// response, in a subtest named after the platform. The request body is
// read once and replayed. Every platform is served by the same h; use
// [ServeFunc] to give each a fresh one.
func Serve(t *testing.T, h http.Handler, req *http.Request, check func(t *testing.T, p function.Platform, resp *http.Response), opts ...Option) {
	t.Helper()
	ServeFunc(t, func() http.Handler { return h }, req, check, opts...)
}

// ServeFunc is [Serve] with a handler built by newHandler for each
// platform, so that no platform sees another's effects.
func ServeFunc(t *testing.T, newHandler func() http.Handler, req *http.Request, check func(t *testing.T, p function.Platform, resp *http.Response), opts ...Option) {
	t.Helper()
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			t.Fatalf("fntest: read request body: %v", err)
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	cfg := newConfig(opts)
	for _, p := range cfg.platformsOr(platforms()) {
		t.Run(string(p), func(t *testing.T) {
			t.Helper()
			s := newSim(t, p, nil, newHandler(), cfg)
			defer s.Close()
			r := req.Clone(context.Background())
			r.Body = io.NopCloser(bytes.NewReader(body))
			resp := s.Serve(r)
			check(t, p, resp)
		})
	}
}
