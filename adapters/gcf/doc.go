// Package gcf runs faasport handlers on Google Cloud Functions (2nd gen) and
// Cloud Run, on top of the Functions Framework for Go.
//
// Typical use, in a main deployed with FUNCTION_TARGET or K_SERVICE set:
//
//	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
//	defer stop()
//	err := gcf.ListenAndServe(ctx, gcf.Events(h), gcf.HTTP(mux),
//		gcf.WithLogger(slog.New(gcf.NewLogHandler(os.Stdout, nil))))
//
// Most programs call adapters.Start instead, which picks this adapter from
// the environment. [New] builds the same server as an [net/http.Handler]
// without listening, so tests (and programs that serve several functions)
// need no process and no global registration. [Register] is only for
// source deploys (gcloud functions deploy --entry-point), whose generated
// main serves what was registered with the framework.
//
// What reaches the event handler is always a CloudEvent:
//
//   - CloudEvents in binary or structured mode (Eventarc) are passed on as
//     they are.
//   - Legacy background events (Pub/Sub, Cloud Storage, Firestore, Firebase
//     Auth, Realtime Database, Analytics) are converted by the Functions
//     Framework's own code, so the result is exactly what a framework
//     CloudEvent function receives.
//   - Pub/Sub push requests ({"message":{...},"subscription":"..."}) become a
//     google.cloud.pubsub.topic.v1.messagePublished event whose data is the
//     push body, the same shape Eventarc delivers.
//
// A handler's error decides the response: nil or a [function.Permanent]
// error (logged) answers 2xx so the event is acknowledged; any other error
// answers a non-2xx status (see [function.HTTPStatus]) so Pub/Sub and Eventarc
// redeliver; a panic answers 500 and the process keeps serving. A reply event
// is written back in the request's mode (binary for converted events).
//
// Each invocation's [function.Invocation] carries the platform, the function
// name (K_SERVICE, else FUNCTION_TARGET), the execution id
// (Function-Execution-Id, else the event id), the deadline, cold start, the
// Pub/Sub delivery attempt, the trace header and, as Native, the
// *http.Request or, for a converted event, a [*RawEvent]. [Legacy] recovers
// the legacy form of an event for code migrated from background functions.
//
// [NewLogHandler] is an slog.Handler that writes the JSON Cloud Logging
// understands, including the trace of the current request.
//
// Neighbours: adapters/nethttp serves the same handlers over plain net/http,
// adapters/lambda on AWS Lambda, and adapters.Start chooses among them.
package gcf
