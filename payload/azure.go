package payload

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/internal/azjson"
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

// readEnvelope reads data, the envelope of an Azure message event, in
// place, as encoding/json would decode it into
//
//	struct {
//		Data     json.RawMessage
//		Metadata map[string]json.RawMessage
//		DataType string
//	}
//
// without making the map: the three names match keys without regard to
// case, a later key wins over an earlier one, a Metadata object adds its
// members to those of earlier ones and a null Metadata drops them, a null
// DataType changes nothing, and a Metadata that is not an object or null,
// or a DataType that is not a string or null, is an error. It returns
// Data's raw value, Metadata's members (every Metadata object's, since the
// last null one; Members.Last finds what the map would hold) and whether
// DataType is "binary" (Data is base64). room is where the metadata's
// members go first, empty, on the caller's stack.
func readEnvelope(data []byte, room azjson.Members) (raw json.RawMessage, md azjson.Members, binary bool, err error) {
	if len(data) == 0 {
		return nil, nil, false, errors.New("the event has no data")
	}
	i := azjson.SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		if !azjson.Valid(data) {
			return nil, nil, false, envelopeSyntax(data)
		}
		return nil, nil, false, errors.New("the Azure envelope is not a JSON object; adapters/azure makes {\"Data\": …, \"Metadata\": {…}}")
	}
	md = room
	var typeErr error
	end, ok := azjson.WalkObject(data, i, 1, func(key []byte, vs int) (end int, ok bool) {
		f := envelopeField(key)
		if f == "Metadata" && vs < len(data) && data[vs] == '{' {
			md, end, ok = azjson.ObjectAt(md, data, vs, 2)
			return end, ok
		}
		if end, ok = azjson.ValueAt(data, vs, 1); !ok {
			return end, false
		}
		switch v := data[vs:end]; f {
		case "Data":
			raw = v
		case "Metadata":
			if string(v) == "null" {
				md = md[:0]
			} else {
				typeErr = cmp.Or(typeErr, errors.New("the Azure envelope's Metadata is not a JSON object; adapters/azure makes {\"Data\": …, \"Metadata\": {…}}"))
			}
		case "DataType":
			b, err := dataTypeBinary(v)
			if err != nil {
				typeErr = cmp.Or(typeErr, err)
			} else if string(v) != "null" {
				binary = b
			}
		}
		return end, true
	})
	if !ok || azjson.SkipSpace(data, end) != len(data) {
		return nil, nil, false, envelopeSyntax(data)
	}
	return raw, md, binary, typeErr
}

// dataTypeBinary reports whether v, a DataType value, is "binary"; one
// that is not a JSON string or null is an error.
func dataTypeBinary(v []byte) (bool, error) {
	switch {
	case string(v) == "null":
		return false, nil
	case v[0] != '"':
		return false, errors.New("the Azure envelope's DataType is not a JSON string; adapters/azure sets it to \"binary\" or leaves it out")
	case bytes.IndexByte(v, '\\') < 0:
		return string(v) == `"binary"`, nil
	}
	var t string
	if err := json.Unmarshal(v, &t); err != nil {
		return false, fmt.Errorf("the Azure envelope's DataType: %w", err)
	}
	return t == "binary", nil
}

// envelopeField returns the envelope field a key names, as encoding/json
// matches struct fields: exactly or without regard to case ("Data",
// "Metadata" and "DataType" differ even so); "" for any other key.
func envelopeField(key []byte) string {
	for _, f := range [...]string{"Data", "Metadata", "DataType"} {
		if string(key) == f || azjson.KeyFold(key, f) {
			return f
		}
	}
	return ""
}

// envelopeSyntax is the error for an envelope that is not valid JSON, as
// encoding/json reports it.
func envelopeSyntax(data []byte) error {
	var v any
	err := json.Unmarshal(data, &v)
	if err == nil {
		err = errors.New("unexpected end") // unreachable: the reader accepts what encoding/json accepts
	}
	return fmt.Errorf("the Azure envelope is not valid JSON: %w", err)
}

// readAzureEnvelope reads an Azure event's envelope, sets the message's
// data and the attempt its RetryContext tells, and returns the metadata's
// members; room is as for readEnvelope. Metadata values are looked up with
// Members.Last: the exact name, the last member so named.
func readAzureEnvelope(m *Message, e event.Event, room azjson.Members) (azjson.Members, error) {
	raw, md, binary, err := readEnvelope(e.Data(), room)
	if err != nil {
		return nil, err
	}
	b, err := azBody(raw, binary)
	if err != nil {
		return nil, err
	}
	m.Data = b
	if n, ok := azInt(md.Last("RetryContext"), "RetryCount"); ok {
		m.Attempt = n + 1
	}
	return md, nil
}

func readAzureQueue(m *Message, e event.Event) error {
	var room [16]azjson.Member
	md, err := readAzureEnvelope(m, e, room[:0])
	if err != nil {
		return err
	}
	if id := azjson.String(md.Last("Id")); id != "" {
		m.ID = id
	}
	if n, ok := azInt(md.Last("DequeueCount"), ""); ok {
		m.Attempt = n
	}
	if t := azjson.Time(md.Last("InsertionTime")); !t.IsZero() {
		m.PublishTime = t
	}
	return nil
}

func readAzureServiceBus(m *Message, e event.Event) error {
	var room [16]azjson.Member
	md, err := readAzureEnvelope(m, e, room[:0])
	if err != nil {
		return err
	}
	if id := azjson.String(md.Last("MessageId")); id != "" {
		m.ID = id
	}
	if n, ok := azInt(md.Last("DeliveryCount"), ""); ok {
		m.Attempt = n
	}
	if t := azjson.Time(md.Last("EnqueuedTimeUtc")); !t.IsZero() {
		m.PublishTime = t
	}
	m.OrderingKey = azjson.String(md.Last("SessionId"))
	m.ContentType = azjson.String(md.Last("ContentType"))
	// Extension 5.x calls them ApplicationProperties, earlier ones
	// UserProperties.
	props := md.Last("ApplicationProperties")
	if len(props) == 0 {
		props = md.Last("UserProperties")
	}
	m.azureProperties(props)
	return nil
}

func readAzureEventHubs(m *Message, e event.Event) error {
	var room [16]azjson.Member
	md, err := readAzureEnvelope(m, e, room[:0])
	if err != nil {
		return err
	}
	if t := azjson.Time(md.Last("EnqueuedTimeUtc")); !t.IsZero() {
		m.PublishTime = t
	}
	m.OrderingKey = azjson.String(md.Last("PartitionKey"))
	m.azureProperties(md.Last("Properties"))
	return nil
}

func readAzureBlob(m *Message, e event.Event) error {
	var room [16]azjson.Member
	md, err := readAzureEnvelope(m, e, room[:0])
	if err != nil {
		return err
	}
	props := azjson.Object(md.Last("Properties"))
	m.ContentType = azjson.String(props["ContentType"])
	if t := azjson.Time(props["LastModified"]); !t.IsZero() {
		m.PublishTime = t
	}
	m.azureProperties(md.Last("Metadata"))
	return nil
}

// azureProperties sets the attributes from a message's application
// properties, and the trace context from its Diagnostic-Id (the W3C
// traceparent the Azure SDKs write) or traceparent property.
func (m *Message) azureProperties(raw json.RawMessage) {
	// The members of the object (once or twice encoded) in order, a later
	// one overwriting an earlier one of the same name: what setting them
	// from azjson.Object's map gives, without the map.
	var room [8]azjson.Member
	if props, ok := azjson.ReadObject(room[:0], azjson.Unwrap(raw)); ok {
		for _, p := range props {
			m.setAttr(azjson.KeyString(p.Key), azjson.String(p.Value))
		}
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
// raw is valid JSON, read in place by readEnvelope.
func azBody(raw json.RawMessage, binary bool) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '"' {
		return raw, nil
	}
	s, ok := azjson.Unquote(raw)
	if !ok {
		return nil, errors.New("the Azure envelope's Data is not a valid JSON string")
	}
	if len(s) > 1 && s[0] == '"' {
		// A string whose text is a JSON string, whitespace after it
		// allowed as encoding/json allows it.
		if inner, ok := azjson.Unquote(bytes.TrimRight(s, " \t\r\n")); ok {
			s = inner
		}
	}
	if binary {
		b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
		n, err := base64.StdEncoding.Decode(b, s)
		return b[:n], err
	}
	return s, nil
}
