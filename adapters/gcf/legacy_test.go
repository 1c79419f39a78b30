package gcf_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/gcf"
)

func TestLegacy(t *testing.T) {
	tests := []struct {
		name         string
		path         string
		header       http.Header
		body         []byte
		wantType     string
		wantResource string // the resource as JSON
		wantData     string
		wantErr      string
	}{
		{name: "legacy event as sent",
			header:       hdr("Content-Type", "application/json"),
			body:         readTestdata(t, "legacy/storage_delete.json"),
			wantType:     "google.storage.object.delete",
			wantResource: `{"service":"storage.googleapis.com","name":"projects/_/buckets/shop-uploads/objects/tmp/upload-77.bin","type":"storage#object"}`,
			wantData:     string(readTestdata(t, "legacy/storage_delete.want.json"))},
		{name: "CloudEvent converted",
			header: binaryHeader("ev-9", "google.cloud.storage.object.v1.finalized",
				"//storage.googleapis.com/projects/_/buckets/shop-uploads", "objects/a.txt", "2024-05-11T08:16:40Z"),
			body:         []byte(`{"kind":"storage#object","name":"a.txt","bucket":"shop-uploads"}`),
			wantType:     "google.storage.object.finalize",
			wantResource: `{"service":"storage.googleapis.com","name":"projects/_/buckets/shop-uploads/objects/a.txt","type":"storage#object"}`,
			wantData:     `{"kind":"storage#object","name":"a.txt","bucket":"shop-uploads"}`},
		{name: "Pub/Sub CloudEvent converted",
			header:       binaryHeader("m-3", gcf.PubSubMessagePublished, "//pubsub.googleapis.com/projects/p/topics/t", "", "2024-05-17T11:00:00Z"),
			body:         []byte(`{"message":{"messageId":"m-3","publishTime":"2024-05-17T11:00:00Z","data":"aGk=","attributes":{"k":"v"}},"subscription":"projects/p/subscriptions/s"}`),
			wantType:     "google.pubsub.topic.publish",
			wantResource: `{"service":"pubsub.googleapis.com","name":"projects/p/topics/t","type":"type.googleapis.com/google.pubsub.v1.PubsubMessage"}`,
			wantData:     `{"data":"aGk=","attributes":{"k":"v"}}`},
		// "pubusb" is the framework's own spelling for push requests.
		{name: "Pub/Sub push as the framework reads it", path: "/projects/shop-prod/topics/orders",
			header:       hdr("Content-Type", "application/json"),
			body:         readTestdata(t, "push/message.json"),
			wantType:     "google.pubsub.topic.publish",
			wantResource: `{"service":"pubsub.googleapis.com","name":"projects/shop-prod/topics/orders","type":"type.googleapis.com/google.pubusb.v1.PubsubMessage"}`,
			wantData:     `{"@type":"type.googleapis.com/google.pubusb.v1.PubsubMessage","data":"eyJvcmRlcklkIjoiby0xMDQ0In0=","attributes":{"origin":"web"}}`},
		{name: "type without legacy equivalent",
			header:  binaryHeader("x-1", "com.example.thing", "//example", "", ""),
			body:    []byte(`{}`),
			wantErr: "no legacy equivalent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *gcf.LegacyEvent
			var gotErr error
			rec := &recorder{then: func(ctx context.Context, e event.Event) (*event.Event, error) {
				got, gotErr = gcf.Legacy(ctx, e)
				return nil, nil
			}}
			s := newServer(t, gcf.Events(rec))
			if tt.path == "" {
				tt.path = "/"
			}
			resp := post(s, tt.path, tt.header, tt.body)
			require.Equal(t, http.StatusOK, resp.Code, resp.Body.String())
			if tt.wantErr != "" {
				assert.ErrorContains(t, gotErr, tt.wantErr)
				return
			}
			require.NoError(t, gotErr)
			assert.Equal(t, tt.wantType, got.Context.EventType)
			res, err := got.Context.Resource.MarshalJSON()
			require.NoError(t, err)
			assert.JSONEq(t, tt.wantResource, string(res))
			assert.JSONEq(t, tt.wantData, string(got.Data))
		})
	}
}

// Legacy works on an event handled outside any adapter too.
func TestLegacyWithoutAdapter(t *testing.T) {
	e := event.New()
	e.SetID("ev-1")
	e.SetType("google.cloud.firestore.document.v1.deleted")
	e.SetSource("//firestore.googleapis.com/projects/p/databases/(default)")
	e.SetSubject("documents/orders/o-1")
	e.SetTime(time.Date(2024, 5, 1, 2, 3, 4, 0, time.UTC))
	require.NoError(t, e.SetData(event.ApplicationJSON, map[string]any{"oldValue": map[string]any{"name": "x"}}))
	le, err := gcf.Legacy(context.Background(), e)
	require.NoError(t, err)
	assert.Equal(t, "providers/cloud.firestore/eventTypes/document.delete", le.Context.EventType)
	assert.Equal(t, "ev-1", le.Context.EventID)
	assert.True(t, le.Context.Timestamp.Equal(e.Time()))
}
