package quickstart_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/payload"
	"github.com/faasport/faasport/trigger"
)

// seen is one event a handler saw: what a typed handler decoded (its
// payload) and what the matching trigger view returned.
type seen struct {
	typ   string
	typed []byte
	view  []byte
}

// payloadRecorder runs, for every event, a typed handler taking the raw
// payload and the trigger view that matches the event's type.
type payloadRecorder struct {
	mu   sync.Mutex
	seen []seen
}

func (p *payloadRecorder) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	var typed []byte
	if _, err := function.Consume(func(_ context.Context, b []byte) error { typed = b; return nil }).Handle(ctx, e); err != nil {
		return nil, err
	}
	s := seen{typ: e.Type(), typed: typed}
	switch {
	case strings.HasPrefix(e.Type(), "com.amazonaws.events."):
		b, err := trigger.ParseBusEvent(e)
		if err != nil {
			return nil, err
		}
		s.view = b.Detail
	case payload.Enveloped(e.Type()):
		m, err := trigger.ParseMessage(e)
		if err != nil {
			return nil, err
		}
		s.view = m.Body
	default: // not a message: the event is its own payload
		s.view = e.Data()
	}
	p.mu.Lock()
	p.seen = append(p.seen, s)
	p.mu.Unlock()
	return nil, nil
}

func awsTestdata(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	require.NoError(t, err, "locate aws-lambda-go in the module cache")
	return filepath.Join(strings.TrimSpace(string(out)), "events", "testdata")
}

// producerPayloads decodes a fixture with aws-lambda-go's own types — the
// bare SDK — into what its producers sent, for the message sources; nil for
// the others.
func producerPayloads(t *testing.T, name string, raw []byte) [][]byte {
	t.Helper()
	var out [][]byte
	b64 := func(s string) []byte {
		b, err := base64.StdEncoding.DecodeString(s)
		require.NoError(t, err)
		return b
	}
	switch {
	case strings.HasPrefix(name, "sqs-"):
		var e events.SQSEvent
		require.NoError(t, json.Unmarshal(raw, &e))
		for _, r := range e.Records {
			out = append(out, []byte(r.Body))
		}
	case strings.HasPrefix(name, "sns-"), strings.HasPrefix(name, "cloudwatch-alarm-sns"):
		var e events.SNSEvent
		require.NoError(t, json.Unmarshal(raw, &e))
		for _, r := range e.Records {
			out = append(out, []byte(r.SNS.Message))
		}
	case strings.HasPrefix(name, "kinesis-event"):
		var e events.KinesisEvent
		require.NoError(t, json.Unmarshal(raw, &e))
		for _, r := range e.Records {
			out = append(out, r.Kinesis.Data)
		}
	case strings.HasPrefix(name, "kinesis-firehose-event"):
		var e events.KinesisFirehoseEvent
		require.NoError(t, json.Unmarshal(raw, &e))
		for _, r := range e.Records {
			out = append(out, r.Data)
		}
	case strings.HasPrefix(name, "kafka-"):
		var e events.KafkaEvent
		require.NoError(t, json.Unmarshal(raw, &e))
		for _, rs := range e.Records {
			for _, r := range rs {
				out = append(out, b64(r.Value))
			}
		}
	case strings.HasPrefix(name, "activemq-"):
		var e events.ActiveMQEvent
		require.NoError(t, json.Unmarshal(raw, &e))
		for _, m := range e.Messages {
			out = append(out, b64(m.Data))
		}
	case strings.HasPrefix(name, "rabbitmq-"):
		var e events.RabbitMQEvent
		require.NoError(t, json.Unmarshal(raw, &e))
		for _, ms := range e.MessagesByQueue {
			for _, m := range ms {
				out = append(out, b64(m.Data))
			}
		}
	default:
		var eb events.EventBridgeEvent
		if json.Unmarshal(raw, &eb) == nil && eb.DetailType != "" && eb.Source != "" && len(eb.Detail) > 0 {
			out = append(out, eb.Detail)
		}
	}
	return out
}

// TestEveryLambdaFixturesPayload walks every fixture of aws-lambda-go's
// events/testdata and adapters/lambda/testdata through the Lambda adapter:
// for each event, a typed handler's payload equals the matching trigger
// view's, and for the message sources it is what the producer sent, as the
// bare SDK decodes it.
func TestEveryLambdaFixturesPayload(t *testing.T) {
	var files []string
	for _, dir := range []string{awsTestdata(t), filepath.Join("..", "..", "adapters", "lambda", "testdata")} {
		fs, err := filepath.Glob(filepath.Join(dir, "*.json"))
		require.NoError(t, err)
		files = append(files, fs...)
	}
	require.Greater(t, len(files), 50)
	checked, messages := 0, 0
	for _, path := range files {
		name := filepath.Base(path)
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		if strings.Contains(name, "-response") || strings.HasPrefix(name, "appsync-identity") || !json.Valid(raw) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			rec := &payloadRecorder{}
			h := lambda.New(lambda.Events(rec), lambda.HTTP(http.NotFoundHandler()), lambda.WithLogger(quietLogger()), lambda.WithRegion("us-east-1"))
			_, err := h.Invoke(context.Background(), raw)
			if len(rec.seen) == 0 {
				return // an HTTP invocation, or an error the adapter's own tests cover
			}
			require.NoError(t, err)
			for i, s := range rec.seen {
				assert.Equal(t, string(s.view), string(s.typed), "event %d (%s): the typed payload differs from the trigger view", i, s.typ)
				checked++
			}
			want := producerPayloads(t, name, raw)
			if want == nil {
				return
			}
			got := make([]string, len(rec.seen))
			for i, s := range rec.seen {
				got[i] = string(s.typed)
			}
			wantS := make([]string, len(want))
			for i, w := range want {
				wantS[i] = string(w)
			}
			assert.ElementsMatch(t, wantS, got, "the typed payloads are not what the producers sent")
			messages += len(want)
		})
	}
	t.Logf("%d events compared with their trigger view, %d messages with what their producer sent", checked, messages)
	assert.Greater(t, messages, 10)
}

// TestEveryGoogleFixturesPayload sends every fixture of adapters/gcf's
// testdata through the Cloud Functions adapter: the typed payload equals
// the trigger view's, and a Pub/Sub message's is its decoded data.
func TestEveryGoogleFixturesPayload(t *testing.T) {
	dir := filepath.Join("..", "..", "adapters", "gcf", "testdata")
	var files []string
	for _, sub := range []string{"cloudevent", "legacy", "push"} {
		fs, err := filepath.Glob(filepath.Join(dir, sub, "*.json"))
		require.NoError(t, err)
		for _, f := range fs {
			if !strings.HasSuffix(f, ".want.json") {
				files = append(files, f)
			}
		}
	}
	require.NotEmpty(t, files)
	rec := &payloadRecorder{}
	g, err := gcf.New(gcf.Events(rec), gcf.WithLogger(quietLogger()), gcf.WithGetenv(func(string) string { return "" }))
	require.NoError(t, err)
	srv := httptest.NewServer(g)
	defer srv.Close()
	pubsub := 0
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		t.Run(rel, func(t *testing.T) {
			body, err := os.ReadFile(path)
			require.NoError(t, err)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/projects/shop-prod/topics/orders", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			base := strings.TrimSuffix(filepath.Base(path), ".json")
			switch {
			case strings.HasSuffix(base, "_structured"):
				req.Header.Set("Content-Type", "application/cloudevents+json")
			case strings.HasSuffix(base, "_binary"):
				typ := map[string]string{"storage_binary": "google.cloud.storage.object.v1.finalized", "firestore_binary": "google.cloud.firestore.document.v1.updated"}[base]
				require.NotEmpty(t, typ, "name the CloudEvent type of fixture %s", base)
				req.Header.Set("Ce-Specversion", "1.0")
				req.Header.Set("Ce-Id", "fixture-"+base)
				req.Header.Set("Ce-Source", "//test/"+base)
				req.Header.Set("Ce-Type", typ)
			}
			rec.mu.Lock()
			before := len(rec.seen)
			rec.mu.Unlock()
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Less(t, resp.StatusCode, 300, "status %d", resp.StatusCode)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			require.Len(t, rec.seen, before+1)
			s := rec.seen[before]
			assert.Equal(t, string(s.view), string(s.typed), "%s: the typed payload differs from the trigger view", s.typ)
			if want, ok := pubsubData(body); ok {
				assert.Equal(t, gcf.PubSubMessagePublished, s.typ)
				assert.Equal(t, string(want), string(s.typed), "the typed payload is not the Pub/Sub message's data")
				pubsub++
			}
		})
	}
	assert.GreaterOrEqual(t, pubsub, 4, "Pub/Sub fixtures: push, push snake case, Eventarc, legacy")
}

// pubsubData finds the base64 data of the Pub/Sub message a fixture holds,
// in any of Google's shapes.
func pubsubData(body []byte) ([]byte, bool) {
	var f struct {
		Message *struct {
			Data string `json:"data"`
		} `json:"message"`
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(body, &f) != nil {
		return nil, false
	}
	if f.Message == nil && len(f.Data) > 0 {
		var inner struct {
			Message *struct {
				Data string `json:"data"`
			} `json:"message"`
			Type string `json:"@type"`
			Data string `json:"data"`
		}
		if json.Unmarshal(f.Data, &inner) != nil {
			return nil, false
		}
		switch {
		case inner.Message != nil:
			f.Message = inner.Message
		case strings.Contains(inner.Type, "PubsubMessage"):
			b, err := base64.StdEncoding.DecodeString(inner.Data)
			return b, err == nil
		}
	}
	if f.Message == nil {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(f.Message.Data)
	return b, err == nil
}
