package fntest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/adapters/nethttp"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/fntest"
	"github.com/faasport/faasport/trigger"
)

var allPlatforms = []function.Platform{function.PlatformLambda, function.PlatformCloudFunctions, function.PlatformHTTP, function.PlatformAzureFunctions}

var (
	lambdaOnly = []function.Platform{function.PlatformLambda}
	googleOnly = []function.Platform{function.PlatformCloudFunctions, function.PlatformHTTP}
	azureOnly  = []function.Platform{function.PlatformAzureFunctions}
)

// collector records every event an adapter hands to the handler.
type collector struct {
	mu      sync.Mutex
	events  []event.Event
	attempt []int
}

func (c *collector) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
	c.attempt = append(c.attempt, function.FromContext(ctx).Attempt)
	return nil, nil
}

// deliver sends in to the real adapter of p and returns what the handler
// received. It fails the test if the adapter refuses the input.
func deliver(t *testing.T, p function.Platform, in fntest.Input) *collector {
	t.Helper()
	c := &collector{}
	switch p {
	case function.PlatformAzureFunctions:
		// The custom handler under the test host of testing/azuretest.
		r, err := fntest.Invoke(p, c, in)
		require.NoError(t, err)
		require.Less(t, r.Status, 300, "the Azure adapter refused %s: %s", in.Name(), r.Response)
	case function.PlatformLambda:
		payload, err := in.Payload(p)
		require.NoError(t, err)
		out, err := lambda.New(lambda.Events(c)).Invoke(context.Background(), payload)
		require.NoError(t, err, "the Lambda adapter refused %s: %s", in.Name(), payload)
		assert.NotContains(t, string(out), `"itemIdentifier"`, "no batch item failed")
	default:
		payload, err := in.Payload(p)
		require.NoError(t, err)
		var e event.Event
		require.NoError(t, json.Unmarshal(payload, &e))
		var srv http.Handler = nethttp.New(nethttp.Events(c))
		if p == function.PlatformCloudFunctions {
			srv, err = gcf.New(gcf.Events(c), gcf.WithGetenv(func(k string) string {
				if k == "FUNCTION_TARGET" {
					return "fntest"
				}
				return ""
			}))
			require.NoError(t, err)
		}
		ts := httptest.NewServer(srv)
		defer ts.Close()
		resp, err := ts.Client().Do(binaryRequest(t, ts.URL, e))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Less(t, resp.StatusCode, 300, "the %s adapter refused %s: %s", p, in.Name(), body)
	}
	return c
}

func binaryRequest(t *testing.T, url string, e event.Event) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(e.Data()))
	require.NoError(t, err)
	req.Header.Set("Ce-Specversion", e.SpecVersion())
	req.Header.Set("Ce-Id", e.ID())
	req.Header.Set("Ce-Source", e.Source())
	req.Header.Set("Ce-Type", e.Type())
	if s := e.Subject(); s != "" {
		req.Header.Set("Ce-Subject", s)
	}
	req.Header.Set("Ce-Time", e.Time().Format(time.RFC3339Nano))
	for k, v := range e.Extensions() {
		req.Header.Set("Ce-"+k, fmt.Sprint(v))
	}
	req.Header.Set("Content-Type", e.DataContentType())
	return req
}

func TestNativeMessages(t *testing.T) {
	tests := []struct {
		name      string
		in        fntest.Input
		on        []function.Platform
		n         int
		want      trigger.Message
		attempt   int
		wantAttrs bool
	}{
		{name: "queue message", in: fntest.QueueMessage(`{"id":"o-1"}`), on: allPlatforms, n: 1,
			want: trigger.Message{ID: "fntest-1", Body: []byte(`{"id":"o-1"}`)}},
		{name: "queue message with options", in: fntest.QueueMessage("hi", fntest.ID("m-7"), fntest.Group("g-1"), fntest.Attempt(3), fntest.Attribute("origin", "web")),
			on: allPlatforms, n: 1, want: trigger.Message{ID: "m-7", Body: []byte("hi"), OrderingKey: "g-1"}, attempt: 3, wantAttrs: true},
		{name: "SQS batch", in: fntest.SQS("x", fntest.Batch(3)), on: lambdaOnly, n: 3,
			want: trigger.Message{ID: "fntest-1", Body: []byte("x")}, attempt: 1},
		{name: "SQS FIFO", in: fntest.SQS("x", fntest.Bodies("a", "b"), fntest.Group("g")), on: lambdaOnly, n: 2,
			want: trigger.Message{ID: "fntest-1", Body: []byte("a"), OrderingKey: "g"}, attempt: 1},
		{name: "SNS", in: fntest.SNS("note", fntest.ID("sns-1"), fntest.Attribute("origin", "web")), on: lambdaOnly, n: 1,
			want: trigger.Message{ID: "sns-1", Body: []byte("note")}, wantAttrs: true},
		{name: "Kinesis", in: fntest.Kinesis("k", fntest.ID("seq"), fntest.Group("pk"), fntest.Batch(2)), on: lambdaOnly, n: 2,
			want: trigger.Message{ID: "seq-1", Body: []byte("k"), OrderingKey: "pk"}},
		{name: "Kafka", in: fntest.Kafka("v", fntest.Group("key-1"), fntest.Attribute("origin", "web")), on: lambdaOnly, n: 1,
			want: trigger.Message{Body: []byte("v"), OrderingKey: "key-1"}, wantAttrs: true},
		{name: "Pub/Sub", in: fntest.PubSub("p", fntest.ID("ps-1"), fntest.Attempt(2)), on: googleOnly, n: 1,
			want: trigger.Message{ID: "ps-1", Body: []byte("p")}, attempt: 2},
		{name: "Service Bus", in: fntest.ServiceBus(`{"id":"o-1"}`, fntest.ID("sb-1"), fntest.Group("s-1"), fntest.Attempt(4), fntest.Attribute("origin", "web")),
			on: azureOnly, n: 1, want: trigger.Message{ID: "sb-1", Body: []byte(`{"id":"o-1"}`), OrderingKey: "s-1"}, attempt: 4, wantAttrs: true},
		{name: "Service Bus batch is one message", in: fntest.ServiceBus("", fntest.Bodies("a", "b")), on: azureOnly, n: 1,
			want: trigger.Message{ID: "fntest-1", Body: []byte("a")}, attempt: 1},
		{name: "Queue Storage", in: fntest.QueueStorage("plain text", fntest.ID("q-1"), fntest.Attempt(2)), on: azureOnly, n: 1,
			want: trigger.Message{ID: "q-1", Body: []byte("plain text")}, attempt: 2},
		{name: "Event Hubs", in: fntest.EventHubs("", fntest.Bodies(`{"t":1}`, "t2", "t3"), fntest.Group("device-1"), fntest.Attribute("origin", "web")),
			on: azureOnly, n: 3, want: trigger.Message{ID: "0:1", Body: []byte(`{"t":1}`), OrderingKey: "device-1"}, wantAttrs: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range allPlatforms {
				t.Run(string(p), func(t *testing.T) {
					if !assert.Equal(t, contains(tt.on, p), tt.in.On(p)) || !tt.in.On(p) {
						_, err := tt.in.Payload(p)
						require.ErrorIs(t, err, fntest.ErrNoShape)
						return
					}
					c := deliver(t, p, tt.in)
					require.Len(t, c.events, tt.n)
					m, err := trigger.ParseMessage(c.events[0])
					require.NoError(t, err)
					if tt.want.ID != "" {
						assert.Equal(t, tt.want.ID, m.ID)
					}
					assert.Equal(t, string(tt.want.Body), string(m.Body))
					assert.Equal(t, tt.want.OrderingKey, m.OrderingKey)
					assert.Equal(t, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), m.Time.UTC())
					if tt.wantAttrs {
						assert.Equal(t, "web", m.Attributes["origin"])
					}
					// A plain net/http host (Knative) is not told the Pub/Sub
					// delivery attempt.
					if tt.attempt > 0 && p != function.PlatformHTTP {
						assert.Equal(t, tt.attempt, c.attempt[0], "delivery attempt")
					}
				})
			}
		})
	}
}

func contains(ps []function.Platform, p function.Platform) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func TestNativeStorage(t *testing.T) {
	in := fntest.StorageObject("photos", "cats/tom 1.jpg", 42, fntest.Version("7"), fntest.ContentType("image/jpeg"))
	for _, p := range allPlatforms {
		t.Run(string(p), func(t *testing.T) {
			c := deliver(t, p, in)
			if p == function.PlatformAzureFunctions {
				// The blob trigger carries the content: 42 bytes.
				m, err := trigger.ParseMessage(c.events[0])
				require.NoError(t, err)
				assert.Len(t, m.Body, 42)
			}
			require.Len(t, c.events, 1)
			o, err := trigger.ParseObject(c.events[0])
			require.NoError(t, err)
			assert.Equal(t, "photos", o.Bucket)
			assert.Equal(t, "cats/tom 1.jpg", o.Key)
			assert.EqualValues(t, 42, o.Size)
			assert.Equal(t, "7", o.Version)
			assert.Equal(t, trigger.ObjectCreated, o.Change)
		})
	}
}

func TestNativeDatabaseChange(t *testing.T) {
	tests := []struct {
		name     string
		new, old map[string]any
		op       trigger.ChangeOp
	}{
		{"insert", map[string]any{"id": "o-1", "qty": 2, "tags": []any{"a", true}, "m": map[string]any{"x": nil}}, nil, trigger.OpInsert},
		{"modify", map[string]any{"id": "o-1", "qty": 3}, map[string]any{"id": "o-1", "qty": 2}, trigger.OpModify},
		{"remove", nil, map[string]any{"id": "o-1", "qty": 2.5}, trigger.OpRemove},
	}
	for _, tt := range tests {
		in := fntest.DatabaseChange("orders", map[string]any{"id": "o-1"}, tt.new, tt.old)
		for _, p := range allPlatforms {
			t.Run(tt.name+"/"+string(p), func(t *testing.T) {
				if p == function.PlatformAzureFunctions {
					// The change feed has no removals and no old images.
					require.Equal(t, tt.new != nil, in.On(p))
					if !in.On(p) {
						return
					}
					c := deliver(t, p, in)
					require.Len(t, c.events, 1)
					ch, err := trigger.ParseChange(c.events[0])
					require.NoError(t, err)
					assert.Equal(t, trigger.OpWrite, ch.Op)
					assert.Equal(t, "fntest/orders", ch.Table)
					assert.Equal(t, map[string]any{"id": "o-1"}, ch.Key)
					assert.Equal(t, json.Number(fmt.Sprint(tt.new["qty"])), ch.New["qty"])
					return
				}
				c := deliver(t, p, in)
				require.Len(t, c.events, 1)
				ch, err := trigger.ParseChange(c.events[0])
				require.NoError(t, err)
				assert.Equal(t, tt.op, ch.Op)
				assert.Equal(t, "orders", ch.Table)
				assert.Equal(t, tt.new == nil, ch.New == nil)
				assert.Equal(t, tt.old == nil, ch.Old == nil)
				if tt.new != nil {
					assert.Equal(t, json.Number(fmt.Sprint(tt.new["qty"])), ch.New["qty"])
				}
				if tt.old != nil {
					assert.Equal(t, fmt.Sprint(tt.old["qty"]), fmt.Sprint(ch.Old["qty"]))
				}
			})
		}
	}
}

func TestNativeScheduleAndBus(t *testing.T) {
	for _, p := range allPlatforms {
		t.Run("schedule/"+string(p), func(t *testing.T) {
			c := deliver(t, p, fntest.ScheduleTick("nightly"))
			require.Len(t, c.events, 1)
			tick, err := trigger.ParseTick(c.events[0])
			require.NoError(t, err)
			assert.Regexp(t, `/nightly( 0 \*/5 \* \* \* \*)?$`, tick.Schedule, "the schedule names the rule, job or timer function")
			assert.Equal(t, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), tick.Time.UTC())
		})
		t.Run("bus/"+string(p), func(t *testing.T) {
			c := deliver(t, p, fntest.BusEvent("order.placed", "com.example.shop", `{"id":"o-1"}`, fntest.ID("b-1")))
			require.Len(t, c.events, 1)
			b, err := trigger.ParseBusEvent(c.events[0])
			require.NoError(t, err)
			assert.Equal(t, "b-1", b.ID)
			assert.Equal(t, "order.placed", b.Type)
			assert.Equal(t, "com.example.shop", b.Source)
			assert.JSONEq(t, `{"id":"o-1"}`, string(b.Detail))
		})
	}
}

func TestNativeBuildErrors(t *testing.T) {
	tests := []struct {
		name string
		in   fntest.Input
		p    function.Platform
		want string
	}{
		{"EventBridge detail not JSON", fntest.EventBridge("t", "s", "{"), function.PlatformLambda, "not JSON"},
		{"Eventarc data not JSON", fntest.Eventarc("t", "s", "{"), function.PlatformHTTP, "not JSON"},
		{"DynamoDB value without a type", fntest.DynamoDB("t", map[string]any{"id": struct{}{}}, nil, nil), function.PlatformLambda, "has no DynamoDB type"},
		{"Firestore value without a type", fntest.Firestore("c/d", map[string]any{"x": make(chan int)}, nil), function.PlatformCloudFunctions, "has no Firestore type"},
		{"raw payload that is no CloudEvent", fntest.Raw([]byte(`{"a":1}`)), function.PlatformHTTP, "no native shape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.in.Payload(tt.p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestRaw(t *testing.T) {
	ce := `{"specversion":"1.0","id":"r-1","source":"/raw","type":"raw.test","datacontenttype":"application/json","data":{"a":1}}`
	in := fntest.Raw([]byte(ce))
	for _, p := range allPlatforms {
		t.Run(string(p), func(t *testing.T) {
			c := deliver(t, p, in)
			require.Len(t, c.events, 1)
			assert.Equal(t, "r-1", c.events[0].ID())
			assert.JSONEq(t, `{"a":1}`, string(c.events[0].Data()))
		})
	}
}

// echoRequest answers with what the handler saw of the request.
var echoRequest = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c, _ := r.Cookie("session")
	var session string
	if c != nil {
		session = c.Value
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Add("X-Multi", "a")
	w.Header().Add("X-Multi", "b")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"method": r.Method, "path": r.URL.Path, "q": r.URL.Query().Get("q"),
		"header": r.Header.Get("X-Test"), "cookie": session, "body": string(body),
	})
})

func TestNativeHTTP(t *testing.T) {
	builders := map[string]func(*http.Request, ...fntest.InputOption) fntest.Input{
		"API Gateway v1": fntest.APIGatewayV1,
		"API Gateway v2": fntest.APIGatewayV2,
		"ALB":            fntest.ALB,
		"Function URL":   fntest.FunctionURL,
	}
	for name, build := range builders {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPut, "/items/a%20b?q=1", strings.NewReader("hello"))
			req.Header.Set("X-Test", "yes")
			req.AddCookie(&http.Cookie{Name: "session", Value: "s-1"})
			in := build(req)
			rest, _ := io.ReadAll(req.Body)
			assert.Equal(t, "hello", string(rest), "the builder puts the body back")
			require.False(t, in.On(function.PlatformHTTP))
			payload, err := in.Payload(function.PlatformLambda)
			require.NoError(t, err)
			out, err := lambda.New(lambda.HTTP(echoRequest)).Invoke(context.Background(), payload)
			require.NoError(t, err)
			resp, err := fntest.LambdaResponse(out)
			require.NoError(t, err)
			assert.Equal(t, http.StatusAccepted, resp.StatusCode)
			// Payload format 2.0 joins repeated headers with commas.
			assert.Equal(t, "a,b", strings.Join(resp.Header.Values("X-Multi"), ","))
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.JSONEq(t, `{"method":"PUT","path":"/items/a b","q":"1","header":"yes","cookie":"s-1","body":"hello"}`, string(b))
		})
	}
}

func TestNativeHTTPBinaryBody(t *testing.T) {
	body := []byte{0xff, 0x00, 0xfe}
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	payload, err := fntest.APIGatewayV2(req).Payload(function.PlatformLambda)
	require.NoError(t, err)
	got := make(chan []byte, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
		_, _ = w.Write(b)
	})
	out, err := lambda.New(lambda.HTTP(h)).Invoke(context.Background(), payload)
	require.NoError(t, err)
	assert.Equal(t, body, <-got)
	resp, err := fntest.LambdaResponse(out)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	assert.Equal(t, body, b)
}

func TestLambdaResponseErrors(t *testing.T) {
	tests := map[string]string{
		"not JSON":   `{`,
		"no status":  `{"body":"x"}`,
		"bad base64": `{"statusCode":200,"body":"!!","isBase64Encoded":true}`,
	}
	for name, payload := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := fntest.LambdaResponse([]byte(payload))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "fntest: ")
		})
	}
}

func FuzzLambdaResponse(f *testing.F) {
	f.Add([]byte(`{"statusCode":200,"headers":{"a":"b"},"multiValueHeaders":{"c":["d","e"]},"cookies":["x=1"],"body":"aGk=","isBase64Encoded":true}`))
	f.Add([]byte(`{"statusCode":0}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		resp, err := fntest.LambdaResponse(payload)
		if err == nil {
			require.NotZero(t, resp.StatusCode)
			_, err = io.ReadAll(resp.Body)
			require.NoError(t, err)
		}
	})
}

func FuzzRaw(f *testing.F) {
	f.Add([]byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t"}`))
	f.Add([]byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":1}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		in := fntest.Raw(payload)
		b, err := in.Payload(function.PlatformLambda)
		require.NoError(t, err)
		require.True(t, bytes.Equal(payload, b), "the payload is sent as it is")
		for _, p := range []function.Platform{function.PlatformHTTP, function.PlatformAzureFunctions} {
			if in.On(p) {
				_, err := in.Payload(p)
				require.NoError(t, err, "a payload with a shape on %s builds there", p)
			}
		}
		require.Equal(t, in.On(function.PlatformHTTP), in.On(function.PlatformAzureFunctions), "a CloudEvent goes to both or neither")
	})
}

// An HTTP trigger's Data/Metadata form reaches an event handler as an
// HTTP request event, its body intact.
func TestAzureHTTP(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/orders?q=1", strings.NewReader(`{"id":"o-1"}`))
	req.Header.Set("Content-Type", "application/json")
	c := deliver(t, function.PlatformAzureFunctions, fntest.AzureHTTP(req))
	require.Len(t, c.events, 1)
	e := c.events[0]
	assert.Equal(t, "com.github.faasport.http.request", e.Type())
	assert.Equal(t, "/orders", e.Source())
	assert.JSONEq(t, `{"id":"o-1"}`, string(e.Data()))

	bin := []byte{0xff, 0x00, 0xfe}
	req = httptest.NewRequest(http.MethodPut, "/blobs/a", bytes.NewReader(bin))
	req.Header.Set("Content-Type", "application/octet-stream")
	c = deliver(t, function.PlatformAzureFunctions, fntest.AzureHTTP(req))
	require.Len(t, c.events, 1)
	assert.Equal(t, bin, c.events[0].Data(), "an octet-stream body travels base64 and arrives intact")

	req = httptest.NewRequest(http.MethodPut, "/blobs/a", bytes.NewReader(bin))
	req.Header.Set("Content-Type", "text/plain")
	_, err := fntest.AzureHTTP(req).Payload(function.PlatformAzureFunctions)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not UTF-8")
	assert.False(t, fntest.AzureHTTP(req).On(function.PlatformLambda))
}
