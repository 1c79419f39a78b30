package fntest

import (
	"encoding/json"
	"time"

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
// event on Lambda, a binary-mode request on Cloud Functions and net/http,
// an Event Grid trigger's event in the CloudEvents schema on Azure
// Functions.
func Event(e event.Event) Input {
	same := func() (event.Event, error) { return e, e.Validate() }
	return Input{
		name:   "event " + e.ID(),
		lambda: func() ([]byte, error) { return json.Marshal(e) },
		google: same,
		http:   same,
		azure: func() (azureCall, error) {
			if err := e.Validate(); err != nil {
				return azureCall{}, err
			}
			return eventGridCloudEvents([]event.Event{e})
		},
	}
}

// QueueMessage is a message with body from a queue or topic: an SQS batch
// ([SQS]) on Lambda, a Pub/Sub message ([PubSub]) on Cloud Functions and
// net/http (as Eventarc delivers it), a Service Bus queue message
// ([ServiceBus]) on Azure Functions. Its id is "fntest-1"; opts set ids,
// attributes, group, attempt and batch size.
func QueueMessage(body string, opts ...InputOption) Input {
	in := Join(SQS(body, opts...), PubSub(body, opts...), ServiceBus(body, opts...))
	in.name = "queue message"
	return in
}

// StorageObject is a new object of size bytes at bucket/key: an S3
// notification ([S3]) on Lambda, a Cloud Storage finalized event ([GCS]) on
// Cloud Functions and net/http, a blob trigger's blob ([Blob]) on Azure
// Functions, whose content is size zero bytes (at most the first MiB;
// its ContentLength says size).
func StorageObject(bucket, key string, size int64, opts ...InputOption) Input {
	o := buildOptions(opts)
	blob := azureOnly("blob", func() (azureCall, error) {
		return blobCall(bucket, key, make([]byte, min(max(size, 0), azureMaxContent)), size, o), nil
	})
	in := Join(S3(bucket, key, size, opts...), GCS(bucket, key, size, opts...), blob)
	in.name = "storage object"
	return in
}
