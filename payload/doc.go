// Package payload reads what the producer of a message sent — the payload —
// out of the CloudEvent an adapter delivers, with the message's metadata
// under the same names on every platform.
//
// A CloudEvent's data stays faithful to the platform: for a broker source it
// is the envelope (the SQS record, the SNS notification, the Pub/Sub push
// body, the EventBridge event). [Of] unwraps it:
//
//	m, err := payload.Of(e)
//	if err != nil {
//		return function.Permanent(err) // the envelope cannot be read
//	}
//	var o Order
//	err = json.Unmarshal(m.Data, &o)
//
// This package is the one place in faasport that knows envelopes. Typed
// handlers (function.Typed, function.Consume) decode [Message.Data] and put
// the [Message] in the handler's context ([FromContext]); the trigger views
// read their Message view from [Of]; middleware.Tracing continues the
// producer's trace from [Message.Trace]. An adapter that has decoded a
// record already hands it over ([Carrier.PresetSQS]), so a typed handler's
// Message is made from it rather than by decoding the record again.
//
// # Sources
//
// The payload is: an SQS message's body; an SNS notification's Message; the
// SNS notification inside an SQS body (SNS to SQS with raw delivery off); an
// EventBridge event's detail, also when EventBridge delivers through SQS or
// SNS; the base64-decoded data of a Kinesis, Firehose, Kafka, ActiveMQ or
// RabbitMQ record; a Pub/Sub message's data in every form Google delivers
// (Eventarc, push, legacy background events); the data of a CloudEvent a
// producer sent in binary mode over SQS or SNS (its attributes in "ce_",
// "ce-" or "cloudEvents_" message attributes), with that event's id,
// source, type and time; and for any other event —
// a CloudEvent sent as such, a direct Lambda invoke, an S3 or database change —
// the event's own data.
//
// The content type is the one the source states (a content-type message
// attribute or Kafka header, RabbitMQ's contentType, the CloudEvent's
// datacontenttype); else it is sniffed: "application/json" for JSON,
// "application/octet-stream" for anything else.
package payload
