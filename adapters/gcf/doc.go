// Package gcf runs faasport handlers on Google Cloud Functions (2nd gen) and
// Cloud Run. It is a thin profile over the shared HTTP front door
// (adapters/frontdoor): Google's environment, request ids and trace header,
// and Google's push formats on by default.
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
// need no process and no global registration. Source deploys (gcloud
// functions deploy --entry-point) register through
// adapters/gcf/sourcedeploy, the only package that links the Functions
// Framework.
//
// What reaches the event handler is always a CloudEvent:
//
//   - CloudEvents in binary, structured or batch mode (Eventarc) are passed
//     on as they are, read by the front door's own guarded decoder.
//   - Legacy background events (Pub/Sub, Cloud Storage, Firestore, Firebase
//     Auth, Realtime Database, Analytics) are converted by the Functions
//     Framework's rules, so the result is exactly what a framework
//     CloudEvent function receives; TestLegacyMatchesFramework runs the real
//     framework beside the adapter and compares.
//   - Pub/Sub push requests, wrapped ({"message":{...},"subscription":"..."})
//     or unwrapped with metadata headers, become a
//     google.cloud.pubsub.topic.v1.messagePublished event whose data is the
//     push body, the same shape Eventarc delivers.
//   - Cloud Scheduler HTTP targets become google.cloud.scheduler.job.v1.executed
//     events.
//   - With only an event handler, any other request becomes a
//     com.github.faasport.http.request event, and the caller gets the reply's
//     data back, not a CloudEvent.
//
// A handler's outcome is answered by the front door's one table
// ([frontdoor.Judge]): nil answers 200 (with the reply, in the caller's
// mode), a [function.Permanent] error or a decode error 200 as well, so
// the event is acknowledged; any other error a non-2xx status (see
// [function.HTTPStatus]) so Pub/Sub and Eventarc redeliver, with Retry-After
// when [function.RetryAfter] set one; a panic 500 and the process keeps
// serving. Every body is limited ([DefaultMaxBodyBytes], 32 MiB, Cloud Run's
// own request limit), batches are read one event at a time, the whole
// request must arrive within the read deadline, and a shutdown answers 503
// to requests it has to abandon.
//
// Each invocation's [function.Invocation] carries the platform, the function
// name (K_SERVICE, else FUNCTION_TARGET), the execution id
// (Function-Execution-Id, else the trace id, else the event id), the
// deadline (CLOUD_RUN_TIMEOUT_SECONDS, else [WithTimeout]), cold start, the
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
