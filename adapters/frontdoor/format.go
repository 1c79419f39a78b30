package frontdoor

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// This file holds the JSON event format (structured and batch mode). It is
// written against encoding/json rather than the SDK's reader so that every
// malformed input gets a precise 400 and none can make it panic.

func decodeStructured(body []byte, e *event.Event) *Problem {
	if len(body) == 0 {
		return malformed("the request body is empty; a %s request carries one CloudEvent as a JSON object", MediaTypeStructured)
	}
	return decodeEventJSON(body, e, "")
}

// decodeBatch reads a JSON array of events from body one element at a
// time, decoding and checking each before the next is read, so a batch of
// invalid elements costs one element, and a valid one no more than its
// events. It stops at max events. body's read errors (the limit, the read
// deadline) are reported as such.
func decodeBatch(body io.Reader, max int) ([]event.Event, *Problem) {
	rr := &readRecorder{r: body}
	dec := json.NewDecoder(rr)
	bad := func(err error) *Problem {
		if rr.err != nil && rr.err != io.EOF {
			return bodyReadProblem(rr.err, 0)
		}
		return malformed("the body of a %s request must be a JSON array of CloudEvents: %v", MediaTypeBatch, err)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, bad(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, bad(fmt.Errorf("found %v, not an array", tok))
	}
	var evs []event.Event
	for dec.More() {
		if len(evs) == max {
			return nil, newProblem(http.StatusRequestEntityTooLarge, ErrTooManyEvents,
				fmt.Sprintf("the batch has more than %d events, this server's limit; send smaller batches or raise the limit (WithMaxBatchEvents of the adapter)", max))
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, bad(err)
		}
		evs = append(evs, event.Event{})
		if p := decodeEventJSON(raw, &evs[len(evs)-1], fmt.Sprintf("event %d of the batch: ", len(evs))); p != nil {
			return nil, p
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad(errors.New("data after the array"))
	}
	return evs, nil
}

// readRecorder keeps the error of the reader under a json.Decoder, which
// reports it only as a syntax error.
type readRecorder struct {
	r   io.Reader
	err error
}

func (r *readRecorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil {
		r.err = err
	}
	return n, err
}

// decodeEventJSON decodes one event in the JSON event format; where prefixes
// error details (the event's place in a batch).
func decodeEventJSON(b []byte, e *event.Event, where string) *Problem {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return malformed("%sa CloudEvent must be a JSON object: %v", where, err)
	}
	if m == nil {
		return malformed("%sa CloudEvent must be a JSON object, not null", where)
	}
	str := func(key string) (string, *Problem) {
		raw, ok := m[key]
		delete(m, key)
		if !ok || isJSONNull(raw) {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", malformed("%sattribute %q must be a JSON string, not %s", where, key, abbreviate(raw))
		}
		return s, nil
	}
	var attrs [8]string
	for i, key := range [...]string{"specversion", "id", "source", "type", "subject", "time", "dataschema", "datacontenttype"} {
		s, p := str(key)
		if p != nil {
			return p
		}
		attrs[i] = s
	}
	sv, id, source, typ, subject, tm, schema, ct := attrs[0], attrs[1], attrs[2], attrs[3], attrs[4], attrs[5], attrs[6], attrs[7]
	if sv != specVersion {
		return badSpecVersion(sv, where+"specversion attribute")
	}
	if p := missingAttributes(id, source, typ, ""); p != nil {
		p.Detail = where + p.Detail
		return p
	}
	c := &eventContext{}
	ec := &c.ec
	ec.ID, ec.Type = id, typ
	if p := setSource(ec, source, where+"source attribute", nil); p != nil {
		return p
	}
	if p := setOptional(c, ct, subject, tm, schema, where+"attribute "); p != nil {
		return p
	}
	data, hasData := m["data"]
	data64, hasData64 := m["data_base64"]
	delete(m, "data")
	delete(m, "data_base64")
	hasData = hasData && !isJSONNull(data)
	hasData64 = hasData64 && !isJSONNull(data64)
	switch {
	case hasData && hasData64:
		return malformed("%san event has either data or data_base64, not both", where)
	case hasData64:
		var s string
		if err := json.Unmarshal(data64, &s); err != nil {
			return malformed("%sdata_base64 must be a JSON string of base64, not %s", where, abbreviate(data64))
		}
		d, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return malformed("%sdata_base64 is not standard base64: %v", where, err)
		}
		e.DataEncoded, e.DataBase64 = d, true
	case hasData && isJSONMedia(mediaType(ct)):
		e.DataEncoded = data
	case hasData:
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return malformed("%sdata must be a JSON string when datacontenttype %q is not JSON; send binary data as data_base64", where, clip(ct))
		}
		e.DataEncoded = []byte(s)
	}
	if len(m) > 0 {
		ec.Extensions = make(map[string]any, len(m))
		for name, raw := range m {
			if p := checkExtensionName(name, where+"attribute "+strconv.Quote(clip(name))); p != nil {
				return p
			}
			v, p := extensionValue(raw, name, where)
			if p != nil {
				return p
			}
			if v != nil {
				ec.Extensions[name] = v
			}
		}
		if len(ec.Extensions) == 0 {
			ec.Extensions = nil
		}
	}
	e.Context = ec
	return nil
}

// extensionValue maps a JSON extension value to the CloudEvents type system:
// string, boolean, or 32-bit integer. null drops the attribute.
func extensionValue(raw json.RawMessage, name, where string) (any, *Problem) {
	if len(raw) == 0 {
		return nil, malformed("%sextension %q has no value", where, name)
	}
	switch raw[0] {
	case 'n':
		return nil, nil
	case 't', 'f':
		var b bool
		if err := json.Unmarshal(raw, &b); err == nil {
			return b, nil
		}
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return s, nil
		}
	default:
		var n json.Number
		if err := json.Unmarshal(raw, &n); err == nil {
			i, err := strconv.ParseInt(n.String(), 10, 32)
			if err != nil {
				return nil, malformed("%sextension %q is %s, not a 32-bit integer; CloudEvents numbers are 32-bit integers, send other numbers as strings", where, name, abbreviate(raw))
			}
			return int32(i), nil
		}
	}
	return nil, malformed("%sextension %q must be a string, a boolean or an integer, not %s", where, name, abbreviate(raw))
}

func isJSONNull(raw json.RawMessage) bool { return string(raw) == "null" }

// isJSONMedia reports whether data of this media type is a JSON value in
// the JSON event format. An absent datacontenttype means JSON.
func isJSONMedia(media string) bool {
	return media == "" || media == "application/json" || media == "text/json" || strings.HasSuffix(media, "+json")
}

func abbreviate(raw []byte) string {
	const max = 40
	if len(raw) > max {
		return strings.ToValidUTF8(string(raw[:max]), "") + "…"
	}
	return string(raw)
}

// ErrInvalidReply is wrapped by the error [WriteEvents] returns for a reply
// event that cannot be sent: a handler bug, answered with 500.
var ErrInvalidReply = errors.New("invalid reply event")

// WriteEvents writes replies as the response to a request that came in mode:
// in binary mode the one reply's attributes become ce-* headers and its data
// the body; in structured mode it is one JSON event; in batch mode a JSON
// array of all replies. No reply answers 204. Replies are checked before
// anything is written; an error wraps [ErrInvalidReply] and leaves w
// untouched, so the caller can still answer 500.
func WriteEvents(w http.ResponseWriter, mode Mode, replies []event.Event) error {
	if len(replies) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if mode != ModeBatch && len(replies) > 1 {
		return fmt.Errorf("frontdoor: %w: a %s-mode response carries one event, not %d", ErrInvalidReply, mode, len(replies))
	}
	for i := range replies {
		if err := checkReply(&replies[i]); err != nil {
			return err
		}
	}
	switch mode {
	case ModeBinary:
		return writeBinary(w, &replies[0])
	case ModeBatch:
		b := make([]byte, 0, 256*len(replies))
		b = append(b, '[')
		for i := range replies {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendEventJSON(b, &replies[i])
		}
		b = append(b, ']')
		writeBody(w, http.StatusOK, MediaTypeBatch+"; charset=utf-8", b)
		return nil
	default:
		b := appendEventJSON(make([]byte, 0, 256+len(replies[0].DataEncoded)), &replies[0])
		writeBody(w, http.StatusOK, MediaTypeStructured+"; charset=utf-8", b)
		return nil
	}
}

func checkReply(e *event.Event) error {
	if e.Context == nil {
		return fmt.Errorf("frontdoor: %w: the reply has no attributes; build it with event.New()", ErrInvalidReply)
	}
	if err := e.Validate(); err != nil {
		return fmt.Errorf("frontdoor: %w %q: %s", ErrInvalidReply, e.ID(), strings.TrimSpace(strings.ReplaceAll(err.Error(), "\n", "; ")))
	}
	if !e.DataBase64 && len(e.DataEncoded) > 0 && e.DataContentType() != "" && isJSONMedia(e.DataMediaType()) && !json.Valid(e.DataEncoded) {
		return fmt.Errorf("frontdoor: %w %q: its datacontenttype %q says JSON but its data is not valid JSON", ErrInvalidReply, e.ID(), e.DataContentType())
	}
	return nil
}

func writeBody(w http.ResponseWriter, status int, ct string, b []byte) {
	WriteBody(w, status, []string{ct}, []string{strconv.Itoa(len(b))}, b)
}

// WriteBody writes a whole answer at once: status, the Content-Type values
// ct and, when not nil, the Content-Length values cl, then body. The
// slices go into the response header as they are, so shared ones must
// never change. On the Door's own response writer it spares the map kept
// for a handler's headers until the response begins: a [Codec]'s Encode
// answers this way.
func WriteBody(w http.ResponseWriter, status int, ct, cl []string, body []byte) {
	if g, ok := w.(*gate); ok {
		g.send(status, ct, cl, body)
		return
	}
	h := w.Header()
	if ct != nil {
		h["Content-Type"] = ct
	}
	if cl != nil {
		h["Content-Length"] = cl
	}
	w.WriteHeader(status)
	if len(body) > 0 {
		_, _ = w.Write(body)
	}
}

func writeBinary(w http.ResponseWriter, e *event.Event) error {
	ec := e.Context.AsV1()
	h := w.Header()
	h["Ce-Specversion"] = []string{specVersion}
	h["Ce-Id"] = []string{encodeHeaderValue(ec.ID)}
	h["Ce-Source"] = []string{encodeHeaderValue(ec.Source.String())}
	h["Ce-Type"] = []string{encodeHeaderValue(ec.Type)}
	if ec.Subject != nil {
		h["Ce-Subject"] = []string{encodeHeaderValue(*ec.Subject)}
	}
	if ec.Time != nil {
		h["Ce-Time"] = []string{ec.Time.String()}
	}
	if ec.DataSchema != nil {
		h["Ce-Dataschema"] = []string{encodeHeaderValue(ec.DataSchema.String())}
	}
	for name, v := range ec.Extensions {
		s, err := types.Format(v)
		if err != nil {
			return fmt.Errorf("frontdoor: %w %q: extension %q: %v", ErrInvalidReply, ec.ID, name, err)
		}
		h.Set("Ce-"+name, encodeHeaderValue(s))
	}
	ct := ""
	if ec.DataContentType != nil {
		ct = *ec.DataContentType
	}
	if ct != "" {
		h["Content-Type"] = []string{ct}
	} else {
		// No datacontenttype: keep net/http from sniffing one.
		h["Content-Type"] = nil
	}
	h["Content-Length"] = []string{strconv.Itoa(len(e.DataEncoded))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(e.DataEncoded)
	return nil
}

// appendEventJSON appends e in the JSON event format. e must have passed
// checkReply.
func appendEventJSON(b []byte, e *event.Event) []byte {
	ec := e.Context.AsV1()
	b = append(b, `{"specversion":"`+specVersion+`","id":`...)
	b = appendJSONString(b, ec.ID)
	b = append(b, `,"source":`...)
	b = appendJSONString(b, ec.Source.String())
	b = append(b, `,"type":`...)
	b = appendJSONString(b, ec.Type)
	if ec.Subject != nil {
		b = append(b, `,"subject":`...)
		b = appendJSONString(b, *ec.Subject)
	}
	if ec.DataContentType != nil {
		b = append(b, `,"datacontenttype":`...)
		b = appendJSONString(b, *ec.DataContentType)
	}
	if ec.DataSchema != nil {
		b = append(b, `,"dataschema":`...)
		b = appendJSONString(b, ec.DataSchema.String())
	}
	if ec.Time != nil {
		b = append(b, `,"time":`...)
		b = appendJSONString(b, ec.Time.String())
	}
	names := make([]string, 0, len(ec.Extensions))
	for name := range ec.Extensions {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		b = append(b, ',')
		b = appendJSONString(b, name)
		b = append(b, ':')
		switch v := ec.Extensions[name].(type) {
		case bool:
			b = strconv.AppendBool(b, v)
		case int32:
			b = strconv.AppendInt(b, int64(v), 10)
		case string:
			b = appendJSONString(b, v)
		default:
			s, _ := types.Format(v)
			b = appendJSONString(b, s)
		}
	}
	if len(e.DataEncoded) > 0 {
		switch {
		case e.DataBase64 || (!isJSONMedia(e.DataMediaType()) && !utf8.Valid(e.DataEncoded)) ||
			(e.DataContentType() == "" && !json.Valid(e.DataEncoded)):
			b = append(b, `,"data_base64":"`...)
			b = base64.StdEncoding.AppendEncode(b, e.DataEncoded)
			b = append(b, '"')
		case isJSONMedia(e.DataMediaType()):
			b = append(b, `,"data":`...)
			b = append(b, e.DataEncoded...)
		default:
			b = append(b, `,"data":`...)
			b = appendJSONString(b, string(e.DataEncoded))
		}
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
