package idempotency

import (
	"encoding/binary"
	"errors"
	"maps"
	"net/http"
	"slices"
	"time"
)

// A record is what the store holds for a key, encoded compactly:
//
//	magic 'I', format 1, status, kind, flags  (5 bytes)
//	uvarint fencing token
//	uvarint len + payload hash (0 or 32 bytes)
//	varint  time, Unix ns: lease end (in progress) or expiry (final)
//	then by status and kind:
//	  completed, kindEvent, kindBytes: uvarint len + reply (structured JSON event or bytes)
//	  completed, kindHTTP:  uvarint status, uvarint n, n × (str name, uvarint m, m × str value), uvarint len + body
//	  failed:               uvarint status, str message
//
// where str is uvarint len + bytes.
type record struct {
	status status
	kind   kind
	flags  uint8
	token  uint64
	hash   []byte
	// until is the lease's end for an in-progress record and the record's
	// expiry for a final one.
	until time.Time

	reply []byte // kindEvent (empty: no reply), kindBytes

	code   int // kindHTTP; failed: the error's HTTP status
	header http.Header
	body   []byte

	message string // failed
}

type status uint8

const (
	statusInProgress status = 1
	statusCompleted  status = 2
	statusFailed     status = 3
)

type kind uint8

const (
	kindEvent kind = 1
	kindHTTP  kind = 2
	kindBytes kind = 3
)

// flagTruncated: the reply or body was too large to store and was dropped.
const flagTruncated uint8 = 1

const (
	recordMagic   = 'I'
	recordVersion = 1
)

var errCorrupt = errors.New("idempotency: corrupt record; delete the key or use a new key prefix")

func (r *record) final() bool { return r.status == statusCompleted || r.status == statusFailed }

func (r *record) appendTo(b []byte) []byte {
	b = append(b, recordMagic, recordVersion, byte(r.status), byte(r.kind), r.flags)
	b = binary.AppendUvarint(b, r.token)
	b = appendBytes(b, r.hash)
	var t int64
	if !r.until.IsZero() {
		t = r.until.UnixNano()
	}
	b = binary.AppendVarint(b, t)
	switch r.status {
	case statusCompleted:
		switch r.kind {
		case kindHTTP:
			b = binary.AppendUvarint(b, uint64(r.code))
			b = binary.AppendUvarint(b, uint64(len(r.header)))
			for _, name := range slices.Sorted(maps.Keys(r.header)) {
				vals := r.header[name]
				b = appendBytes(b, []byte(name))
				b = binary.AppendUvarint(b, uint64(len(vals)))
				for _, v := range vals {
					b = appendBytes(b, []byte(v))
				}
			}
			b = appendBytes(b, r.body)
		default:
			b = appendBytes(b, r.reply)
		}
	case statusFailed:
		b = binary.AppendUvarint(b, uint64(r.code))
		b = appendBytes(b, []byte(r.message))
	}
	return b
}

func (r *record) encode() []byte {
	n := 48 + len(r.hash) + len(r.reply) + len(r.body) + len(r.message)
	for name, vals := range r.header {
		n += len(name) + 8
		for _, v := range vals {
			n += len(v) + 4
		}
	}
	return r.appendTo(make([]byte, 0, n))
}

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeRecord parses a record. Bad input returns errCorrupt, never panics.
func decodeRecord(b []byte) (*record, error) {
	d := decoder{b: b}
	if len(b) < 5 || b[0] != recordMagic || b[1] != recordVersion {
		return nil, errCorrupt
	}
	r := &record{status: status(b[2]), kind: kind(b[3]), flags: b[4]}
	d.b = b[5:]
	r.token = d.uvarint()
	r.hash = d.bytes()
	if t := d.varint(); t != 0 {
		r.until = time.Unix(0, t)
	}
	switch r.status {
	case statusInProgress:
	case statusCompleted:
		switch r.kind {
		case kindHTTP:
			r.code = d.int()
			n := d.count()
			if n > 0 {
				r.header = make(http.Header, n)
			}
			for i := 0; i < n && d.err == nil; i++ {
				name := string(d.bytes())
				m := d.count()
				vals := make([]string, 0, m)
				for j := 0; j < m && d.err == nil; j++ {
					vals = append(vals, string(d.bytes()))
				}
				r.header[name] = vals
			}
			r.body = d.bytes()
		case kindEvent, kindBytes:
			r.reply = d.bytes()
		default:
			return nil, errCorrupt
		}
	case statusFailed:
		r.code = d.int()
		r.message = string(d.bytes())
	default:
		return nil, errCorrupt
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, errCorrupt
	}
	return r, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length that must not exceed the bytes left, which bounds
// allocations driven by corrupt input.
func (d *decoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.b)) {
		d.err = errCorrupt
		return 0
	}
	return int(v)
}

func (d *decoder) int() int {
	v := d.uvarint()
	if v > 999 {
		d.err = errCorrupt
		return 0
	}
	return int(v)
}

func (d *decoder) bytes() []byte {
	n := d.count()
	if d.err != nil {
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}
