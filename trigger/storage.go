package trigger

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// ObjectChange is what happened to a stored object.
type ObjectChange string

// The object changes every provider reports.
const (
	ObjectCreated         ObjectChange = "created"  // written or overwritten
	ObjectDeleted         ObjectChange = "deleted"  // removed, or a version deleted
	ObjectArchived        ObjectChange = "archived" // moved to cold storage or made non-current
	ObjectMetadataUpdated ObjectChange = "metadataUpdated"
	ObjectOther           ObjectChange = "other" // restores, replication, tagging, ...
)

// Object is a change to an object in a bucket.
type Object struct {
	Bucket string
	// Key is the object's name, URL-decoded.
	Key         string
	Size        int64
	ContentType string // where the provider says (Cloud Storage)
	ETag        string
	// Version is the S3 version id or the Cloud Storage generation.
	Version string
	Change  ObjectChange
	Time    time.Time
	// Event is the CloudEvent the change arrived as.
	Event event.Event
}

// Storage builds a Handler that passes each object change to f.
func Storage(f func(ctx context.Context, o Object) error) function.Handler {
	return view(ParseObject, f)
}

// ParseObject reads an Object from e.
func ParseObject(e event.Event) (Object, error) {
	o := Object{Time: e.Time(), Event: e}
	t := e.Type()
	switch {
	case strings.HasPrefix(t, typeS3Prefix):
		var r events.S3EventRecord
		if err := decode("storage", e, &r); err != nil {
			return Object{}, err
		}
		obj := r.S3.Object
		o.Bucket, o.Key, o.Size, o.ETag, o.Version = r.S3.Bucket.Name, obj.URLDecodedKey, obj.Size, obj.ETag, obj.VersionID
		o.Change = s3Change(r.EventName)
	case strings.HasPrefix(t, typeEventsPrefix) && strings.HasPrefix(e.Source(), "aws.s3"):
		var r struct {
			Detail struct {
				Bucket struct {
					Name string `json:"name"`
				} `json:"bucket"`
				Object struct {
					Key       string `json:"key"`
					Size      int64  `json:"size"`
					ETag      string `json:"etag"`
					VersionID string `json:"version-id"`
				} `json:"object"`
			} `json:"detail"`
		}
		if err := decode("storage", e, &r); err != nil {
			return Object{}, err
		}
		d := r.Detail
		o.Bucket, o.Key, o.Size, o.ETag, o.Version = d.Bucket.Name, d.Object.Key, d.Object.Size, d.Object.ETag, d.Object.VersionID
		o.Change = s3Change(strings.ReplaceAll(strings.TrimPrefix(t, typeEventsPrefix), " ", ""))
	case strings.HasPrefix(t, typeGCSPrefix):
		var r struct {
			Bucket      string          `json:"bucket"`
			Name        string          `json:"name"`
			Size        json.RawMessage `json:"size"` // a string of digits in the JSON mapping
			ContentType string          `json:"contentType"`
			ETag        string          `json:"etag"`
			Generation  json.RawMessage `json:"generation"`
			Updated     time.Time       `json:"updated"`
		}
		if err := decode("storage", e, &r); err != nil {
			return Object{}, err
		}
		o.Bucket, o.Key, o.ContentType, o.ETag = r.Bucket, r.Name, r.ContentType, r.ETag
		o.Size, _ = strconv.ParseInt(unquote(r.Size), 10, 64)
		o.Version = unquote(r.Generation)
		o.Change = gcsChange(strings.TrimPrefix(t, typeGCSPrefix))
		if o.Time.IsZero() {
			o.Time = r.Updated
		}
	case t == typeAzureBlob:
		if err := o.fromAzureBlob(e); err != nil {
			return Object{}, err
		}
	case strings.HasPrefix(t, typeEventGridBlob):
		if err := o.fromEventGridBlob(e); err != nil {
			return Object{}, err
		}
	default:
		return Object{}, unknown("storage", e)
	}
	if o.Bucket == "" || o.Key == "" {
		return Object{}, malformed("storage", e, errMissing("bucket or object name"))
	}
	return o, nil
}

func s3Change(name string) ObjectChange {
	switch {
	case strings.HasPrefix(name, "ObjectCreated"):
		return ObjectCreated
	case strings.HasPrefix(name, "ObjectRemoved"), strings.HasPrefix(name, "ObjectDeleted"),
		strings.HasPrefix(name, "LifecycleExpiration"):
		return ObjectDeleted
	case strings.HasPrefix(name, "LifecycleTransition"), strings.HasPrefix(name, "ObjectStorageClassChanged"):
		return ObjectArchived
	}
	return ObjectOther
}

func gcsChange(name string) ObjectChange {
	switch name {
	case "finalized":
		return ObjectCreated
	case "deleted":
		return ObjectDeleted
	case "archived":
		return ObjectArchived
	case "metadataUpdated":
		return ObjectMetadataUpdated
	}
	return ObjectOther
}

// unquote returns a JSON string's or number's text.
func unquote(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
