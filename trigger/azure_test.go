package trigger

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func azEvent(t *testing.T, typ, source, subject, data string) event.Event {
	t.Helper()
	e := event.New()
	e.SetID("id-1")
	e.SetSource(source)
	e.SetType(typ)
	if subject != "" {
		e.SetSubject(subject)
	}
	e.SetTime(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	e.SetDataContentType(event.ApplicationJSON)
	e.DataEncoded = []byte(data)
	require.NoError(t, e.Validate())
	return e
}

func TestAzureObjects(t *testing.T) {
	tests := []struct {
		name string
		e    event.Event
		read func(*Object, event.Event) error
		want Object
	}{
		{
			"blob trigger",
			azEvent(t, typeAzureBlob, "/storage/blobs/uploads", "reports/q1.txt",
				`{"Data":"aGk=","Metadata":{"BlobTrigger":"uploads/reports/q1.txt","Properties":{"ContentType":"text/plain","ContentLength":12,"ETag":"\"0x8DC\"","LastModified":"2026-03-02T09:58:00+00:00"}},"DataType":"binary"}`),
			(*Object).fromAzureBlob,
			Object{Bucket: "uploads", Key: "reports/q1.txt", Size: 12, ContentType: "text/plain", ETag: "0x8DC", Change: ObjectCreated},
		},
		{
			"blob trigger, host-encoded properties and only a Uri",
			azEvent(t, typeAzureBlob, "/storage/blobs/uploads", "",
				`{"Data":"","Metadata":{"Uri":"\"https://acct.blob.core.windows.net/uploads/a/b.bin\"","Properties":"{\"Length\":\"5\"}"}}`),
			(*Object).fromAzureBlob,
			Object{Bucket: "uploads", Key: "a/b.bin", Size: 5, Change: ObjectCreated},
		},
		{
			"event grid blob created",
			azEvent(t, "Microsoft.Storage.BlobCreated", "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/photos",
				"/blobServices/default/containers/raw/blobs/2026/cat.jpg",
				`{"api":"PutBlockList","eTag":"0x8D4BCC2E4835CD0","contentType":"image/jpeg","contentLength":524288,"url":"https://photos.blob.core.windows.net/raw/2026/cat.jpg"}`),
			(*Object).fromEventGridBlob,
			Object{Bucket: "raw", Key: "2026/cat.jpg", Size: 524288, ContentType: "image/jpeg", ETag: "0x8D4BCC2E4835CD0", Change: ObjectCreated},
		},
		{
			"event grid blob deleted",
			azEvent(t, "Microsoft.Storage.BlobDeleted", "/subscriptions/x", "/blobServices/default/containers/raw/blobs/old.jpg", `{"api":"DeleteBlob"}`),
			(*Object).fromEventGridBlob,
			Object{Bucket: "raw", Key: "old.jpg", Change: ObjectDeleted},
		},
		{
			"event grid blob tier changed",
			azEvent(t, "Microsoft.Storage.BlobTierChanged", "/subscriptions/x", "/blobServices/default/containers/raw/blobs/old.jpg", `{}`),
			(*Object).fromEventGridBlob,
			Object{Bucket: "raw", Key: "old.jpg", Change: ObjectArchived},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Object{Time: tt.e.Time(), Event: tt.e}
			require.NoError(t, tt.read(&o, tt.e))
			tt.want.Event = tt.e
			if tt.want.Time.IsZero() {
				tt.want.Time = tt.e.Time()
			}
			assert.Equal(t, tt.want, o)
		})
	}
}

func TestAzureObjectMalformed(t *testing.T) {
	e := azEvent(t, "Microsoft.Storage.BlobCreated", "/s", "/no/container", `{}`)
	var o Object
	require.Error(t, o.fromEventGridBlob(e))
	e = azEvent(t, typeAzureBlob, "/s", "", `[1]`)
	require.Error(t, o.fromAzureBlob(e))
}

func TestAzureCosmosChange(t *testing.T) {
	e := azEvent(t, typeAzureCosmos, "/cosmosdb/shop/orders", "o-1", `{"id":"o-1","status":"paid","total":12.5,"_lsn":10}`)
	c := Change{Time: e.Time(), Event: e}
	require.NoError(t, c.fromCosmos(e))
	assert.Equal(t, OpWrite, c.Op)
	assert.Equal(t, "shop/orders", c.Table)
	assert.Equal(t, map[string]any{"id": "o-1"}, c.Key)
	assert.Equal(t, json.Number("12.5"), c.New["total"])
	assert.Nil(t, c.Old)

	bad := azEvent(t, typeAzureCosmos, "/cosmosdb/shop/orders", "", `null`)
	require.Error(t, c.fromCosmos(bad))
}

func TestAzureTick(t *testing.T) {
	e := azEvent(t, typeAzureTimer, "/timers/Tick", "0 */5 * * * *", `{"IsPastDue":false}`)
	tk := Tick{Time: e.Time(), Schedule: e.Source(), Event: e}
	tk.fromAzureTimer(e)
	assert.Equal(t, "/timers/Tick 0 */5 * * * *", tk.Schedule)
}

func TestAzureMessageView(t *testing.T) {
	e := azEvent(t, "com.microsoft.azure.servicebus.message", "/servicebus/queues/q", "",
		`{"Data":"{\"a\":1}","Metadata":{"MessageId":"m-1","DeliveryCount":2,"SessionId":"s"}}`)
	m, err := ParseMessage(e)
	require.NoError(t, err)
	assert.Equal(t, "m-1", m.ID)
	assert.Equal(t, `{"a":1}`, string(m.Body))
	assert.Equal(t, 2, m.Attempt)
	assert.Equal(t, "s", m.OrderingKey)
}
