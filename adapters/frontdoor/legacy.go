package frontdoor

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

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

// legacyType maps a legacy event type to its CloudEvent type; a switch
// rather than a map, so nothing is built when the program starts.
func legacyType(t string) (string, bool) {
	switch t {
	case "google.pubsub.topic.publish", "providers/cloud.pubsub/eventTypes/topic.publish":
		return "google.cloud.pubsub.topic.v1.messagePublished", true
	case "google.storage.object.finalize", "providers/cloud.storage/eventTypes/object.change":
		return "google.cloud.storage.object.v1.finalized", true
	case "google.storage.object.delete":
		return "google.cloud.storage.object.v1.deleted", true
	case "google.storage.object.archive":
		return "google.cloud.storage.object.v1.archived", true
	case "google.storage.object.metadataUpdate":
		return "google.cloud.storage.object.v1.metadataUpdated", true
	case "providers/cloud.firestore/eventTypes/document.write":
		return "google.cloud.firestore.document.v1.written", true
	case "providers/cloud.firestore/eventTypes/document.create":
		return "google.cloud.firestore.document.v1.created", true
	case "providers/cloud.firestore/eventTypes/document.update":
		return "google.cloud.firestore.document.v1.updated", true
	case "providers/cloud.firestore/eventTypes/document.delete":
		return "google.cloud.firestore.document.v1.deleted", true
	case "providers/firebase.auth/eventTypes/user.create":
		return "google.firebase.auth.user.v1.created", true
	case "providers/firebase.auth/eventTypes/user.delete":
		return "google.firebase.auth.user.v1.deleted", true
	case "providers/google.firebase.analytics/eventTypes/event.log":
		return "google.firebase.analytics.log.v1.written", true
	case "providers/google.firebase.database/eventTypes/ref.create":
		return "google.firebase.database.ref.v1.created", true
	case "providers/google.firebase.database/eventTypes/ref.write":
		return "google.firebase.database.ref.v1.written", true
	case "providers/google.firebase.database/eventTypes/ref.update":
		return "google.firebase.database.ref.v1.updated", true
	case "providers/google.firebase.database/eventTypes/ref.delete":
		return "google.firebase.database.ref.v1.deleted", true
	default:
		return "", false
	}
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

// resourceSplitters are the patterns that split a legacy resource into the
// CloudEvent's resource (in the source) and subject, per service. Services
// without one keep the whole resource. They compile on first use, so a
// binary that never sees a legacy event pays nothing for them at start.
type resourceSplitters struct {
	firebase, firebaseDB, firestore, storage *regexp.Regexp
}

var compileResourceSplitters = sync.OnceValue(func() *resourceSplitters {
	return &resourceSplitters{
		firebase:   regexp.MustCompile(`^(projects/[^/]+)/(events/[^/]+)$`),
		firebaseDB: regexp.MustCompile(`^projects/_/(instances/[^/]+)/(refs/.+)$`),
		firestore:  regexp.MustCompile(`^(projects/[^/]+/databases/\(default\))/(documents/.+)$`),
		storage:    regexp.MustCompile(`^(projects/_/buckets/[^/]+)/(objects/.+)$`),
	}
})

// resourceSplit returns the pattern splitting service's resources, or nil
// if the service keeps the whole resource.
func resourceSplit(service string) *regexp.Regexp {
	switch service {
	case serviceFirebase:
		return compileResourceSplitters().firebase
	case serviceFirebaseDB:
		return compileResourceSplitters().firebaseDB
	case serviceFirestore:
		return compileResourceSplitters().firestore
	case serviceStorage:
		return compileResourceSplitters().storage
	default:
		return nil
	}
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
	typ, ok := legacyType(md.EventType)
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
	if re := resourceSplit(service); re != nil {
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
