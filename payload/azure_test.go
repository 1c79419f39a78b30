package payload

import (
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// azureEvent builds an event as adapters/azure delivers a message trigger:
// data is {"Data": <trigger value>, "Metadata": {…}} as the host sent them.
func azureEvent(t *testing.T, typ, id, data string) event.Event {
	t.Helper()
	e := event.New()
	e.SetID(id)
	e.SetSource("/azure/test")
	e.SetType(typ)
	e.SetDataContentType(event.ApplicationJSON)
	e.DataEncoded = []byte(data)
	require.NoError(t, e.Validate())
	return e
}

// readAzure reads e as Read does once payload.go dispatches Azure types.
func readAzure(t *testing.T, e event.Event) (*Message, error) {
	t.Helper()
	read := azureReader(e.Type())
	require.NotNil(t, read, "no Azure reader for %q", e.Type())
	m := &Message{ID: e.ID(), Source: e.Source(), PublishTime: e.Time()}
	if err := read(m, e); err != nil {
		return nil, err
	}
	if m.ContentType == "" {
		m.ContentType = Sniff(m.Data)
	}
	return m, nil
}

func TestAzureMessages(t *testing.T) {
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		return v.UTC()
	}
	tests := []struct {
		name, typ, data string
		want            Message
	}{
		{
			"queue storage, documented shape", azureQueue,
			`{"Data":"{\"id\":\"o-1\"}","Metadata":{"Id":"q-1","DequeueCount":2,"InsertionTime":"2026-03-02T10:00:00+00:00"}}`,
			Message{ID: "q-1", Data: []byte(`{"id":"o-1"}`), ContentType: ContentTypeJSON, Attempt: 2, PublishTime: ts("2026-03-02T10:00:00Z"), Source: "/azure/test"},
		},
		{
			"queue storage, as the host encodes", azureQueue,
			`{"Data":"\"plain text\"","Metadata":{"Id":"\"q-2\"","DequeueCount":"5","InsertionTime":"2026-03-02T10:00:00Z"}}`,
			Message{ID: "q-2", Data: []byte("plain text"), ContentType: ContentTypeBinary, Attempt: 5, PublishTime: ts("2026-03-02T10:00:00Z"), Source: "/azure/test"},
		},
		{
			"service bus 5.x", azureServiceBus,
			`{"Data":"{\"amount\":42}","Metadata":{"MessageId":"m-1","SessionId":"s-7","ContentType":"application/json","DeliveryCount":3,"EnqueuedTimeUtc":"2026-03-02T09:59:58.123Z",
			  "ApplicationProperties":{"tenant":"acme","Diagnostic-Id":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}}`,
			Message{ID: "m-1", Data: []byte(`{"amount":42}`), ContentType: "application/json", OrderingKey: "s-7", Attempt: 3,
				PublishTime: ts("2026-03-02T09:59:58.123Z"), Source: "/azure/test",
				Attributes: map[string]string{"tenant": "acme", "Diagnostic-Id": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
				Trace:      Trace{TraceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}},
		},
		{
			"service bus, older UserProperties and a traceparent", azureServiceBus,
			`{"Data":"hello","Metadata":{"MessageId":"\"m-2\"","DeliveryCount":"1","UserProperties":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","n":7}}}`,
			Message{ID: "m-2", Data: []byte("hello"), ContentType: ContentTypeBinary, Attempt: 1, Source: "/azure/test",
				Attributes: map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "n": "7"},
				Trace:      Trace{TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}},
		},
		{
			"service bus binary body", azureServiceBus,
			`{"Data":"AAEC","Metadata":{"MessageId":"m-3"},"DataType":"binary"}`,
			Message{ID: "m-3", Data: []byte{0, 1, 2}, ContentType: ContentTypeBinary, Source: "/azure/test"},
		},
		{
			"event hubs event", azureEventHubs,
			`{"Data":"{\"temp\":21.5}","Metadata":{"PartitionKey":"device-1","SequenceNumber":1001,"EnqueuedTimeUtc":"2026-03-02T10:00:00Z","Properties":{"unit":"C"}}}`,
			Message{ID: "3:1001", Data: []byte(`{"temp":21.5}`), ContentType: ContentTypeJSON, OrderingKey: "device-1",
				PublishTime: ts("2026-03-02T10:00:00Z"), Source: "/azure/test", Attributes: map[string]string{"unit": "C"}},
		},
		{
			"event hubs event retried by the host's retry policy", azureEventHubs,
			`{"Data":"x","Metadata":{"RetryContext":{"RetryCount":2,"MaxRetryCount":5}}}`,
			Message{ID: "3:1001", Data: []byte("x"), ContentType: ContentTypeBinary, Attempt: 3, Source: "/azure/test"},
		},
		{
			"blob", azureBlob,
			`{"Data":"aGVsbG8=","Metadata":{"BlobTrigger":"uploads/a.txt","Properties":{"ContentType":"text/plain","LastModified":"2026-03-02T09:58:00+00:00"},"Metadata":{"owner":"finance"}},"DataType":"binary"}`,
			Message{ID: "3:1001", Data: []byte("hello"), ContentType: "text/plain", PublishTime: ts("2026-03-02T09:58:00Z"), Source: "/azure/test",
				Attributes: map[string]string{"owner": "finance"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.want.ID
			if tt.typ == azureEventHubs || tt.typ == azureBlob {
				id = "3:1001"
			}
			m, err := readAzure(t, azureEvent(t, tt.typ, id, tt.data))
			require.NoError(t, err)
			assert.Equal(t, tt.want, *m)
		})
	}
}

func TestAzureMalformed(t *testing.T) {
	tests := []struct{ name, typ, data string }{
		{"not JSON", azureQueue, `{"Data":`},
		{"not an object", azureServiceBus, `"text"`},
		{"binary not base64", azureServiceBus, `{"Data":"%%%","Metadata":{},"DataType":"binary"}`},
		{"data not a string", azureQueue, `{"Data":"\"unterminated","Metadata":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAzure(t, azureEvent(t, tt.typ, "x", tt.data))
			if tt.name == "data not a string" {
				// A string that is not a JSON string literal is the text
				// itself, as the documentation shows queue messages.
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
		})
	}
}

// TestAzureDispatch checks that payload.go dispatches the Azure types to
// azureReader.
func TestAzureDispatch(t *testing.T) {
	read, _ := envelope(azureServiceBus)
	require.NotNil(t, read)
	e := azureEvent(t, azureServiceBus, "m-1", `{"Data":"{\"a\":1}","Metadata":{"MessageId":"m-9","DeliveryCount":2}}`)
	m, err := Of(e)
	require.NoError(t, err)
	assert.Equal(t, "m-9", m.ID)
	assert.Equal(t, `{"a":1}`, string(m.Data))
	assert.Equal(t, 2, m.Attempt)
	assert.Nil(t, azureReader("com.microsoft.azure.cosmosdb.change"), "a change is its own payload")
}

// FuzzAzureEnvelope feeds arbitrary envelopes to every Azure reader: an
// error or a message, never a panic.
func FuzzAzureEnvelope(f *testing.F) {
	f.Add(azureServiceBus, `{"Data":"{\"a\":1}","Metadata":{"MessageId":"m","DeliveryCount":"2","ApplicationProperties":{"k":"v"}}}`)
	f.Add(azureQueue, `{"Data":"\"x\"","Metadata":{"Id":"\"q\"","DequeueCount":1}}`)
	f.Add(azureBlob, `{"Data":"AAE=","Metadata":{"Properties":"{\"ContentType\":\"a/b\"}"},"DataType":"binary"}`)
	f.Add(azureEventHubs, `{"Data":[1,2],"Metadata":{"RetryContext":"{\"RetryCount\":1}"}}`)
	f.Fuzz(func(t *testing.T, typ, data string) {
		read := azureReader(typ)
		if read == nil {
			return
		}
		e := event.New()
		e.SetID("id")
		e.SetSource("/s")
		e.SetType(typ)
		e.DataEncoded = []byte(data)
		m := &Message{}
		_ = read(m, e)
	})
}
