package payload

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/faasport/faasport/internal/azjson"
	"strings"

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
	if id := azjson.String(md["Id"]); id != "" {
		m.ID = id
	}
	if n, ok := azInt(md["DequeueCount"], ""); ok {
		m.Attempt = n
	}
	if t := azjson.Time(md["InsertionTime"]); !t.IsZero() {
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
	if id := azjson.String(md["MessageId"]); id != "" {
		m.ID = id
	}
	if n, ok := azInt(md["DeliveryCount"], ""); ok {
		m.Attempt = n
	}
	if t := azjson.Time(md["EnqueuedTimeUtc"]); !t.IsZero() {
		m.PublishTime = t
	}
	m.OrderingKey = azjson.String(md["SessionId"])
	m.ContentType = azjson.String(md["ContentType"])
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
	if t := azjson.Time(md["EnqueuedTimeUtc"]); !t.IsZero() {
		m.PublishTime = t
	}
	m.OrderingKey = azjson.String(md["PartitionKey"])
	m.azureProperties(md["Properties"])
	return nil
}

func readAzureBlob(m *Message, e event.Event) error {
	env, err := readAzureEnvelope(m, e)
	if err != nil {
		return err
	}
	md := env.Metadata
	props := azjson.Object(md["Properties"])
	m.ContentType = azjson.String(props["ContentType"])
	if t := azjson.Time(props["LastModified"]); !t.IsZero() {
		m.PublishTime = t
	}
	m.azureProperties(md["Metadata"])
	return nil
}

// azureProperties sets the attributes from a message's application
// properties, and the trace context from its Diagnostic-Id (the W3C
// traceparent the Azure SDKs write) or traceparent property.
func (m *Message) azureProperties(raw json.RawMessage) {
	for k, v := range azjson.Object(raw) {
		m.setAttr(k, azjson.String(v))
	}
	m.fromAttributes()
	if m.Trace.TraceParent == "" {
		if d := m.attr("Diagnostic-Id", "diagnostic-id"); strings.HasPrefix(d, "00-") {
			m.Trace.TraceParent = d
		}
	}
}

// azInt reads an integer, or with field set the integer field of an object.
func azInt(raw json.RawMessage, field string) (int, bool) {
	if field != "" {
		raw = azjson.Object(raw)[field]
	}
	n, ok := azjson.Int(raw)
	return int(n), ok
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
