package trigger_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/trigger"
)

// awsFixture reads a fixture of aws-lambda-go's events/testdata from the
// module cache.
func awsFixture(t *testing.T, name string) []byte {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	require.NoError(t, err, "locate aws-lambda-go in the module cache")
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "events", "testdata", name))
	require.NoError(t, err)
	return b
}

// viaLambda runs payload through the real Lambda adapter and returns the
// CloudEvents it delivers, in delivery order.
func viaLambda(t *testing.T, payload []byte) []event.Event {
	t.Helper()
	var mu sync.Mutex
	var got []event.Event
	h := lambda.New(lambda.Events(function.HandlerFunc(func(_ context.Context, e event.Event) (*event.Event, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, e)
		return nil, nil
	})))
	_, err := h.Invoke(context.Background(), payload)
	require.NoError(t, err)
	require.NotEmpty(t, got, "the adapter delivered no event")
	return got
}

func gcpEvent(t *testing.T, typ, source, subject, data string) event.Event {
	t.Helper()
	e := event.New()
	e.SetID("gcp-1")
	e.SetType(typ)
	e.SetSource(source)
	e.SetTime(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	if subject != "" {
		e.SetSubject(subject)
	}
	require.NoError(t, e.SetData("application/json", []byte(data)))
	return e
}

func TestParseMessage(t *testing.T) {
	tests := []struct {
		name  string
		event func(t *testing.T) event.Event
		want  trigger.Message
	}{
		{
			name:  "SQS",
			event: func(t *testing.T) event.Event { return viaLambda(t, awsFixture(t, "sqs-event.json"))[0] },
			want: trigger.Message{ID: "MessageID_1", Body: []byte("Message Body"), Attempt: 2,
				Source: "arn:aws:sqs:us-west-2:123456789012:SQSQueue", Time: time.UnixMilli(1520621625029)},
		},
		{
			name:  "SNS",
			event: func(t *testing.T) event.Event { return viaLambda(t, awsFixture(t, "sns-event.json"))[0] },
			want: trigger.Message{ID: "95df01b4-ee98-5cb9-9903-4c221d41eb5e", Body: []byte("Hello from SNS!"),
				Source: "arn:aws:sns:EXAMPLE", Attributes: map[string]string{"Test": "TestString"},
				Time: time.Date(2015, 6, 3, 17, 43, 27, 123000000, time.UTC)},
		},
		{
			name:  "Kinesis",
			event: func(t *testing.T) event.Event { return viaLambda(t, awsFixture(t, "kinesis-event.json"))[0] },
			want: trigger.Message{ID: "49568167373333333333333333333333333333333333333333333333", Body: []byte("Hello World"),
				OrderingKey: "s1", Source: "arn:aws:kinesis:us-east-1:123456789012:stream/simple-stream",
				Time: time.Unix(1480641523, 477000000)},
		},
		{
			name: "Google Pub/Sub",
			event: func(t *testing.T) event.Event {
				return gcpEvent(t, "google.cloud.pubsub.topic.v1.messagePublished", "//pubsub.googleapis.com/projects/p/topics/orders", "",
					`{"message":{"data":"aGk=","attributes":{"k":"v"},"messageId":"m-1","publishTime":"2026-11-23T09:59:00Z","orderingKey":"o"},"subscription":"projects/p/subscriptions/s"}`)
			},
			want: trigger.Message{ID: "m-1", Body: []byte("hi"), Attributes: map[string]string{"k": "v"}, OrderingKey: "o",
				Source: "//pubsub.googleapis.com/projects/p/topics/orders", Time: time.Date(2026, 11, 23, 9, 59, 0, 0, time.UTC)},
		},
		{
			name: "any other CloudEvent",
			event: func(t *testing.T) event.Event {
				return gcpEvent(t, "com.example.thing", "/things", "", `{"a":1}`)
			},
			want: trigger.Message{ID: "gcp-1", Body: []byte(`{"a":1}`), Source: "/things", Time: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := trigger.ParseMessage(tt.event(t))
			require.NoError(t, err)
			assert.Equal(t, tt.want.ID, m.ID)
			assert.Equal(t, string(tt.want.Body), string(m.Body))
			assert.Equal(t, tt.want.Source, m.Source)
			assert.Equal(t, tt.want.OrderingKey, m.OrderingKey)
			assert.Equal(t, tt.want.Attempt, m.Attempt)
			assert.WithinDuration(t, tt.want.Time, m.Time, time.Millisecond)
			for k, v := range tt.want.Attributes {
				assert.Equal(t, v, m.Attributes[k])
			}
		})
	}
}

func TestBrokerMessagesThroughLambda(t *testing.T) {
	for _, fixture := range []string{"kafka-event.json", "activemq-event.json", "rabbitmq-event.json"} {
		t.Run(fixture, func(t *testing.T) {
			for _, e := range viaLambda(t, awsFixture(t, fixture)) {
				m, err := trigger.ParseMessage(e)
				require.NoError(t, err)
				assert.NotEmpty(t, m.ID)
				assert.NotEmpty(t, m.Body, "the base64 payload is decoded")
			}
		})
	}
}

func TestQueueHandler(t *testing.T) {
	var got trigger.Message
	h := trigger.Queue(func(_ context.Context, m trigger.Message) error {
		got = m
		if string(m.Body) == "poison" {
			return function.Permanent(errors.New("poison"))
		}
		return nil
	})
	ctx := function.NewContext(context.Background(), &function.Invocation{Attempt: 3})
	_, err := h.Handle(ctx, gcpEvent(t, "com.example.thing", "/things", "", `"x"`))
	require.NoError(t, err)
	assert.Equal(t, 3, got.Attempt, "the attempt comes from the invocation when the message has none")

	bad := gcpEvent(t, "com.amazonaws.sqs.message", "arn:aws:sqs:::q", "", `{"messageId":`)
	_, err = h.Handle(ctx, bad)
	require.Error(t, err)
	assert.True(t, function.IsPermanent(err), "malformed data is permanent")
	assert.Contains(t, err.Error(), "gcp-1")
}

func TestParseObject(t *testing.T) {
	tests := []struct {
		name   string
		event  func(t *testing.T) event.Event
		bucket string
		key    string
		size   int64
		change trigger.ObjectChange
	}{
		{
			name:   "S3 notification",
			event:  func(t *testing.T) event.Event { return viaLambda(t, awsFixture(t, "s3-event.json"))[0] },
			bucket: "sourcebucket", key: "Happy Face.jpg", size: 1024, change: trigger.ObjectCreated,
		},
		{
			name: "S3 through EventBridge",
			event: func(t *testing.T) event.Event {
				return viaLambda(t, []byte(`{"version":"0","id":"17793124-05d4-b198-2fde-7ededc63b103","detail-type":"Object Deleted","source":"aws.s3","account":"111122223333","time":"2026-11-23T10:00:00Z","region":"eu-west-1","resources":["arn:aws:s3:::photos"],"detail":{"version":"0","bucket":{"name":"photos"},"object":{"key":"a/b.png","size":5,"etag":"e"},"reason":"DeleteObject"}}`))[0]
			},
			bucket: "photos", key: "a/b.png", size: 5, change: trigger.ObjectDeleted,
		},
		{
			name: "Cloud Storage",
			event: func(t *testing.T) event.Event {
				return gcpEvent(t, "google.cloud.storage.object.v1.finalized", "//storage.googleapis.com/projects/_/buckets/photos", "objects/a/b.png",
					`{"bucket":"photos","name":"a/b.png","size":"2048","contentType":"image/png","generation":"1700000000000001","etag":"CAE="}`)
			},
			bucket: "photos", key: "a/b.png", size: 2048, change: trigger.ObjectCreated,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := trigger.ParseObject(tt.event(t))
			require.NoError(t, err)
			assert.Equal(t, tt.bucket, o.Bucket)
			assert.Equal(t, tt.key, o.Key)
			assert.Equal(t, tt.size, o.Size)
			assert.Equal(t, tt.change, o.Change)
		})
	}
	_, err := trigger.ParseObject(gcpEvent(t, "com.example.thing", "/x", "", `{}`))
	assert.ErrorIs(t, err, trigger.ErrUnknownShape)
	_, err = trigger.ParseObject(gcpEvent(t, "google.cloud.storage.object.v1.finalized", "/x", "", `{"bucket":"b"}`))
	require.Error(t, err, "an object without a name is malformed")
	assert.NotErrorIs(t, err, trigger.ErrUnknownShape)
}

func TestParseChange(t *testing.T) {
	t.Run("DynamoDB Streams", func(t *testing.T) {
		records := `{"Records":[` +
			`{"eventID":"1","eventName":"INSERT","eventSource":"aws:dynamodb","eventSourceARN":"arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-01-01T00:00:00.000","dynamodb":{"ApproximateCreationDateTime":1763892000,"Keys":{"Id":{"N":"101"}},"NewImage":{"Id":{"N":"101"},"Message":{"S":"New item!"},"Tags":{"SS":["a"]},"Nested":{"M":{"L":{"L":[{"BOOL":true},{"NULL":true}]}}}},"SequenceNumber":"1","StreamViewType":"NEW_AND_OLD_IMAGES"}},` +
			`{"eventID":"2","eventName":"MODIFY","eventSource":"aws:dynamodb","eventSourceARN":"arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-01-01T00:00:00.000","dynamodb":{"Keys":{"Id":{"N":"101"}},"NewImage":{"Id":{"N":"101"}},"OldImage":{"Id":{"N":"101"},"Message":{"S":"New item!"}},"SequenceNumber":"2","StreamViewType":"NEW_AND_OLD_IMAGES"}},` +
			`{"eventID":"3","eventName":"REMOVE","eventSource":"aws:dynamodb","eventSourceARN":"arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-01-01T00:00:00.000","dynamodb":{"Keys":{"Id":{"N":"101"}},"OldImage":{"Id":{"N":"101"}},"SequenceNumber":"3","StreamViewType":"NEW_AND_OLD_IMAGES"}}]}`
		evs := viaLambda(t, []byte(records))
		var ops []trigger.ChangeOp
		for _, e := range evs {
			c, err := trigger.ParseChange(e)
			require.NoError(t, err)
			ops = append(ops, c.Op)
			assert.Equal(t, "Orders", c.Table)
			assert.Equal(t, json.Number("101"), c.Key["Id"])
		}
		assert.Equal(t, []trigger.ChangeOp{trigger.OpInsert, trigger.OpModify, trigger.OpRemove}, ops)
		c, err := trigger.ParseChange(evs[0])
		require.NoError(t, err)
		assert.Equal(t, "New item!", c.New["Message"])
		assert.Equal(t, []any{"a"}, c.New["Tags"])
		assert.Equal(t, map[string]any{"L": []any{true, nil}}, c.New["Nested"])
		assert.Nil(t, c.Old)

		fixture := viaLambda(t, awsFixture(t, "dynamodb-event.json"))[0]
		c, err = trigger.ParseChange(fixture)
		require.NoError(t, err)
		assert.Equal(t, "Example-Table", c.Table)
		assert.Equal(t, []byte{0, 1, 42, 65}, c.New["asdf1"], "binary attributes are decoded")
	})
	t.Run("Firestore", func(t *testing.T) {
		e := gcpEvent(t, "google.cloud.firestore.document.v1.updated", "//firestore.googleapis.com/projects/p/databases/(default)", "documents/users/ada",
			`{"value":{"name":"projects/p/databases/(default)/documents/users/ada","fields":{"name":{"stringValue":"Ada"},"age":{"integerValue":"37"},"tags":{"arrayValue":{"values":[{"stringValue":"x"}]}},"addr":{"mapValue":{"fields":{"city":{"stringValue":"London"}}}}}},"oldValue":{"name":"projects/p/databases/(default)/documents/users/ada","fields":{"name":{"stringValue":"A"}}},"updateMask":{"fieldPaths":["name"]}}`)
		c, err := trigger.ParseChange(e)
		require.NoError(t, err)
		assert.Equal(t, trigger.OpModify, c.Op)
		assert.Equal(t, "users", c.Table)
		assert.Equal(t, "Ada", c.New["name"])
		assert.Equal(t, json.Number("37"), c.New["age"])
		assert.Equal(t, []any{"x"}, c.New["tags"])
		assert.Equal(t, map[string]any{"city": "London"}, c.New["addr"])
		assert.Equal(t, "A", c.Old["name"])
	})
	t.Run("unknown", func(t *testing.T) {
		_, err := trigger.ParseChange(gcpEvent(t, "com.example.thing", "/x", "", `{}`))
		assert.ErrorIs(t, err, trigger.ErrUnknownShape)
	})
}

func TestScheduleAndBus(t *testing.T) {
	scheduled := `{"version":"0","id":"89d1a02d-5ec7-412e-82f5-13505f849b41","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-23T10:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/nightly"],"detail":{}}`
	e := viaLambda(t, []byte(scheduled))[0]

	var tick trigger.Tick
	_, err := trigger.Schedule(func(_ context.Context, tk trigger.Tick) error { tick = tk; return nil }).Handle(context.Background(), e)
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:events:us-east-1:123456789012:rule/nightly", tick.Schedule)
	assert.True(t, tick.Time.Equal(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)))

	b, err := trigger.ParseBusEvent(e)
	require.NoError(t, err)
	assert.Equal(t, "Scheduled Event", b.Type)
	assert.Equal(t, "aws.events", b.Source)
	assert.Equal(t, "123456789012", b.Account)
	assert.JSONEq(t, `{}`, string(b.Detail))

	ea := gcpEvent(t, "google.cloud.audit.log.v1.written", "//cloudaudit.googleapis.com/projects/p/logs/activity", "storage.googleapis.com/projects/_/buckets/b", `{"protoPayload":{}}`)
	b, err = trigger.ParseBusEvent(ea)
	require.NoError(t, err)
	assert.Equal(t, "google.cloud.audit.log.v1.written", b.Type)
	assert.JSONEq(t, `{"protoPayload":{}}`, string(b.Detail))
	assert.Equal(t, []string{"storage.googleapis.com/projects/_/buckets/b"}, b.Resources)
}

func FuzzParse(f *testing.F) {
	for _, typ := range []string{"com.amazonaws.sqs.message", "com.amazonaws.sns.Notification", "com.amazonaws.kinesis.record",
		"com.amazonaws.kafka.record", "com.amazonaws.mq.message", "com.amazonaws.s3.ObjectCreated:Put",
		"com.amazonaws.dynamodb.INSERT", "com.amazonaws.events.Object Created", "google.cloud.pubsub.topic.v1.messagePublished",
		"google.cloud.storage.object.v1.finalized", "google.cloud.firestore.document.v1.written"} {
		f.Add(typ, "aws.s3", []byte(`{}`))
	}
	f.Add("com.amazonaws.dynamodb.MODIFY", "x", []byte(`{"eventName":"MODIFY","dynamodb":{"Keys":{"a":{"L":[{"M":{"b":{"NS":["1"]}}}]}}}}`))
	f.Add("google.cloud.firestore.document.v1.created", "x", []byte(`{"value":{"fields":{"a":{"mapValue":{"fields":{"b":{"bytesValue":"!!"}}}}}}}`))
	f.Fuzz(func(t *testing.T, typ, source string, data []byte) {
		e := event.New()
		e.SetID("f")
		e.SetType(typ)
		e.SetSource(source)
		e.DataEncoded = data
		// Every parser either succeeds or fails with an error; none panics.
		_, _ = trigger.ParseMessage(e)
		_, _ = trigger.ParseObject(e)
		_, _ = trigger.ParseChange(e)
		_, _ = trigger.ParseTick(e)
		_, _ = trigger.ParseBusEvent(e)
	})
}
