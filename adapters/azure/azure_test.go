package azure_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/azuretest"
)

const appDir = "testdata/app"

// call is one handler call, as the handler saw it.
type call struct {
	Event event.Event
	Inv   function.Invocation
}

// recorder records every call and answers with what answer returns.
type recorder struct {
	mu     sync.Mutex
	calls  []call
	answer func(e event.Event) (*event.Event, error)
}

func (r *recorder) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	r.mu.Lock()
	r.calls = append(r.calls, call{Event: e, Inv: *function.FromContext(ctx)})
	r.mu.Unlock()
	if r.answer != nil {
		return r.answer(e)
	}
	return nil, nil
}

func (r *recorder) take() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "requests", name+".json"))
	require.NoError(t, err)
	return b
}

type want struct {
	typ, source, id, subject string
	time                     string // RFC 3339, "" for none
}

func TestTriggersBecomeEvents(t *testing.T) {
	rec := &recorder{}
	h := azuretest.Start(t, appDir, azure.Events(function.HandlerFunc(rec.Handle)))
	ctx := context.Background()

	tests := []struct {
		name, function, fixture string
		want                    []want
		trigger                 function.Trigger
		attempt                 int
	}{
		{"timer", "Tick", "Tick", []want{{azure.TypeTimerTick, "/timers/Tick", "Tick@2026-03-02T10:05:00+00:00", "0 */5 * * * *", "2026-03-02T10:00:00.0021537Z"}}, function.TriggerTimer, 0},
		{"queue storage, documented shape", "Orders", "Orders-documented", []want{{azure.TypeQueueMessage, "/storage/queues/orders", "5fd3a6a4-2a3c-4f4b-9d89-7c0f4a8e2f01", "", "2026-03-02T10:00:00Z"}}, function.TriggerPubSub, 1},
		{"queue storage, as the host encodes", "Orders", "Orders-host", []want{{azure.TypeQueueMessage, "/storage/queues/orders", "0e7a35c2-1d1c-4a8e-8f0e-4c9b7b9d6a02", "", "2026-03-02T10:00:00Z"}}, function.TriggerPubSub, 3},
		{"service bus queue, extension 5.x", "Payments", "Payments", []want{{azure.TypeServiceBusMessage, "/servicebus/queues/payments", "pay-0001", "payment.created", "2026-03-02T09:59:58.123Z"}}, function.TriggerPubSub, 2},
		{"service bus topic, extension 4.x names", "Audit", "Audit-4x", []want{{azure.TypeServiceBusMessage, "/servicebus/topics/events/subscriptions/audit", "audit-9", "signin", "2026-03-02T09:00:00Z"}}, function.TriggerPubSub, 1},
		{"event hubs batch", "Telemetry", "Telemetry", []want{
			{azure.TypeEventHubsEvent, "/eventhubs/telemetry", "3:1001", "device-1", "2026-03-02T10:00:00Z"},
			{azure.TypeEventHubsEvent, "/eventhubs/telemetry", "3:1002", "device-1", "2026-03-02T10:00:01Z"},
		}, function.TriggerPubSub, 0},
		{"event hubs single", "TelemetryOne", "TelemetryOne", []want{{azure.TypeEventHubsEvent, "/eventhubs/telemetry", "0:77", "device-2", "2026-03-02T10:00:03Z"}}, function.TriggerPubSub, 0},
		{"event grid schema", "Grid", "Grid-eventgrid", []want{{"Microsoft.Storage.BlobCreated",
			"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/photos",
			"831e1650-001e-001b-66ab-eeb76e069631", "/blobServices/default/containers/raw/blobs/2026/cat.jpg", "2026-03-02T10:00:00.1234567Z"}}, function.TriggerPubSub, 0},
		{"event grid cloudevents schema", "Grid", "Grid-cloudevent", []want{{"com.example.order.shipped", "/shop/orders", "ship-5", "orders/o-5", "2026-03-02T10:00:00Z"}}, function.TriggerPubSub, 0},
		{"blob", "Uploads", "Uploads", []want{{azure.TypeBlobWritten, "/storage/blobs/uploads", "uploads/reports/q1.txt@0x8DC3A1B2C3D4E5F", "reports/q1.txt", "2026-03-02T09:58:00Z"}}, function.TriggerDatasource, 0},
		{"cosmos db change feed", "Changes", "Changes", []want{
			{azure.TypeCosmosDBChange, "/cosmosdb/shop/orders", "o-1@10", "o-1", "2026-03-02T10:00:00Z"},
			{azure.TypeCosmosDBChange, "/cosmosdb/shop/orders", "o-2@11", "o-2", "2026-03-02T10:00:01Z"},
		}, function.TriggerDatasource, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := h.InvokeRaw(ctx, tt.function, fixture(t, tt.fixture))
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.Status, "body: %s", res.Body)
			calls := rec.take()
			require.Len(t, calls, len(tt.want))
			for i, w := range tt.want {
				e, inv := calls[i].Event, calls[i].Inv
				require.NoError(t, e.Validate())
				assert.Equal(t, w.typ, e.Type())
				assert.Equal(t, w.source, e.Source())
				assert.Equal(t, w.id, e.ID())
				assert.Equal(t, w.subject, e.Subject())
				if w.time == "" {
					assert.True(t, e.Time().IsZero())
				} else {
					wt, err := time.Parse(time.RFC3339Nano, w.time)
					require.NoError(t, err)
					assert.True(t, wt.Equal(e.Time()), "time %s, want %s", e.Time(), wt)
				}
				assert.Equal(t, azure.Platform, inv.Platform)
				assert.Equal(t, res.InvocationID, inv.RequestID)
				assert.Equal(t, tt.function, inv.FunctionName)
				assert.Equal(t, tt.trigger, inv.Trigger)
				assert.Equal(t, tt.attempt, inv.Attempt)
				n, ok := inv.Native.(*azure.Native)
				require.True(t, ok, "Native is %T", inv.Native)
				assert.Equal(t, tt.function, n.Function)
				assert.NotEmpty(t, n.Data)
			}
		})
	}
}

// TestEnvelopeIsTheHostsJSON checks that a message event's data carries the
// trigger's value and metadata exactly as the host sent them.
func TestEnvelopeIsTheHostsJSON(t *testing.T) {
	rec := &recorder{}
	h := azuretest.Start(t, appDir, azure.Events(function.HandlerFunc(rec.Handle)))
	body := fixture(t, "Payments")
	res, err := h.InvokeRaw(context.Background(), "Payments", body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.Status)
	calls := rec.take()
	require.Len(t, calls, 1)
	var env, req struct {
		Data     json.RawMessage
		Metadata map[string]json.RawMessage
	}
	require.NoError(t, json.Unmarshal(calls[0].Event.Data(), &env))
	var sent azure.Request
	require.NoError(t, json.Unmarshal(body, &sent))
	req.Data, req.Metadata = sent.Data["message"], sent.Metadata
	assert.JSONEq(t, string(req.Data), string(env.Data))
	assert.Equal(t, len(req.Metadata), len(env.Metadata))
	assert.Equal(t, "application/json", calls[0].Event.DataContentType())
}

func TestOutcomes(t *testing.T) {
	rec := &recorder{}
	rec.answer = func(e event.Event) (*event.Event, error) {
		var m struct {
			Data string
		}
		_ = json.Unmarshal(e.Data(), &m)
		switch {
		case strings.Contains(m.Data, "poison"):
			return nil, function.Permanent(errors.New("bad order"))
		case strings.Contains(m.Data, "fail"):
			return nil, errors.New("database down")
		case strings.Contains(m.Data, "slow"):
			return nil, function.RetryAfter(errors.New("throttled"), 30*time.Second)
		case strings.Contains(m.Data, "panic"):
			panic("boom")
		}
		r := event.New()
		r.SetID("reply-" + e.ID())
		r.SetSource("/test")
		r.SetType("com.example.reply")
		_ = r.SetData(event.ApplicationJSON, map[string]string{"done": e.ID()})
		return &r, nil
	}
	h := azuretest.Start(t, appDir, azure.Events(function.HandlerFunc(rec.Handle)))
	ctx := context.Background()
	md := map[string]any{"Id": "q-1", "DequeueCount": 1, "InsertionTime": "2026-03-02T10:00:00+00:00"}

	tests := []struct {
		name       string
		function   string
		value      string
		status     int
		retryAfter string
		output     string // Outputs key of the reply, "$return" for ReturnValue
		reply      string
		log        string
	}{
		{"success replies as the return value", "Orders", `{"id":"ok"}`, 200, "", "$return", `{"done":"q-1"}`, ""},
		{"success replies as the only output", "Audit", `{"id":"ok"}`, 200, "", "outMessage", `{"done":"q-1"}`, ""},
		{"permanent is acknowledged and logged", "Orders", `{"id":"poison"}`, 200, "", "", "", "failed permanently"},
		{"retryable answers 5xx so the trigger retries", "Orders", `{"id":"fail"}`, 503, "", "", "", ""},
		{"retry after answers its delay", "Orders", `{"id":"slow"}`, 503, "30", "", "", ""},
		{"panic answers 500", "Orders", `{"id":"panic"}`, 500, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			meta := md
			if tt.function == "Audit" {
				meta = map[string]any{"MessageId": "q-1", "DeliveryCount": 1}
			}
			res, err := h.Trigger(ctx, tt.function, tt.value, meta)
			require.NoError(t, err)
			require.Equal(t, tt.status, res.Status, "body %s", res.Body)
			assert.Equal(t, tt.status >= 300, res.Failed())
			assert.Equal(t, tt.retryAfter, res.Header.Get("Retry-After"))
			if tt.status == 500 {
				assert.NotContains(t, string(res.Body), "boom", "a panic's value must not leave the process")
			}
			switch tt.output {
			case "$return":
				assert.JSONEq(t, tt.reply, string(res.ReturnValue))
			case "":
				if !res.Failed() {
					assert.Equal(t, "null", string(res.ReturnValue))
					assert.Empty(t, res.Outputs)
				}
			default:
				assert.JSONEq(t, tt.reply, string(res.Outputs[tt.output]))
			}
			if tt.log != "" {
				assert.Contains(t, strings.Join(res.Logs, "\n"), tt.log)
			}
			rec.take()
		})
	}
}

func TestReadinessProbe(t *testing.T) {
	h := azuretest.Start(t, appDir, azure.Events(function.HandlerFunc((&recorder{}).Handle)))
	resp, err := http.Get(h.URL + "/")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestMalformedInvocations(t *testing.T) {
	rec := &recorder{}
	h := azuretest.Start(t, appDir, azure.Events(function.HandlerFunc(rec.Handle)))
	tests := []struct {
		name, function, body string
	}{
		{"not JSON", "Orders", `{"Data": nope`},
		{"no Data nor Metadata", "Orders", `{"Foo": 1}`},
		{"queue message without id", "Orders", `{"Data":{"order":"x"},"Metadata":{}}`},
		{"cosmos value not an array", "Changes", `{"Data":{"documents":"{}"},"Metadata":{}}`},
		{"event grid event not an object", "Grid", `{"Data":{"eventGridEvent":"[1]"},"Metadata":{}}`},
		{"blob not base64", "Uploads", `{"Data":{"blob":"%%%"},"Metadata":{"BlobTrigger":"uploads/a"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := h.InvokeRaw(context.Background(), tt.function, []byte(tt.body))
			require.NoError(t, err)
			if tt.name == "blob not base64" {
				// The blob's bytes are read by payload.Of, not by the
				// adapter: the event is delivered.
				assert.Equal(t, http.StatusOK, res.Status)
				rec.take()
				return
			}
			assert.Equal(t, http.StatusBadRequest, res.Status, "body %s", res.Body)
			assert.Contains(t, string(res.Body), "azure:")
			assert.Empty(t, rec.take())
		})
	}
}

func TestHTTPTrigger(t *testing.T) {
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Invocation", function.FromContext(r.Context()).RequestID)
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method, "path": r.URL.Path, "query": r.URL.Query().Get("draft"),
			"id": r.PathValue("id"), "client": r.Header.Values("X-Client"), "body": string(b),
		})
	})
	h := azuretest.Start(t, appDir, azure.HTTP(web))
	ctx := context.Background()

	t.Run("data/metadata form answers through res", func(t *testing.T) {
		res, err := h.InvokeRaw(ctx, "Submit", fixture(t, "Submit"))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.Status, "body %s", res.Body)
		var out azure.HTTPResponse
		require.NoError(t, json.Unmarshal(res.Outputs["res"], &out))
		assert.Equal(t, "201", out.StatusCode)
		assert.Equal(t, "application/json", out.Headers["Content-Type"])
		assert.Equal(t, res.InvocationID, out.Headers["X-Invocation"])
		assert.JSONEq(t, `{"method":"POST","path":"/api/submit/42","query":"true","id":"42","client":["cli","v2"],"body":"{\"title\":\"hello\"}"}`, out.Body)
	})
	t.Run("through the test host, as a caller sees it", func(t *testing.T) {
		r, _ := http.NewRequest(http.MethodPost, "http://localhost:7071/api/submit/7", strings.NewReader("x=1"))
		r.Header.Set("Content-Type", "text/plain")
		resp, err := h.HTTP(ctx, "Submit", r)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
		b, _ := io.ReadAll(resp.Body)
		assert.Contains(t, string(b), `"id":"7"`)
	})
	t.Run("forwarded request reaches the handler as it is", func(t *testing.T) {
		r, _ := http.NewRequest(http.MethodGet, "http://localhost:7071/api/hello/you?draft=no", nil)
		resp, err := h.HTTP(ctx, "Hello", r)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
		assert.NotEmpty(t, resp.Header.Get("X-Invocation"), "the invocation id header becomes the request id")
		b, _ := io.ReadAll(resp.Body)
		assert.Contains(t, string(b), `"path":"/api/hello/you"`)
	})
}

func TestListenAndServeNeedsThePort(t *testing.T) {
	err := azure.ListenAndServe(context.Background(),
		azure.Events(function.HandlerFunc((&recorder{}).Handle)),
		azure.WithGetenv(func(string) string { return "" }))
	require.ErrorIs(t, err, azure.ErrNoPort)
}

// TestRecognisedWithoutFunctionJSON serves an app with no function.json:
// every trigger is recognised from its request's shape.
func TestRecognisedWithoutFunctionJSON(t *testing.T) {
	rec := &recorder{}
	h := azuretest.Start(t, appDir, azure.Events(function.HandlerFunc(rec.Handle)), azure.WithApp(&azure.App{}))
	tests := []struct {
		fixture, function, typ, source string
		n                              int
	}{
		{"Tick", "Tick", azure.TypeTimerTick, "/timers/Tick", 1},
		{"Orders-host", "Orders", azure.TypeQueueMessage, "/storage/queues/functions/Orders", 1},
		{"Payments", "Payments", azure.TypeServiceBusMessage, "/servicebus/functions/Payments", 1},
		{"Telemetry", "Telemetry", azure.TypeEventHubsEvent, "/eventhubs/telemetry", 2},
		{"TelemetryOne", "TelemetryOne", azure.TypeEventHubsEvent, "/eventhubs/telemetry", 1},
		{"Grid-eventgrid", "Grid", "Microsoft.Storage.BlobCreated", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/photos", 1},
		{"Uploads", "Uploads", azure.TypeBlobWritten, "/storage/blobs/uploads", 1},
		{"Changes", "Changes", azure.TypeCosmosDBChange, "/cosmosdb/functions/Changes", 2},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			res, err := h.InvokeRaw(context.Background(), tt.function, fixture(t, tt.fixture))
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.Status, "body %s", res.Body)
			calls := rec.take()
			require.Len(t, calls, tt.n)
			for _, c := range calls {
				assert.Equal(t, tt.typ, c.Event.Type())
				assert.Equal(t, tt.source, c.Event.Source())
			}
		})
	}
}

func TestReplies(t *testing.T) {
	echo := func(e event.Event) (*event.Event, error) {
		r := event.New()
		r.SetID("r-" + e.ID())
		r.SetSource("/echo")
		r.SetType("com.example.echo")
		if e.Type() == "com.github.faasport.http.request" {
			_ = r.SetData("text/plain", "got "+string(e.Data()))
		} else {
			_ = r.SetData(event.ApplicationJSON, map[string]string{"id": e.ID()})
		}
		return &r, nil
	}
	ctx := context.Background()

	t.Run("a batch replies with an array", func(t *testing.T) {
		h := azuretest.Start(t, appDir, azure.Events(function.HandlerFunc((&recorder{answer: echo}).Handle)))
		res, err := h.InvokeRaw(ctx, "Telemetry", fixture(t, "Telemetry"))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.Status)
		assert.JSONEq(t, `[{"id":"3:1001"},{"id":"3:1002"}]`, string(res.ReturnValue))
	})
	t.Run("WithReplyOutput names the output", func(t *testing.T) {
		h := azuretest.Start(t, appDir, azure.Events(function.HandlerFunc((&recorder{answer: echo}).Handle)), azure.WithReplyOutput("out"))
		res, err := h.InvokeRaw(ctx, "Payments", fixture(t, "Payments"))
		require.NoError(t, err)
		assert.JSONEq(t, `{"id":"pay-0001"}`, string(res.Outputs["out"]))
		assert.Equal(t, "null", string(res.ReturnValue))
	})
	t.Run("an HTTP trigger served by an event handler", func(t *testing.T) {
		rec := &recorder{answer: echo}
		h := azuretest.Start(t, appDir, azure.Events(function.HandlerFunc(rec.Handle)))
		res, err := h.InvokeRaw(ctx, "Submit", fixture(t, "Submit"))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.Status, "body %s", res.Body)
		calls := rec.take()
		require.Len(t, calls, 1)
		assert.Equal(t, "com.github.faasport.http.request", calls[0].Event.Type())
		assert.Equal(t, "/api/submit/42", calls[0].Event.Source())
		assert.Equal(t, res.InvocationID, calls[0].Event.ID())
		assert.Equal(t, function.TriggerHTTP, calls[0].Inv.Trigger)
		var out azure.HTTPResponse
		require.NoError(t, json.Unmarshal(res.Outputs["res"], &out))
		assert.Equal(t, "200", out.StatusCode)
		assert.Equal(t, `got {"title":"hello"}`, out.Body)
		assert.Equal(t, "text/plain", out.Headers["Content-Type"])
	})
	t.Run("a panicking HTTP handler fails the invocation", func(t *testing.T) {
		h := azuretest.Start(t, appDir, azure.HTTP(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("secret") })))
		res, err := h.InvokeRaw(ctx, "Submit", fixture(t, "Submit"))
		require.NoError(t, err)
		assert.Equal(t, http.StatusInternalServerError, res.Status)
		assert.NotContains(t, string(res.Body), "secret")
	})
}

// TestForwardedRequestAsEvent serves a forwarded HTTP request with only an
// event handler: it becomes an event whose invocation carries the host's
// invocation id.
func TestForwardedRequestAsEvent(t *testing.T) {
	rec := &recorder{}
	h := azuretest.Start(t, appDir, azure.Events(function.HandlerFunc(rec.Handle)))
	r, _ := http.NewRequest(http.MethodPost, "http://localhost:7071/api/hello/you", strings.NewReader("hi"))
	resp, err := h.HTTP(context.Background(), "Hello", r)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	calls := rec.take()
	require.Len(t, calls, 1)
	assert.Equal(t, "hi", string(calls[0].Event.Data()))
	assert.Len(t, calls[0].Inv.RequestID, 36, "the invocation id, a GUID")
	assert.NotEqual(t, calls[0].Event.ID(), calls[0].Inv.RequestID)
}
