package fntest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// testProject is the Google Cloud project every native Google input names.
const testProject = "fntest"

// googleOnly is an input with a Cloud Functions and net/http shape only:
// the CloudEvent Eventarc (or the Functions Framework) delivers.
func googleOnly(name string, build func() (event.Event, error)) Input {
	return Input{name: name, google: build, http: build}
}

func googleEvent(o inputOptions, typ, source, subject string, data any) (event.Event, error) {
	e := event.New()
	e.SetID(o.idOf(0))
	e.SetType(typ)
	e.SetSource(source)
	if subject != "" {
		e.SetSubject(subject)
	}
	e.SetTime(o.at)
	if err := e.SetData(event.ApplicationJSON, data); err != nil {
		return e, fmt.Errorf("fntest: %s data: %w", typ, err)
	}
	return e, e.Validate()
}

// PubSub is a Pub/Sub message with data on topic "fntest" as Eventarc
// delivers it (google.cloud.pubsub.topic.v1.messagePublished; Cloud
// Functions and net/http only). [Attribute], [Group] (orderingKey) and
// [Attempt] (deliveryAttempt) fill the message; a push carries one
// message, the first of [Bodies].
func PubSub(data string, opts ...InputOption) Input {
	o := buildOptions(opts)
	return googleOnly("Pub/Sub message", func() (event.Event, error) {
		msg := map[string]any{
			"data":        base64.StdEncoding.EncodeToString([]byte(o.body(data, 0))),
			"messageId":   o.idOf(0),
			"publishTime": o.at.Format(time.RFC3339Nano),
		}
		if len(o.attrs) > 0 {
			msg["attributes"] = o.attrs
		}
		if o.group != "" {
			msg["orderingKey"] = o.group
		}
		d := map[string]any{"message": msg, "subscription": "projects/" + testProject + "/subscriptions/" + testTopic}
		if o.attempt > 0 {
			d["deliveryAttempt"] = o.attempt
		}
		return googleEvent(o, "google.cloud.pubsub.topic.v1.messagePublished",
			"//pubsub.googleapis.com/projects/"+testProject+"/topics/"+testTopic, "", d)
	})
}

// GCS is a Cloud Storage object finalized at bucket/key with size bytes
// (google.cloud.storage.object.v1.finalized; Cloud Functions and net/http
// only). [Version] sets the generation (default "1"), [ContentType] the
// content type (default application/octet-stream).
func GCS(bucket, key string, size int64, opts ...InputOption) Input {
	o := buildOptions(opts)
	return googleOnly("Cloud Storage object", func() (event.Event, error) {
		gen, ct := o.version, o.contentType
		if gen == "" {
			gen = "1"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		ts := o.at.Format(time.RFC3339Nano)
		d := map[string]any{
			"kind": "storage#object", "id": bucket + "/" + key + "/" + gen,
			"selfLink": "https://www.googleapis.com/storage/v1/b/" + bucket + "/o/" + key,
			"name":     key, "bucket": bucket, "generation": gen, "metageneration": "1",
			"contentType": ct, "timeCreated": ts, "updated": ts, "storageClass": "STANDARD",
			"size": strconv.FormatInt(size, 10), "etag": "fntest",
		}
		return googleEvent(o, "google.cloud.storage.object.v1.finalized",
			"//storage.googleapis.com/projects/_/buckets/"+bucket, "objects/"+key, d)
	})
}

// Firestore is a change to document (a path such as "orders/o-1") in the
// default database (google.cloud.firestore.document.v1.created, updated or
// deleted; Cloud Functions and net/http only), in the JSON form the
// Functions Framework gives. Items are Go values as for [DynamoDB], and
// time.Time. A nil oldDoc is a creation, a nil newDoc a deletion.
func Firestore(document string, newDoc, oldDoc map[string]any, opts ...InputOption) Input {
	o := buildOptions(opts)
	return googleOnly("Firestore change", func() (event.Event, error) {
		db := "projects/" + testProject + "/databases/(default)"
		name := db + "/documents/" + document
		typ := "updated"
		switch {
		case oldDoc == nil:
			typ = "created"
		case newDoc == nil:
			typ = "deleted"
		}
		d := map[string]any{}
		for k, doc := range map[string]map[string]any{"value": newDoc, "oldValue": oldDoc} {
			if doc == nil {
				continue
			}
			fields, err := firestoreFields(doc)
			if err != nil {
				return event.Event{}, fmt.Errorf("fntest: Firestore %s: %w", k, err)
			}
			ts := o.at.Format(time.RFC3339Nano)
			d[k] = map[string]any{"name": name, "fields": fields, "createTime": ts, "updateTime": ts}
		}
		return googleEvent(o, "google.cloud.firestore.document.v1."+typ,
			"//firestore.googleapis.com/"+db, "documents/"+document, d)
	})
}

func firestoreFields(doc map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		fv, err := firestoreValue(v)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		out[k] = fv
	}
	return out, nil
}

func firestoreValue(v any) (map[string]any, error) {
	switch v := v.(type) {
	case nil:
		return map[string]any{"nullValue": nil}, nil
	case string:
		return map[string]any{"stringValue": v}, nil
	case bool:
		return map[string]any{"booleanValue": v}, nil
	case []byte:
		return map[string]any{"bytesValue": base64.StdEncoding.EncodeToString(v)}, nil
	case time.Time:
		return map[string]any{"timestampValue": v.UTC().Format(time.RFC3339Nano)}, nil
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return map[string]any{"integerValue": v.String()}, nil
		}
		return map[string]any{"doubleValue": v.String()}, nil
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return map[string]any{"integerValue": fmt.Sprint(v)}, nil
	case float32, float64:
		return map[string]any{"doubleValue": toFloat(v)}, nil
	case []any:
		vals := make([]any, len(v))
		for i, item := range v {
			fv, err := firestoreValue(item)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			vals[i] = fv
		}
		return map[string]any{"arrayValue": map[string]any{"values": vals}}, nil
	case map[string]any:
		fields, err := firestoreFields(v)
		if err != nil {
			return nil, err
		}
		return map[string]any{"mapValue": map[string]any{"fields": fields}}, nil
	}
	return nil, fmt.Errorf("a %T has no Firestore type; use string, bool, nil, a number, []byte, time.Time, []any or map[string]any", v)
}

// CloudScheduler is an execution of the Cloud Scheduler job named job in
// us-central1 (google.cloud.scheduler.job.v1.executed; Cloud Functions and
// net/http only). The first of [Bodies] becomes the job's customData.
func CloudScheduler(job string, opts ...InputOption) Input {
	o := buildOptions(opts)
	return googleOnly("Cloud Scheduler job", func() (event.Event, error) {
		d := map[string]any{}
		if b := o.body("", 0); b != "" {
			d["customData"] = base64.StdEncoding.EncodeToString([]byte(b))
		}
		return googleEvent(o, "google.cloud.scheduler.job.v1.executed",
			"//cloudscheduler.googleapis.com/projects/"+testProject+"/locations/us-central1/jobs/"+job, "", d)
	})
}

// Eventarc is a CloudEvent of type typ from source with JSON data, as an
// Eventarc channel or bus delivers an application's own event (Cloud
// Functions and net/http only). [Attribute] adds extension attributes.
func Eventarc(typ, source, data string, opts ...InputOption) Input {
	o := buildOptions(opts)
	return googleOnly("Eventarc event", func() (event.Event, error) {
		if !json.Valid([]byte(data)) {
			return event.Event{}, fmt.Errorf("fntest: Eventarc data %q is not JSON; pass a JSON value, or build the event with Event", data)
		}
		e, err := googleEvent(o, typ, source, "", json.RawMessage(data))
		if err != nil {
			return e, err
		}
		for _, k := range o.attrNames() {
			e.SetExtension(k, o.attrs[k])
		}
		if err := e.Validate(); err != nil {
			return e, fmt.Errorf("fntest: Eventarc event: %w", err)
		}
		return e, nil
	})
}
