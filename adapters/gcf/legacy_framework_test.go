package gcf_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/gcf"
)

// legacyCases are the legacy event bodies both sides convert: every
// fixture in testdata/legacy, and the shapes of the conformance client's
// legacy events (flat metadata, string resources, Pub/Sub with and without
// attributes, Firebase Realtime Database in and outside us-central1).
func legacyCases(t *testing.T) map[string][]byte {
	t.Helper()
	cases := map[string][]byte{}
	files, err := filepath.Glob("testdata/legacy/*.json")
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, ".want.json") {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		cases[filepath.Base(f)] = b
	}
	cases["pubsub without attributes"] = []byte(`{"context":{"eventId":"1144231683168617","timestamp":"2020-05-06T07:33:34.556Z","eventType":"google.pubsub.topic.publish","resource":{"service":"pubsub.googleapis.com","name":"projects/sample-project/topics/gcf-test","type":"type.googleapis.com/google.pubsub.v1.PubsubMessage"}},"data":{"@type":"type.googleapis.com/google.pubsub.v1.PubsubMessage","data":"AQID"}}`)
	cases["storage, legacy object.change with string resource"] = []byte(`{"eventId":"1147091835525187","timestamp":"2020-04-23T07:38:57.772Z","eventType":"providers/cloud.storage/eventTypes/object.change","resource":"projects/_/buckets/some-bucket/objects/folder/Test.cs","data":{"bucket":"some-bucket","name":"folder/Test.cs","size":"352","kind":"storage#object"}}`)
	cases["firestore delete"] = []byte(`{"data":{"oldValue":{"name":"projects/project-id/databases/(default)/documents/gcf-test/2Vm2mI1d0wIaK2Waj5to","fields":{"another test":{"stringValue":"asd"}}},"value":{},"updateMask":{}},"eventType":"providers/cloud.firestore/eventTypes/document.delete","resource":"projects/project-id/databases/(default)/documents/gcf-test/2Vm2mI1d0wIaK2Waj5to","timestamp":"2020-09-24T21:07:04.123Z","eventId":"5ab2b2c4-b9b2-4f02-a1e3-fa8a0b67e4c2-0"}`)
	cases["firebase auth delete, number uid"] = []byte(`{"data":{"uid":12345,"metadata":{"createdAt":"2020-05-26T10:42:27.088Z"}},"eventId":"aaaaaa-1111-bbbb-2222-cccccccccccc","eventType":"providers/firebase.auth/eventTypes/user.delete","resource":"projects/my-project-id","timestamp":"2020-09-29T11:32:00.000Z"}`)
	cases["realtime database, europe"] = []byte(`{"eventType":"providers/google.firebase.database/eventTypes/ref.create","params":{"child":"xyz"},"auth":{"admin":true},"domain":"europe-west1.firebasedatabase.app","data":{"data":null,"delta":{"grandchild":"other <b>html</b> & more"}},"resource":"projects/_/instances/my-project-id/refs/gcf-test/xyz","timestamp":"2020-09-29T11:32:00.000Z","eventId":"aaaaaa-1111-bbbb-2222-cccccccccccc"}`)
	cases["large numbers and escapes"] = []byte(`{"context":{"eventId":"n-1","timestamp":"2024-01-02T03:04:05.123456789Z","eventType":"google.storage.object.finalize","resource":{"service":"storage.googleapis.com","name":"projects/_/buckets/b/objects/a&b<c>.txt","type":"storage#object"}},"data":{"size":12345678901234567890,"ratio":1e-7,"name":"a&b<c>.txt","unicode":"\u00e9\u2028"}}`)
	return cases
}

// post sends body to url and fails the test unless it is acknowledged.
func postTo(t *testing.T, url string, header http.Header, body []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func receive[T any](t *testing.T, c chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("the framework's function was not called")
	}
	var zero T
	return zero
}

// TestLegacyMatchesFramework runs the real Functions Framework, through its
// public API on a loopback listener, beside the adapter, and compares what
// a function gets from each: the CloudEvent a legacy event becomes
// (frontdoor's conversion), and the legacy form gcf.Legacy recovers from a
// legacy event and from a CloudEvent.
func TestLegacyMatchesFramework(t *testing.T) {
	fw := startFramework(t)
	for name, body := range legacyCases(t) {
		t.Run(name, func(t *testing.T) {
			jsonHeader := http.Header{"Content-Type": {"application/json"}}

			// Legacy event → CloudEvent.
			postTo(t, fw.url+"/ce", jsonHeader, body)
			want := receive(t, fw.events)
			var got event.Event
			var gotLegacy *gcf.LegacyEvent
			rec := &recorder{then: func(ctx context.Context, e event.Event) (*event.Event, error) {
				got = e
				var err error
				gotLegacy, err = gcf.Legacy(ctx, e)
				require.NoError(t, err)
				return nil, nil
			}}
			s := newServer(t, gcf.Events(rec))
			resp := post(s, "/", jsonHeader, body)
			require.Equal(t, http.StatusOK, resp.Code, resp.Body.String())
			assertSameEvent(t, want, got)

			// Legacy event → legacy form.
			postTo(t, fw.url+"/bg", jsonHeader, body)
			wantLegacy := receive(t, fw.legacy)
			assertSameLegacy(t, wantLegacy, gotLegacy)

			// CloudEvent → legacy form, in binary mode as Eventarc sends it.
			h := binaryHeader(want.ID(), want.Type(), want.Source(), want.Subject(), want.Time().Format(time.RFC3339Nano))
			h.Set("Content-Type", "application/json")
			postTo(t, fw.url+"/bg", h, want.Data())
			wantLegacy = receive(t, fw.legacy)
			gotLegacy = nil
			resp = post(s, "/", h, want.Data())
			require.Equal(t, http.StatusOK, resp.Code, resp.Body.String())
			assertSameLegacy(t, wantLegacy, gotLegacy)
		})
	}
}

func assertSameEvent(t *testing.T, want cloudevents.Event, got event.Event) {
	t.Helper()
	assert.Equal(t, want.ID(), got.ID(), "id")
	assert.Equal(t, want.Type(), got.Type(), "type")
	assert.Equal(t, want.Source(), got.Source(), "source")
	assert.Equal(t, want.Subject(), got.Subject(), "subject")
	assert.True(t, want.Time().Equal(got.Time()), "time: want %s, got %s", want.Time(), got.Time())
	assert.Equal(t, want.DataContentType(), got.DataContentType(), "datacontenttype")
	assert.Equal(t, string(want.Data()), string(got.Data()), "data, byte for byte")
	assert.Equal(t, want.Extensions(), got.Extensions(), "extensions")
}

func assertSameLegacy(t *testing.T, want frameworkLegacy, got *gcf.LegacyEvent) {
	t.Helper()
	require.NotNil(t, got)
	assert.Equal(t, want.md.EventID, got.Context.EventID, "eventId")
	assert.Equal(t, want.md.EventType, got.Context.EventType, "eventType")
	assert.True(t, want.md.Timestamp.Equal(got.Context.Timestamp), "timestamp: want %s, got %s", want.md.Timestamp, got.Context.Timestamp)
	assert.Equal(t, want.md.Resource, got.Context.Resource, "resource")
	assert.Equal(t, string(bytes.TrimSpace(want.data)), string(got.Data), "data, byte for byte")
}
