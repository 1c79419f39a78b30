// Package nethttp serves faasport handlers over plain net/http: in a
// container (Knative, Cloud Run, OpenFaaS), behind any HTTP load balancer,
// or on a laptop. It is a thin profile over the shared HTTP front door
// (adapters/frontdoor), which adapters/gcf and adapters/azure share, so the
// same request gets the same answer on every HTTP platform.
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
// mode the request came in; no reply answers 204 No Content. The CloudEvents
// webhook handshake (OPTIONS with WebHook-Request-Origin) is answered.
//
// Pub/Sub push requests (unwrapped ones by their x-goog-pubsub-* headers)
// and Cloud Scheduler HTTP targets (X-CloudScheduler headers) are events
// too; so are wrapped Pub/Sub push bodies and Functions Framework legacy
// events when no HTTP handler is served, since then nothing can be
// confused. Without an HTTP handler, any other request becomes a
// com.github.faasport.http.request event whose data is the body, and the
// caller gets the reply's data back with its datacontenttype — a caller
// that sent no CloudEvent never gets one.
//
// A batch is handled one event at a time, in order. The first event that
// fails with a retryable error stops the batch: the answer is 503 (or the
// error's own 5xx/429 status) so the sender redelivers the whole batch, and
// the events before it are seen again, so make their effects idempotent
// (faasport/idempotency). Events that fail permanently are listed in the
// answer and acknowledged with the rest.
//
// # HTTP
//
// Requests carrying no event go to the [net/http.Handler] given with [HTTP].
// A panicking HTTP handler is answered 500 without the headers it had set,
// or, if it had begun its response, its connection is aborted; the server
// keeps serving.
//
// # Errors
//
// Every error response is an RFC 9457 problem (application/problem+json)
// whose detail says what was wrong, never a stack trace. Outcomes are
// answered by the front door's one table ([frontdoor.Judge]): retryable
// errors 503 (or their own 5xx/429) with Retry-After when
// [function.RetryAfter] set a delay, a missed deadline 504, a panic 500; a
// permanent error, a decode error of a typed handler and an invalid reply
// answer 200 with a problem body, so push senders (Pub/Sub, Eventarc,
// Knative, SNS) do not redeliver a poison event for ever —
// [WithPermanentStatus] gives synchronous callers a 4xx instead. Requests
// the adapter cannot read are answered 400, 408 (not received within the
// read deadline), 413 (body over [WithMaxBodyBytes], or a batch over
// [WithMaxBatchEvents]), 415 (an event format other than JSON) or 431
// (headers over [WithMaxHeaderBytes]).
//
// Every invocation finds a [function.Invocation] in its context, with the
// platform [function.PlatformHTTP], the X-Request-Id header (else the event
// id) as request id, the deadline set by [WithTimeout], the traceparent
// header as trace header, and the *http.Request (or, for a converted
// request, a *frontdoor.Raw) as Native value. Start hooks
// ([function.Starter]) run before the first invocation; while one fails,
// requests are answered 503. Stop hooks run at shutdown once every handler
// call has returned.
//
// [ReadEvents] and [WriteEvents] are the codec on their own, for other
// adapters and test kits. Neighbours: faasport/adapters picks this adapter
// when no serverless platform is detected; faasport/adapters/gcf serves the
// same handlers on Cloud Functions and Cloud Run.
package nethttp
