// Package frontdoor is the one HTTP front door every HTTP-delivered
// platform shares: plain net/http hosts and Knative (adapters/nethttp),
// Cloud Run and Cloud Functions (adapters/gcf) and Azure Functions custom
// handlers (adapters/azure). It parses every push format, bounds what a
// request may cost, recovers panics, drains on shutdown and answers every
// handler outcome from one table. Each adapter is a thin [Profile] over it:
// its platform, its environment, its metadata, its own envelope if it has
// one.
//
// An adapter builds its server with [New]:
//
//	d, err := frontdoor.New(frontdoor.Profile{
//		Name:     "nethttp",
//		Platform: function.PlatformHTTP,
//		Formats:  frontdoor.FormatsAll,
//	}, opts...) // opts from the user: frontdoor.Events(h), frontdoor.WithMaxBodyBytes(n), …
//	err = d.ListenAndServe(ctx)
//
// Function authors use the adapters, not this package; adapters re-export
// its options under their own names (nethttp.WithMaxBodyBytes is
// frontdoor.WithMaxBodyBytes), so every HTTP adapter has the same options
// with the same defaults.
//
// # Formats
//
// What a request carries is told from its headers where possible, and from
// its body only where it cannot be confused with plain HTTP (see [Formats]):
//
//   - CloudEvents HTTP binding: binary mode (ce-* headers), structured mode
//     (application/cloudevents+json) and batch mode
//     (application/cloudevents-batch+json), CloudEvents 1.0, JSON format.
//   - The CloudEvents webhook validation handshake: OPTIONS with
//     WebHook-Request-Origin is answered with WebHook-Allowed-Origin.
//   - Pub/Sub push, wrapped ({"message":{…},"subscription":"…"}) and
//     unwrapped (the message data as the body, with the
//     x-goog-pubsub-message-id, -subscription-name and -publish-time headers
//     that "write metadata" adds): a google.cloud.pubsub.topic.v1.messagePublished
//     event whose data is the wrapped push body, as Eventarc delivers it.
//   - Cloud Scheduler HTTP targets (X-CloudScheduler, -JobName,
//     -ScheduleTime headers): a google.cloud.scheduler.job.v1.executed event
//     whose data is the job's body.
//   - Functions Framework legacy background events ({"context":{…},"data":…}
//     and the older flat form), converted as the Functions Framework does.
//   - Any other request to a server with only an event handler: a
//     com.github.faasport.http.request event whose data is the body, with its
//     Content-Type. The reply's data is the response body, with the reply's
//     datacontenttype: a caller that did not send a CloudEvent never gets
//     one back. A caller that sent one gets the reply in the mode it used.
//
// # Answers
//
// One table, [Judge], turns a handler's outcome into the HTTP answer, on
// every HTTP platform. Push systems redeliver anything but 2xx (Pub/Sub
// push: 102, 200, 201, 202 and 204 acknowledge, anything else is retried
// with backoff; Eventarc and Knative brokers: non-2xx is retried; SNS HTTP
// subscriptions: 5xx and 429 are retried per the delivery policy; Event
// Grid: retries except on 400 and 413; Azure Functions host: a non-2xx from
// the custom handler fails the invocation, which the trigger retries), so a
// permanent failure must not answer 4xx by default:
//
//	outcome                          answer
//	nil                              200 with the reply, 204 without one
//	                                 (Profile.NoContentStatus: 200 on Cloud Functions)
//	function.Permanent, DecodeError, 200, acknowledged; an application/problem+json
//	an invalid reply event           body says why (WithPermanentStatus gives
//	                                 synchronous callers a 4xx instead)
//	retryable                        its own 5xx/429 (function.HTTPStatus), else
//	                                 503; Retry-After when function.RetryAfter set one
//	deadline passed                  504
//	panic                            500, no detail; the stack goes to the log
//	start hook failed                503, Retry-After: 1
//	malformed request                400; 413 body over the limit; 415 event
//	                                 format not JSON; 431 headers over the limit;
//	                                 408 body not received before the read deadline
//	shutting down, past the budget   503 to requests that have written nothing
//
// A batch is handled one event at a time; the first retryable failure
// stops it and asks for all of it again; permanent failures are listed in
// the body and acknowledged.
//
// # Limits
//
// Every path is bounded, by default: the body by [DefaultMaxBodyBytes]
// (also plain HTTP, binary events and everything a [Codec] reads), batches
// by [DefaultMaxBatchEvents] events, each decoded and validated before the
// next is read; the whole request must arrive within [DefaultReadTimeout];
// headers within [DefaultMaxHeaderBytes]. Memory grows with the bytes
// received, never with the bytes a Content-Length announces.
//
// A panic of an HTTP handler answers 500 with no detail and drops the
// headers the handler had set; if the response had started, the connection
// is aborted (http.ErrAbortHandler) so the client sees a broken response,
// never a complete-looking one. On shutdown the door stops accepting
// requests, waits up to the shutdown budget for those in flight, answers 503
// to those that have written nothing by then and cancels their context, and
// runs the handlers' stop hooks only after every handler call has returned.
package frontdoor
