package gcf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/functions/metadata"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
)

// RawEvent is [function.Invocation.Native] for an event that did not arrive
// as a CloudEvent: a legacy background event, a Pub/Sub push or Cloud
// Scheduler request. Body is the request body as received, before
// conversion; Request's body has been read.
type RawEvent = frontdoor.Raw

// LegacyEvent is an event as the Functions Framework hands it to a legacy
// background function (func(ctx, data) error with metadata.FromContext): the
// data, and the context metadata.
type LegacyEvent struct {
	Data    json.RawMessage    `json:"data"`
	Context *metadata.Metadata `json:"context"`
}

// Legacy returns the event e, being handled under ctx, in the form the
// Functions Framework gives a legacy background function, for code migrated
// from one. An event that arrived in legacy form (or as a Pub/Sub push
// request) is parsed from the body as received; a CloudEvent is converted by
// the framework's CloudEvent-to-legacy rules, which cover the Google event
// types that have a legacy equivalent. TestLegacyMatchesFramework holds it
// to the framework's own result.
func Legacy(ctx context.Context, e event.Event) (*LegacyEvent, error) {
	if raw, ok := function.FromContext(ctx).Native.(*RawEvent); ok && raw != nil && e.Type() != frontdoor.TypeSchedulerJobExecuted {
		path := ""
		if raw.Request != nil && raw.Request.URL != nil {
			path = raw.Request.URL.Path
		}
		if frontdoor.TopicFromPath(path) == "" && strings.HasPrefix(e.Source(), pubsubSource) {
			// A push request's topic, if known, is in the event's source.
			path = "/" + strings.TrimPrefix(e.Source(), pubsubSource)
		}
		return legacyFromBody(raw.Body, path, e.ID())
	}
	return legacyFromCloudEvent(e)
}

const pubsubSource = "//pubsub.googleapis.com/"

// legacyFromBody reads a legacy event body, or a Pub/Sub push body, as the
// framework does for a background function.
func legacyFromBody(body []byte, path, id string) (*LegacyEvent, error) {
	var in struct {
		Data         any                `json:"data"`
		Context      *metadata.Metadata `json:"context"`
		Subscription *string            `json:"subscription"`
		Message      *pushMessage       `json:"message"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("gcf: parse legacy form of event %q: %w", id, err)
	}
	md, data := in.Context, in.Data
	if data == nil && md == nil && (in.Message != nil || in.Subscription != nil) {
		// A push request: the framework's legacy Pub/Sub event.
		const typ = "type.googleapis.com/google.pubusb.v1.PubsubMessage" // sic, the framework's spelling
		var m pushMessage
		if in.Message != nil {
			m = *in.Message
		}
		ts := m.PublishTime
		if ts.IsZero() {
			ts = time.Now()
		}
		md = &metadata.Metadata{EventID: m.ID, Timestamp: ts, EventType: "google.pubsub.topic.publish",
			Resource: &metadata.Resource{Name: frontdoor.TopicFromPath(path), Type: typ, Service: "pubsub.googleapis.com"}}
		data = map[string]any{"@type": typ, "data": m.Data, "attributes": m.Attributes}
	}
	if data == nil {
		return nil, fmt.Errorf("gcf: parse legacy form of event %q: no data and context", id)
	}
	if md == nil {
		md = new(metadata.Metadata)
		if err := json.Unmarshal(body, md); err != nil {
			return nil, fmt.Errorf("gcf: parse legacy form of event %q: %w", id, err)
		}
		if md.EventID == "" {
			return nil, fmt.Errorf("gcf: parse legacy form of event %q: no data and context", id)
		}
	}
	b, err := encodeData(data)
	if err != nil {
		return nil, fmt.Errorf("gcf: encode legacy data of event %q: %w", id, err)
	}
	return &LegacyEvent{Data: b, Context: md}, nil
}

// pushMessage is a Pub/Sub push message as the framework reads it.
type pushMessage struct {
	ID          string            `json:"messageId"`
	Data        []byte            `json:"data"`
	Attributes  map[string]string `json:"attributes"`
	PublishTime time.Time         `json:"publishTime"`
}

// encodeData encodes legacy data as the framework does: JSON without HTML
// escaping.
func encodeData(d any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(buf.Bytes()), nil
}

// legacyType gives the legacy type a background function gets for a
// CloudEvent type. A switch, not a map, so that nothing is built at start.
func legacyType(ceType string) (string, bool) {
	switch ceType {
	case "google.cloud.pubsub.topic.v1.messagePublished":
		return "google.pubsub.topic.publish", true
	case "google.cloud.storage.object.v1.finalized":
		return "google.storage.object.finalize", true
	case "google.cloud.storage.object.v1.deleted":
		return "google.storage.object.delete", true
	case "google.cloud.storage.object.v1.archived":
		return "google.storage.object.archive", true
	case "google.cloud.storage.object.v1.metadataUpdated":
		return "google.storage.object.metadataUpdate", true
	case "google.cloud.firestore.document.v1.written":
		return "providers/cloud.firestore/eventTypes/document.write", true
	case "google.cloud.firestore.document.v1.created":
		return "providers/cloud.firestore/eventTypes/document.create", true
	case "google.cloud.firestore.document.v1.updated":
		return "providers/cloud.firestore/eventTypes/document.update", true
	case "google.cloud.firestore.document.v1.deleted":
		return "providers/cloud.firestore/eventTypes/document.delete", true
	case "google.firebase.auth.user.v1.created":
		return "providers/firebase.auth/eventTypes/user.create", true
	case "google.firebase.auth.user.v1.deleted":
		return "providers/firebase.auth/eventTypes/user.delete", true
	case "google.firebase.analytics.log.v1.written":
		return "providers/google.firebase.analytics/eventTypes/event.log", true
	case "google.firebase.database.ref.v1.created":
		return "providers/google.firebase.database/eventTypes/ref.create", true
	case "google.firebase.database.ref.v1.written":
		return "providers/google.firebase.database/eventTypes/ref.write", true
	case "google.firebase.database.ref.v1.updated":
		return "providers/google.firebase.database/eventTypes/ref.update", true
	case "google.firebase.database.ref.v1.deleted":
		return "providers/google.firebase.database/eventTypes/ref.delete", true
	default:
		return "", false
	}
}

// legacyPatterns are the patterns legacyFromCloudEvent reads sources and
// resources with. They compile on first use, so a binary that never
// converts an event pays nothing for them at start.
type legacyPatterns struct {
	source, locations *regexp.Regexp
}

var compileLegacyPatterns = sync.OnceValue(func() *legacyPatterns {
	return &legacyPatterns{
		source:    regexp.MustCompile(`//([^/]+)/(.+)`),
		locations: regexp.MustCompile(`/locations/[^/]+`),
	}
})

// legacyFromCloudEvent converts a CloudEvent by the framework's
// CloudEvent-to-legacy rules.
func legacyFromCloudEvent(e event.Event) (*LegacyEvent, error) {
	typ, ok := legacyType(e.Type())
	if !ok {
		return nil, fmt.Errorf("gcf: convert event %q of type %q to a legacy event: the type has no legacy equivalent", e.ID(), e.Type())
	}
	if e.Source() == "" || e.ID() == "" {
		return nil, fmt.Errorf("gcf: convert event %q to a legacy event: it has no source or id", e.ID())
	}
	if e.Time().IsZero() {
		return nil, fmt.Errorf("gcf: convert event %q to a legacy event: it has no time, which a legacy event needs", e.ID())
	}
	var data map[string]any
	if err := json.Unmarshal(e.Data(), &data); err != nil {
		return nil, fmt.Errorf("gcf: convert event %q to a legacy event: its data is not a JSON object: %w", e.ID(), err)
	}
	m := compileLegacyPatterns().source.FindStringSubmatch(e.Source())
	if len(m) != 3 {
		return nil, fmt.Errorf("gcf: convert event %q to a legacy event: source %q is not //SERVICE/RESOURCE", e.ID(), e.Source())
	}
	service, name := m[1], m[2]
	resource := name + "/" + e.Subject()
	md := &metadata.Metadata{EventID: e.ID(), Timestamp: e.Time(), EventType: typ, Resource: &metadata.Resource{RawPath: resource}}
	switch service {
	case "pubsub.googleapis.com":
		md.Resource = &metadata.Resource{Name: name, Service: service, Type: "type.googleapis.com/google.pubsub.v1.PubsubMessage"}
		if msg, ok := data["message"].(map[string]any); ok {
			data = msg
		}
		delete(data, "messageId")
		delete(data, "publishTime")
	case "firebaseauth.googleapis.com":
		md.Resource = &metadata.Resource{RawPath: name}
		if meta, ok := data["metadata"].(map[string]any); ok {
			for now, old := range map[string]string{"createTime": "createdAt", "lastSignInTime": "lastSignedInAt"} {
				if v, ok := meta[now]; ok {
					meta[old] = v
					delete(meta, now)
				}
			}
		}
	case "firebasedatabase.googleapis.com":
		md.Resource = &metadata.Resource{RawPath: compileLegacyPatterns().locations.ReplaceAllString(resource, "")}
	case "storage.googleapis.com":
		md.Resource = &metadata.Resource{Name: resource, Service: service}
		if kind, ok := data["kind"]; ok {
			s, isString := kind.(string)
			if !isString {
				return nil, errors.New("gcf: convert event to a legacy event: its data's kind is not a string")
			}
			md.Resource.Type = s
		}
	}
	b, err := encodeData(data)
	if err != nil {
		return nil, fmt.Errorf("gcf: encode legacy data of event %q: %w", e.ID(), err)
	}
	return &LegacyEvent{Data: b, Context: md}, nil
}
