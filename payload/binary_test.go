package payload_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/payload"
)

// sqsAttrs renders SQS message attributes as Lambda delivers them: string
// values, or binary values for names listed in binary.
func sqsAttrs(kv map[string]string, binary ...string) string {
	parts := make([]string, 0, len(kv))
	for k, v := range kv {
		isBin := false
		for _, b := range binary {
			isBin = isBin || b == k
		}
		if isBin {
			parts = append(parts, `"`+k+`":{"binaryValue":"`+b64(v)+`","dataType":"Binary"}`)
			continue
		}
		q, _ := jsonString(v)
		parts = append(parts, `"`+k+`":{"stringValue":`+q+`,"dataType":"String"}`)
	}
	return strings.Join(parts, ",")
}

// snsAttrs renders SNS message attributes as a notification carries them.
func snsAttrs(kv map[string]string) string {
	parts := make([]string, 0, len(kv))
	for k, v := range kv {
		q, _ := jsonString(v)
		parts = append(parts, `"`+k+`":{"Type":"String","Value":`+q+`}`)
	}
	return strings.Join(parts, ",")
}

// binaryCE is a CloudEvent's attributes in binary mode, each name with the
// given prefix.
func binaryCE(prefix string, extra map[string]string) map[string]string {
	kv := map[string]string{
		prefix + "specversion":     "1.0",
		prefix + "id":              "evt-42",
		prefix + "source":          "/shop/orders",
		prefix + "type":            "com.example.order.placed",
		prefix + "time":            "2026-03-04T05:06:07Z",
		prefix + "datacontenttype": "application/json",
	}
	for k, v := range extra {
		kv[k] = v
	}
	return kv
}

func snsNotification(id, message, attrs string) string {
	q, _ := jsonString(message)
	return `{"Type":"Notification","MessageId":"` + id + `","TopicArn":"arn:aws:sns:eu-west-1:1:orders","Message":` + q + `,"Timestamp":"2026-01-01T00:00:01Z","MessageAttributes":{` + attrs + `}}`
}

// A CloudEvent sent in binary mode over SQS or SNS: the payload is the body
// or the message, with the event's attributes.
func TestBinaryModeCloudEvent(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	const fifo = "arn:aws:sqs:eu-west-1:1:orders.fifo"
	tests := []struct {
		name string
		typ  string
		data string
		want payload.Message
	}{
		{
			name: "SQS, ce_ attributes, with an extension and a plain attribute",
			typ:  "com.amazonaws.sqs.message",
			data: sqsRecord(order, sqsAttrs(binaryCE("ce_", map[string]string{"ce_tenant": "t-9", "ce_traceparent": tp, "origin": "web"}))),
			want: payload.Message{
				ID: "evt-42", Source: "/shop/orders", Type: "com.example.order.placed", PublishTime: at,
				Data: []byte(order), ContentType: "application/json",
				Attributes:  map[string]string{"tenant": "t-9", "traceparent": tp, "origin": "web"},
				OrderingKey: "g-1", Attempt: 3, Trace: payload.Trace{TraceParent: tp, XRay: xray},
			},
		},
		{
			name: "SQS, ce- attributes, one of them a binary value",
			typ:  "com.amazonaws.sqs.message",
			data: sqsRecord("hello", sqsAttrs(binaryCE("ce-", map[string]string{"ce-datacontenttype": "text/plain", "ce-subject": "o-1"}), "ce-source")),
			want: payload.Message{
				ID: "evt-42", Source: "/shop/orders", Type: "com.example.order.placed", PublishTime: at,
				Data: []byte("hello"), ContentType: "text/plain", Attributes: map[string]string{"subject": "o-1"},
				OrderingKey: "g-1", Attempt: 3, Trace: payload.Trace{XRay: xray},
			},
		},
		{
			name: "SQS, cloudEvents_ attributes, no time or content type",
			typ:  "com.amazonaws.sqs.message",
			data: sqsRecord(order, sqsAttrs(map[string]string{
				"cloudEvents_specversion": "1.0", "cloudEvents_id": "evt-43", "cloudEvents_source": "/shop", "cloudEvents_type": "com.example.x",
			})),
			want: payload.Message{
				ID: "evt-43", Source: "/shop", Type: "com.example.x", PublishTime: time.UnixMilli(1767225600000),
				Data: []byte(order), ContentType: "application/json", OrderingKey: "g-1", Attempt: 3, Trace: payload.Trace{XRay: xray},
			},
		},
		{
			name: "SQS, base64 data per datacontentencoding",
			typ:  "com.amazonaws.sqs.message",
			data: sqsRecord(b64("\x00\x01"), sqsAttrs(binaryCE("ce_", map[string]string{"ce_datacontenttype": "application/avro", "ce_datacontentencoding": "base64"}))),
			want: payload.Message{
				ID: "evt-42", Source: "/shop/orders", Type: "com.example.order.placed", PublishTime: at,
				Data: []byte("\x00\x01"), ContentType: "application/avro", OrderingKey: "g-1", Attempt: 3, Trace: payload.Trace{XRay: xray},
			},
		},
		{
			name: "SQS, a required attribute missing: a plain message",
			typ:  "com.amazonaws.sqs.message",
			data: sqsRecord(order, sqsAttrs(map[string]string{"ce_specversion": "1.0", "ce_id": "evt-44", "ce_source": "/shop"})),
			want: payload.Message{
				ID: "m-1", Source: fifo, PublishTime: time.UnixMilli(1767225600000),
				Data: []byte(order), ContentType: "application/json", OrderingKey: "g-1", Attempt: 3, Trace: payload.Trace{XRay: xray},
				Attributes: map[string]string{"ce_specversion": "1.0", "ce_id": "evt-44", "ce_source": "/shop"},
			},
		},
		{
			name: "SNS, ce_ attributes as the SNS binding writes them",
			typ:  "com.amazonaws.sns.Notification",
			data: snsNotification("sns-7", order, snsAttrs(binaryCE("ce_", map[string]string{"ce_traceparent": tp}))),
			want: payload.Message{
				ID: "evt-42", Source: "/shop/orders", Type: "com.example.order.placed", PublishTime: at,
				Data: []byte(order), ContentType: "application/json", Attributes: map[string]string{"traceparent": tp},
				Trace: payload.Trace{TraceParent: tp},
			},
		},
		{
			name: "SNS to SQS without raw delivery",
			typ:  "com.amazonaws.sqs.message",
			data: sqsRecord(snsNotification("sns-8", "hi", snsAttrs(binaryCE("ce_", map[string]string{"ce_datacontenttype": "text/plain"}))), ""),
			want: payload.Message{
				ID: "evt-42", Source: "/shop/orders", Type: "com.example.order.placed", PublishTime: at,
				Data: []byte("hi"), ContentType: "text/plain", OrderingKey: "g-1", Attempt: 3, Trace: payload.Trace{XRay: xray},
			},
		},
		{
			name: "an EventBridge event in a binary-mode message is the data, as sent",
			typ:  "com.amazonaws.sns.Notification",
			data: snsNotification("sns-9", ebBody, snsAttrs(binaryCE("ce_", nil))),
			want: payload.Message{
				ID: "evt-42", Source: "/shop/orders", Type: "com.example.order.placed", PublishTime: at,
				Data: []byte(ebBody), ContentType: "application/json",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := payload.Of(ce(t, tt.typ, tt.data))
			require.NoError(t, err)
			assert.Equal(t, string(tt.want.Data), string(m.Data))
			m.Data, tt.want.Data = nil, nil
			assert.True(t, tt.want.PublishTime.Equal(m.PublishTime), "publish time %v, want %v", m.PublishTime, tt.want.PublishTime)
			m.PublishTime, tt.want.PublishTime = time.Time{}, time.Time{}
			assert.Equal(t, tt.want, *m)
		})
	}
}

// A binary-mode CloudEvent whose data cannot be read is malformed.
func TestBinaryModeCloudEventMalformed(t *testing.T) {
	t.Parallel()
	for name, data := range map[string]string{
		"SQS, data not base64":  sqsRecord("!!", sqsAttrs(binaryCE("ce_", map[string]string{"ce_datacontentencoding": "base64"}))),
		"SQS, unknown encoding": sqsRecord(order, sqsAttrs(binaryCE("ce_", map[string]string{"ce_datacontentencoding": "gzip"}))),
		"SNS in SQS, data not base64": sqsRecord(snsNotification("sns-1", "!!",
			snsAttrs(binaryCE("ce_", map[string]string{"ce_datacontentencoding": "base64"}))), ""),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := payload.Of(ce(t, "com.amazonaws.sqs.message", data))
			require.ErrorIs(t, err, payload.ErrMalformed)
			assert.Contains(t, err.Error(), "datacontent")
		})
	}
}

// An invalid time leaves the broker's.
func TestBinaryModeCloudEventBadTime(t *testing.T) {
	t.Parallel()
	m, err := payload.Of(ce(t, "com.amazonaws.sqs.message", sqsRecord(order, sqsAttrs(binaryCE("CE_", map[string]string{"CE_time": "yesterday"})))))
	require.NoError(t, err)
	assert.Equal(t, "evt-42", m.ID, "names match without regard to case")
	assert.True(t, m.PublishTime.Equal(time.UnixMilli(1767225600000)), "%v", m.PublishTime)
}
