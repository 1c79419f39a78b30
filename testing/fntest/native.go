package fntest

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/cejson"
)

// testAccount is the AWS account id every native AWS input names.
const testAccount = "000000000000"

// InputOption changes a native input: its ids, attributes, message group,
// delivery attempt, batch size or time. An option a platform has no place
// for is ignored there (a Pub/Sub push and a Service Bus invocation carry
// one message, so Batch only grows the batch platforms' inputs).
type InputOption func(*inputOptions)

type inputOptions struct {
	id          string
	attrs       map[string]string
	group       string
	attempt     int
	n           int
	bodies      []string
	at          time.Time
	version     string
	contentType string
}

func buildOptions(opts []InputOption) inputOptions {
	o := inputOptions{n: 1, at: testTime()}
	for _, opt := range opts {
		opt(&o)
	}
	if len(o.bodies) > 0 {
		o.n = len(o.bodies)
	}
	if o.n < 1 {
		o.n = 1
	}
	return o
}

// ID sets the native id of the message, event or request: the SQS
// MessageId, SNS MessageId, Pub/Sub messageId, Kinesis sequence number,
// DynamoDB eventID, EventBridge id, S3 request id, CloudEvent id, Service
// Bus MessageId, Queue Storage Id, Event Grid id. (Event Hubs events,
// blobs, Cosmos DB documents and timers are named by the platform.) In a batch
// of n > 1, record i (from 1) gets id-i. The default is "fntest-1",
// "fntest-2", … (digits for Kinesis sequence numbers).
func ID(id string) InputOption { return func(o *inputOptions) { o.id = id } }

// Attribute adds a message attribute: an SQS or SNS message attribute of
// type String, a Pub/Sub attribute, a Kafka header, a CloudEvent extension
// attribute for Eventarc events (there the name must be lower-case letters
// and digits), a Service Bus application property, an Event Hubs event
// property, a blob's metadata.
func Attribute(name, value string) InputOption {
	return func(o *inputOptions) {
		if o.attrs == nil {
			o.attrs = map[string]string{}
		}
		o.attrs[name] = value
	}
}

// Group puts messages in an ordered group: the SQS FIFO MessageGroupId (the
// queue becomes a .fifo queue), the Pub/Sub orderingKey, the Kinesis
// partition key, the Kafka record key, the Service Bus SessionId, the
// Event Hubs partition key.
func Group(group string) InputOption { return func(o *inputOptions) { o.group = group } }

// Attempt sets the 1-based delivery attempt: SQS ApproximateReceiveCount,
// Pub/Sub deliveryAttempt, Service Bus DeliveryCount, Queue Storage
// DequeueCount, else (past the first) an Azure retry policy's
// RetryContext. Use it to test what a handler does on a
// redelivery.
func Attempt(n int) InputOption { return func(o *inputOptions) { o.attempt = n } }

// Batch makes the input a batch of n records with the same body, where the
// platform batches (SQS, SNS, Kinesis, Kafka, DynamoDB Streams, S3, Event
// Hubs). Use
// [Bodies] for records with different bodies.
func Batch(n int) InputOption { return func(o *inputOptions) { o.n = n } }

// Bodies makes the input a batch with one record per body, replacing the
// builder's body. Platforms that deliver one message per request get the
// first.
func Bodies(bodies ...string) InputOption {
	return func(o *inputOptions) { o.bodies = append([]string(nil), bodies...) }
}

// At sets the time of the event; the default is 2026-01-02T03:04:05Z.
func At(t time.Time) InputOption { return func(o *inputOptions) { o.at = t.UTC() } }

// Version sets an object's version: the S3 versionId, the Cloud Storage
// generation (digits), the blob's VersionId, a Cosmos DB document's _lsn
// (digits), an Event Grid event's dataVersion. The default is no S3 or
// blob version and generation "1".
func Version(v string) InputOption { return func(o *inputOptions) { o.version = v } }

// ContentType sets a stored object's content type, where the platform
// reports it (Cloud Storage, Azure blobs).
func ContentType(ct string) InputOption { return func(o *inputOptions) { o.contentType = ct } }

// body returns record i's body.
func (o inputOptions) body(def string, i int) string {
	if len(o.bodies) > 0 {
		return o.bodies[i]
	}
	return def
}

// idOf returns record i's id (i from 0).
func (o inputOptions) idOf(i int) string {
	switch {
	case o.id == "":
		return "fntest-" + strconv.Itoa(i+1)
	case o.n == 1:
		return o.id
	}
	return o.id + "-" + strconv.Itoa(i+1)
}

// attrNames returns the attribute names in order, for stable output.
func (o inputOptions) attrNames() []string {
	names := make([]string, 0, len(o.attrs))
	for k := range o.attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Join is an input that is aws's on Lambda and google's on Cloud Functions
// and net/http: the way to pair platform-specific builders, as
// [QueueMessage] pairs [SQS] with [PubSub] and [ServiceBus]. The others
// fill in the platforms aws and google have no shape for, in order: an
// Azure Functions builder ([ServiceBus], [Blob], …) gives the Azure shape.
func Join(aws, google Input, others ...Input) Input {
	in := Input{name: aws.name + " / " + google.name, lambda: aws.lambda, google: google.google, http: google.http, azure: aws.azure}
	if in.azure == nil {
		in.azure = google.azure
	}
	for _, o := range others {
		in.name += " / " + o.name
		if in.lambda == nil {
			in.lambda = o.lambda
		}
		if in.google == nil && in.http == nil {
			in.google, in.http = o.google, o.http
		}
		if in.azure == nil {
			in.azure = o.azure
		}
	}
	return in
}

// Raw is payload exactly as given: the Lambda invocation payload, for any
// event source the other builders do not cover. If payload is a
// structured-mode CloudEvent, Cloud Functions and net/http receive that
// event too, and Azure Functions an Event Grid trigger's event in the
// CloudEvents schema; otherwise the input has no shape for them (see
// [Input.On]).
func Raw(payload []byte) Input {
	b := append([]byte(nil), payload...)
	in := Input{name: "raw payload", lambda: func() ([]byte, error) { return b, nil }}
	var e event.Event
	if cejson.Unmarshal(b, &e) == nil && e.Validate() == nil {
		same := func() (event.Event, error) { return e, nil }
		in.google, in.http = same, same
		in.azure = func() (azureCall, error) { return eventGridCloudEvents([]event.Event{e}) }
	}
	return in
}

// Name says what the input is, for messages and subtest names.
func (in Input) Name() string { return in.name }

// On reports whether the input has a native shape for platform p: a
// platform-specific builder ([SQS], [PubSub], …) has one only for its own
// platform, and a test runner skips the others.
func (in Input) On(p function.Platform) bool {
	switch p {
	case function.PlatformLambda:
		return in.lambda != nil
	case function.PlatformCloudFunctions, function.PlatformCloudRun:
		return in.google != nil
	case function.PlatformHTTP:
		return in.http != nil
	case function.PlatformAzureFunctions:
		return in.azure != nil
	}
	return false
}

// ErrNoShape is returned by [Input.Payload] for a platform the input has no
// native shape for.
var ErrNoShape = errors.New("fntest: the input has no native shape for this platform; build it with a builder for that platform, or pair two with Join")

// Payload returns the input as platform p receives it: the invocation
// payload on Lambda; on Cloud Functions and net/http, the CloudEvent in
// structured-mode JSON (the adapters receive it in binary mode: the same
// attributes as ce- headers, data as the body); on Azure Functions, the
// {"Data", "Metadata"} body the Functions host posts to the function.
func (in Input) Payload(p function.Platform) ([]byte, error) {
	if !in.On(p) {
		return nil, fmt.Errorf("%w (%s on %s)", ErrNoShape, in.name, p)
	}
	var e event.Event
	var err error
	switch p {
	case function.PlatformLambda:
		return in.lambda()
	case function.PlatformAzureFunctions:
		c, err := in.azure()
		if err != nil {
			return nil, fmt.Errorf("fntest: build %s for %s: %w", in.name, p, err)
		}
		return json.MarshalIndent(c.inv.Request, "", "  ")
	case function.PlatformCloudFunctions, function.PlatformCloudRun:
		e, err = in.google()
	default:
		e, err = in.http()
	}
	if err != nil {
		return nil, fmt.Errorf("fntest: build %s for %s: %w", in.name, p, err)
	}
	return json.MarshalIndent(e, "", "  ")
}

// Native returns in as platform p receives it (see [Input.Payload]), and
// fails t if it cannot be built there: a test's way to hand a native event
// to code of its own (a parser, a recorded fixture, another runtime).
func Native(t testing.TB, in Input, p function.Platform) []byte {
	t.Helper()
	b, err := in.Payload(p)
	if err != nil {
		t.Fatalf("fntest: %v", err)
	}
	return b
}

// DatabaseChange is a change to the item with key in table: a DynamoDB
// Streams record on Lambda, a Firestore document event on Cloud Functions
// and net/http (document table/<key values joined by "#">), a Cosmos DB
// change feed document ([CosmosDB], container table, its "id" the key's
// "id" or else the key values joined by "#") on Azure Functions. A nil
// oldItem is an insert, a nil newItem a removal, both a modification. The
// change feed reports neither removals nor what an item was: a removal has
// no Azure shape, and Azure sees an insert and a modification alike.
func DatabaseChange(table string, key, newItem, oldItem map[string]any, opts ...InputOption) Input {
	var cosmos Input
	if newItem != nil {
		doc := maps.Clone(newItem)
		if id, ok := key["id"].(string); ok {
			doc["id"] = id
		} else if _, ok := doc["id"].(string); !ok {
			doc["id"] = keyPath(key)
		}
		cosmos = CosmosDB(table, doc, opts...)
	}
	in := Join(DynamoDB(table, key, newItem, oldItem, opts...), Firestore(table+"/"+keyPath(key), newItem, oldItem, opts...), cosmos)
	in.name = "database change"
	return in
}

func keyPath(key map[string]any) string {
	names := make([]string, 0, len(key))
	for k := range key {
		names = append(names, k)
	}
	sort.Strings(names)
	var s string
	for i, k := range names {
		if i > 0 {
			s += "#"
		}
		s += fmt.Sprint(key[k])
	}
	return s
}

// ScheduleTick is one firing of the schedule name: an EventBridge
// "Scheduled Event" of rule name on Lambda, a Cloud Scheduler job
// execution of job name on Cloud Functions and net/http, a firing of the
// timer-triggered function name ([Timer]) on Azure Functions.
func ScheduleTick(name string, opts ...InputOption) Input {
	in := Join(EventBridgeSchedule(name, opts...), CloudScheduler(name, opts...), Timer(name, opts...))
	in.name = "schedule tick"
	return in
}

// BusEvent is an application event of type typ from source with JSON
// detail on an event bus: an EventBridge event (detail-type typ) on Lambda,
// an Eventarc CloudEvent (type typ) on Cloud Functions and net/http, an
// Event Grid event ([EventGrid]: eventType typ, topic source, subject
// "fntest") on Azure Functions.
func BusEvent(typ, source, detail string, opts ...InputOption) Input {
	in := Join(EventBridge(typ, source, detail, opts...), Eventarc(typ, source, detail, opts...), EventGrid(typ, source, testTopic, detail, opts...))
	in.name = "bus event"
	return in
}
