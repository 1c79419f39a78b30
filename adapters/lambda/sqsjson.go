package lambda

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/faasport/faasport/internal/jsonstr"
)

// jsonDecoder decodes the events the adapter sees most (SQS records, HTTP
// API requests) into their aws-lambda-go types without reflection, which is
// most of what encoding/json costs on them. It is exact where it answers:
// when a decode method reports true, the value is what json.Unmarshal would
// have produced from the same bytes, and json.Unmarshal would have
// succeeded. When it reports false, the caller decodes with json.Unmarshal,
// which gives the result or the error. So input the decoder does not take
// on costs time, never correctness: anything json.Unmarshal rejects, and
// forms it accepts that are rare in real events (escaped or case-folded
// keys, a field given twice, deep nesting, a value of the wrong type).
// FuzzSQSRecord and FuzzV2Request hold it to json.Unmarshal.
type jsonDecoder struct {
	strs    strArena
	scratch []byte // unescaped string bytes, reused
}

// decodeWith decodes raw into *v, which must be zero, with fast, one of
// jsonDecoder's methods, or, where fast does not take raw on, with
// json.Unmarshal, whose error it returns.
func decodeWith[T any](fast func([]byte, *T) bool, raw []byte, v *T) error {
	if fast(raw, v) {
		return nil
	}
	var zero T
	*v = zero // fast may have filled part of it
	return json.Unmarshal(raw, v)
}

// maxSkipDepth bounds the nesting of unknown values the decoder skips
// itself; deeper ones go to json.Unmarshal, which has its own limit.
const maxSkipDepth = 64

// jsonCursor reads one JSON text.
type jsonCursor struct {
	b []byte
	i int
}

func (c *jsonCursor) space() {
	for c.i < len(c.b) {
		switch c.b[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

// peek returns the next byte after space, or 0 at the end.
func (c *jsonCursor) peek() byte {
	c.space()
	if c.i >= len(c.b) {
		return 0
	}
	return c.b[c.i]
}

// take consumes ch (after space) and reports whether it was there.
func (c *jsonCursor) take(ch byte) bool {
	if c.peek() != ch {
		return false
	}
	c.i++
	return true
}

// stringSpan consumes a string at c.i (a quote) and returns its content
// (without quotes), and whether it holds anything but printable ASCII and
// must go through unquote. It fails on what the JSON grammar forbids: a
// control character, an unknown escape, a short \u escape, no end.
func (c *jsonCursor) stringSpan() (content []byte, plain, ok bool) {
	start := c.i + 1
	plain = true
	for i := start; i < len(c.b); i++ {
		switch ch := c.b[i]; {
		case ch == '"':
			c.i = i + 1
			return c.b[start:i], plain, true
		case ch < 0x20:
			return nil, false, false
		case ch == '\\':
			plain = false
			i++
			if i >= len(c.b) {
				return nil, false, false
			}
			switch c.b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(c.b) {
					return nil, false, false
				}
				for _, h := range c.b[i+1 : i+5] {
					if !isHex(h) {
						return nil, false, false
					}
				}
				i += 4
			default:
				return nil, false, false
			}
		case ch >= utf8.RuneSelf:
			plain = false
		}
	}
	return nil, false, false
}

func isHex(h byte) bool {
	return '0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F'
}

// key consumes an object key and the colon after it. A key that is not
// printable ASCII without escapes fails: matching it to a field the way
// encoding/json does (unescaped, Unicode case folding) is left to it.
func (c *jsonCursor) key() ([]byte, bool) {
	if c.peek() != '"' {
		return nil, false
	}
	k, plain, ok := c.stringSpan()
	if !ok || !plain || !c.take(':') {
		return nil, false
	}
	return k, true
}

// next consumes the comma or closing byte after a member or element and
// reports whether another one follows; ok is false on anything else.
func (c *jsonCursor) next(closing byte) (more, ok bool) {
	switch c.peek() {
	case ',':
		c.i++
		return true, true
	case closing:
		c.i++
		return false, true
	}
	return false, false
}

// null consumes the literal null if it comes next.
func (c *jsonCursor) null() bool {
	if c.peek() == 'n' && len(c.b)-c.i >= 4 && string(c.b[c.i:c.i+4]) == "null" {
		c.i += 4
		return true
	}
	return false
}

// skip consumes any valid JSON value, as strictly as encoding/json's
// scanner checks it.
func (c *jsonCursor) skip(depth int) bool {
	switch c.peek() {
	case '"':
		_, _, ok := c.stringSpan()
		return ok
	case '{':
		if depth >= maxSkipDepth {
			return false
		}
		c.i++
		if c.take('}') {
			return true
		}
		for {
			if c.peek() != '"' {
				return false
			}
			if _, _, ok := c.stringSpan(); !ok || !c.take(':') || !c.skip(depth+1) {
				return false
			}
			more, ok := c.next('}')
			if !ok || !more {
				return ok
			}
		}
	case '[':
		if depth >= maxSkipDepth {
			return false
		}
		c.i++
		if c.take(']') {
			return true
		}
		for {
			if !c.skip(depth + 1) {
				return false
			}
			more, ok := c.next(']')
			if !ok || !more {
				return ok
			}
		}
	case 't':
		return c.literal("true")
	case 'f':
		return c.literal("false")
	case 'n':
		return c.literal("null")
	default:
		return c.number()
	}
}

func (c *jsonCursor) literal(lit string) bool {
	if len(c.b)-c.i < len(lit) || string(c.b[c.i:c.i+len(lit)]) != lit {
		return false
	}
	c.i += len(lit)
	return true
}

// number consumes a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (c *jsonCursor) number() bool {
	b, i := c.b, c.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	c.i = i
	return true
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// The fields of events.SQSMessage, as bits, to refuse a repeated one.
const (
	fMessageID uint16 = 1 << iota
	fReceiptHandle
	fBody
	fMd5OfBody
	fMd5OfMessageAttributes
	fAttributes
	fMessageAttributes
	fEventSourceARN
	fEventSource
	fAWSRegion
)

// sqsFieldNames are the JSON names of events.SQSMessage's fields, for the
// case-insensitive match encoding/json also makes.
var sqsFieldNames = [...]string{"messageId", "receiptHandle", "body", "md5OfBody", "md5OfMessageAttributes",
	"attributes", "messageAttributes", "eventSourceARN", "eventSource", "awsRegion"}

// sqsAttributeFieldNames are those of events.SQSMessageAttribute.
var sqsAttributeFieldNames = [...]string{"stringValue", "binaryValue", "stringListValues", "binaryListValues", "dataType"}

// foldsToAny reports whether key matches one of names ignoring ASCII case:
// encoding/json would decode it into that field, which this decoder leaves
// to it. Keys reach here only as printable ASCII.
func foldsToAny(key []byte, names []string) bool {
	for _, n := range names {
		if strings.EqualFold(string(key), n) {
			return true
		}
	}
	return false
}

// sqsMessage decodes raw, one SQS record, into m (which must be zero); see
// jsonDecoder for what false means.
func (d *jsonDecoder) sqsMessage(raw []byte, m *events.SQSMessage) bool {
	c := jsonCursor{b: raw}
	if !c.take('{') {
		return false
	}
	if !c.take('}') {
		var seen uint16
		for {
			k, ok := c.key()
			if !ok {
				return false
			}
			var f uint16
			switch string(k) {
			case "messageId":
				f, ok = fMessageID, d.string(&c, &m.MessageId)
			case "receiptHandle":
				f, ok = fReceiptHandle, d.string(&c, &m.ReceiptHandle)
			case "body":
				f, ok = fBody, d.string(&c, &m.Body)
			case "md5OfBody":
				f, ok = fMd5OfBody, d.string(&c, &m.Md5OfBody)
			case "md5OfMessageAttributes":
				f, ok = fMd5OfMessageAttributes, d.string(&c, &m.Md5OfMessageAttributes)
			case "attributes":
				f, ok = fAttributes, d.stringMap(&c, &m.Attributes)
			case "messageAttributes":
				f, ok = fMessageAttributes, d.messageAttributes(&c, &m.MessageAttributes)
			case "eventSourceARN":
				f, ok = fEventSourceARN, d.string(&c, &m.EventSourceARN)
			case "eventSource":
				f, ok = fEventSource, d.string(&c, &m.EventSource)
			case "awsRegion":
				f, ok = fAWSRegion, d.string(&c, &m.AWSRegion)
			default:
				ok = !foldsToAny(k, sqsFieldNames[:]) && c.skip(0)
			}
			if !ok || seen&f != 0 {
				return false
			}
			seen |= f
			more, ok := c.next('}')
			if !ok {
				return false
			}
			if !more {
				break
			}
		}
	}
	c.space()
	return c.i == len(c.b)
}

// string decodes a string or null into *s.
func (d *jsonDecoder) string(c *jsonCursor, s *string) bool {
	if c.null() {
		return true
	}
	if c.peek() != '"' {
		return false
	}
	v, ok := d.stringValue(c)
	*s = v
	return ok
}

// stringValue consumes a string (c is at its quote) and returns its value.
func (d *jsonDecoder) stringValue(c *jsonCursor) (string, bool) {
	raw, plain, ok := c.stringSpan()
	if !ok {
		return "", false
	}
	if plain {
		return d.strs.str(raw), true
	}
	d.scratch = unquote(d.grownScratch(len(raw)), raw)
	return d.strs.str(d.scratch), true
}

// grownScratch returns the empty scratch buffer with room for n bytes, the
// most an escaped string of n bytes unquotes to unless it holds invalid
// UTF-8, so one buffer usually serves a whole batch.
func (d *jsonDecoder) grownScratch(n int) []byte {
	if cap(d.scratch) < n {
		d.scratch = make([]byte, 0, max(n, 512))
	}
	return d.scratch[:0]
}

// unquote appends the value of the string content raw, already checked by
// stringSpan, to dst, as encoding/json decodes it.
func unquote(dst, raw []byte) []byte {
	dst, _ = jsonstr.Append(dst, raw)
	return dst
}

// attributes decodes an object of strings (null values are "") or null.
func (d *jsonDecoder) stringMap(c *jsonCursor, out *map[string]string) bool {
	if c.null() {
		return true
	}
	if !c.take('{') {
		return false
	}
	m := make(map[string]string)
	*out = m
	if c.take('}') {
		return true
	}
	for {
		k, ok := d.mapKey(c)
		if !ok {
			return false
		}
		var v string
		if !d.string(c, &v) {
			return false
		}
		m[k] = v
		more, ok := c.next('}')
		if !ok || !more {
			return ok
		}
	}
}

// mapKey consumes a map key, which may be escaped, and its colon.
func (d *jsonDecoder) mapKey(c *jsonCursor) (string, bool) {
	if c.peek() != '"' {
		return "", false
	}
	k, ok := d.stringValue(c)
	return k, ok && c.take(':')
}

// messageAttributes decodes an object of message attributes or null.
func (d *jsonDecoder) messageAttributes(c *jsonCursor, out *map[string]events.SQSMessageAttribute) bool {
	if c.null() {
		return true
	}
	if !c.take('{') {
		return false
	}
	m := make(map[string]events.SQSMessageAttribute)
	*out = m
	if c.take('}') {
		return true
	}
	for {
		k, ok := d.mapKey(c)
		if !ok {
			return false
		}
		var a events.SQSMessageAttribute
		if !c.null() && !d.messageAttribute(c, &a) {
			return false
		}
		m[k] = a
		more, ok := c.next('}')
		if !ok || !more {
			return ok
		}
	}
}

func (d *jsonDecoder) messageAttribute(c *jsonCursor, a *events.SQSMessageAttribute) bool {
	if !c.take('{') {
		return false
	}
	if c.take('}') {
		return true
	}
	var seen uint8
	for {
		k, ok := c.key()
		if !ok {
			return false
		}
		var f uint8
		switch string(k) {
		case "stringValue":
			f = 1
			if !c.null() {
				s := new(string)
				a.StringValue, ok = s, c.peek() == '"' && d.string(c, s)
			}
		case "binaryValue":
			f = 2
			a.BinaryValue, ok = d.bytes(c)
		case "stringListValues":
			f = 4
			ok = d.stringList(c, &a.StringListValues)
		case "binaryListValues":
			f = 8
			ok = d.bytesList(c, &a.BinaryListValues)
		case "dataType":
			f = 16
			ok = d.string(c, &a.DataType)
		default:
			ok = !foldsToAny(k, sqsAttributeFieldNames[:]) && c.skip(0)
		}
		if !ok || seen&f != 0 {
			return false
		}
		seen |= f
		more, ok := c.next('}')
		if !ok || !more {
			return ok
		}
	}
}

// bytes decodes a base64 string, as encoding/json does a []byte, or null.
func (d *jsonDecoder) bytes(c *jsonCursor) ([]byte, bool) {
	if c.null() {
		return nil, true
	}
	if c.peek() != '"' {
		return nil, false
	}
	raw, plain, ok := c.stringSpan()
	if !ok {
		return nil, false
	}
	if !plain {
		d.scratch = unquote(d.grownScratch(len(raw)), raw)
		raw = d.scratch
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
	n, err := base64.StdEncoding.Decode(b, raw)
	if err != nil {
		return nil, false
	}
	return b[:n], true
}

func (d *jsonDecoder) stringList(c *jsonCursor, out *[]string) bool {
	return list(c, out, func() (string, bool) {
		var s string
		return s, d.string(c, &s)
	})
}

func (d *jsonDecoder) bytesList(c *jsonCursor, out *[][]byte) bool {
	return list(c, out, func() ([]byte, bool) { return d.bytes(c) })
}

// list decodes an array whose elements elem reads, or null (no change),
// into *out; an empty array gives an empty slice, not nil, as encoding/json
// does.
func list[T any](c *jsonCursor, out *[]T, elem func() (T, bool)) bool {
	if c.null() {
		return true
	}
	if !c.take('[') {
		return false
	}
	l := []T{}
	if !c.take(']') {
		for {
			v, ok := elem()
			if !ok {
				return false
			}
			l = append(l, v)
			more, ok := c.next(']')
			if !ok {
				return false
			}
			if !more {
				break
			}
		}
	}
	*out = l
	return true
}

// strArena hands out strings that share a few chunks of memory instead of
// an allocation each. A string someone keeps keeps its chunk alive, so the
// chunks are small and long strings (message bodies) get their own
// allocation: keeping a message id never keeps a batch, or a body, alive.
type strArena struct {
	sb strings.Builder
	// room, when positive, bounds the bytes of the strings still to come
	// (the input left: unescaping never lengthens a string, but for invalid
	// UTF-8), so the last chunk is no larger than needed.
	room int
}

const (
	arenaChunk = 2048
	arenaLarge = 512 // longer strings are allocated on their own
)

func (a *strArena) str(b []byte) string {
	switch {
	case len(b) == 0:
		return ""
	case len(b) > arenaLarge:
		return string(b)
	}
	if a.sb.Cap()-a.sb.Len() < len(b) {
		n := arenaChunk
		if a.room > 0 {
			n = min(n, a.room)
		}
		// The old chunk stays as it is, shared by the strings made from it.
		a.sb = strings.Builder{}
		a.sb.Grow(max(n, len(b)))
	}
	n := a.sb.Len()
	a.sb.Write(b)
	a.room -= len(b)
	return a.sb.String()[n:]
}
