package payload

import (
	"fmt"
	"strings"

	"github.com/cloudevents/sdk-go/v2/types"
)

// A producer that sends a CloudEvent in binary mode over SQS or SNS puts
// the event's data in the message body and each of its attributes in a
// message attribute of its own, named after the attribute with a prefix:
// "ce_" (the draft SNS binding of CloudEvents), "ce-" (as the HTTP
// binding's headers), or "cloudEvents_" (as the AMQP binding's
// properties, in a name SQS and SNS accept). Names are matched without
// regard to case.

// ceName returns the CloudEvents attribute an SQS or SNS message attribute
// carries in binary mode, lower-cased, and whether it carries one.
func ceName(k string) (string, bool) {
	switch {
	case len(k) > 3 && (k[0]|0x20) == 'c' && (k[1]|0x20) == 'e' && (k[2] == '_' || k[2] == '-'):
		return strings.ToLower(k[3:]), true
	case len(k) > len("cloudevents_") && strings.EqualFold(k[:len("cloudevents_")], "cloudevents_"):
		return strings.ToLower(k[len("cloudevents_"):]), true
	}
	return "", false
}

// The attributes of a binary-mode CloudEvent that fill a field of Message,
// by their index in ceField; the others (subject, dataschema, extensions)
// stay in its Attributes.
const (
	ceSpecVersion = iota
	ceID
	ceSource
	ceType
	ceTime
	ceDataContentType
	ceDataContentEncoding
	ceFields
)

// ceField returns the index of a CloudEvents attribute that fills a field
// of Message, or -1.
func ceField(name string) int {
	switch name {
	case "specversion":
		return ceSpecVersion
	case "id":
		return ceID
	case "source":
		return ceSource
	case "type":
		return ceType
	case "time":
		return ceTime
	case "datacontenttype":
		return ceDataContentType
	case "datacontentencoding": // CloudEvents 0.3, and the SNS binding
		return ceDataContentEncoding
	}
	return -1
}

// binaryCloudEvent makes m the CloudEvent its attributes carry in binary
// mode, if they carry one: the four required attributes (specversion, id,
// source, type) are set. Then m's data is the event's data (base64-decoded
// where datacontentencoding says so), its ID, Source, Type, PublishTime and
// ContentType are the event's, and its Attributes hold the event's other
// attributes under their CloudEvents names, beside the message attributes
// that are not the event's. A time that is not RFC 3339 leaves the
// broker's. It reports whether the message was a CloudEvent.
func (m *Message) binaryCloudEvent() (bool, error) {
	if len(m.Attributes) < 4 {
		return false, nil
	}
	var ce [ceFields]string
	for k, v := range m.Attributes {
		if name, ok := ceName(k); ok {
			if i := ceField(name); i >= 0 {
				ce[i] = v
			}
		}
	}
	if ce[ceSpecVersion] == "" || ce[ceID] == "" || ce[ceSource] == "" || ce[ceType] == "" {
		return false, nil
	}
	if encoding := ce[ceDataContentEncoding]; encoding != "" {
		if !strings.EqualFold(encoding, "base64") {
			return false, fmt.Errorf("the binary-mode CloudEvent's datacontentencoding %q is not base64, the only one CloudEvents defines", encoding)
		}
		b, err := decodeBase64(string(m.Data))
		if err != nil {
			return false, fmt.Errorf("the binary-mode CloudEvent's datacontentencoding is base64, but its data is not: %w", err)
		}
		m.Data = b
	}
	attrs := make(map[string]string, len(m.Attributes))
	for k, v := range m.Attributes {
		if name, ok := ceName(k); ok {
			if ceField(name) < 0 {
				attrs[name] = v
			}
			continue
		}
		if _, set := attrs[k]; !set { // the event's own attribute of that name wins
			attrs[k] = v
		}
	}
	if len(attrs) == 0 {
		attrs = nil
	}
	m.Attributes = attrs
	m.ID, m.Source, m.Type, m.ContentType = ce[ceID], ce[ceSource], ce[ceType], ce[ceDataContentType]
	if at := ce[ceTime]; at != "" {
		if t, err := types.ParseTime(at); err == nil {
			m.PublishTime = t
		}
	}
	return true, nil
}
