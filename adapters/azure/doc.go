// Package azure runs faasport handlers on Azure Functions as a custom
// handler: the Functions host starts the function's executable, and talks
// to it over HTTP on loopback. The adapter is a profile over the shared
// HTTP front door (adapters/frontdoor), so limits, read deadlines, panic
// handling, drain and the outcome → status table are those of every HTTP
// platform; this package adds the host's own protocol.
//
//	func main() {
//		err := azure.ListenAndServe(ctx, azure.Events(h), azure.HTTP(mux))
//		…
//	}
//
// adapters.Start picks this adapter when FUNCTIONS_CUSTOMHANDLER_PORT is
// set, so the same main also runs on Lambda, Cloud Run and plain net/http.
//
// # What the host sends
//
//   - The readiness probe, GET / without an invocation id: answered 200.
//   - HTTP triggers of HTTP-only functions, when host.json's customHandler
//     sets enableForwardingHttpRequest: the caller's request itself, served
//     by the [HTTP] handler.
//   - Every other invocation: POST /<FunctionName> with
//     {"Data": {…}, "Metadata": {…}}: the trigger's and input bindings'
//     values by binding name, and the trigger's metadata. HTTP triggers in
//     this form (Data.req: Url, Method, Query, Headers, Params, Body) are
//     rebuilt as an *http.Request for the [HTTP] handler (route parameters
//     are its PathValues), and its response goes back as the http output
//     binding. Every other trigger becomes CloudEvents for the [Events]
//     handler: Timer, Queue Storage, Service Bus (queues and topics;
//     extension 5.x metadata and the older names), Event Hubs (one event or
//     a batch), Event Grid (its own schema, mapped as Event Grid maps it to
//     CloudEvents; CloudEvents 1.0 passed through as they are), Blob and
//     Cosmos DB change feed. docs/azure-events.md has the full table.
//
// The adapter reads the function app's host.json and <function>/
// function.json (from $AzureWebJobsScriptRoot, else the working directory,
// or [WithScriptRoot]) to know each function's trigger, binding names,
// dataType and outputs; without them it recognises triggers by their
// metadata. The host encodes many values twice (a string as the JSON
// string of its JSON encoding); the adapter reads both that and the shapes
// Microsoft's documentation shows.
//
// # Invocation metadata
//
// function.Invocation: Platform "azure_functions" ([Platform]); RequestID
// the X-Azure-Functions-InvocationId header; FunctionName the function
// invoked; TraceHeader the host's traceparent; Attempt from Service Bus
// DeliveryCount, Queue Storage DequeueCount, else the host's RetryContext;
// Native a [*Native] holding the Data and Metadata as sent (a forwarded
// request's Native is its *http.Request).
//
// # Answers
//
// A handler's success answers 200 with {"Outputs", "Logs", "ReturnValue"}:
// a reply event's data becomes the return value ($return), or the
// function's only output binding, or the one [WithReplyOutput] names; a
// batch's replies go as an array. A permanent failure (function.Permanent)
// answers 200 too, the error in Logs: the message is acknowledged. A
// retryable failure or a panic answers 5xx (Retry-After when known): the
// host fails the invocation, and the trigger's own rules apply — queue and
// Service Bus messages are redelivered and finally moved to the poison
// queue or dead-letter queue; Event Hubs and Cosmos DB move on unless the
// function has a retry policy. A request the adapter cannot read answers
// 400.
package azure
