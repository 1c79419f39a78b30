package middleware_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
)

const (
	producerTraceID = "abcdef0123456789abcdef0123456789"
	producerSpanID  = "0123456789abcdef"
	producerTP      = "00-" + producerTraceID + "-" + producerSpanID + "-01"
)

func messageEvent(t *testing.T, typ, data string) event.Event {
	t.Helper()
	e := event.New()
	e.SetID("m-1")
	e.SetSource("urn:broker")
	e.SetType(typ)
	e.SetDataContentType("application/json")
	e.DataEncoded = []byte(data)
	return e
}

func TestTracingContinuesTheProducersTrace(t *testing.T) {
	sqsWithTraceparent := `{"messageId":"m-1","body":"{}","attributes":{"ApproximateReceiveCount":"1"},"messageAttributes":{"traceparent":{"stringValue":"` + producerTP + `","dataType":"String"}},"eventSourceARN":"arn:aws:sqs:eu-west-1:1:orders"}`
	sqsWithXRay := `{"messageId":"m-1","body":"{}","attributes":{"AWSTraceHeader":"` + xrayHeader + `"},"eventSourceARN":"arn:aws:sqs:eu-west-1:1:orders"}`
	pubsub := `{"message":{"data":"e30=","messageId":"p-1","attributes":{"googclient_traceparent":"` + producerTP + `"}},"subscription":"projects/p/subscriptions/s"}`
	kafka := `{"topic":"orders","partition":0,"offset":7,"value":"e30=","headers":[{"traceparent":` + bytesJSON(producerTP) + `}]}`
	tests := []struct {
		name       string
		e          event.Event
		inv        function.Invocation
		wantParent string // trace id of the span's parent
		wantLink   string // trace id of the span's one link
		system     string
		messageID  string
		batch      int64
	}{
		{
			name:       "one SQS message is the invocation: the producer is the parent, Lambda's trace a link",
			e:          messageEvent(t, "com.amazonaws.sqs.message", sqsWithTraceparent),
			inv:        function.Invocation{Batch: 1, TraceHeader: xrayHeader, Trigger: function.TriggerPubSub},
			wantParent: producerTraceID, wantLink: xrayTraceID, system: "aws_sqs", messageID: "m-1",
		},
		{
			name:       "one SQS message of a batch: linked, under Lambda's trace",
			e:          messageEvent(t, "com.amazonaws.sqs.message", sqsWithTraceparent),
			inv:        function.Invocation{Batch: 3, TraceHeader: gcpHeader},
			wantParent: gcpTraceID, wantLink: producerTraceID, system: "aws_sqs", messageID: "m-1", batch: 3,
		},
		{
			name:     "SQS AWSTraceHeader of a batch message",
			e:        messageEvent(t, "com.amazonaws.sqs.message", sqsWithXRay),
			inv:      function.Invocation{Batch: 2},
			wantLink: xrayTraceID, system: "aws_sqs", messageID: "m-1", batch: 2,
		},
		{
			name:       "a Pub/Sub push with the client library's googclient_traceparent",
			e:          messageEvent(t, "google.cloud.pubsub.topic.v1.messagePublished", pubsub),
			inv:        function.Invocation{TraceHeader: gcpHeader},
			wantParent: producerTraceID, wantLink: gcpTraceID, system: "gcp_pubsub", messageID: "p-1",
		},
		{
			name:     "Kafka headers, record of a batch",
			e:        messageEvent(t, "com.amazonaws.kafka.record", kafka),
			inv:      function.Invocation{Batch: 5},
			wantLink: producerTraceID, system: "kafka", messageID: "orders-0:7", batch: 5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, rec := recorder(t)
			var inner trace.SpanContext
			h := middleware.Tracing(middleware.TracingProvider(tp))(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
				inner = trace.SpanContextFromContext(ctx)
				return nil, nil
			}))
			inv := tt.inv
			_, err := h.Handle(function.NewContext(context.Background(), &inv), tt.e)
			require.NoError(t, err)
			spans := rec.Ended()
			require.Len(t, spans, 1)
			s := spans[0]
			assert.Equal(t, trace.SpanKindConsumer, s.SpanKind())
			assert.Equal(t, inner.SpanID(), s.SpanContext().SpanID(), "the handler runs in the span")
			if tt.wantParent != "" {
				assert.Equal(t, tt.wantParent, s.Parent().TraceID().String())
				assert.True(t, s.Parent().IsRemote())
			} else {
				assert.False(t, s.Parent().IsValid(), "no parent")
			}
			require.Len(t, s.Links(), 1)
			assert.Equal(t, tt.wantLink, s.Links()[0].SpanContext.TraceID().String())
			attrs := attrMap(s.Attributes())
			assert.Equal(t, tt.system, attrs["messaging.system"])
			assert.Equal(t, "process", attrs["messaging.operation.type"])
			assert.Equal(t, tt.messageID, attrs["messaging.message.id"])
			if tt.batch > 0 {
				assert.Equal(t, tt.batch, attrs["messaging.batch.message_count"])
			} else {
				assert.NotContains(t, attrs, "messaging.batch.message_count")
			}
		})
	}
}

// Through the real Lambda adapter: a batch of two SQS messages gives two
// spans under the invocation's X-Ray trace, each linked to its producer.
func TestTracingSQSBatchThroughLambda(t *testing.T) {
	tp, rec := recorder(t)
	h := function.Chain(function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) { return nil, nil }),
		middleware.Tracing(middleware.TracingProvider(tp)))
	msg := func(id, tp string) events.SQSMessage {
		return events.SQSMessage{MessageId: id, Body: "{}", EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:eu-west-1:1:orders",
			MessageAttributes: map[string]events.SQSMessageAttribute{"traceparent": {StringValue: &tp, DataType: "String"}}}
	}
	other := "00-" + localTraceID + "-" + producerSpanID + "-01"
	payload := mustMarshal(t, events.SQSEvent{Records: []events.SQSMessage{msg("a", producerTP), msg("b", other)}})
	//lint:ignore SA1029 aws-lambda-go's runtime stores the trace header under this string key
	ctx := context.WithValue(context.Background(), "x-amzn-trace-id", xrayHeader)
	_, err := lambda.New(lambda.Events(h)).Invoke(ctx, payload)
	require.NoError(t, err)
	spans := rec.Ended()
	require.Len(t, spans, 2)
	links := map[string]string{}
	for _, s := range spans {
		assert.Equal(t, xrayTraceID, s.Parent().TraceID().String(), "the invocation's trace is the parent")
		require.Len(t, s.Links(), 1)
		links[attrMap(s.Attributes())["messaging.message.id"].(string)] = s.Links()[0].SpanContext.TraceID().String()
	}
	assert.Equal(t, map[string]string{"a": producerTraceID, "b": localTraceID}, links)
}

// With the no-op provider, a message that is the whole invocation still
// passes its producer's context on to the handler.
func TestTracingNoopPassesProducerOn(t *testing.T) {
	var got trace.SpanContext
	h := middleware.Tracing(middleware.TracingProvider(noop.NewTracerProvider()))(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		got = trace.SpanContextFromContext(ctx)
		return nil, nil
	}))
	e := messageEvent(t, "google.cloud.pubsub.topic.v1.messagePublished", `{"message":{"data":"e30=","messageId":"p-1","attributes":{"traceparent":"`+producerTP+`"}}}`)
	_, err := h.Handle(context.Background(), e)
	require.NoError(t, err)
	assert.Equal(t, producerTraceID, got.TraceID().String())
}

// bytesJSON is s as Lambda writes a Kafka header value: an array of bytes.
func bytesJSON(s string) string {
	out := "["
	for i := 0; i < len(s); i++ {
		if i > 0 {
			out += ","
		}
		out += strconv.Itoa(int(s[i]))
	}
	return out + "]"
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
