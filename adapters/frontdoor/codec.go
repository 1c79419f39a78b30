package frontdoor

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// Media types of the CloudEvents JSON event format.
const (
	MediaTypeStructured = "application/cloudevents+json"
	MediaTypeBatch      = "application/cloudevents-batch+json"
)

// specVersion is the only CloudEvents version this codec reads and writes.
const specVersion = event.CloudEventsVersionV1

// ReadEvents decodes the CloudEvents a request carries, reading at most
// limit bytes of body (limit <= 0 means [DefaultMaxBodyBytes]). It reports
// the mode the events came in, which is also the mode to reply in (see
// [WriteEvents]).
//
// A request with no CloudEvent returns a [*Problem] that wraps [ErrNoEvent]
// and leaves the body unread, so it can still be served as plain HTTP. Every
// other failure is a [*Problem] too: wrapping [ErrMalformedEvent] (400),
// [ErrUnsupportedMediaType] (415) or [ErrBodyTooLarge] (413).
func ReadEvents(r *http.Request, limit int64) ([]event.Event, Mode, error) {
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	mode, ct, p := detectMode(r.Header)
	if p != nil {
		return nil, mode, p
	}
	if mode == ModeNone {
		return nil, ModeNone, noEventProblem(r.Header)
	}
	evs, p := decodeEvents(r, mode, ct, limit, DefaultMaxBatchEvents, nil, nil)
	if p != nil {
		return nil, mode, p
	}
	return evs, mode, nil
}

// decodeEvents decodes the events of a request in mode, which is not
// ModeNone: a single event into one[0] (allocated if one is nil), whose
// slice it returns, a batch into a new slice. sources may be nil.
func decodeEvents(r *http.Request, mode Mode, ct string, limit int64, maxBatch int, one []event.Event, sources *sourceCache) ([]event.Event, *Problem) {
	if mode == ModeBatch {
		return decodeBatch(limitBody(r, limit), maxBatch)
	}
	if one == nil {
		one = make([]event.Event, 1)
	}
	if mode == ModeBinary {
		if p := readBinary(r, limit, ct, &one[0], sources); p != nil {
			return nil, p
		}
		return one, nil
	}
	body, p := readBody(r, limit)
	if p == nil {
		p = decodeStructured(body, &one[0])
	}
	if p != nil {
		return nil, p
	}
	return one, nil
}

// detectMode tells the binding mode from the headers alone, so a request
// that carries no event keeps its body for the HTTP handler. ct is the
// Content-Type header.
func detectMode(h http.Header) (Mode, string, *Problem) {
	ct := headerValue(h, "Content-Type")
	media := mediaType(ct)
	if strings.HasPrefix(media, "application/cloudevents") {
		switch media {
		case MediaTypeStructured:
			return ModeStructured, ct, nil
		case MediaTypeBatch:
			return ModeBatch, ct, nil
		}
		return ModeNone, ct, newProblem(http.StatusUnsupportedMediaType, ErrUnsupportedMediaType,
			fmt.Sprintf("Content-Type %q is an event format this server does not read; send %s, %s, or the event in binary mode (ce-* headers)",
				clip(ct), MediaTypeStructured, MediaTypeBatch))
	}
	if _, ok := h["Ce-Specversion"]; ok {
		return ModeBinary, ct, nil
	}
	return ModeNone, ct, nil
}

// headerValue returns the first value of the canonical header key without
// the canonicalisation net/http's Get does on every call.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func noEventProblem(h http.Header) *Problem {
	for k := range h {
		if strings.EqualFold(k, "Ce-Specversion") {
			return newProblem(http.StatusBadRequest, ErrNoEvent,
				fmt.Sprintf("the header key %q is not in canonical form; set headers with http.Header.Set so that it reads Ce-Specversion", clip(k)))
		}
	}
	for k := range h {
		if hasCEPrefix(k) {
			return newProblem(http.StatusBadRequest, ErrNoEvent,
				fmt.Sprintf("the request has a %s header but no ce-specversion header; a binary-mode CloudEvent needs ce-specversion: 1.0, ce-id, ce-source and ce-type", clip(k)))
		}
	}
	ct := headerValue(h, "Content-Type")
	return newProblem(http.StatusBadRequest, ErrNoEvent,
		fmt.Sprintf("the request carries no CloudEvent and this server serves only events: it has no ce-specversion header (binary mode) and its Content-Type %q is neither %s nor %s",
			clip(ct), MediaTypeStructured, MediaTypeBatch))
}

func hasCEPrefix(k string) bool {
	return len(k) > 3 && k[2] == '-' && (k[0] == 'C' || k[0] == 'c') && (k[1] == 'E' || k[1] == 'e')
}

// readBinary decodes a binary-mode event into e. It is the hot path: one
// pass over the headers, no canonicalisation, one allocation for the body
// and one for the attributes. sources may be nil.
func readBinary(r *http.Request, limit int64, ct string, e *event.Event, sources *sourceCache) *Problem {
	var sv, id, source, typ, subject, tm, schema string
	var ext map[string]any
	for k, vs := range r.Header {
		if !hasCEPrefix(k) || len(vs) == 0 {
			continue
		}
		if len(vs) > 1 {
			return malformed("header %s appears %d times; a CloudEvents attribute has exactly one value", clip(k), len(vs))
		}
		v := vs[0]
		if !plainHeaderValue(v) {
			var p *Problem
			if v, p = decodeHeaderValue(k, v); p != nil {
				return p
			}
		}
		name := k[3:]
		switch {
		case strings.EqualFold(name, "specversion"):
			sv = v
		case strings.EqualFold(name, "id"):
			id = v
		case strings.EqualFold(name, "source"):
			source = v
		case strings.EqualFold(name, "type"):
			typ = v
		case strings.EqualFold(name, "subject"):
			subject = v
		case strings.EqualFold(name, "time"):
			tm = v
		case strings.EqualFold(name, "dataschema"):
			schema = v
		case strings.EqualFold(name, "datacontenttype"):
			return malformed("header %s is not allowed: in binary mode the datacontenttype attribute is the Content-Type header", clip(k))
		default:
			lname := strings.ToLower(name)
			if p := checkExtensionName(lname, k); p != nil {
				return p
			}
			if ext == nil {
				ext = make(map[string]any, 4)
			}
			ext[lname] = v
		}
	}
	if sv != specVersion {
		return badSpecVersion(sv, "ce-specversion header")
	}
	if p := missingAttributes(id, source, typ, "ce-"); p != nil {
		return p
	}
	c := &eventContext{}
	ec := &c.ec
	ec.ID, ec.Type, ec.Extensions = id, typ, ext
	if p := setSource(ec, source, "ce-source header", sources); p != nil {
		return p
	}
	if p := setOptional(c, ct, subject, tm, schema, "header "); p != nil {
		return p
	}
	body, p := readBody(r, limit)
	if p != nil {
		return p
	}
	e.Context = ec
	e.DataEncoded = body
	return nil
}

// eventContext holds an event's attributes and the values its optional
// attributes point to, so that decoding an event allocates them at once.
type eventContext struct {
	ec          event.EventContextV1
	time        types.Timestamp
	contentType string
	subject     string
}

// setOptional sets the optional attributes shared by the binary and the
// structured decoder, checking each.
func setOptional(c *eventContext, ct, subject, tm, schema, where string) *Problem {
	ec := &c.ec
	if ct != "" {
		if !validMediaType(ct) {
			return malformed("%sdatacontenttype %q is not a media type (type/subtype[; parameters])", where, clip(ct))
		}
		c.contentType = ct
		ec.DataContentType = &c.contentType
	}
	if subject != "" {
		c.subject = subject
		ec.Subject = &c.subject
	}
	if tm != "" {
		t, err := types.ParseTime(tm)
		if err != nil {
			return malformed("%stime %q is not an RFC 3339 timestamp", where, clip(tm))
		}
		c.time.Time = t
		ec.Time = &c.time
	}
	if schema != "" {
		u, err := url.Parse(schema)
		if err != nil || !u.IsAbs() {
			return malformed("%sdataschema %q is not an absolute URI", where, clip(schema))
		}
		ec.DataSchema = &types.URI{URL: *u}
	}
	return nil
}

func setSource(ec *event.EventContextV1, source, where string, sources *sourceCache) *Problem {
	if u := sources.get(source); u != nil {
		ec.Source = types.URIRef{URL: *u}
		return nil
	}
	u, err := url.Parse(source)
	if err != nil {
		return malformed("%s %q is not a URI-reference", where, clip(source))
	}
	sources.put(source, u)
	ec.Source = types.URIRef{URL: *u}
	return nil
}

// sourceCache remembers the last event source parsed: a server mostly sees
// events of one producer, and parsing the URI is the costliest step of
// decoding binary-mode attributes. The cached URL is never modified, only
// copied.
type sourceCache struct{ last atomic.Pointer[parsedSource] }

type parsedSource struct {
	raw string
	u   *url.URL
}

func (c *sourceCache) get(raw string) *url.URL {
	if c == nil {
		return nil
	}
	if p := c.last.Load(); p != nil && p.raw == raw {
		return p.u
	}
	return nil
}

func (c *sourceCache) put(raw string, u *url.URL) {
	if c != nil {
		c.last.Store(&parsedSource{raw: raw, u: u})
	}
}

func badSpecVersion(sv, where string) *Problem {
	if sv == "" {
		return malformed("the %s is missing or empty; this server reads CloudEvents %s", where, specVersion)
	}
	return malformed("the %s is %q; this server reads only CloudEvents %s, send that version", where, clip(sv), specVersion)
}

func missingAttributes(id, source, typ, prefix string) *Problem {
	if strings.TrimSpace(id) != "" && strings.TrimSpace(source) != "" && strings.TrimSpace(typ) != "" {
		return nil
	}
	var missing []string
	for _, a := range [...]struct{ name, v string }{{"id", id}, {"source", source}, {"type", typ}} {
		if strings.TrimSpace(a.v) == "" {
			missing = append(missing, prefix+a.name)
		}
	}
	return malformed("required CloudEvents attribute(s) missing or empty: %s", strings.Join(missing, ", "))
}

func checkExtensionName(name, from string) *Problem {
	switch name {
	case "":
		return malformed("%s names an empty extension attribute", clip(from))
	case "data":
		return malformed("%s: data is not an attribute; in binary mode the data is the body", clip(from))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return malformed("%s: extension attribute names are lower-case letters and digits only, %q is not", clip(from), clip(name))
		}
	}
	return nil
}

// plainHeaderValue reports whether v needs no percent-decoding or UTF-8
// check: printable ASCII without '%'.
func plainHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e || c == '%' {
			return false
		}
	}
	return true
}

// decodeHeaderValue undoes the percent-encoding the HTTP binding applies to
// attribute values. A '%' not followed by two hex digits is kept as it is,
// for senders that do not encode.
func decodeHeaderValue(k, v string) (string, *Problem) {
	if strings.IndexByte(v, '%') >= 0 {
		b := make([]byte, 0, len(v))
		for i := 0; i < len(v); i++ {
			if v[i] == '%' && i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]) {
				b = append(b, unhex(v[i+1])<<4|unhex(v[i+2]))
				i += 2
				continue
			}
			b = append(b, v[i])
		}
		v = string(b)
	}
	if !utf8.ValidString(v) {
		return "", malformed("header %s is not valid UTF-8 after percent-decoding", clip(k))
	}
	return v, nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

// encodeHeaderValue percent-encodes what the HTTP binding says must be:
// space, '"', '%' and every byte outside printable ASCII.
func encodeHeaderValue(v string) string {
	if plainHeaderValue(v) && strings.IndexByte(v, ' ') < 0 && strings.IndexByte(v, '"') < 0 {
		return v
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(v)+8)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= 0x20 || c > 0x7e || c == '"' || c == '%' {
			b = append(b, '%', hex[c>>4], hex[c&0xf])
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

// mediaType returns the lower-case type/subtype of a Content-Type value,
// without parameters; it allocates only for upper-case input.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// validMediaType checks the type/subtype shape of a media type cheaply;
// parameters are passed through unchecked.
func validMediaType(ct string) bool {
	m := ct
	if i := strings.IndexByte(m, ';'); i >= 0 {
		m = m[:i]
	}
	m = strings.TrimSpace(m)
	slash := strings.IndexByte(m, '/')
	if slash <= 0 || slash == len(m)-1 {
		return false
	}
	for i := 0; i < len(m); i++ {
		if i != slash && !isTokenChar(m[i]) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune(`()<>@,;:\"/[]?={}`, rune(c))
}

// readBody reads the whole body, at most limit bytes, into a slice the
// event owns (so handlers may keep it). Memory follows the bytes that
// arrive, not the Content-Length announced: the buffer starts at the
// announced length only up to initialBody, and grows as bytes come.
func readBody(r *http.Request, limit int64) ([]byte, *Problem) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	size := int64(512)
	if n := r.ContentLength; n > 0 {
		size = min(n+1, initialBody) // +1 to see EOF without growing
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := buf[len(buf):cap(buf)]
		if max := limit + 1 - int64(len(buf)); int64(len(room)) > max {
			room = room[:max]
		}
		n, err := r.Body.Read(room)
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, tooLarge(limit)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bodyReadProblem(err, limit)
		}
	}
	if r.ContentLength > 0 && int64(len(buf)) != r.ContentLength {
		return nil, malformed("the request body ended before its Content-Length; resend the whole body")
	}
	if len(buf) == 0 {
		return nil, nil
	}
	return buf, nil
}

// initialBody is the most a body buffer is sized from a Content-Length
// before the bytes arrive: 64 KiB, so that 1000 announced-but-unsent
// bodies cost 64 MiB, not 1000 limits.
const initialBody = 64 << 10

// limitBody returns r's body, limited to limit bytes.
func limitBody(r *http.Request, limit int64) io.Reader {
	if r.Body == nil {
		return http.NoBody
	}
	return http.MaxBytesReader(nil, r.Body, limit)
}

func bodyReadProblem(err error, limit int64) *Problem {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return malformed("the request body ended before its Content-Length; resend the whole body")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return newProblem(http.StatusRequestTimeout, ErrReadTimeout,
			"the request did not arrive within the server's read deadline; send it faster, or in smaller parts")
	}
	return malformed("reading the request body failed: %v", err)
}

func tooLarge(limit int64) *Problem {
	return newProblem(http.StatusRequestEntityTooLarge, ErrBodyTooLarge,
		fmt.Sprintf("the request body is larger than this server's limit of %d bytes; send a smaller event or raise the limit (WithMaxBodyBytes of the adapter)", limit))
}

// clip shortens a value echoed in a problem detail.
func clip(s string) string {
	const max = 100
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}
