// Package trigger gives provider-neutral, typed views of the events each
// kind of trigger delivers, so one handler serves the same trigger on every
// platform:
//
//	h := trigger.Queue(func(ctx context.Context, m trigger.Message) error {
//		var o Order
//		if err := json.Unmarshal(m.Body, &o); err != nil {
//			return function.Permanent(err) // poison message: acknowledged
//		}
//		return reserve(ctx, o) // an error: redelivered
//	})
//
// Each view decodes the CloudEvents that the faasport adapters and Google
// produce for its trigger:
//
//   - [Message] ([Queue], [PubSub]): SQS, SNS, Kinesis, Kafka, Amazon MQ,
//     Google Pub/Sub, and any other CloudEvent (its data is the body).
//   - [Object] ([Storage]): S3 notifications, S3 events through EventBridge,
//     Cloud Storage.
//   - [Change] ([Database]): DynamoDB Streams and Firestore (JSON) changes,
//     with items as plain Go values.
//   - [Tick] ([Schedule]): EventBridge schedules, Cloud Scheduler and any
//     other event that means "it is time".
//   - [BusEvent] ([EventBus]): EventBridge and any CloudEvent (Eventarc).
//
// HTTP needs no view: serve a plain net/http.Handler.
//
// An event a view cannot read fails with a permanent error wrapping
// [ErrUnknownShape], so a misrouted event is acknowledged and logged rather
// than redelivered forever. Every view keeps the CloudEvent it came from.
package trigger
