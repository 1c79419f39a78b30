package quickstart_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters"
	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/adapters/nethttp"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/quickstart"
	"github.com/faasport/faasport/payload"
	"github.com/faasport/faasport/testing/azuretest"
	"github.com/faasport/faasport/testing/fntest"
	"github.com/faasport/faasport/testing/lambdatest"
)

// childEnv makes the test binary run the Quick Start function under
// adapters.Start, as a Lambda bootstrap would.
const childEnv = "FAASPORT_QUICKSTART_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(quickstartMain())
	}
	os.Exit(m.Run())
}

// received is what the function reports of each order it reserved.
type received struct {
	Order   quickstart.Order `json:"order"`
	Message string           `json:"message"`
	Attempt int              `json:"attempt"`
}

// quickstartMain is the README's main with a reserve that reports each
// order on stdout and fails the orders whose id starts with "fail".
func quickstartMain() int {
	log.SetOutput(io.Discard)
	var mu sync.Mutex
	out := json.NewEncoder(os.Stdout)
	h := quickstart.Handler(func(ctx context.Context, o quickstart.Order) error {
		if strings.HasPrefix(o.ID, "fail") {
			return errors.New("the warehouse is unavailable")
		}
		m, _ := payload.FromContext(ctx)
		mu.Lock()
		defer mu.Unlock()
		_ = out.Encode(received{Order: o, Message: m.ID, Attempt: m.Attempt})
		return nil
	})
	if err := adapters.Start(adapters.Events(h)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// lambdaFunction runs the Quick Start as a Lambda function against a
// test Runtime API and returns the server and the function's reports.
func lambdaFunction(t *testing.T) (*lambdatest.Server, func() []received) {
	t.Helper()
	srv := lambdatest.NewServer(t, lambdatest.WithFunctionARN("arn:aws:lambda:eu-west-1:123456789012:function:orders"))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), srv.Env()...)
	cmd.Env = append(cmd.Env, childEnv+"=1")
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("function stderr:\n%s", stderr.String())
		}
	})
	return srv, func() []received {
		var got []received
		sc := bufio.NewScanner(strings.NewReader(stdout.String()))
		for sc.Scan() {
			var r received
			if json.Unmarshal(sc.Bytes(), &r) == nil {
				got = append(got, r)
			}
		}
		return got
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func orderJSON(id string, qty int) string {
	b, _ := json.Marshal(quickstart.Order{ID: id, Qty: qty})
	return string(b)
}

const queueARN = "arn:aws:sqs:eu-west-1:123456789012:orders"

func sqsMessage(id, body string) events.SQSMessage {
	return events.SQSMessage{
		MessageId: id, ReceiptHandle: "rh-" + id, Body: body, EventSource: "aws:sqs", EventSourceARN: queueARN, AWSRegion: "eu-west-1",
		Attributes: map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1767225600000"},
	}
}

func snsEnvelope(id, message string) string {
	b, _ := json.Marshal(map[string]any{
		"Type": "Notification", "MessageId": id, "TopicArn": "arn:aws:sns:eu-west-1:123456789012:orders",
		"Message": message, "Timestamp": "2026-01-01T00:00:00.000Z", "SignatureVersion": "1",
	})
	return string(b)
}

func snsEvent(id, message string) events.SNSEvent {
	return events.SNSEvent{Records: []events.SNSEventRecord{{
		EventSource: "aws:sns", EventVersion: "1.0", EventSubscriptionArn: "arn:aws:sns:eu-west-1:123456789012:orders:sub-1",
		SNS: events.SNSEntity{Type: "Notification", MessageID: id, TopicArn: "arn:aws:sns:eu-west-1:123456789012:orders", Message: message, Timestamp: time.Unix(1767225600, 0)},
	}}}
}

func eventBridgeEvent(id, detail string) json.RawMessage {
	return json.RawMessage(`{"version":"0","id":"` + id + `","detail-type":"Order Placed","source":"shop.orders","account":"123456789012","time":"2026-01-01T00:00:00Z","region":"eu-west-1","resources":[],"detail":` + detail + `}`)
}

func kinesisEvent(records ...[2]string) events.KinesisEvent {
	var e events.KinesisEvent
	for i, r := range records {
		seq := fmt.Sprintf("4959%02d", i)
		e.Records = append(e.Records, events.KinesisEventRecord{
			EventID: "shardId-000000000000:" + seq, EventName: "aws:kinesis:record", EventSource: "aws:kinesis", EventVersion: "1.0",
			EventSourceArn: "arn:aws:kinesis:eu-west-1:123456789012:stream/orders", AwsRegion: "eu-west-1",
			Kinesis: events.KinesisRecord{PartitionKey: r[0], SequenceNumber: seq, Data: []byte(r[1]), KinesisSchemaVersion: "1.0",
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: time.Unix(1767225600, 0)}},
		})
	}
	return e
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// TestQuickStartOnLambda runs the README's function under a real
// aws-lambda-go runtime loop, detected by adapters.Start, with each AWS
// source: every good order arrives as sent, the poison order is
// acknowledged, the failing one is redelivered (in batchItemFailures for a
// batch, an error response for an asynchronous event, which Lambda retries).
func TestQuickStartOnLambda(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the test binary as a Lambda function; skipped with -short")
	}
	srv, reports := lambdaFunction(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	batches := []struct {
		name    string
		payload any
		failing string // the batch item Lambda must redeliver
	}{
		{"SQS", events.SQSEvent{Records: []events.SQSMessage{
			sqsMessage("sqs-good", orderJSON("o-sqs", 2)), sqsMessage("sqs-poison", orderJSON("p-sqs", 0)), sqsMessage("sqs-fail", orderJSON("fail-sqs", 1)),
		}}, "sqs-fail"},
		{"SNS to SQS", events.SQSEvent{Records: []events.SQSMessage{
			sqsMessage("sns-sqs-good", snsEnvelope("n-1", orderJSON("o-sns-sqs", 2))),
			sqsMessage("sns-sqs-poison", snsEnvelope("n-2", orderJSON("p-sns-sqs", 0))),
			sqsMessage("sns-sqs-fail", snsEnvelope("n-3", orderJSON("fail-sns-sqs", 1))),
		}}, "sns-sqs-fail"},
		{"EventBridge to SQS", events.SQSEvent{Records: []events.SQSMessage{
			sqsMessage("eb-sqs-good", string(eventBridgeEvent("e-1", orderJSON("o-eb-sqs", 2)))),
		}}, ""},
		{"Kinesis", kinesisEvent([2]string{"c-1", orderJSON("o-kinesis", 2)}, [2]string{"c-2", orderJSON("p-kinesis", 0)}, [2]string{"c-3", orderJSON("fail-kinesis", 1)}), "495902"},
	}
	for _, b := range batches {
		resp, err := srv.Invoke(ctx, mustJSON(t, b.payload))
		require.NoError(t, err, b.name)
		require.Nil(t, resp.Error, b.name)
		var failures events.SQSEventResponse
		require.NoError(t, json.Unmarshal(resp.Payload, &failures), "%s: %s", b.name, resp.Payload)
		var ids []string
		for _, f := range failures.BatchItemFailures {
			ids = append(ids, f.ItemIdentifier)
		}
		if b.failing == "" {
			assert.Empty(t, ids, b.name)
		} else {
			assert.Equal(t, []string{b.failing}, ids, "%s: only the failing order is redelivered; the poison one is acknowledged", b.name)
		}
	}

	singles := []struct {
		name      string
		payload   any
		redeliver bool
	}{
		{"SNS", snsEvent("sns-good", orderJSON("o-sns", 2)), false},
		{"SNS poison", snsEvent("sns-poison", orderJSON("p-sns", 0)), false},
		{"SNS failing", snsEvent("sns-fail", orderJSON("fail-sns", 1)), true},
		{"EventBridge", eventBridgeEvent("eb-good", orderJSON("o-eventbridge", 2)), false},
		{"EventBridge poison", eventBridgeEvent("eb-poison", orderJSON("p-eventbridge", 0)), false},
		{"EventBridge failing", eventBridgeEvent("eb-fail", orderJSON("fail-eventbridge", 1)), true},
		{"SNS carrying an EventBridge event", snsEvent("sns-eb", string(eventBridgeEvent("e-2", orderJSON("o-eb-sns", 2)))), false},
	}
	for _, s := range singles {
		resp, err := srv.Invoke(ctx, mustJSON(t, s.payload))
		require.NoError(t, err, s.name)
		if s.redeliver {
			require.NotNil(t, resp.Error, "%s: an error response makes Lambda retry the asynchronous event", s.name)
			assert.Equal(t, "faasport.RetryableError", resp.Error.Type)
		} else {
			assert.Nil(t, resp.Error, "%s: acknowledged", s.name)
		}
	}

	want := map[string]string{ // order id -> broker message id
		"o-sqs": "sqs-good", "o-sns-sqs": "sns-sqs-good", "o-eb-sqs": "eb-sqs-good", "o-kinesis": "495900",
		"o-sns": "sns-good", "o-eventbridge": "eb-good", "o-eb-sns": "sns-eb",
	}
	require.Eventually(t, func() bool { return len(reports()) >= len(want) }, 10*time.Second, 20*time.Millisecond)
	got := map[string]string{}
	for _, r := range reports() {
		assert.Equal(t, 2, r.Order.Qty, "order %s", r.Order.ID)
		assert.False(t, strings.HasPrefix(r.Order.ID, "p-"), "the poison order %s never reaches reserve", r.Order.ID)
		got[r.Order.ID] = r.Message
	}
	assert.Equal(t, want, got)
}

// TestQuickStartOverHTTP serves the README's handler with the Cloud
// Functions / Cloud Run adapter and the net/http adapter on loopback, with
// the Pub/Sub deliveries Google makes: an Eventarc CloudEvent, a push
// request, an unwrapped push request. Every good order arrives, the poison
// order is acknowledged (2xx), the failing one redelivered (5xx or 429).
func TestQuickStartOverHTTP(t *testing.T) {
	log.SetOutput(io.Discard)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	var mu sync.Mutex
	var got []received
	h := quickstart.Handler(func(ctx context.Context, o quickstart.Order) error {
		if strings.HasPrefix(o.ID, "fail") {
			return errors.New("the warehouse is unavailable")
		}
		m, _ := payload.FromContext(ctx)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, received{Order: o, Message: m.ID, Attempt: m.Attempt})
		return nil
	})
	g, err := gcf.New(gcf.Events(h), gcf.WithGetenv(func(k string) string {
		if k == "K_SERVICE" {
			return "orders"
		}
		return ""
	}))
	require.NoError(t, err)
	servers := map[string]http.Handler{"gcf": g, "nethttp": nethttp.New(nethttp.Events(h))}

	deliveries := []struct {
		name string
		req  func(url, id, order string) *http.Request
	}{
		{"Eventarc", func(url, id, order string) *http.Request {
			body := `{"message":{"data":"` + base64.StdEncoding.EncodeToString([]byte(order)) + `","messageId":"` + id + `","publishTime":"2026-01-01T00:00:00Z"},"subscription":"projects/shop/subscriptions/eventarc-orders"}`
			r := newRequest(url, body)
			r.Header.Set("Ce-Specversion", "1.0")
			r.Header.Set("Ce-Id", id)
			r.Header.Set("Ce-Source", "//pubsub.googleapis.com/projects/shop/topics/orders")
			r.Header.Set("Ce-Type", "google.cloud.pubsub.topic.v1.messagePublished")
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
		{"push", func(url, id, order string) *http.Request {
			body := `{"message":{"data":"` + base64.StdEncoding.EncodeToString([]byte(order)) + `","messageId":"` + id + `","publishTime":"2026-01-01T00:00:00Z","attributes":{"origin":"web"}},"subscription":"projects/shop/subscriptions/orders-push","deliveryAttempt":1}`
			r := newRequest(url, body)
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
		{"unwrapped push", func(url, id, order string) *http.Request {
			r := newRequest(url, order)
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-Goog-Pubsub-Message-Id", id)
			r.Header.Set("X-Goog-Pubsub-Subscription-Name", "projects/shop/subscriptions/orders-unwrapped")
			r.Header.Set("X-Goog-Pubsub-Publish-Time", "2026-01-01T00:00:00Z")
			return r
		}},
	}
	want := map[string]string{}
	for name, s := range servers {
		ts := httptest.NewServer(s)
		t.Cleanup(ts.Close)
		for _, d := range deliveries {
			tag := strings.ReplaceAll(name+"-"+d.name, " ", "-")
			for _, c := range []struct {
				id        string
				qty       int
				redeliver bool
			}{{"o-" + tag, 2, false}, {"p-" + tag, 0, false}, {"fail-" + tag, 1, true}} {
				resp, err := http.DefaultClient.Do(d.req(ts.URL+"/", "m-"+c.id, orderJSON(c.id, c.qty)))
				require.NoError(t, err)
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if c.redeliver {
					assert.True(t, resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests, "%s %s: status %d must make Pub/Sub redeliver", name, d.name, resp.StatusCode)
				} else {
					assert.True(t, resp.StatusCode >= 200 && resp.StatusCode < 300, "%s %s (%s): status %d must acknowledge", name, d.name, c.id, resp.StatusCode)
				}
			}
			want["o-"+tag] = "m-o-" + tag
		}
	}
	mu.Lock()
	defer mu.Unlock()
	have := map[string]string{}
	for _, r := range got {
		assert.Equal(t, 2, r.Order.Qty, "order %s", r.Order.ID)
		have[r.Order.ID] = r.Message
	}
	assert.Equal(t, want, have)
}

func newRequest(url, body string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	return r
}

// TestREADME keeps the README's Quick Start and this package's handler
// equal, and compiles the README's program.
func TestREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	section, _, ok := strings.Cut(string(readme[bytes.Index(readme, []byte("## Quick start")):]), "\n```\n")
	require.True(t, ok, "README has a Quick start code block")
	_, program, ok := strings.Cut(section, "```go\n")
	require.True(t, ok)
	src, err := os.ReadFile("quickstart.go")
	require.NoError(t, err)
	handler := func(s string) string {
		start := strings.Index(s, "h := function.Consume(")
		require.GreaterOrEqual(t, start, 0)
		end := strings.Index(s[start:], "\n\t})\n")
		require.Greater(t, end, 0)
		return s[start : start+end]
	}
	assert.Equal(t, handler(program), handler(string(src)), "the README's handler and quickstart.Handler differ")
	assert.Contains(t, program, "type Order struct {\n\tID  string `json:\"id\"`\n\tQty int    `json:\"qty\"`\n}")

	if testing.Short() {
		return
	}
	dir := t.TempDir()
	main := filepath.Join(dir, "main.go")
	require.NoError(t, os.WriteFile(main, []byte(program), 0o600))
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "quickstart"), main)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the README's program does not build:\n%s", out)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestQuickStartOnAzure runs the README's program, unchanged, as an Azure
// Functions custom handler: adapters.Start finds FUNCTIONS_CUSTOMHANDLER_PORT
// and the test host posts Service Bus and Queue Storage messages as the
// Functions host does.
func TestQuickStartOnAzure(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, azuretest.WriteApp(dir,
		azuretest.ServiceBusMessage("x", "{}", 1, nil, at),
		azuretest.QueueMessage("x", "{}", 1, at)))
	bin, err := filepath.Abs(os.Args[0])
	require.NoError(t, err)
	host := azuretest.StartProcess(t, dir, bin, childEnv+"=1")

	deliveries := []struct {
		name string
		inv  func(id, order string) azuretest.Invocation
	}{
		{"Service Bus", func(id, order string) azuretest.Invocation {
			return azuretest.ServiceBusMessage(id, order, 1, map[string]string{"origin": "web"}, at)
		}},
		{"Queue Storage", func(id, order string) azuretest.Invocation {
			return azuretest.QueueMessage(id, order, 1, at)
		}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	want := map[string]string{}
	for _, d := range deliveries {
		tag := strings.ReplaceAll(d.name, " ", "-")
		for _, c := range []struct {
			id        string
			qty       int
			redeliver bool
		}{{"o-" + tag, 2, false}, {"p-" + tag, 0, false}, {"fail-" + tag, 1, true}} {
			res, err := host.Send(ctx, d.inv("m-"+c.id, orderJSON(c.id, c.qty)))
			require.NoError(t, err)
			assert.Equal(t, c.redeliver, res.Failed(), "%s (%s): status %d; the host retries exactly the failed invocations", d.name, c.id, res.Status)
			if !c.redeliver {
				assert.Equal(t, http.StatusOK, res.Status, "%s (%s): delivered and poison orders are acknowledged", d.name, c.id)
			}
		}
		want["o-"+tag] = "m-o-" + tag
	}
	have := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(host.Stdout()))
	for sc.Scan() {
		var r received
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Order.ID != "" {
			assert.Equal(t, 2, r.Order.Qty, "order %s", r.Order.ID)
			assert.Equal(t, 1, r.Attempt, "order %s", r.Order.ID)
			have[r.Order.ID] = r.Message
		}
	}
	assert.Equal(t, want, have, "every platform delivers the same Order, with the broker's message id")
}

// TestQuickStartOnEveryPlatform runs the README's handler through every
// adapter fntest builds — Lambda (SQS), Cloud Functions and net/http
// (Eventarc Pub/Sub), Azure Functions (Service Bus) — with the same
// orders: the good one reaches reserve as sent, with the broker's message
// id; the poison one is acknowledged without reaching it; the failing one
// is redelivered, and reserved at the next attempt once the warehouse is
// back.
func TestQuickStartOnEveryPlatform(t *testing.T) {
	log.SetOutput(io.Discard)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	type reserved struct {
		order   quickstart.Order
		message string
		attempt int
	}
	var (
		mu      sync.Mutex
		got     []reserved
		healthy bool
	)
	newHandler := func() function.Handler {
		return quickstart.Handler(func(ctx context.Context, o quickstart.Order) error {
			mu.Lock()
			defer mu.Unlock()
			if strings.HasPrefix(o.ID, "fail") && !healthy {
				return errors.New("the warehouse is unavailable")
			}
			m, _ := payload.FromContext(ctx)
			got = append(got, reserved{o, m.ID, m.Attempt})
			return nil
		})
	}
	take := func() []reserved {
		mu.Lock()
		defer mu.Unlock()
		r := got
		got, healthy = nil, false
		return r
	}

	fntest.OnEveryPlatformFunc(t, newHandler, fntest.QueueMessage(orderJSON("o-1", 2), fntest.ID("m-1"), fntest.Attempt(1)), func(t *testing.T, r fntest.Result) {
		require.NoError(t, r.Err)
		fntest.AssertAcknowledged(t, r, "m-1")
		assert.Equal(t, []reserved{{quickstart.Order{ID: "o-1", Qty: 2}, "m-1", 1}}, take(), "the order arrives as sent, with the broker's id")
	})
	fntest.OnEveryPlatformFunc(t, newHandler, fntest.QueueMessage(orderJSON("p-1", 0), fntest.ID("m-2")), func(t *testing.T, r fntest.Result) {
		require.Error(t, r.Err)
		assert.True(t, function.IsPermanent(r.Err))
		fntest.AssertAcknowledged(t, r, "m-2")
		assert.Empty(t, take(), "the poison order never reaches reserve")
	})
	for _, p := range []function.Platform{function.PlatformLambda, function.PlatformCloudFunctions, function.PlatformHTTP, function.PlatformAzureFunctions} {
		t.Run("failing/"+string(p), func(t *testing.T) {
			sim := fntest.NewSim(t, p, newHandler())
			r := sim.Invoke(fntest.QueueMessage(orderJSON("fail-1", 1), fntest.ID("m-3"), fntest.Attempt(1)))
			require.Error(t, r.Err)
			fntest.AssertRedelivered(t, r, []string{"m-3"})
			assert.Empty(t, take())

			mu.Lock()
			healthy = true
			mu.Unlock()
			again := sim.Redeliver(r)
			require.NoError(t, again.Err)
			fntest.AssertAcknowledged(t, again, "m-3")
			assert.Equal(t, []reserved{{quickstart.Order{ID: "fail-1", Qty: 1}, "m-3", 2}}, take(), "reserved at the next attempt")
		})
	}
}
