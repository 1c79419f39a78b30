package azure

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/faasport/faasport/internal/azjson"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/cejson"
)

// Trigger binding types, as function.json names them.
const (
	KindHTTP       = "httpTrigger"
	KindTimer      = "timerTrigger"
	KindQueue      = "queueTrigger"
	KindServiceBus = "serviceBusTrigger"
	KindEventHubs  = "eventHubTrigger"
	KindEventGrid  = "eventGridTrigger"
	KindBlob       = "blobTrigger"
	KindCosmosDB   = "cosmosDBTrigger"
)

// The CloudEvents types of Azure triggers that have no CloudEvents type of
// their own (see docs/azure-events.md). Event Grid events keep theirs.
const (
	TypeQueueMessage      = "com.microsoft.azure.storage.queue.message"
	TypeServiceBusMessage = "com.microsoft.azure.servicebus.message"
	TypeEventHubsEvent    = "com.microsoft.azure.eventhubs.event"
	TypeBlobWritten       = "com.microsoft.azure.storage.blob.written"
	TypeCosmosDBChange    = "com.microsoft.azure.cosmosdb.change"
	TypeTimerTick         = "com.microsoft.azure.functions.timer.tick"
	// TypeInvocationPrefix prefixes the type of any other trigger's event:
	// the prefix and the binding type, e.g.
	// "com.microsoft.azure.functions.signalRTrigger".
	TypeInvocationPrefix = "com.microsoft.azure.functions."
)

var knownKinds = [...]string{KindHTTP, KindTimer, KindQueue, KindServiceBus, KindEventHubs, KindEventGrid, KindBlob, KindCosmosDB}

// canonicalKind spells a binding type as the constants do.
func canonicalKind(t string) string {
	for _, k := range knownKinds {
		if strings.EqualFold(k, t) {
			return k
		}
	}
	return t
}

// classify finds the trigger's kind and its key in Data: from function.json
// when the app has one, else from the request's shape.
func (c *codec) classify(fn *Function, inv *invocation) (kind, key string, b Binding) {
	if fn != nil {
		if t, ok := fn.Trigger(); ok {
			return canonicalKind(t.Type), t.Name, t
		}
	}
	keys := make([]string, 0, len(inv.data))
	for _, m := range inv.data {
		keys = append(keys, string(m.Key))
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := azjson.Object(inv.data.Get(k)); v != nil && v["Method"] != nil && v["Url"] != nil {
			return KindHTTP, k, Binding{Type: KindHTTP, Name: k}
		}
	}
	if len(keys) > 0 {
		key = keys[0]
	}
	kind = sniff(inv.md, inv.data.Get(key))
	return kind, key, Binding{Type: kind, Name: key}
}

// sniff tells the trigger from its metadata and value when no function.json
// says.
func sniff(md azjson.Members, v json.RawMessage) string {
	has := func(keys ...string) bool {
		for _, k := range keys {
			if md.Has(k) {
				return true
			}
		}
		return false
	}
	switch {
	case has("DeliveryCount", "LockToken"):
		return KindServiceBus
	case has("DequeueCount", "PopReceipt"):
		return KindQueue
	case has("PartitionContext", "SequenceNumberArray", "OffsetArray", "Offset"):
		return KindEventHubs
	case has("BlobTrigger") || has("Uri") && has("Properties"):
		return KindBlob
	}
	if o := azjson.Object(v); o != nil {
		switch {
		case o["Schedule"] != nil || o["IsPastDue"] != nil:
			return KindTimer
		case o["eventType"] != nil && o["id"] != nil, o["specversion"] != nil:
			return KindEventGrid
		}
	}
	if a, ok := azjson.Array(v); ok && len(a) > 0 {
		if o := azjson.Object(a[0]); o != nil && (o["_lsn"] != nil || o["_rid"] != nil || o["_etag"] != nil) {
			return KindCosmosDB
		}
	}
	return ""
}

// mapper turns one invocation into events.
type mapper struct {
	c       *codec
	name    string // function name
	binding Binding
	md      azjson.Members  // the request's Metadata
	mdRaw   json.RawMessage // the same, as sent
	id      string          // invocation id
	// held has room for the first event and its context; used* tell
	// whether it was taken.
	held           *decoded
	usedEv, usedEC bool
}

// one returns e as the delivery's only event, in the room decodeInvocation
// made for it.
func (m *mapper) one(e event.Event) []event.Event {
	if m.held == nil || m.usedEv {
		return []event.Event{e}
	}
	m.usedEv = true
	m.held.ev[0] = e
	return m.held.ev[:]
}

func (m *mapper) sys() map[string]json.RawMessage { return azjson.Object(m.md.Get("sys")) }

// entity returns the first binding property set, else "functions/<name>".
func (m *mapper) entity(props ...string) string {
	for _, p := range props {
		if v := m.binding.Prop(p); v != "" {
			return v
		}
	}
	return "functions/" + m.name
}

func (m *mapper) binary() bool { return strings.EqualFold(m.binding.DataType, "binary") }

func (m *mapper) events(kind string, v json.RawMessage) ([]event.Event, function.Trigger, error) {
	switch kind {
	case KindTimer:
		e, err := m.timer(v)
		return m.one(e), function.TriggerTimer, err
	case KindQueue:
		e, err := m.queue(v)
		return m.one(e), function.TriggerPubSub, err
	case KindServiceBus:
		e, err := m.serviceBus(v)
		return m.one(e), function.TriggerPubSub, err
	case KindEventHubs:
		evs, err := m.eventHubs(v)
		return evs, function.TriggerPubSub, err
	case KindEventGrid:
		evs, err := m.eventGrid(v)
		return evs, function.TriggerPubSub, err
	case KindBlob:
		e, err := m.blob(v)
		return m.one(e), function.TriggerDatasource, err
	case KindCosmosDB:
		evs, err := m.cosmos(v)
		return evs, function.TriggerDatasource, err
	}
	e, err := m.other(kind, v)
	return m.one(e), function.TriggerOther, err
}

// newEvent builds a CloudEvent with JSON data.
func (m *mapper) newEvent(id, source, typ, subject string, t time.Time, data []byte) (event.Event, error) {
	var ctx *eventContext
	if m.held != nil && !m.usedEC {
		ctx, m.usedEC = &m.held.ec, true
	}
	return m.c.newEvent(ctx, id, source, typ, subject, t, data)
}

// eventContext holds an event's attributes and the values its optional
// attributes point to, so that an event's context is one allocation.
type eventContext struct {
	ec      event.EventContextV1
	time    types.Timestamp
	subject string
}

// applicationJSON is the datacontenttype of every event the adapter makes
// but forwarded CloudEvents and HTTP requests. Events only ever replace the
// pointer, never write through it.
var applicationJSON = event.ApplicationJSON

// newEvent builds a CloudEvent with JSON data whose context is ctx, or a
// new one when ctx is nil.
func (c *codec) newEvent(ctx *eventContext, id, source, typ, subject string, t time.Time, data []byte) (event.Event, error) {
	switch {
	case id == "":
		return event.Event{}, errors.New("no id to give the event (the metadata that names the message is missing)")
	case typ == "":
		return event.Event{}, errors.New("no type to give the event")
	case source == "":
		return event.Event{}, errors.New("no source to give the event")
	}
	u, err := c.sources.parse(source)
	if err != nil {
		return event.Event{}, fmt.Errorf("source %q is not a URI-reference: %w", source, err)
	}
	if ctx == nil {
		ctx = &eventContext{}
	}
	ec := &ctx.ec
	ec.ID, ec.Type, ec.Source = id, typ, types.URIRef{URL: *u}
	ec.DataContentType = &applicationJSON
	if subject != "" {
		ctx.subject = subject
		ec.Subject = &ctx.subject
	}
	if !t.IsZero() {
		ctx.time.Time = t
		ec.Time = &ctx.time
	}
	return event.Event{Context: ec, DataEncoded: data}, nil
}

// source returns the event source of the function name's events, built
// once per function: it depends only on the function's bindings.
func (c *codec) source(name string, build func() string) string {
	if s, ok := c.fnSources.Load(name); ok {
		return s.(string)
	}
	s := build()
	if c.lookup(name) != nil {
		c.fnSources.Store(name, s)
	}
	return s
}

// sourceCache keeps the parsed event sources: one per function and entity,
// so parsing them is paid once. It is bounded; past the bound, sources are
// parsed every time.
type sourceCache struct {
	mu sync.RWMutex
	m  map[string]*url.URL
}

const maxCachedSources = 1024

func (s *sourceCache) parse(raw string) (*url.URL, error) {
	s.mu.RLock()
	u := s.m[raw]
	s.mu.RUnlock()
	if u != nil {
		return u, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]*url.URL{}
	}
	if len(s.m) < maxCachedSources {
		s.m[raw] = u
	}
	s.mu.Unlock()
	return u, nil
}

// envelope is the data of a message event: the trigger's value and the
// metadata exactly as the host sent them, and "DataType":"binary" when the
// value is base64 (function.json's dataType).
func (m *mapper) envelope(v json.RawMessage, md json.RawMessage) []byte {
	if len(v) == 0 {
		v = json.RawMessage("null")
	}
	if len(md) == 0 {
		md = json.RawMessage("{}")
	}
	n := len(`{"Data":,"Metadata":}`) + len(v) + len(md)
	if m.binary() {
		n += len(`,"DataType":"binary"`)
	}
	b := make([]byte, 0, n)
	b = append(b, `{"Data":`...)
	b = append(b, v...)
	b = append(b, `,"Metadata":`...)
	b = append(b, md...)
	if m.binary() {
		b = append(b, `,"DataType":"binary"`...)
	}
	return append(b, '}')
}

// metadataJSON returns the request's Metadata as sent.
func (m *mapper) metadataJSON() json.RawMessage { return m.mdRaw }

func (m *mapper) timer(v json.RawMessage) (event.Event, error) {
	t := azjson.Time(m.sys()["UtcNow"])
	id := m.id
	if st := azjson.Object(azjson.Object(v)["ScheduleStatus"]); st != nil {
		if next := azjson.String(st["Next"]); next != "" {
			// One tick per scheduled occurrence: the host's retries of the
			// same occurrence keep its id.
			id = m.name + "@" + next
		}
	}
	data := azjson.Unwrap(v)
	if len(data) == 0 || data[0] != '{' {
		data = json.RawMessage("{}")
	}
	return m.newEvent(id, "/timers/"+m.name, TypeTimerTick, m.binding.Prop("schedule"), t, data)
}

func (m *mapper) queue(v json.RawMessage) (event.Event, error) {
	md := m.md
	source := m.c.source(m.name, func() string { return "/storage/queues/" + m.entity("queueName") })
	return m.newEvent(azjson.String(md.Get("Id")), source, TypeQueueMessage, "",
		azjson.Time(md.Get("InsertionTime")), m.envelope(v, m.metadataJSON()))
}

func (m *mapper) serviceBus(v json.RawMessage) (event.Event, error) {
	md := m.md
	id := azjson.String(md.Get("MessageId"))
	if id == "" {
		id = azjson.String(md.Get("SequenceNumber"))
	}
	subject := azjson.String(md.Get("Subject"))
	if subject == "" {
		subject = azjson.String(md.Get("Label"))
	}
	return m.newEvent(id, m.c.source(m.name, m.serviceBusSource), TypeServiceBusMessage, subject,
		azjson.Time(md.Get("EnqueuedTimeUtc")), m.envelope(v, m.metadataJSON()))
}

func (m *mapper) serviceBusSource() string {
	if q := m.binding.Prop("queueName"); q != "" {
		return "/servicebus/queues/" + q
	}
	if t := m.binding.Prop("topicName"); t != "" {
		return "/servicebus/topics/" + t + "/subscriptions/" + m.binding.Prop("subscriptionName")
	}
	return "/servicebus/" + m.entity()
}

// eventHubs maps one event or, with cardinality many, a batch: the value is
// an array and the metadata has an *Array per property.
func (m *mapper) eventHubs(v json.RawMessage) ([]event.Event, error) {
	md := m.md
	pc := azjson.Object(md.Get("PartitionContext"))
	hub := azjson.String(pc["EventHubName"])
	if hub == "" {
		hub = m.entity("eventHubName", "path")
	}
	source := "/eventhubs/" + hub
	partition := azjson.String(pc["PartitionId"])
	// A batch has cardinality many, or, where no function.json says, the
	// per-record …Array metadata; a single event's body may be an array.
	many := strings.EqualFold(m.binding.Cardinality, "many") ||
		m.binding.Cardinality == "" && (md.Has("SequenceNumberArray") || md.Has("OffsetArray"))
	items, isArray := azjson.Array(v)
	if !many || !isArray {
		return m.eventHubsOne(source, partition, v, m.metadataJSON(), md)
	}
	type perRecord struct {
		key    []byte
		values []json.RawMessage
	}
	var arrays []perRecord
	var shared azjson.Members
	for _, mem := range md {
		if name, ok := bytes.CutSuffix(mem.Key, []byte("Array")); ok {
			if a, ok := azjson.Array(mem.Value); ok {
				arrays = append(arrays, perRecord{name, a})
				continue
			}
		}
		shared = append(shared, mem)
	}
	evs := make([]event.Event, 0, len(items))
	for i, item := range items {
		rec := make(azjson.Members, len(shared), len(shared)+len(arrays))
		copy(rec, shared)
		for _, a := range arrays {
			if i < len(a.values) {
				rec = append(rec, azjson.Member{Key: a.key, Value: a.values[i]})
			}
		}
		one, err := m.eventHubsOne(source, partition, item, rec.JSON(), rec)
		if err != nil {
			return nil, fmt.Errorf("event %d of %d: %w", i+1, len(items), err)
		}
		evs = append(evs, one...)
	}
	return evs, nil
}

func (m *mapper) eventHubsOne(source, partition string, v, mdJSON json.RawMessage, md azjson.Members) ([]event.Event, error) {
	seq := azjson.String(md.Get("SequenceNumber"))
	id := seq
	switch {
	case seq == "":
		id = azjson.String(md.Get("Offset"))
	case partition != "":
		id = partition + ":" + seq
	}
	if id == "" {
		id = m.id
	}
	e, err := m.newEvent(id, source, TypeEventHubsEvent, azjson.String(md.Get("PartitionKey")),
		azjson.Time(md.Get("EnqueuedTimeUtc")), m.envelope(v, mdJSON))
	return []event.Event{e}, err
}

// eventGrid maps an Event Grid event: a CloudEvents 1.0 event passes
// through as it is; one in the Event Grid schema maps as Event Grid's own
// CloudEvents conversion does (topic → source, eventType → type, data →
// data).
func (m *mapper) eventGrid(v json.RawMessage) ([]event.Event, error) {
	raw := azjson.Unwrap(v)
	items := []json.RawMessage{raw}
	if a, ok := azjson.Array(raw); ok {
		items = a
	}
	evs := make([]event.Event, 0, len(items))
	for i, item := range items {
		e, err := m.eventGridOne(azjson.Unwrap(item))
		if err != nil {
			return nil, fmt.Errorf("event grid event %d: %w", i+1, err)
		}
		evs = append(evs, e)
	}
	return evs, nil
}

func (m *mapper) eventGridOne(raw json.RawMessage) (event.Event, error) {
	o := azjson.Object(raw)
	if o == nil {
		return event.Event{}, errors.New("an Event Grid event must be a JSON object")
	}
	if o["specversion"] != nil {
		var e event.Event
		if err := cejson.Unmarshal(raw, &e); err != nil {
			return event.Event{}, fmt.Errorf("a CloudEvents schema event: %w", err)
		}
		return e, e.Validate()
	}
	data := o["data"]
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	e, err := m.newEvent(azjson.String(o["id"]), azjson.String(o["topic"]), azjson.String(o["eventType"]), azjson.String(o["subject"]), azjson.Time(o["eventTime"]), data)
	if err != nil {
		return e, err
	}
	if dv := azjson.String(o["dataVersion"]); dv != "" {
		e.SetExtension("dataversion", dv)
	}
	return e, e.Validate()
}

func (m *mapper) blob(v json.RawMessage) (event.Event, error) {
	md := m.md
	path := azjson.String(md.Get("BlobTrigger"))
	props := azjson.Object(md.Get("Properties"))
	container, name, _ := strings.Cut(path, "/")
	if path == "" {
		if u, err := url.Parse(azjson.String(md.Get("Uri"))); err == nil {
			container, name, _ = strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
			path = container + "/" + name
		}
	}
	if container == "" {
		container, _, _ = strings.Cut(m.binding.Prop("path"), "/")
	}
	id := path
	if etag := azjson.String(props["ETag"]); etag != "" {
		id += "@" + strings.Trim(etag, `"`)
	}
	if path == "" {
		id = m.id
	}
	return m.newEvent(id, "/storage/blobs/"+container, TypeBlobWritten, name,
		azjson.Time(props["LastModified"]), m.envelope(v, m.metadataJSON()))
}

// cosmos maps each changed document to one event whose data is the
// document.
func (m *mapper) cosmos(v json.RawMessage) ([]event.Event, error) {
	docs, ok := azjson.Array(v)
	if !ok {
		return nil, errors.New("the Cosmos DB trigger's value must be an array of documents")
	}
	db := m.binding.Prop("databaseName")
	coll := m.binding.Prop("containerName")
	if coll == "" {
		coll = m.binding.Prop("collectionName")
	}
	source := "/cosmosdb/" + db + "/" + coll
	if db == "" && coll == "" {
		source = "/cosmosdb/" + m.entity()
	}
	evs := make([]event.Event, 0, len(docs))
	for i, raw := range docs {
		doc := azjson.Unwrap(raw)
		o := azjson.Object(doc)
		if o == nil {
			return nil, fmt.Errorf("document %d of %d is not a JSON object", i+1, len(docs))
		}
		id := azjson.String(o["id"])
		version := azjson.String(o["_lsn"])
		if version == "" {
			version = strings.Trim(azjson.String(o["_etag"]), `"`)
		}
		if version == "" {
			version = azjson.String(o["_ts"])
		}
		if version != "" {
			id += "@" + version
		}
		var t time.Time
		if ts, ok := azjson.Int(o["_ts"]); ok {
			t = time.Unix(ts, 0).UTC()
		}
		e, err := m.newEvent(id, source, TypeCosmosDBChange, azjson.String(o["id"]), t, doc)
		if err != nil {
			return nil, fmt.Errorf("document %d of %d: %w", i+1, len(docs), err)
		}
		evs = append(evs, e)
	}
	return evs, nil
}

// other maps a trigger faasport has no table row for: the envelope, under
// a type naming the binding.
func (m *mapper) other(kind string, v json.RawMessage) (event.Event, error) {
	if kind == "" {
		kind = "invocation"
	}
	id := m.id
	if id == "" {
		id = azjson.String(m.sys()["RandGuid"])
	}
	return m.newEvent(id, "/functions/"+m.name, TypeInvocationPrefix+kind, "",
		azjson.Time(m.sys()["UtcNow"]), m.envelope(v, m.metadataJSON()))
}

// httpReq is the host's description of an HTTP trigger's request.
type httpReq struct {
	URL     string                     `json:"Url"`
	Method  string                     `json:"Method"`
	Query   json.RawMessage            `json:"Query"`
	Headers map[string]json.RawMessage `json:"Headers"`
	Params  map[string]json.RawMessage `json:"Params"`
	Body    json.RawMessage            `json:"Body"`
}

func (m *mapper) decodeHTTP(v json.RawMessage) (*httpReq, http.Header, []byte, error) {
	var hr httpReq
	if err := json.Unmarshal(azjson.Unwrap(v), &hr); err != nil {
		return nil, nil, nil, fmt.Errorf("the request in Data must be an object {Url, Method, Query, Headers, Params, Body}: %w", err)
	}
	if hr.Method == "" {
		hr.Method = http.MethodGet
	}
	h := make(http.Header, len(hr.Headers))
	for k, raw := range hr.Headers {
		if a, ok := azjson.Array(raw); ok {
			for _, x := range a {
				h.Add(k, azjson.String(x))
			}
			continue
		}
		h.Add(k, azjson.String(raw))
	}
	ct := h.Get("Content-Type")
	binary := strings.HasPrefix(ct, "application/octet-stream") || strings.HasPrefix(ct, "multipart/")
	var b []byte
	if len(hr.Body) > 0 && string(hr.Body) != "null" {
		if hr.Body[0] == '"' {
			var s string
			if err := json.Unmarshal(hr.Body, &s); err != nil {
				return nil, nil, nil, fmt.Errorf("the request's Body must be a string: %w", err)
			}
			b = []byte(s)
			if binary {
				d, err := decodeBase64(s)
				if err != nil {
					return nil, nil, nil, fmt.Errorf("the Body of a %s request must be base64: %w", ct, err)
				}
				b = d
			}
		} else {
			b = hr.Body // a JSON body the host parsed
		}
	}
	return &hr, h, b, nil
}

// httpRequest rebuilds the HTTP trigger's request for the HTTP handler.
func (m *mapper) httpRequest(outer *http.Request, v json.RawMessage) (*http.Request, error) {
	hr, h, b, err := m.decodeHTTP(v)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(hr.URL)
	if err != nil || hr.URL == "" {
		return nil, fmt.Errorf("the request's Url %q is not a URL", hr.URL)
	}
	if u.RawQuery == "" {
		if q := azjson.Object(hr.Query); len(q) > 0 {
			vals := url.Values{}
			for k, raw := range q {
				vals.Set(k, azjson.String(raw))
			}
			u.RawQuery = vals.Encode()
		}
	}
	r, err := http.NewRequestWithContext(outer.Context(), hr.Method, u.String(), bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("the request's Method %q or Url %q: %w", hr.Method, hr.URL, err)
	}
	r.Header = h
	r.ContentLength = int64(len(b))
	r.Host = u.Host
	r.RemoteAddr = outer.RemoteAddr
	r.RequestURI = u.RequestURI()
	if id := header(outer, HeaderInvocationID); id != "" {
		r.Header.Set(HeaderInvocationID, id)
	}
	for k, raw := range hr.Params {
		r.SetPathValue(k, azjson.String(raw))
	}
	return r, nil
}

// httpEvent makes an HTTP trigger's request an event when only an event
// handler is served, as the front door does for plain requests.
func (m *mapper) httpEvent(v json.RawMessage) ([]event.Event, error) {
	hr, h, b, err := m.decodeHTTP(v)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(hr.URL)
	source := "/functions/" + m.name
	if u != nil && u.Path != "" {
		source = u.Path
	}
	e := event.New(event.CloudEventsVersionV1)
	e.SetID(m.id)
	if m.id == "" {
		e.SetID(strconv.FormatInt(time.Now().UnixNano(), 36))
	}
	e.SetSource(source)
	e.SetType(frontdoor.TypeHTTPRequest)
	if ct := h.Get("Content-Type"); ct != "" {
		e.SetDataContentType(ct)
	}
	e.DataEncoded = b
	return []event.Event{e}, e.Validate()
}
