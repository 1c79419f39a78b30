package lambda_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
)

// recorder is an event handler that records what it saw and fails events
// whose data asks for it.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
	invs   []function.Invocation
	order  []string
}

func (r *recorder) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.invs = append(r.invs, *function.FromContext(ctx))
	r.order = append(r.order, e.ID())
	r.mu.Unlock()
	data := string(e.Data())
	switch {
	case strings.Contains(data, "PANIC"):
		panic("record asked to panic")
	case strings.Contains(data, "POISON"):
		return nil, function.Permanent(errors.New("poison record"))
	case strings.Contains(data, "FAIL"):
		return nil, errors.New("record failed")
	}
	return &e, nil
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func lambdaCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Minute))
	t.Cleanup(cancel)
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       "req-1",
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:fn",
	})
	//lint:ignore SA1029 aws-lambda-go's runtime stores the trace header under this string key
	return context.WithValue(ctx, "x-amzn-trace-id", "Root=1-abc") //nolint:staticcheck
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func sqsRecord(id, body, arn, group string, receive int) events.SQSMessage {
	attrs := map[string]string{"ApproximateReceiveCount": fmt.Sprint(receive), "SentTimestamp": "1700000000000"}
	if group != "" {
		attrs["MessageGroupId"] = group
	}
	return events.SQSMessage{MessageId: id, Body: body, EventSource: "aws:sqs", EventSourceARN: arn, AWSRegion: "us-east-1", Attributes: attrs}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func failures(t *testing.T, out []byte) []string {
	t.Helper()
	var r events.SQSEventResponse
	require.NoError(t, json.Unmarshal(out, &r), string(out))
	ids := []string{}
	for _, f := range r.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	sort.Strings(ids)
	return ids
}

func TestSQSBatchReportsRetryableFailuresOnly(t *testing.T) {
	const arn = "arn:aws:sqs:us-east-1:123456789012:orders"
	rec := &recorder{}
	h := lambda.New(lambda.Events(rec), lambda.WithLogger(quietLogger()), lambda.WithConcurrency(3))
	payload := mustJSON(t, events.SQSEvent{Records: []events.SQSMessage{
		sqsRecord("m1", `{"ok":1}`, arn, "", 1),
		sqsRecord("m2", `FAIL`, arn, "", 2),
		sqsRecord("m3", `POISON`, arn, "", 1),
		sqsRecord("m4", `PANIC`, arn, "", 1),
		sqsRecord("m5", `{"ok":5}`, arn, "", 3),
	}})
	out, err := h.Invoke(lambdaCtx(t), payload)
	require.NoError(t, err)
	assert.Equal(t, []string{"m2", "m4"}, failures(t, out))
	require.Len(t, rec.events, 5)
	for i, e := range rec.events {
		require.NoError(t, e.Validate())
		assert.Equal(t, lambda.TypeSQSMessage, e.Type())
		assert.Equal(t, arn, e.Source())
		inv := rec.invs[i]
		assert.Equal(t, function.PlatformLambda, inv.Platform)
		assert.Equal(t, function.TriggerPubSub, inv.Trigger)
		assert.Equal(t, "req-1", inv.RequestID)
		assert.Equal(t, "Root=1-abc", inv.TraceHeader)
		assert.False(t, inv.Deadline.IsZero())
		msg, ok := inv.Native.(events.SQSMessage)
		require.True(t, ok, "Native is %T", inv.Native)
		assert.Equal(t, e.ID(), msg.MessageId)
		if e.ID() == "m5" {
			assert.Equal(t, 3, inv.Attempt)
		}
	}
}

func TestFIFOGroupStopsAtFirstFailure(t *testing.T) {
	const arn = "arn:aws:sqs:us-east-1:123456789012:orders.fifo"
	rec := &recorder{}
	h := lambda.New(lambda.Events(rec), lambda.WithLogger(quietLogger()))
	payload := mustJSON(t, events.SQSEvent{Records: []events.SQSMessage{
		sqsRecord("a1", `{}`, arn, "A", 1),
		sqsRecord("b1", `{}`, arn, "B", 1),
		sqsRecord("a2", `FAIL`, arn, "A", 1),
		sqsRecord("b2", `POISON`, arn, "B", 1),
		sqsRecord("a3", `{}`, arn, "A", 1),
		sqsRecord("b3", `{}`, arn, "B", 1),
	}})
	out, err := h.Invoke(lambdaCtx(t), payload)
	require.NoError(t, err)
	assert.Equal(t, []string{"a2", "a3"}, failures(t, out), "a3 comes after the failed a2 in group A")
	ran := map[string]bool{}
	for _, id := range rec.order {
		ran[id] = true
	}
	assert.False(t, ran["a3"], "a3 must not run after a2 failed")
	assert.True(t, ran["b3"], "a permanent failure does not stop group B")
	// Within a group, records run in order.
	var a, b []string
	for _, id := range rec.order {
		switch id[0] {
		case 'a':
			a = append(a, id)
		case 'b':
			b = append(b, id)
		}
	}
	assert.Equal(t, []string{"a1", "a2"}, a)
	assert.Equal(t, []string{"b1", "b2", "b3"}, b)
}

func kinesisRecord(shard, seq, data string) events.KinesisEventRecord {
	return events.KinesisEventRecord{
		EventID: shard + ":" + seq, EventName: "aws:kinesis:record", EventSource: "aws:kinesis",
		EventSourceArn: "arn:aws:kinesis:us-east-1:123456789012:stream/s", AwsRegion: "us-east-1",
		Kinesis: events.KinesisRecord{SequenceNumber: seq, PartitionKey: "pk", Data: []byte(data),
			ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: time.Unix(1700000000, 0)}},
	}
}

func TestKinesisShardOrder(t *testing.T) {
	rec := &recorder{}
	h := lambda.New(lambda.Events(rec), lambda.WithLogger(quietLogger()))
	// Kinesis data is base64 in JSON; the handler's data is the record, so
	// "FAIL" must appear in the record's JSON: put it in the partition key.
	r2 := kinesisRecord("shardId-1", "2", "x")
	r2.Kinesis.PartitionKey = "FAIL"
	payload := mustJSON(t, events.KinesisEvent{Records: []events.KinesisEventRecord{
		kinesisRecord("shardId-1", "1", "x"), r2, kinesisRecord("shardId-1", "3", "x"),
		kinesisRecord("shardId-2", "7", "x"),
	}})
	out, err := h.Invoke(lambdaCtx(t), payload)
	require.NoError(t, err)
	assert.Equal(t, []string{"2", "3"}, failures(t, out))
	require.NotEmpty(t, rec.events)
	e := rec.events[0]
	assert.Equal(t, "com.amazonaws.kinesis.record", e.Type())
	assert.Equal(t, "pk", e.Subject())
}

func TestKafkaItemIdentifiers(t *testing.T) {
	rec := &recorder{}
	h := lambda.New(lambda.Events(rec), lambda.WithLogger(quietLogger()))
	payload := mustJSON(t, events.KafkaEvent{
		EventSource: "aws:kafka", EventSourceARN: "arn:aws:kafka:us-east-1:123456789012:cluster/c/1",
		Records: map[string][]events.KafkaRecord{
			"t-0": {{Topic: "t", Partition: 0, Offset: 10, Key: "RkFJTA=="}, {Topic: "t", Partition: 0, Offset: 11}},
			"t-1": {{Topic: "t", Partition: 1, Offset: 5}},
		},
	})
	// Mark offset 10 as failing through its key ("FAIL" in base64 is not
	// visible in the JSON, so use the value field's raw form instead).
	payload = bytes.Replace(payload, []byte(`"key":"RkFJTA=="`), []byte(`"key":"FAIL"`), 1)
	out, err := h.Invoke(lambdaCtx(t), payload)
	require.NoError(t, err)
	assert.JSONEq(t, `{"batchItemFailures":[{"itemIdentifier":{"partition":"t-0","offset":10}},{"itemIdentifier":{"partition":"t-0","offset":11}}]}`, string(out))
}

func TestMQHasNoPartialResponse(t *testing.T) {
	rec := &recorder{}
	h := lambda.New(lambda.Events(rec), lambda.WithLogger(quietLogger()))
	payload := mustJSON(t, events.ActiveMQEvent{EventSource: "aws:mq", EventSourceARN: "arn:aws:mq:us-east-1:123456789012:broker:b",
		Messages: []events.ActiveMQMessage{{MessageID: "1", Data: "FAIL"}, {MessageID: "2", Data: "x"}}})
	_, err := h.Invoke(lambdaCtx(t), payload)
	var le *lambda.Error
	require.ErrorAs(t, err, &le)
	assert.Equal(t, lambda.ErrorTypeRetryable, le.Type)
	assert.Len(t, rec.events, 2)
}

func TestSingleEvents(t *testing.T) {
	s3 := readTestdata(t, "s3-put.json")
	sched := []byte(`{"version":"0","id":"ev-1","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2024-01-01T00:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/tick"],"detail":{}}`)
	ceDirect := []byte(`{"specversion":"1.0","id":"ce-1","source":"/orders","type":"com.example.order","datacontenttype":"application/json","data":{"n":1}}`)
	snsWithCE := mustJSON(t, events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns", EventSubscriptionArn: "arn:aws:sns:us-east-1:1:t:sub",
		SNS: events.SNSEntity{MessageID: "sns-1", Type: "Notification", Message: string(ceDirect), Timestamp: time.Unix(1700000000, 0)}}}})
	tests := []struct {
		name    string
		payload []byte
		typ     string
		source  string
		id      string
		subject string
		trigger function.Trigger
	}{
		{"s3", s3, "com.amazonaws.s3.ObjectCreated:Put", "aws:s3.eu-west-1.faasport-uploads", "7Q2RJ5EXAMPLE.hostid/EXAMPLE+abc=", "cats/tom.jpg", function.TriggerDatasource},
		{"scheduled", sched, "com.amazonaws.events.Scheduled Event", "aws.events", "ev-1", "arn:aws:events:us-east-1:123456789012:rule/tick", function.TriggerTimer},
		{"structured CloudEvent", ceDirect, "com.example.order", "/orders", "ce-1", "", function.TriggerOther},
		{"SNS carrying a CloudEvent", snsWithCE, "com.example.order", "/orders", "ce-1", "", function.TriggerPubSub},
		{"direct invoke", []byte(`{"hello":"world"}`), lambda.TypeInvoke, "arn:aws:lambda:us-east-1:123456789012:function:fn", "req-1", "", function.TriggerOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			h := lambda.New(lambda.Events(rec), lambda.WithLogger(quietLogger()))
			out, err := h.Invoke(lambdaCtx(t), tc.payload)
			require.NoError(t, err)
			require.Len(t, rec.events, 1)
			e := rec.events[0]
			require.NoError(t, e.Validate())
			assert.Equal(t, tc.typ, e.Type())
			assert.Equal(t, tc.source, e.Source())
			assert.Equal(t, tc.id, e.ID())
			assert.Equal(t, tc.subject, e.Subject())
			assert.Equal(t, tc.trigger, rec.invs[0].Trigger)
			assert.NotNil(t, rec.invs[0].Native)
			if tc.name != "structured CloudEvent" {
				// A caller that sent no CloudEvent gets the reply's data
				// (the echoed event's) as plain JSON.
				assert.JSONEq(t, string(e.Data()), string(out))
				return
			}
			// A caller that sent a CloudEvent gets the reply as one.
			var reply event.Event
			require.NoError(t, json.Unmarshal(out, &reply), string(out))
			assert.Equal(t, e.ID(), reply.ID())
		})
	}
}

func TestSingleEventErrors(t *testing.T) {
	s3 := readTestdata(t, "s3-put.json")
	withData := func(b []byte, marker string) []byte {
		return bytes.Replace(b, []byte("cats/tom.jpg"), []byte(marker), 1)
	}
	tests := []struct {
		name     string
		payload  []byte
		wantType string // "" means success
	}{
		{"async retryable fails the invocation", withData(s3, "FAIL"), lambda.ErrorTypeRetryable},
		{"async permanent is acknowledged", withData(s3, "POISON"), ""},
		{"async panic is retryable", withData(s3, "PANIC"), lambda.ErrorTypeRetryable},
		{"sync permanent reaches the caller", []byte(`{"x":"POISON"}`), lambda.ErrorTypePermanent},
		{"sync retryable reaches the caller", []byte(`{"x":"FAIL"}`), lambda.ErrorTypeRetryable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := lambda.New(lambda.Events(&recorder{}), lambda.WithLogger(quietLogger()))
			out, err := h.Invoke(lambdaCtx(t), tc.payload)
			if tc.wantType == "" {
				require.NoError(t, err)
				assert.Equal(t, "null", string(out))
				return
			}
			var le *lambda.Error
			require.ErrorAs(t, err, &le)
			assert.Equal(t, tc.wantType, le.Type)
		})
	}
}

func TestBadInput(t *testing.T) {
	const arn = "arn:aws:sqs:us-east-1:1:q"
	tests := []struct {
		name     string
		payload  string
		wantType string // an invocation error type, or "" for a batch answer
		failed   []string
	}{
		{"truncated JSON", `{"Records":[{"eventSource":"aws:sqs"`, lambda.ErrorTypeInvalidEvent, nil},
		{"not an object", `[1,2,3]`, lambda.ErrorTypeInvalidEvent, nil},
		{"empty payload", ``, lambda.ErrorTypeInvalidEvent, nil},
		{"empty Records", `{"Records":[]}`, lambda.ErrorTypeInvalidEvent, nil},
		{"Records not an array", `{"Records":{}} `, lambda.ErrorTypeInvalidEvent, nil},
		{"SQS record without id", `{"Records":[{"eventSource":"aws:sqs","eventSourceARN":"` + arn + `","body":"x"},{"eventSource":"aws:sqs","messageId":"ok","eventSourceARN":"` + arn + `","body":"FAIL"}]}`, "", []string{"ok"}},
		{"SQS record of the wrong type", `{"Records":[{"eventSource":"aws:sqs","messageId":7},{"eventSource":"aws:sqs","messageId":"ok","eventSourceARN":"` + arn + `","body":"FAIL"}]}`, "", []string{"ok"}},
		{"invalid base64 HTTP body", `{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"POST"}},"isBase64Encoded":true,"body":"%%%"}`, lambda.ErrorTypeInvalidEvent, nil},
		{"invalid CloudWatch Logs base64", `{"awslogs":{"data":"%%%"}}`, lambda.ErrorTypeInvalidEvent, nil},
		{"CloudWatch Logs not gzip", `{"awslogs":{"data":"` + base64.StdEncoding.EncodeToString([]byte("plain")) + `"}}`, lambda.ErrorTypeInvalidEvent, nil},
		{"S3 record without request id is acknowledged", `{"Records":[{"eventSource":"aws:s3","awsRegion":"us-east-1","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`, "", nil},
		{"invalid structured CloudEvent", `{"specversion":"1.0","id":""}`, lambda.ErrorTypeInvalidEvent, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := lambda.New(lambda.Events(&recorder{}), lambda.HTTP(http.NotFoundHandler()), lambda.WithLogger(quietLogger()))
			out, err := h.Invoke(lambdaCtx(t), []byte(tc.payload))
			if tc.wantType != "" {
				var le *lambda.Error
				require.ErrorAs(t, err, &le)
				assert.Equal(t, tc.wantType, le.Type)
				assert.True(t, strings.HasPrefix(le.Error(), "lambda: "), le.Error())
				return
			}
			if tc.failed != nil {
				require.NoError(t, err)
				assert.Equal(t, tc.failed, failures(t, out))
			}
			if err != nil {
				var le *lambda.Error
				require.ErrorAs(t, err, &le)
				assert.Equal(t, lambda.ErrorTypeInvalidEvent, le.Type)
				assert.Contains(t, le.Error(), "lambda: ")
			}
		})
	}
}

func TestNoEventHandler(t *testing.T) {
	h := lambda.New(lambda.HTTP(http.NotFoundHandler()))
	_, err := h.Invoke(lambdaCtx(t), readTestdata(t, "s3-put.json"))
	var le *lambda.Error
	require.ErrorAs(t, err, &le)
	assert.Equal(t, lambda.ErrorTypeNoHandler, le.Type)
}

type hooks struct {
	recorder
	started, stopped int
	startErr         error
}

func (h *hooks) Start(context.Context) error {
	h.started++
	err := h.startErr
	h.startErr = nil
	return err
}
func (h *hooks) Stop(context.Context) error { h.stopped++; return nil }

func TestLifecycleAndColdStart(t *testing.T) {
	hk := &hooks{startErr: errors.New("config not ready")}
	h := lambda.New(lambda.Events(hk), lambda.WithLogger(quietLogger()))
	payload := []byte(`{"n":1}`)
	_, err := h.Invoke(lambdaCtx(t), payload)
	var le *lambda.Error
	require.ErrorAs(t, err, &le)
	assert.Equal(t, lambda.ErrorTypeStart, le.Type)
	_, err = h.Invoke(lambdaCtx(t), payload)
	require.NoError(t, err)
	_, err = h.Invoke(lambdaCtx(t), payload)
	require.NoError(t, err)
	require.Len(t, hk.invs, 2)
	assert.True(t, hk.invs[0].ColdStart, "the invocation that failed to start did not use up the cold start")
	assert.False(t, hk.invs[1].ColdStart)
	assert.Equal(t, 2, hk.started)
	require.NoError(t, h.Stop(context.Background()))
	require.NoError(t, h.Stop(context.Background()))
	assert.Equal(t, 1, hk.stopped)
}

func TestColdStartOnFirstInvocation(t *testing.T) {
	rec := &recorder{}
	h := lambda.New(lambda.Events(rec), lambda.WithFunctionName("fn-name"))
	for i := 0; i < 2; i++ {
		_, err := h.Invoke(lambdaCtx(t), []byte(`{}`))
		require.NoError(t, err)
	}
	assert.True(t, rec.invs[0].ColdStart)
	assert.False(t, rec.invs[1].ColdStart)
	assert.Equal(t, "fn-name", rec.invs[0].FunctionName)
}

func TestConcurrencyLimit(t *testing.T) {
	const limit, records = 3, 7
	var mu sync.Mutex
	inFlight, maxInFlight := 0, 0
	full := make(chan struct{})
	h := lambda.New(lambda.WithConcurrency(limit), lambda.WithLogger(quietLogger()), lambda.Events(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		mu.Lock()
		inFlight++
		maxInFlight = max(maxInFlight, inFlight)
		if inFlight == limit {
			select {
			case <-full:
			default:
				close(full)
			}
		}
		mu.Unlock()
		// Wait until the limit is reached once (or give up, so a broken
		// limit fails the assertion below instead of hanging).
		select {
		case <-full:
		case <-time.After(5 * time.Second):
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
		return nil, nil
	})))
	recs := make([]events.SQSMessage, records)
	for i := range recs {
		recs[i] = sqsRecord(fmt.Sprint("m", i), "{}", "arn:aws:sqs:us-east-1:1:q", "", 1)
	}
	out, err := h.Invoke(lambdaCtx(t), mustJSON(t, events.SQSEvent{Records: recs}))
	require.NoError(t, err)
	assert.Empty(t, failures(t, out))
	assert.Equal(t, limit, maxInFlight)
}
