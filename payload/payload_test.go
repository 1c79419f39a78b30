package payload_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/payload"
)

// ce builds an event of type typ with raw JSON data, as the adapters do.
func ce(t testing.TB, typ, data string) event.Event {
	t.Helper()
	e := event.New()
	e.SetID("ce-1")
	e.SetSource("urn:test")
	e.SetType(typ)
	e.SetTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if data != "" {
		e.SetDataContentType("application/json")
		e.DataEncoded = []byte(data)
	}
	return e
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

const (
	order   = `{"id":"o-1","qty":2}`
	tp      = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	xray    = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	snsBody = `{"Type":"Notification","MessageId":"sns-1","TopicArn":"arn:aws:sns:eu-west-1:1:orders","Message":"{\"id\":\"o-1\",\"qty\":2}","Timestamp":"2026-01-01T00:00:01Z","MessageAttributes":{"traceparent":{"Type":"String","Value":"` + tp + `"}}}`
	ebBody  = `{"version":"0","id":"eb-1","detail-type":"OrderPlaced","source":"shop.orders","account":"1","time":"2026-01-01T00:00:02Z","region":"eu-west-1","resources":[],"detail":` + order + `}`
)

func sqsRecord(body string, extra string) string {
	q, _ := jsonString(body)
	return `{"messageId":"m-1","receiptHandle":"rh","body":` + q + `,"attributes":{"ApproximateReceiveCount":"3","SentTimestamp":"1767225600000","MessageGroupId":"g-1","AWSTraceHeader":"` + xray + `"},"messageAttributes":{` + extra + `},"eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:eu-west-1:1:orders.fifo"}`
}

func TestOf(t *testing.T) {
	t.Parallel()
	sent := time.UnixMilli(1767225600000)
	tests := []struct {
		name string
		e    event.Event
		want payload.Message
	}{
		{
			name: "SQS body with message attributes",
			e:    ce(t, "com.amazonaws.sqs.message", sqsRecord(order, `"traceparent":{"stringValue":"`+tp+`","dataType":"String"},"content-type":{"stringValue":"application/json","dataType":"String"}`)),
			want: payload.Message{
				ID: "m-1", Data: []byte(order), ContentType: "application/json", OrderingKey: "g-1",
				Attributes:  map[string]string{"traceparent": tp, "content-type": "application/json"},
				PublishTime: sent, Attempt: 3, Source: "arn:aws:sqs:eu-west-1:1:orders.fifo",
				Trace: payload.Trace{TraceParent: tp, XRay: xray},
			},
		},
		{
			name: "SQS text body is sniffed as bytes",
			e:    ce(t, "com.amazonaws.sqs.message", sqsRecord("hello", "")),
			want: payload.Message{
				ID: "m-1", Data: []byte("hello"), ContentType: "application/octet-stream", OrderingKey: "g-1",
				PublishTime: sent, Attempt: 3, Source: "arn:aws:sqs:eu-west-1:1:orders.fifo", Trace: payload.Trace{XRay: xray},
			},
		},
		{
			name: "SNS to SQS without raw delivery",
			e:    ce(t, "com.amazonaws.sqs.message", sqsRecord(snsBody, "")),
			want: payload.Message{
				ID: "m-1", Data: []byte(order), ContentType: "application/json", OrderingKey: "g-1",
				Attributes:  map[string]string{"traceparent": tp},
				PublishTime: time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC), Attempt: 3, Source: "arn:aws:sqs:eu-west-1:1:orders.fifo",
				Trace: payload.Trace{TraceParent: tp, XRay: xray},
			},
		},
		{
			name: "EventBridge to SQS",
			e:    ce(t, "com.amazonaws.sqs.message", sqsRecord(ebBody, "")),
			want: payload.Message{
				ID: "m-1", Data: []byte(order), ContentType: "application/json", OrderingKey: "g-1",
				PublishTime: time.Date(2026, 1, 1, 0, 0, 2, 0, time.UTC), Attempt: 3, Source: "arn:aws:sqs:eu-west-1:1:orders.fifo",
				Trace: payload.Trace{XRay: xray},
			},
		},
		{
			name: "SNS notification",
			e:    ce(t, "com.amazonaws.sns.Notification", snsBody),
			want: payload.Message{
				ID: "sns-1", Data: []byte(order), ContentType: "application/json", Attributes: map[string]string{"traceparent": tp},
				PublishTime: time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC), Source: "arn:aws:sns:eu-west-1:1:orders",
				Trace: payload.Trace{TraceParent: tp},
			},
		},
		{
			name: "EventBridge to SNS",
			e: ce(t, "com.amazonaws.sns.Notification", func() string {
				q, _ := jsonString(ebBody)
				return `{"Type":"Notification","MessageId":"sns-2","TopicArn":"arn:aws:sns:eu-west-1:1:bus","Message":` + q + `}`
			}()),
			want: payload.Message{
				ID: "sns-2", Data: []byte(order), ContentType: "application/json",
				PublishTime: time.Date(2026, 1, 1, 0, 0, 2, 0, time.UTC), Source: "arn:aws:sns:eu-west-1:1:bus",
			},
		},
		{
			name: "EventBridge event",
			e:    ce(t, "com.amazonaws.events.OrderPlaced", ebBody),
			want: payload.Message{
				ID: "eb-1", Data: []byte(order), ContentType: "application/json",
				PublishTime: time.Date(2026, 1, 1, 0, 0, 2, 0, time.UTC), Source: "shop.orders",
			},
		},
		{
			name: "Kinesis record",
			e:    ce(t, "com.amazonaws.kinesis.PutRecord", `{"eventID":"shardId-0:49","eventSourceARN":"arn:aws:kinesis:eu-west-1:1:stream/orders","kinesis":{"partitionKey":"c-17","sequenceNumber":"49","data":"`+b64(order)+`","approximateArrivalTimestamp":1767225600.5}}`),
			want: payload.Message{
				ID: "49", Data: []byte(order), ContentType: "application/json", OrderingKey: "c-17",
				PublishTime: time.UnixMilli(1767225600500), Source: "arn:aws:kinesis:eu-west-1:1:stream/orders",
			},
		},
		{
			name: "Firehose record",
			e:    ce(t, "com.amazonaws.firehose.record", `{"recordId":"r-1","approximateArrivalTimestamp":1767225600000,"data":"`+b64(order)+`"}`),
			want: payload.Message{
				ID: "r-1", Data: []byte(order), ContentType: "application/json", PublishTime: sent, Source: "urn:test",
			},
		},
		{
			name: "Kafka record with headers",
			e:    ce(t, "com.amazonaws.kafka.record", `{"topic":"orders","partition":3,"offset":15,"timestamp":1767225600000,"key":"`+b64("c-17")+`","value":"`+b64(order)+`","headers":[{"content-type":[97,112,112,108,105,99,97,116,105,111,110,47,106,115,111,110]},{"bin":[-1,0]}]}`),
			want: payload.Message{
				ID: "orders-3:15", Data: []byte(order), ContentType: "application/json", OrderingKey: "c-17",
				Attributes:  map[string]string{"content-type": "application/json", "bin": base64.StdEncoding.EncodeToString([]byte{0xff, 0})},
				PublishTime: sent, Source: "orders",
			},
		},
		{
			name: "ActiveMQ message",
			e:    ce(t, "com.amazonaws.mq.message", `{"messageID":"ID:1","data":"`+b64(order)+`","redelivered":true,"timestamp":1767225600000,"destination":{"physicalName":"orders"},"properties":{"origin":"web"}}`),
			want: payload.Message{
				ID: "ID:1", Data: []byte(order), ContentType: "application/json", Attributes: map[string]string{"origin": "web"},
				PublishTime: sent, Attempt: 2, Source: "orders",
			},
		},
		{
			name: "RabbitMQ message with content type",
			e:    ce(t, "com.amazonaws.mq.message", `{"basicProperties":{"contentType":"text/plain","messageId":"rmq-1","headers":{"h":{"bytes":[104,105]}}},"redelivered":false,"data":"`+b64("hi")+`"}`),
			want: payload.Message{
				ID: "rmq-1", Data: []byte("hi"), ContentType: "text/plain", Attributes: map[string]string{"h": "hi"},
				PublishTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Attempt: 1, Source: "",
			},
		},
		{
			name: "Eventarc Pub/Sub",
			e:    ce(t, "google.cloud.pubsub.topic.v1.messagePublished", `{"message":{"data":"`+b64(order)+`","attributes":{"googclient_traceparent":"`+tp+`"},"messageId":"ps-1","publishTime":"2026-01-01T00:00:03.5Z","orderingKey":"c-17"},"subscription":"projects/p/subscriptions/s","deliveryAttempt":4}`),
			want: payload.Message{
				ID: "ps-1", Data: []byte(order), ContentType: "application/json", OrderingKey: "c-17",
				Attributes:  map[string]string{"googclient_traceparent": tp},
				PublishTime: time.Date(2026, 1, 1, 0, 0, 3, 5e8, time.UTC), Attempt: 4, Source: "urn:test",
				Trace: payload.Trace{TraceParent: tp},
			},
		},
		{
			name: "Pub/Sub push in snake case",
			e:    ce(t, "google.cloud.pubsub.topic.v1.messagePublished", `{"message":{"data":"aGVsbG8","message_id":"ps-2","publish_time":"2026-01-01T00:00:03Z"},"subscription":"projects/p/subscriptions/s"}`),
			want: payload.Message{
				ID: "ps-2", Data: []byte("hello"), ContentType: "application/octet-stream",
				PublishTime: time.Date(2026, 1, 1, 0, 0, 3, 0, time.UTC), Source: "urn:test",
			},
		},
		{
			name: "legacy Pub/Sub event data",
			e:    ce(t, "google.pubsub.topic.publish", `{"@type":"type.googleapis.com/google.pubsub.v1.PubsubMessage","attributes":{"origin":"web"},"data":"`+b64(order)+`"}`),
			want: payload.Message{
				ID: "ce-1", Data: []byte(order), ContentType: "application/json", Attributes: map[string]string{"origin": "web"},
				PublishTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Source: "urn:test",
			},
		},
		{
			name: "a CloudEvent is its own payload",
			e: func() event.Event {
				e := ce(t, "com.example.order.placed", "")
				require.NoError(t, e.SetData("application/json; charset=utf-8", []byte(order)))
				e.SetExtension("traceparent", tp)
				e.SetExtension("partitionkey", "c-17")
				return e
			}(),
			want: payload.Message{
				ID: "ce-1", Data: []byte(order), ContentType: "application/json; charset=utf-8", Type: "com.example.order.placed",
				Attributes:  map[string]string{"traceparent": tp, "partitionkey": "c-17"},
				PublishTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Source: "urn:test", Trace: payload.Trace{TraceParent: tp},
			},
		},
		{
			name: "a direct invoke is its own payload",
			e:    ce(t, "com.amazonaws.lambda.invoke", `{"orderId":"o-7"}`),
			want: payload.Message{
				ID: "ce-1", Data: []byte(`{"orderId":"o-7"}`), ContentType: "application/json", Type: "com.amazonaws.lambda.invoke",
				PublishTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Source: "urn:test",
			},
		},
		{
			name: "an S3 change is its own payload",
			e:    ce(t, "com.amazonaws.s3.ObjectCreated:Put", `{"s3":{"object":{"key":"k"}}}`),
			want: payload.Message{
				ID: "ce-1", Data: []byte(`{"s3":{"object":{"key":"k"}}}`), ContentType: "application/json", Type: "com.amazonaws.s3.ObjectCreated:Put",
				PublishTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Source: "urn:test",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := payload.Of(tt.e)
			require.NoError(t, err)
			assert.Equal(t, string(tt.want.Data), string(m.Data))
			m.Data, tt.want.Data = nil, nil
			assert.True(t, tt.want.PublishTime.Equal(m.PublishTime), "publish time %v, want %v", m.PublishTime, tt.want.PublishTime)
			m.PublishTime, tt.want.PublishTime = time.Time{}, time.Time{}
			assert.Equal(t, tt.want, *m)
		})
	}
}

func TestOfMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		e    event.Event
	}{
		{"SQS record that is not JSON", ce(t, "com.amazonaws.sqs.message", `{"messageId":`)},
		{"SQS record without id", ce(t, "com.amazonaws.sqs.message", `{"body":"x"}`)},
		{"SQS record without data", ce(t, "com.amazonaws.sqs.message", "")},
		{"SNS without Message", ce(t, "com.amazonaws.sns.Notification", `{"MessageId":"x"}`)},
		{"EventBridge without detail", ce(t, "com.amazonaws.events.OrderPlaced", `{"id":"x"}`)},
		{"Kinesis data not base64", ce(t, "com.amazonaws.kinesis.PutRecord", `{"kinesis":{"sequenceNumber":"1","data":"%%%"}}`)},
		{"Kinesis without sequence number", ce(t, "com.amazonaws.kinesis.PutRecord", `{"kinesis":{"data":""}}`)},
		{"Firehose without record id", ce(t, "com.amazonaws.firehose.record", `{"data":""}`)},
		{"Kafka value not base64", ce(t, "com.amazonaws.kafka.record", `{"topic":"t","value":"%%%"}`)},
		{"Kafka header out of range", ce(t, "com.amazonaws.kafka.record", `{"topic":"t","headers":[{"h":[300]}]}`)},
		{"MQ data not base64", ce(t, "com.amazonaws.mq.message", `{"data":"%%%"}`)},
		{"Pub/Sub without message", ce(t, "google.cloud.pubsub.topic.v1.messagePublished", `{"subscription":"s"}`)},
		{"Pub/Sub data not base64", ce(t, "google.cloud.pubsub.topic.v1.messagePublished", `{"message":{"data":"%%%"}}`)},
		{"Pub/Sub bad publish time", ce(t, "google.cloud.pubsub.topic.v1.messagePublished", `{"message":{"publishTime":"yesterday"}}`)},
		{"event without context", event.Event{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := payload.Of(tt.e)
			require.ErrorIs(t, err, payload.ErrMalformed)
			assert.Nil(t, m)
			assert.Contains(t, err.Error(), "payload:")
		})
	}
}

func TestNotAnEnvelope(t *testing.T) {
	t.Parallel()
	// Bodies that look a little like SNS or EventBridge envelopes but are
	// not stay the payload.
	for _, body := range []string{
		`{"Type":"Notification","TopicArn":"x"}`,
		`{"detail-type":"x","detail":{}}`,
		`{"Type":"Notification","TopicArn":"x","MessageId":"1","Message":`,
	} {
		m, err := payload.Of(ce(t, "com.amazonaws.sqs.message", sqsRecord(body, "")))
		require.NoError(t, err)
		assert.Equal(t, body, string(m.Data))
	}
}

func TestContext(t *testing.T) {
	t.Parallel()
	_, ok := payload.FromContext(context.Background())
	assert.False(t, ok)
	_, ok = payload.FromContext(payload.NewContext(context.Background(), nil))
	assert.False(t, ok)
	m := &payload.Message{ID: "m-1"}
	got, ok := payload.FromContext(payload.NewContext(context.Background(), m))
	require.True(t, ok)
	assert.Same(t, m, got)
}

func TestSniff(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "", payload.Sniff(nil))
	assert.Equal(t, "application/json", payload.Sniff([]byte(` {"a":1} `)))
	assert.Equal(t, "application/json", payload.Sniff([]byte(`"s"`)))
	assert.Equal(t, "application/octet-stream", payload.Sniff([]byte(`{"a":`)))
	assert.Equal(t, "application/octet-stream", payload.Sniff([]byte{0xff}))
}

func BenchmarkOf(b *testing.B) {
	for _, tt := range []struct{ name, typ, data string }{
		{"CloudEvent", "com.example.order", order},
		{"SQS", "com.amazonaws.sqs.message", sqsRecord(order, "")},
		{"PubSub", "google.cloud.pubsub.topic.v1.messagePublished", `{"message":{"data":"` + b64(order) + `","messageId":"ps-1","publishTime":"2026-01-01T00:00:03.5Z"},"subscription":"s"}`},
	} {
		b.Run(tt.name, func(b *testing.B) {
			e := ce(b, tt.typ, tt.data)
			var m payload.Message
			b.ReportAllocs()
			for b.Loop() {
				if err := payload.Read(e, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestAttach(t *testing.T) {
	t.Parallel()
	type key struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	t.Run("own payload is read lazily and completely", func(t *testing.T) {
		e := ce(t, "com.example.order", order)
		e.SetExtension("traceparent", tp)
		ctx, data, ct, err := payload.Attach(parent, e, func(context.Context) int { return 4 })
		require.NoError(t, err)
		assert.Equal(t, order, string(data))
		assert.Equal(t, "application/json", ct)
		assert.Equal(t, "v", ctx.Value(key{}), "other values come from the parent")
		done := make(chan *payload.Message, 2)
		for range 2 { // concurrent first reads
			go func() { m, _ := payload.FromContext(ctx); done <- m }()
		}
		m1, m2 := <-done, <-done
		assert.Same(t, m1, m2)
		assert.Equal(t, "ce-1", m1.ID)
		assert.Equal(t, "urn:test", m1.Source)
		assert.Equal(t, 4, m1.Attempt)
		assert.Equal(t, tp, m1.Trace.TraceParent)
		assert.Equal(t, order, string(m1.Data))
	})
	t.Run("envelope", func(t *testing.T) {
		ctx, data, ct, err := payload.Attach(parent, ce(t, "com.amazonaws.sqs.message", sqsRecord("hi", "")), func(context.Context) int { return 9 })
		require.NoError(t, err)
		assert.Equal(t, "hi", string(data))
		assert.Equal(t, "application/octet-stream", ct)
		m, ok := payload.FromContext(ctx)
		require.True(t, ok)
		assert.Equal(t, 3, m.Attempt, "the message's own attempt wins")
		assert.Contains(t, fmt.Sprint(ctx), "payload.Message")
	})
	t.Run("malformed", func(t *testing.T) {
		ctx, _, _, err := payload.Attach(parent, ce(t, "com.amazonaws.sqs.message", "{"), nil)
		require.ErrorIs(t, err, payload.ErrMalformed)
		_, ok := payload.FromContext(ctx)
		assert.False(t, ok)
	})
	t.Run("cancellation reaches the attached context", func(t *testing.T) {
		ctx, _, _, err := payload.Attach(parent, ce(t, "com.example.order", order), nil)
		require.NoError(t, err)
		child, stop := context.WithCancel(ctx)
		defer stop()
		cancel()
		<-child.Done()
		assert.ErrorIs(t, child.Err(), context.Canceled)
	})
}

func TestEnveloped(t *testing.T) {
	t.Parallel()
	for typ, want := range map[string]bool{
		"com.amazonaws.sqs.message": true, "com.amazonaws.sns.Notification": true, "com.amazonaws.events.Scheduled Event": true,
		"google.cloud.pubsub.topic.v1.messagePublished": true, "com.amazonaws.s3.ObjectCreated:Put": false,
		"com.amazonaws.lambda.invoke": false, "google.cloud.storage.object.v1.finalized": false, "com.example.x": false,
	} {
		assert.Equal(t, want, payload.Enveloped(typ), typ)
	}
}

// BenchmarkAttach is what a typed handler pays for the payload on top of
// decoding it: for a CloudEvent that is its own payload, one allocation.
func BenchmarkAttach(b *testing.B) {
	e := ce(b, "com.example.order", order)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := payload.Attach(ctx, e, nil); err != nil {
			b.Fatal(err)
		}
	}
}
