package gcf_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/function"
)

// wantEvent is the CloudEvent a handler should receive.
type wantEvent struct {
	typ, source, subject, id, time string
	dataFile                       string // expected data, compared as JSON
	trigger                        function.Trigger
}

func assertEvent(t *testing.T, r *recorder, want wantEvent) function.Invocation {
	t.Helper()
	e, inv := r.only(t)
	assert.Equal(t, "1.0", e.SpecVersion())
	assert.Equal(t, want.typ, e.Type(), "type")
	assert.Equal(t, want.source, e.Source(), "source")
	assert.Equal(t, want.subject, e.Subject(), "subject")
	assert.Equal(t, want.id, e.ID(), "id")
	wantTime, err := time.Parse(time.RFC3339Nano, want.time)
	require.NoError(t, err)
	assert.True(t, wantTime.Equal(e.Time()), "time: got %s, want %s", e.Time(), wantTime)
	assert.Equal(t, "application/json", e.DataContentType())
	assert.JSONEq(t, string(readTestdata(t, want.dataFile)), string(e.Data()), "data")
	assert.Equal(t, want.trigger, inv.Trigger, "trigger")
	return inv
}

// Legacy background events reach the handler as the Functions Framework
// converts them.
func TestLegacyEvents(t *testing.T) {
	tests := []struct {
		name string
		want wantEvent
	}{
		{"pubsub", wantEvent{
			typ: "google.cloud.pubsub.topic.v1.messagePublished", source: "//pubsub.googleapis.com/projects/shop-prod/topics/orders",
			id: "8412930561237654", time: "2024-05-10T12:34:56.789Z", trigger: function.TriggerPubSub}},
		{"pubsub_flat", wantEvent{
			typ: "google.cloud.pubsub.topic.v1.messagePublished", source: "//pubsub.googleapis.com/projects/shop-prod/topics/orders",
			id: "8412930561237655", time: "2024-05-10T12:35:01.002Z", trigger: function.TriggerPubSub}},
		{"storage_finalize", wantEvent{
			typ: "google.cloud.storage.object.v1.finalized", source: "//storage.googleapis.com/projects/_/buckets/shop-uploads",
			subject: "objects/invoices/2024/05/inv-17.pdf", id: "5518331928847211", time: "2024-05-11T08:15:42.117Z",
			trigger: function.TriggerDatasource}},
		{"storage_delete", wantEvent{
			typ: "google.cloud.storage.object.v1.deleted", source: "//storage.googleapis.com/projects/_/buckets/shop-uploads",
			subject: "objects/tmp/upload-77.bin", id: "5518331928847299", time: "2024-05-12T09:00:00Z",
			trigger: function.TriggerDatasource}},
		{"firestore_write", wantEvent{
			typ: "google.cloud.firestore.document.v1.written", source: "//firestore.googleapis.com/projects/shop-prod/databases/(default)",
			subject: "documents/orders/o-1042", id: "a3c7e0b4-2f1d-4a61-9d0e-7e4b1f3c2a10-0", time: "2024-05-13T17:20:05.482Z",
			trigger: function.TriggerDatasource}},
		{"firebase_auth_create", wantEvent{
			typ: "google.firebase.auth.user.v1.created", source: "//firebaseauth.googleapis.com/projects/shop-prod",
			subject: "users/Xq2bN7r1LwTz9vK0pYd3", id: "7f2c9a41-1b3e-4c55-8d2a-0e9f6b7c1d23", time: "2024-05-14T10:11:12.540Z",
			trigger: function.TriggerOther}},
		{"firebase_db_write", wantEvent{
			typ: "google.firebase.database.ref.v1.written", source: "//firebasedatabase.googleapis.com/projects/_/locations/europe-west1/instances/shop-prod-default-rtdb",
			subject: "refs/carts/u-7", id: "Qm7vH3xK1pR9tZ2bL5cW8yN0aE4=", time: "2024-05-15T06:07:08.009Z",
			trigger: function.TriggerDatasource}},
		{"firebase_db_default", wantEvent{
			typ: "google.firebase.database.ref.v1.deleted", source: "//firebasedatabase.googleapis.com/projects/_/locations/us-central1/instances/shop-legacy",
			subject: "refs/carts/u-8/sku-1", id: "Zx1cV2bN3mA4sD5fG6hJ7kL8qW9=", time: "2024-05-15T06:09:00Z",
			trigger: function.TriggerDatasource}},
		{"analytics_log", wantEvent{
			typ: "google.firebase.analytics.log.v1.written", source: "//firebase.googleapis.com/projects/shop-prod",
			subject: "events/purchase", id: "1715890882232000-purchase", time: "2024-05-16T20:21:22.232Z",
			trigger: function.TriggerOther}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			s := newServer(t, gcf.Events(rec))
			body := readTestdata(t, "legacy/"+tt.name+".json")
			resp := post(s, "/", hdr("Content-Type", "application/json"), body)
			require.Equal(t, http.StatusOK, resp.Code, resp.Body.String())
			tt.want.dataFile = "legacy/" + tt.name + ".want.json"
			inv := assertEvent(t, rec, tt.want)
			raw, ok := inv.Native.(*gcf.RawEvent)
			require.True(t, ok, "Native should be *gcf.RawEvent, got %T", inv.Native)
			assert.Equal(t, body, raw.Body)
			assert.Equal(t, "application/json", raw.Request.Header.Get("Content-Type"), "the caller's request headers stay as sent")
		})
	}
}

// Pub/Sub push requests become messagePublished events carrying the push
// body, as Eventarc delivers them.
func TestPubSubPush(t *testing.T) {
	tests := []struct {
		name, file, path string
		want             wantEvent
		wantAttempt      int
	}{
		{"topic in path", "push/message.json", "/projects/shop-prod/topics/orders", wantEvent{
			source: "//pubsub.googleapis.com/projects/shop-prod/topics/orders", id: "9001234567890123",
			time: "2024-05-17T11:00:00.5Z"}, 3},
		{"subscription as source", "push/message.json", "/", wantEvent{
			source: "//pubsub.googleapis.com/projects/shop-prod/subscriptions/orders-push", id: "9001234567890123",
			time: "2024-05-17T11:00:00.5Z"}, 3},
		{"snake case fields", "push/message_snake.json", "/push?token=x", wantEvent{
			source: "//pubsub.googleapis.com/projects/shop-prod/subscriptions/audit-push", id: "9001234567890124",
			time: "2024-05-17T11:00:01Z"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			s := newServer(t, gcf.Events(rec))
			body := readTestdata(t, tt.file)
			resp := post(s, tt.path, hdr("Content-Type", "application/json", "Ce-Subject", "injected"), body)
			require.Equal(t, http.StatusOK, resp.Code, resp.Body.String())
			tt.want.typ = gcf.PubSubMessagePublished
			tt.want.dataFile = tt.file
			tt.want.trigger = function.TriggerPubSub
			inv := assertEvent(t, rec, tt.want)
			assert.Equal(t, tt.wantAttempt, inv.Attempt)
			raw, ok := inv.Native.(*gcf.RawEvent)
			require.True(t, ok, "Native should be *gcf.RawEvent, got %T", inv.Native)
			assert.Equal(t, body, raw.Body)
		})
	}
}

// Eventarc CloudEvents, binary and structured, pass through unchanged.
func TestCloudEvents(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		file   string
		want   wantEvent
	}{
		{"binary storage", []string{
			"Ce-Specversion", "1.0", "Ce-Id", "5518331928847400", "Ce-Type", "google.cloud.storage.object.v1.finalized",
			"Ce-Source", "//storage.googleapis.com/projects/_/buckets/shop-uploads", "Ce-Subject", "objects/invoices/2024/05/inv-18.pdf",
			"Ce-Time", "2024-05-11T08:16:40.123456Z", "Content-Type", "application/json"},
			"cloudevent/storage_binary.json", wantEvent{
				typ: "google.cloud.storage.object.v1.finalized", source: "//storage.googleapis.com/projects/_/buckets/shop-uploads",
				subject: "objects/invoices/2024/05/inv-18.pdf", id: "5518331928847400", time: "2024-05-11T08:16:40.123456Z",
				dataFile: "cloudevent/storage_binary.json", trigger: function.TriggerDatasource}},
		{"binary firestore", []string{
			"Ce-Specversion", "1.0", "Ce-Id", "f-1046", "Ce-Type", "google.cloud.firestore.document.v1.updated",
			"Ce-Source", "//firestore.googleapis.com/projects/shop-prod/databases/(default)", "Ce-Subject", "documents/orders/o-1046",
			"Ce-Time", "2024-05-18T09:10:11Z", "Content-Type", "application/json"},
			"cloudevent/firestore_binary.json", wantEvent{
				typ: "google.cloud.firestore.document.v1.updated", source: "//firestore.googleapis.com/projects/shop-prod/databases/(default)",
				subject: "documents/orders/o-1046", id: "f-1046", time: "2024-05-18T09:10:11Z",
				dataFile: "cloudevent/firestore_binary.json", trigger: function.TriggerDatasource}},
		{"structured pubsub", []string{"Content-Type", "application/cloudevents+json; charset=utf-8"},
			"cloudevent/pubsub_structured.json", wantEvent{
				typ: gcf.PubSubMessagePublished, source: "//pubsub.googleapis.com/projects/shop-prod/topics/orders",
				id: "9001234567890125", time: "2024-05-17T11:02:03.456Z",
				dataFile: "cloudevent/pubsub_structured.want.json", trigger: function.TriggerPubSub}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			s := newServer(t, gcf.Events(rec))
			resp := post(s, "/", hdr(tt.header...), readTestdata(t, tt.file))
			require.Equal(t, http.StatusOK, resp.Code, resp.Body.String())
			inv := assertEvent(t, rec, tt.want)
			_, ok := inv.Native.(*http.Request)
			assert.True(t, ok, "Native should be the *http.Request, got %T", inv.Native)
		})
	}
}

// Bad input is answered with a clear 4xx and never reaches the handler.
func TestBadInput(t *testing.T) {
	storage := `"eventType":"google.storage.object.finalize","resource":{"service":"storage.googleapis.com","name":"projects/_/buckets/b/objects/o"}`
	tests := []struct {
		name, path string
		header     []string
		body       string
		wantCode   int
		wantMsg    string
	}{
		{"context without eventId", "/", nil, `{"context":{` + storage + `},"data":{}}`, 400, "eventId"},
		{"context without resource", "/", nil, `{"context":{"eventId":"1","eventType":"google.storage.object.finalize"},"data":{}}`, 400, "resource"},
		{"context without eventType", "/", nil, `{"context":{"eventId":"1","resource":"projects/p/topics/t"},"data":{}}`, 400, "eventType"},
		{"unknown legacy type", "/", nil, `{"context":{"eventId":"1","eventType":"google.nothing.happened","resource":"x"},"data":{}}`, 400, "google.nothing.happened"},
		{"storage resource without object", "/", nil, `{"context":{"eventId":"1","eventType":"google.storage.object.finalize","resource":{"service":"storage.googleapis.com","name":"projects/_/buckets/b"}},"data":{}}`, 400, "resource"},
		{"resource of wrong type", "/", nil, `{"context":{"eventId":"1","eventType":"google.storage.object.finalize","resource":7},"data":{}}`, 400, "legacy event"},
		{"bad timestamp", "/", nil, `{"context":{"eventId":"1","timestamp":"yesterday",` + storage + `},"data":{}}`, 400, "legacy event"},
		{"push without message id", "/", nil, `{"message":{"data":"aGk="},"subscription":"projects/p/subscriptions/s"}`, 400, "messageId"},
		{"push without message", "/", nil, `{"subscription":"projects/p/subscriptions/s"}`, 400, "message"},
		{"push without subscription or topic", "/", nil, `{"message":{"messageId":"1","data":"aGk="}}`, 400, "subscription"},
		{"push with bad publish time", "/", nil, `{"message":{"messageId":"1","publishTime":"soon"},"subscription":"projects/p/subscriptions/s"}`, 400, ""},
		{"push message of wrong type", "/", nil, `{"message":"hi","subscription":"projects/p/subscriptions/s"}`, 400, "JSON"},
		{"structured malformed", "/", []string{"Content-Type", "application/cloudevents+json"}, `{"specversion":"1.0","id":`, 400, ""},
		{"structured without source", "/", []string{"Content-Type", "application/cloudevents+json"}, `{"specversion":"1.0","id":"1","type":"t"}`, 400, "source"},
		{"binary without type", "/", []string{"Ce-Specversion", "1.0", "Ce-Id", "1", "Ce-Source", "s"}, `{}`, 400, "type"},
		{"binary with bad time", "/", []string{"Ce-Specversion", "1.0", "Ce-Id", "1", "Ce-Source", "s", "Ce-Type", "t", "Ce-Time", "noon"}, `{}`, 400, ""},
		{"binary with unknown spec version", "/", []string{"Ce-Specversion", "9.9", "Ce-Id", "1", "Ce-Source", "s", "Ce-Type", "t"}, `{}`, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			s := newServer(t, gcf.Events(rec))
			resp := post(s, tt.path, hdr(tt.header...), []byte(tt.body))
			if tt.wantCode == 0 {
				assert.GreaterOrEqual(t, resp.Code, 400)
				assert.Less(t, resp.Code, 500, resp.Body.String())
			} else {
				assert.Equal(t, tt.wantCode, resp.Code, resp.Body.String())
			}
			assert.Contains(t, resp.Body.String(), tt.wantMsg)
			assert.Zero(t, rec.count(), "the handler must not be called")
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	rec := &recorder{}
	s := newServer(t, gcf.Events(rec), gcf.WithMaxBodyBytes(64))
	body := `{"message":{"messageId":"1","data":"` + strings.Repeat("A", 100) + `"},"subscription":"projects/p/subscriptions/s"}`
	resp := post(s, "/", nil, []byte(body))
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.Code)
	assert.Contains(t, resp.Body.String(), "WithMaxBodyBytes")
	assert.Zero(t, rec.count())
}

// A plain request to a function with only an event handler is an event
// too: a com.github.faasport.http.request whose data is the body. The
// caller, who sent no CloudEvent, gets the reply's data back.
func TestPlainRequestToEventHandler(t *testing.T) {
	tests := []struct {
		name, contentType, body string
	}{
		{"JSON that is no event", "application/json", `{"orderId":"o-1"}`},
		{"data without context", "application/json", `{"data":{"a":1}}`},
		{"not JSON", "application/json", `{"context":`},
		{"plain text", "text/plain", `hello`},
		{"empty body", "", ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{then: func(ctx context.Context, e event.Event) (*event.Event, error) {
				r := event.New()
				r.SetID("r-1")
				r.SetSource("/orders")
				r.SetType("com.example.ack")
				require.NoError(t, r.SetData("text/plain", "got "+string(e.Data())))
				return &r, nil
			}}
			s := newServer(t, gcf.Events(rec))
			resp := post(s, "/orders", hdr("Content-Type", tt.contentType), []byte(tt.body))
			require.Equal(t, http.StatusOK, resp.Code, resp.Body.String())
			assert.Equal(t, "got "+tt.body, resp.Body.String())
			assert.Equal(t, "text/plain", resp.Header().Get("Content-Type"))
			assert.Empty(t, resp.Header().Get("Ce-Id"), "no CloudEvent back to a plain caller")
			e, inv := rec.only(t)
			assert.Equal(t, frontdoor.TypeHTTPRequest, e.Type())
			assert.Equal(t, tt.body, string(e.Data()))
			assert.Equal(t, function.TriggerHTTP, inv.Trigger)
		})
	}
}
