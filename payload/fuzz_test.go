package payload_test

import (
	"errors"
	"testing"

	"github.com/faasport/faasport/payload"
)

// FuzzOf feeds arbitrary data under every envelope type: Of must never
// panic, and a failure must be ErrMalformed.
func FuzzOf(f *testing.F) {
	types := []string{
		"com.amazonaws.sqs.message", "com.amazonaws.sns.Notification", "com.amazonaws.events.Scheduled Event",
		"com.amazonaws.kinesis.aws:kinesis:record", "com.amazonaws.firehose.record", "com.amazonaws.kafka.record",
		"com.amazonaws.mq.message", "google.cloud.pubsub.topic.v1.messagePublished", "google.pubsub.topic.publish",
		"com.example.other",
	}
	f.Add(uint8(0), []byte(sqsRecord(snsBody, "")))
	f.Add(uint8(1), []byte(snsBody))
	f.Add(uint8(2), []byte(ebBody))
	f.Add(uint8(5), []byte(`{"topic":"t","value":"e30=","headers":[{"h":[-1]}]}`))
	f.Add(uint8(6), []byte(`{"basicProperties":{"headers":{"h":{"bytes":[1]}}},"data":"e30="}`))
	f.Add(uint8(7), []byte(`{"message":{"data":"e30=","publishTime":"2026-01-01T00:00:00Z"}}`))
	f.Fuzz(func(t *testing.T, typ uint8, data []byte) {
		e := ce(t, types[int(typ)%len(types)], "")
		e.DataEncoded = data
		m, err := payload.Of(e)
		if err != nil {
			if !errors.Is(err, payload.ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		if m == nil {
			t.Fatal("nil message without error")
		}
	})
}
