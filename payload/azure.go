package payload

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// The CloudEvent types adapters/azure gives Azure Functions triggers that
// carry a message (see docs/azure-events.md). Their data is the envelope
// {"Data": <the trigger's value>, "Metadata": {…}} exactly as the Functions
// host sent it, plus "DataType": "binary" when the value is base64.
// Event Grid events keep their own types and are their own payload.
const (
	azurePrefix     = "com.microsoft.azure."
	azureQueue      = "com.microsoft.azure.storage.queue.message"
	azureServiceBus = "com.microsoft.azure.servicebus.message"
	azureEventHubs  = "com.microsoft.azure.eventhubs.event"
	azureBlob       = "com.microsoft.azure.storage.blob.written"
)

// azureReader returns the reader of an Azure event type, or nil for the
// types whose event is its own payload (Cosmos DB changes, timer ticks).
func azureReader(typ string) func(*Message, event.Event) error {
	switch typ {
	case azureQueue:
		return readAzureQueue
	case azureServiceBus:
		return readAzureServiceBus
	case azureEventHubs:
		return readAzureEventHubs
	case azureBlob:
		return readAzureBlob
	}
	return nil
}

// azureEnvelope is the data of an Azure message event.
type azureEnvelope struct {
	Data     json.RawMessage            `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
	DataType string                     `json:"DataType"`
}

func readAzureEnvelope(m *Message, e event.Event) (*azureEnvelope, error) {
	var env azureEnvelope
	if err := unmarshal(e.Data(), &env); err != nil {
		return nil, err
	}
	if !isObject(e.Data()) {
		return nil, errors.New("the Azure envelope is not a JSON object")
	}
	b, err := azBody(env.Data, env.DataType == "binary")
	if err != nil {
		return nil, err
	}
	m.Data = b
	md := env.Metadata
	if n, ok := azInt(md["RetryContext"], "RetryCount"); ok {
		m.Attempt = n + 1
	}
	return &env, nil
}

func readAzureQueue(m *Message, e event.Event) error {
	env, err := readAzureEnvelope(m, e)
	if err != nil {
		return err
	}
	md := env.Metadata
	if id := azStr(md["Id"]); id != "" {
		m.ID = id
	}
	if n, ok := azInt(md["DequeueCount"], ""); ok {
		m.Attempt = n
	}
	if t := azTime(md["InsertionTime"]); !t.IsZero() {
		m.PublishTime = t
	}
	return nil
}

func readAzureServiceBus(m *Message, e event.Event) error {
	env, err := readAzureEnvelope(m, e)
	if err != nil {
		return err
	}
	md := env.Metadata
	if id := azStr(md["MessageId"]); id != "" {
		m.ID = id
	}
	if n, ok := azInt(md["DeliveryCount"], ""); ok {
		m.Attempt = n
	}
	if t := azTime(md["EnqueuedTimeUtc"]); !t.IsZero() {
		m.PublishTime = t
	}
	m.OrderingKey = azStr(md["SessionId"])
	m.ContentType = azStr(md["ContentType"])
	// Extension 5.x calls them ApplicationProperties, earlier ones
	// UserProperties.
	props := md["ApplicationProperties"]
	if len(props) == 0 {
		props = md["UserProperties"]
	}
	m.azureProperties(props)
	return nil
}

func readAzureEventHubs(m *Message, e event.Event) error {
	env, err := readAzureEnvelope(m, e)
	if err != nil {
		return err
	}
	md := env.Metadata
	if t := azTime(md["EnqueuedTimeUtc"]); !t.IsZero() {
		m.PublishTime = t
	}
	m.OrderingKey = azStr(md["PartitionKey"])
	m.azureProperties(md["Properties"])
	return nil
}

func readAzureBlob(m *Message, e event.Event) error {
	env, err := readAzureEnvelope(m, e)
	if err != nil {
		return err
	}
	md := env.Metadata
	props := azObject(md["Properties"])
	m.ContentType = azStr(props["ContentType"])
	if t := azTime(props["LastModified"]); !t.IsZero() {
		m.PublishTime = t
	}
	m.azureProperties(md["Metadata"])
	return nil
}

// azureProperties sets the attributes from a message's application
// properties, and the trace context from its Diagnostic-Id (the W3C
// traceparent the Azure SDKs write) or traceparent property.
func (m *Message) azureProperties(raw json.RawMessage) {
	for k, v := range azObject(raw) {
		m.setAttr(k, azStr(v))
	}
	m.fromAttributes()
	if m.Trace.TraceParent == "" {
		if d := m.attr("Diagnostic-Id", "diagnostic-id"); strings.HasPrefix(d, "00-") {
			m.Trace.TraceParent = d
		}
	}
}

// The Functions host encodes many values twice: a string as a JSON string
// of its JSON encoding, a number as a string of digits, an object as a
// string of its JSON. These helpers read both forms.

func azUnwrap(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '"' {
		return raw
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return raw
	}
	if inner := bytes.TrimSpace([]byte(s)); len(inner) > 0 && json.Valid(inner) {
		return inner
	}
	return raw
}

func azStr(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	v := azUnwrap(raw)
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	switch v[0] {
	case '{', '[', 'n':
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	return string(v)
}

func azObject(raw json.RawMessage) map[string]json.RawMessage {
	v := azUnwrap(raw)
	if len(v) == 0 || v[0] != '{' {
		return nil
	}
	var o map[string]json.RawMessage
	if json.Unmarshal(v, &o) != nil {
		return nil
	}
	return o
}

// azInt reads an integer, or with field set the integer field of an object.
func azInt(raw json.RawMessage, field string) (int, bool) {
	if field != "" {
		raw = azObject(raw)[field]
	}
	n, err := strconv.Atoi(azStr(raw))
	return n, err == nil
}

func azTime(raw json.RawMessage) time.Time {
	s := azStr(raw)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "01/02/2006 15:04:05 -07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// azBody returns the message bytes of a trigger value: a string's text (its
// second encoding undone; base64-decoded when binary), else the JSON text.
func azBody(raw json.RawMessage, binary bool) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '"' {
		return raw, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	if len(s) > 1 && s[0] == '"' {
		var inner string
		if json.Unmarshal([]byte(s), &inner) == nil {
			s = inner
		}
	}
	if binary {
		return base64.StdEncoding.DecodeString(s)
	}
	return []byte(s), nil
}
