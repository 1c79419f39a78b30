package frontdoor

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"cloud.google.com/go/functions/metadata"
	"github.com/cloudevents/sdk-go/v2/event"
)

// This file converts Functions Framework legacy background events into
// CloudEvents by the framework's rules (funcframework/events.go of
// functions-framework-go), so that a function gets the same event as a
// framework CloudEvent function would. Keeping it here, rather than calling
// the framework's unexported functions, means no build can link to a
// framework version whose internals differ. TestLegacyMatchesFramework in
// adapters/gcf runs the real framework over its fixtures and compares.

// legacyTypes maps legacy event types to CloudEvent types.
var legacyTypes = map[string]string{
	"google.pubsub.topic.publish":                              "google.cloud.pubsub.topic.v1.messagePublished",
	"providers/cloud.pubsub/eventTypes/topic.publish":          "google.cloud.pubsub.topic.v1.messagePublished",
	"google.storage.object.finalize":                           "google.cloud.storage.object.v1.finalized",
	"google.storage.object.delete":                             "google.cloud.storage.object.v1.deleted",
	"google.storage.object.archive":                            "google.cloud.storage.object.v1.archived",
	"google.storage.object.metadataUpdate":                     "google.cloud.storage.object.v1.metadataUpdated",
	"providers/cloud.firestore/eventTypes/document.write":      "google.cloud.firestore.document.v1.written",
	"providers/cloud.firestore/eventTypes/document.create":     "google.cloud.firestore.document.v1.created",
	"providers/cloud.firestore/eventTypes/document.update":     "google.cloud.firestore.document.v1.updated",
	"providers/cloud.firestore/eventTypes/document.delete":     "google.cloud.firestore.document.v1.deleted",
	"providers/firebase.auth/eventTypes/user.create":           "google.firebase.auth.user.v1.created",
	"providers/firebase.auth/eventTypes/user.delete":           "google.firebase.auth.user.v1.deleted",
	"providers/google.firebase.analytics/eventTypes/event.log": "google.firebase.analytics.log.v1.written",
	"providers/google.firebase.database/eventTypes/ref.create": "google.firebase.database.ref.v1.created",
	"providers/google.firebase.database/eventTypes/ref.write":  "google.firebase.database.ref.v1.written",
	"providers/google.firebase.database/eventTypes/ref.update": "google.firebase.database.ref.v1.updated",
	"providers/google.firebase.database/eventTypes/ref.delete": "google.firebase.database.ref.v1.deleted",
	"providers/cloud.storage/eventTypes/object.change":         "google.cloud.storage.object.v1.finalized",
}

// Google services named in CloudEvent sources.
const (
	serviceFirebaseAuth = "firebaseauth.googleapis.com"
	serviceFirebase     = "firebase.googleapis.com"
	serviceFirebaseDB   = "firebasedatabase.googleapis.com"
	serviceFirestore    = "firestore.googleapis.com"
	servicePubSub       = "pubsub.googleapis.com"
	serviceStorage      = "storage.googleapis.com"
)

// legacyServices gives the service of a legacy event type by its prefix,
// for events whose resource names none. The prefixes do not overlap.
var legacyServices = [...]struct{ prefix, service string }{
	{"providers/cloud.firestore/", serviceFirestore},
	{"providers/google.firebase.analytics/", serviceFirebase},
	{"providers/firebase.auth/", serviceFirebaseAuth},
	{"providers/google.firebase.database/", serviceFirebaseDB},
	{"providers/cloud.pubsub/", servicePubSub},
	{"providers/cloud.storage/", serviceStorage},
	{"google.pubsub", servicePubSub},
	{"google.storage", serviceStorage},
}

// resourceSplit splits a legacy resource into the CloudEvent's resource
// (in the source) and subject, per service. Services without one keep the
// whole resource.
var resourceSplit = map[string]*regexp.Regexp{
	serviceFirebase:   regexp.MustCompile(`^(projects/[^/]+)/(events/[^/]+)$`),
	serviceFirebaseDB: regexp.MustCompile(`^projects/_/(instances/[^/]+)/(refs/.+)$`),
	serviceFirestore:  regexp.MustCompile(`^(projects/[^/]+/databases/\(default\))/(documents/.+)$`),
	serviceStorage:    regexp.MustCompile(`^(projects/_/buckets/[^/]+)/(objects/.+)$`),
}

// LegacyToCloudEvent converts a Functions Framework legacy background
// event — {"context":{eventId,timestamp,eventType,resource},"data":…}, or
// the older form with those fields at the top level — into the CloudEvent
// the framework gives a CloudEvent function for it. The error says what is
// missing or unknown.
func LegacyToCloudEvent(body []byte) (*event.Event, error) {
	var be struct {
		Data    any                `json:"data"`
		Context *metadata.Metadata `json:"context"`
		Domain  string             `json:"domain"`
	}
	if err := json.Unmarshal(body, &be); err != nil {
		return nil, fmt.Errorf("legacy event is not JSON: %w", err)
	}
	if be.Data == nil {
		return nil, errors.New("legacy event has no data; send {\"context\":{…},\"data\":…}")
	}
	md := be.Context
	if md == nil {
		md = new(metadata.Metadata)
		if err := json.Unmarshal(body, md); err != nil {
			return nil, fmt.Errorf("legacy event context: %w", err)
		}
	}
	switch {
	case md.EventID == "":
		return nil, errors.New("legacy event has no eventId; the event cannot be identified")
	case md.EventType == "":
		return nil, fmt.Errorf("legacy event %q has no eventType", clip(md.EventID))
	case md.Resource == nil:
		return nil, fmt.Errorf("legacy event %q has no resource", clip(md.EventID))
	}
	typ, ok := legacyTypes[md.EventType]
	if !ok {
		return nil, fmt.Errorf("legacy event %q has type %q, which has no CloudEvent equivalent", clip(md.EventID), clip(md.EventType))
	}
	service := md.Resource.Service
	if service == "" {
		for _, s := range legacyServices {
			if strings.HasPrefix(md.EventType, s.prefix) {
				service = s.service
			}
		}
	}
	if service == "" {
		return nil, fmt.Errorf("legacy event %q of type %q names no service", clip(md.EventID), clip(md.EventType))
	}
	resource := md.Resource.Name
	if resource == "" {
		resource = md.Resource.RawPath
	}
	subject := ""
	if re, ok := resourceSplit[service]; ok {
		m := re.FindStringSubmatch(resource)
		if m == nil {
			return nil, fmt.Errorf("legacy event %q: resource %q is not a %s resource", clip(md.EventID), clip(resource), service)
		}
		resource, subject = m[1], m[2]
	}
	source := "//" + service + "/" + resource
	data := be.Data
	switch service {
	case servicePubSub:
		msg, ok := data.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("legacy Pub/Sub event %q: data is not a message object", clip(md.EventID))
		}
		msg["publishTime"] = md.Timestamp
		msg["messageId"] = md.EventID
		data = map[string]any{"message": msg}
	case serviceFirebaseAuth:
		if d, ok := data.(map[string]any); ok {
			if m, ok := d["metadata"].(map[string]any); ok {
				for old, now := range map[string]string{"createdAt": "createTime", "lastSignedInAt": "lastSignInTime"} {
					if v, ok := m[old]; ok {
						m[now] = v
						delete(m, old)
					}
				}
			}
			if uid, ok := d["uid"]; ok {
				subject = fmt.Sprintf("users/%v", uid)
			}
		}
	case serviceFirebaseDB:
		location := "us-central1"
		if be.Domain != "firebaseio.com" {
			region, _, ok := strings.Cut(be.Domain, ".")
			if !ok {
				return nil, fmt.Errorf("legacy Realtime Database event %q: domain %q is not <region>.firebasedatabase.app", clip(md.EventID), clip(be.Domain))
			}
			location = region
		}
		source = "//" + service + "/projects/_/locations/" + location + "/" + resource
	}
	b, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("legacy event %q: encode data: %w", clip(md.EventID), err)
	}
	e := event.New()
	e.SetID(md.EventID)
	e.SetType(typ)
	e.SetSource(source)
	if subject != "" {
		e.SetSubject(subject)
	}
	e.SetTime(md.Timestamp.Round(0))
	e.SetDataContentType(event.ApplicationJSON)
	e.DataEncoded = b
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("legacy event %q does not make a valid CloudEvent (resource %q): %s", clip(md.EventID), clip(resource), strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return &e, nil
}
