package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/internal/azjson"
)

// The types adapters/azure gives Azure Functions triggers (see
// docs/azure-events.md), and the prefix of Event Grid's Blob Storage event
// types. Queue Storage, Service Bus and Event Hubs messages need no entry:
// ParseMessage reads them through payload.Of.
const (
	typeAzureBlob     = "com.microsoft.azure.storage.blob.written"
	typeAzureCosmos   = "com.microsoft.azure.cosmosdb.change"
	typeAzureTimer    = "com.microsoft.azure.functions.timer.tick"
	typeEventGridBlob = "Microsoft.Storage.Blob"
)

// azureBlobEnvelope is the part of a blob trigger's envelope the Object view
// reads.
type azureBlobEnvelope struct {
	Metadata struct {
		BlobTrigger json.RawMessage `json:"BlobTrigger"`
		URI         json.RawMessage `json:"Uri"`
		Properties  json.RawMessage `json:"Properties"`
	} `json:"Metadata"`
}

// fromAzureBlob reads a blob trigger's blob: container and name from the
// BlobTrigger path (else the Uri), size, type, ETag and time from its
// Properties. A blob trigger fires for new and updated blobs alike.
func (o *Object) fromAzureBlob(e event.Event) error {
	var env azureBlobEnvelope
	if err := decode("storage", e, &env); err != nil {
		return err
	}
	path := azjson.String(env.Metadata.BlobTrigger)
	if path == "" {
		u := azjson.String(env.Metadata.URI)
		if _, rest, ok := strings.Cut(u, "://"); ok {
			_, path, _ = strings.Cut(rest, "/")
		}
	}
	o.Bucket, o.Key, _ = strings.Cut(path, "/")
	var props struct {
		ContentType   string          `json:"ContentType"`
		ETag          string          `json:"ETag"`
		Length        json.RawMessage `json:"Length"`
		ContentLength json.RawMessage `json:"ContentLength"`
		LastModified  string          `json:"LastModified"`
		VersionID     string          `json:"VersionId"`
	}
	if raw := azjson.Unwrap(env.Metadata.Properties); len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &props); err != nil {
			return malformed("storage", e, err)
		}
	}
	o.ContentType, o.ETag, o.Version = props.ContentType, strings.Trim(props.ETag, `"`), props.VersionID
	size := props.ContentLength
	if len(size) == 0 {
		size = props.Length
	}
	o.Size, _ = strconv.ParseInt(azjson.String(size), 10, 64)
	if t, err := time.Parse(time.RFC3339Nano, props.LastModified); err == nil && o.Time.IsZero() {
		o.Time = t
	}
	o.Change = ObjectCreated
	return nil
}

// fromEventGridBlob reads a Blob Storage event delivered by Event Grid:
// container and name from the subject
// (/blobServices/default/containers/<container>/blobs/<name>), the rest
// from the data.
func (o *Object) fromEventGridBlob(e event.Event) error {
	_, rest, ok := strings.Cut(e.Subject(), "/containers/")
	if !ok {
		return malformed("storage", e, errMissing("subject /blobServices/default/containers/<container>/blobs/<name>"))
	}
	o.Bucket, o.Key, _ = strings.Cut(rest, "/blobs/")
	var d struct {
		ContentType   string `json:"contentType"`
		ContentLength int64  `json:"contentLength"`
		ETag          string `json:"eTag"`
	}
	if len(e.Data()) > 0 {
		if err := decode("storage", e, &d); err != nil {
			return err
		}
	}
	o.ContentType, o.Size, o.ETag = d.ContentType, d.ContentLength, strings.Trim(d.ETag, `"`)
	switch strings.TrimPrefix(e.Type(), "Microsoft.Storage.") {
	case "BlobCreated":
		o.Change = ObjectCreated
	case "BlobDeleted":
		o.Change = ObjectDeleted
	case "BlobTierChanged":
		o.Change = ObjectArchived
	default:
		o.Change = ObjectOther
	}
	return nil
}

// fromCosmos reads one changed document of a Cosmos DB change feed. The
// change feed (latest version mode) does not tell inserts from updates, so
// Op is OpWrite; New is the document, Key its id.
func (c *Change) fromCosmos(e event.Event) error {
	dec := json.NewDecoder(bytes.NewReader(e.Data()))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return err
	}
	if doc == nil {
		return errors.New("the document is not a JSON object")
	}
	c.Op, c.New = OpWrite, doc
	c.Key = map[string]any{"id": doc["id"]}
	// source: /cosmosdb/<database>/<container>
	c.Table = strings.TrimPrefix(e.Source(), "/cosmosdb/")
	return nil
}

// fromAzureTimer names the schedule: the timer's CRON expression (the
// event's subject) when it has one, else its source (/timers/<function>).
func (t *Tick) fromAzureTimer(e event.Event) {
	if s := e.Subject(); s != "" {
		t.Schedule = e.Source() + " " + s
	}
}
