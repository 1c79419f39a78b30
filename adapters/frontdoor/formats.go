package frontdoor

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// pubsubSourcePrefix starts the source of every Pub/Sub event.
const pubsubSourcePrefix = "//pubsub.googleapis.com/"

// bodyKind is what a JSON body that is not a CloudEvent looks like.
type bodyKind uint8

const (
	kindOther bodyKind = iota
	kindPush
	kindLegacy
)

// envelope is what the door needs to know of a JSON body to tell a Pub/Sub
// push request or a legacy event from anything else.
type envelope struct {
	Message      *pushMessage `json:"message"`
	Subscription string       `json:"subscription"`
	Data         present      `json:"data"`
	Context      present      `json:"context"`
	EventID      string       `json:"eventId"`
}

type pushMessage struct {
	ID               string `json:"messageId"`
	IDSnake          string `json:"message_id"`
	PublishTime      string `json:"publishTime"`
	PublishTimeSnake string `json:"publish_time"`
}

// present records that a field is there without keeping its value.
type present bool

func (p *present) UnmarshalJSON(b []byte) error {
	*p = string(b) != "null"
	return nil
}

// sniff tells a push request or a legacy event from other JSON by its
// top-level keys, so that a malformed one is refused as such rather than
// passed on as a plain request.
func sniff(body []byte) bodyKind {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return kindOther
	}
	has := func(k string) bool { v, ok := m[k]; return ok && string(v) != "null" }
	switch {
	case (has("message") || has("subscription")) && !has("data") && !has("context"):
		return kindPush
	case has("data") && (has("context") || has("eventId")):
		return kindLegacy
	}
	return kindOther
}

// newContext gives e fresh attributes; the source comes from the
// request, so it is checked.
func newContext(e *event.Event, id, source, typ string) *Problem {
	u := types.ParseURIRef(source)
	if u == nil {
		return malformed("the event source %q made of the request is not a URI-reference; check the path, subscription or job name", clip(source))
	}
	if strings.TrimSpace(id) == "" {
		return malformed("the request names no id for its event")
	}
	e.Context = &event.EventContextV1{ID: id, Type: typ, Source: *u}
	return nil
}

// setTime sets e's time from an RFC 3339 timestamp, if it is one.
func setTime(e *event.Event, s string) {
	if t, err := types.ParseTime(s); err == nil {
		e.SetTime(t)
	}
}

// wrappedPush turns a Pub/Sub push request into a messagePublished event
// whose data is the push body: Eventarc's shape for Pub/Sub (message and
// subscription), with deliveryAttempt when the subscription reports it.
func wrappedPush(r *http.Request, body []byte, dl *Delivery) *Problem {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return malformed("the Pub/Sub push request is not the JSON Pub/Sub sends: %v", err)
	}
	m := env.Message
	if m == nil {
		return malformed("the Pub/Sub push request has no \"message\"")
	}
	id := first(m.ID, m.IDSnake)
	if id == "" {
		return malformed("the Pub/Sub push message has no messageId")
	}
	// Pub/Sub does not name the topic in a push request; the Functions
	// Framework's convention puts it in the push endpoint's path. Else the
	// subscription stands in as the source.
	resource := TopicFromPath(r.URL.Path)
	if resource == "" {
		resource = env.Subscription
	}
	if resource == "" {
		return malformed("Pub/Sub push message %q names no subscription, and the request path no topic (projects/PROJECT/topics/TOPIC)", clip(id))
	}
	e := &dl.Events[0]
	if p := newContext(e, id, pubsubSourcePrefix+resource, TypePubSubMessagePublished); p != nil {
		return p
	}
	if pt := first(m.PublishTime, m.PublishTimeSnake); pt != "" {
		t, err := types.ParseTime(pt)
		if err != nil {
			return malformed("Pub/Sub push message %q: publishTime %q is not an RFC 3339 timestamp", clip(id), clip(pt))
		}
		e.SetTime(t)
	}
	e.SetDataContentType(event.ApplicationJSON)
	// Its deliveryAttempt is read when the event is handled, as for every
	// messagePublished event, however it arrived.
	e.DataEncoded = body
	return nil
}

// unwrappedPush turns an unwrapped Pub/Sub push request, whose metadata
// Pub/Sub writes as x-goog-pubsub-* headers, into the same
// messagePublished event a wrapped one becomes: the data is the push body
// Pub/Sub would have sent wrapped. Message attributes cannot be told from
// other headers, so only the Content-Type travels as one.
func unwrappedPush(r *http.Request, body []byte, dl *Delivery) *Problem {
	h := r.Header
	id := h.Get("X-Goog-Pubsub-Message-Id")
	sub := h.Get("X-Goog-Pubsub-Subscription-Name")
	resource := TopicFromPath(r.URL.Path)
	if resource == "" {
		resource = sub
	}
	if resource == "" {
		return malformed("unwrapped Pub/Sub push message %q has no x-goog-pubsub-subscription-name header, and the request path no topic (projects/PROJECT/topics/TOPIC)", clip(id))
	}
	type message struct {
		Data        []byte            `json:"data,omitempty"`
		Attributes  map[string]string `json:"attributes,omitempty"`
		ID          string            `json:"messageId"`
		IDSnake     string            `json:"message_id"`
		PublishTime string            `json:"publishTime,omitempty"`
		PublishSn   string            `json:"publish_time,omitempty"`
		OrderingKey string            `json:"orderingKey,omitempty"`
	}
	pt := h.Get("X-Goog-Pubsub-Publish-Time")
	m := message{Data: body, ID: id, IDSnake: id, PublishTime: pt, PublishSn: pt, OrderingKey: h.Get("X-Goog-Pubsub-Ordering-Key")}
	if ct := h.Get("Content-Type"); ct != "" {
		m.Attributes = map[string]string{"Content-Type": ct}
	}
	data, err := json.Marshal(struct {
		Message      message `json:"message"`
		Subscription string  `json:"subscription,omitempty"`
	}{m, sub})
	if err != nil {
		return malformed("the unwrapped Pub/Sub push message cannot be wrapped: %v", err)
	}
	e := &dl.Events[0]
	if p := newContext(e, id, pubsubSourcePrefix+resource, TypePubSubMessagePublished); p != nil {
		return p
	}
	setTime(e, pt)
	e.SetDataContentType(event.ApplicationJSON)
	e.DataEncoded = data
	return nil
}

// schedulerJob turns a Cloud Scheduler HTTP target's request into a
// google.cloud.scheduler.job.v1.executed event: the job's name is its
// subject (and names its source), the scheduled time its time, the
// request body its data. The id, job name and scheduled time together, is
// the same for every retry of one run.
func schedulerJob(r *http.Request, body []byte, dl *Delivery) *Problem {
	h := r.Header
	job := h.Get("X-Cloudscheduler-Jobname")
	at := h.Get("X-Cloudscheduler-Scheduletime")
	if job == "" {
		return malformed("the Cloud Scheduler request has no X-CloudScheduler-JobName header")
	}
	e := &dl.Events[0]
	id := job
	if at != "" {
		id += "/" + at
	} else {
		id += "/" + randomID()
	}
	if p := newContext(e, id, "//cloudscheduler.googleapis.com/jobs/"+job, TypeSchedulerJobExecuted); p != nil {
		return p
	}
	e.SetSubject(job)
	setTime(e, at)
	if len(body) > 0 {
		if ct := h.Get("Content-Type"); ct != "" && validMediaType(ct) {
			e.SetDataContentType(ct)
		}
		e.DataEncoded = body
	}
	return nil
}

// plainRequest turns a plain HTTP request to a server with only an event
// handler into a com.github.faasport.http.request event: its data is the
// body, in the request's Content-Type; its id X-Request-Id or a new one;
// its source the request path.
func plainRequest(r *http.Request, body []byte, dl *Delivery) *Problem {
	id := headerValue(r.Header, "X-Request-Id")
	if id == "" {
		id = randomID()
	}
	src := r.URL.Path
	if src == "" {
		src = "/"
	}
	e := &dl.Events[0]
	if p := newContext(e, id, src, TypeHTTPRequest); p != nil {
		return p
	}
	if len(body) > 0 {
		if ct := headerValue(r.Header, "Content-Type"); ct != "" && validMediaType(ct) {
			e.SetDataContentType(ct)
		}
		e.DataEncoded = body
	}
	return nil
}

// legacyEvent converts a legacy background event as the Functions
// Framework does.
func legacyEvent(r *http.Request, body []byte, dl *Delivery) *Problem {
	e, err := LegacyToCloudEvent(body)
	if err != nil {
		return malformed("%v", err)
	}
	dl.Events[0] = *e
	return nil
}

// TopicFromPath finds projects/P/topics/T in a push endpoint's path, the
// Functions Framework's convention for naming the topic of a Pub/Sub push
// subscription; "" if there is none.
func TopicFromPath(path string) string {
	i := strings.Index(path, "projects/")
	if i < 0 {
		return ""
	}
	parts := strings.SplitN(path[i:], "/", 5)
	if len(parts) < 4 || parts[1] == "" || parts[2] != "topics" || parts[3] == "" {
		return ""
	}
	topic, _, _ := strings.Cut(parts[3], "?")
	return "projects/" + parts[1] + "/topics/" + topic
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
