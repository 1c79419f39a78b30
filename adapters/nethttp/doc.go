// Package nethttp serves faasport handlers over plain net/http: in a
// container (Knative, Cloud Run, OpenFaaS), behind any HTTP load balancer,
// or on a laptop.
//
// Typical use:
//
//	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
//	defer stop()
//	err := nethttp.ListenAndServe(ctx, nethttp.Events(h), nethttp.HTTP(mux),
//		nethttp.WithTimeout(30*time.Second))
//
// or mount the handler yourself: http.Handle("/", nethttp.New(nethttp.Events(h))).
//
// # Events
//
// Requests carrying a CloudEvent under the CloudEvents HTTP protocol binding
// go to the [function.Handler] given with [Events]: binary mode (ce-*
// headers, data in the body), structured mode (application/cloudevents+json)
// and batch mode (application/cloudevents-batch+json). Only CloudEvents 1.0
// and the JSON event format are read. A reply event is written back in the
// mode the request came in; no reply answers 204 No Content.
//
// A batch is handled one event at a time, in order. The first event that
// fails with a retryable error stops the batch: the answer is 503 (or the
// error's own 5xx/429 status) so the sender redelivers the whole batch, and
// the events before it are seen again, so make their effects idempotent
// (faasport/idempotency). Events that fail permanently are logged and the
// batch goes on; then the answer is the first failure's status with a
// problem body listing every failed event, and the replies of the others are
// not sent. A batch with no failure answers 200 with a batch of the replies,
// or 204 if there are none.
//
// # HTTP
//
// Requests carrying no event go to the [net/http.Handler] given with [HTTP];
// without one they are answered 400. A panicking HTTP handler is answered
// 500 and the server keeps serving.
//
// # Errors
//
// Every error response is an RFC 9457 problem (application/problem+json)
// whose detail says what was wrong, never a stack trace. A handler error is
// answered with [function.HTTPStatus]: retryable errors 503 with Retry-After
// when [function.RetryAfter] set a delay, permanent errors their own 4xx
// status or 422, a missed deadline 504, a panic 500. Only an error that
// carries a 4xx status ([function.WithStatus], [function.DecodeError]) has
// its text in the detail; other errors are logged, not shown. Requests the adapter cannot
// read are answered 400 (malformed event, missing attribute, a specversion
// other than 1.0), 413 (body over [WithMaxBodyBytes], default 6 MiB) or 415
// (an event format other than JSON).
//
// Every invocation finds a [function.Invocation] in its context, with the
// platform [function.PlatformHTTP], the X-Request-Id header (else the event
// id) as request id, the deadline set by [WithTimeout], the traceparent
// header as trace header, trigger pubsub for events and http for plain
// requests, and the *http.Request as Native value. Start hooks
// ([function.Starter]) run before the first invocation; while one fails,
// requests are answered 503.
//
// [ReadEvents] and [WriteEvents] are the codec on their own, for other
// adapters and test kits. Neighbours: faasport/adapters picks this adapter
// when no serverless platform is detected; faasport/adapters/gcf serves the
// same handlers through the Functions Framework.
package nethttp
