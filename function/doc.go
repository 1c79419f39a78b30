// Package function is the provider-neutral core that every faasport function
// imports.
//
// A function is a [Handler]: it takes a CloudEvent and may reply with one.
// Every non-HTTP trigger on every platform (an SQS message, a Pub/Sub push, an
// S3 upload, a schedule tick) reaches a Handler as a CloudEvent; HTTP
// invocations reach a plain [net/http.Handler]. The adapters in
// faasport/adapters translate each platform's native invocation into these
// two shapes and back.
//
// Typical use:
//
//	h := function.Consume(func(ctx context.Context, o Order) error {
//		m, _ := payload.FromContext(ctx) // message id, attributes, attempt, trace
//		inv := function.FromContext(ctx) // platform, request id, deadline
//		return reserve(ctx, m.ID, o)
//	})
//	adapters.Start(adapters.Events(function.Chain(h, middleware.Default()...)))
//
// Typed handlers ([Typed], [Consume]) decode the payload — what the
// producer sent: an SQS body, an SNS message, a Pub/Sub message's data, an
// EventBridge detail, a record's value, else the event's own data — not the
// envelope the platform wraps it in (faasport/payload reads it), and answer
// synchronous callers with their output in the caller's own shape.
//
// Errors returned by a handler steer redelivery: nil means done, a plain error
// is retryable (the platform redelivers), and an error wrapped with
// [Permanent] is logged and acknowledged so a poison message does not loop.
// [WithStatus] attaches an HTTP status for HTTP-facing errors.
//
// Neighbours: faasport/trigger decodes the CloudEvents of each trigger into
// typed views, faasport/middleware wraps handlers, faasport/idempotency makes
// their effects happen once.
package function
