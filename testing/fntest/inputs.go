package fntest

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"
)

// fixed values keep inputs deterministic, so tests can assert on them.
const (
	testID     = "fntest-1"
	testRegion = "us-east-1"
	testTopic  = "fntest"
)

func testTime() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// Event is e, delivered as it is: a direct invoke of the structured-mode
// event on Lambda, a binary-mode request on Cloud Functions and net/http.
func Event(e event.Event) Input {
	same := func() (event.Event, error) { return e, e.Validate() }
	return Input{
		name:   "event " + e.ID(),
		lambda: func() ([]byte, error) { return json.Marshal(e) },
		google: same,
		http:   same,
	}
}

// QueueMessage is a message with body from a queue or topic: an SQS batch of
// one on Lambda, a Pub/Sub message on Cloud Functions and net/http (as
// Eventarc delivers it). Its id is "fntest-1".
func QueueMessage(body string) Input {
	pubsub := func() (event.Event, error) {
		e := event.New()
		e.SetID(testID)
		e.SetType("google.cloud.pubsub.topic.v1.messagePublished")
		e.SetSource("//pubsub.googleapis.com/projects/fntest/topics/" + testTopic)
		e.SetTime(testTime())
		data := map[string]any{
			"message": map[string]any{
				"data":        base64.StdEncoding.EncodeToString([]byte(body)),
				"messageId":   testID,
				"publishTime": testTime().Format(time.RFC3339),
			},
			"subscription": "projects/fntest/subscriptions/" + testTopic,
		}
		return e, e.SetData(event.ApplicationJSON, data)
	}
	return Input{
		name: "queue message",
		lambda: func() ([]byte, error) {
			return json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{
				MessageId:      testID,
				ReceiptHandle:  "fntest-receipt",
				Body:           body,
				EventSource:    "aws:sqs",
				EventSourceARN: "arn:aws:sqs:" + testRegion + ":000000000000:" + testTopic,
				AWSRegion:      testRegion,
				Attributes: map[string]string{
					"ApproximateReceiveCount": "1",
					"SentTimestamp":           strconv.FormatInt(testTime().UnixMilli(), 10),
				},
			}}})
		},
		google: pubsub,
		http:   pubsub,
	}
}

// StorageObject is a new object of size bytes at bucket/key: an S3
// notification on Lambda, a Cloud Storage finalized event on Cloud Functions
// and net/http.
func StorageObject(bucket, key string, size int64) Input {
	gcs := func() (event.Event, error) {
		e := event.New()
		e.SetID(testID)
		e.SetType("google.cloud.storage.object.v1.finalized")
		e.SetSource("//storage.googleapis.com/projects/_/buckets/" + bucket)
		e.SetSubject("objects/" + key)
		e.SetTime(testTime())
		data := map[string]any{
			"bucket": bucket, "name": key, "size": strconv.FormatInt(size, 10),
			"generation": "1", "contentType": "application/octet-stream",
		}
		return e, e.SetData(event.ApplicationJSON, data)
	}
	return Input{
		name: "storage object",
		lambda: func() ([]byte, error) {
			return json.Marshal(events.S3Event{Records: []events.S3EventRecord{{
				EventVersion: "2.1",
				EventSource:  "aws:s3",
				AWSRegion:    testRegion,
				EventTime:    testTime(),
				EventName:    "ObjectCreated:Put",
				ResponseElements: map[string]string{
					"x-amz-request-id": testID,
					"x-amz-id-2":       "fntest-host",
				},
				S3: events.S3Entity{
					SchemaVersion: "1.0",
					Bucket:        events.S3Bucket{Name: bucket, Arn: "arn:aws:s3:::" + bucket},
					Object:        events.S3Object{Key: url.QueryEscape(key), Size: size, ETag: "fntest"},
				},
			}}})
		},
		google: gcs,
		http:   gcs,
	}
}

func decodeBase64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
