package azjson_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/faasport/faasport/internal/azjson"
)

// timeByLayouts is Time by its definition: the value read as a string,
// then tried against each layout in turn. Time's in-place RFC 3339 path
// must give the same answer.
func timeByLayouts(raw json.RawMessage) time.Time {
	s := azjson.String(raw)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05.9999999Z07:00", "01/02/2006 15:04:05 -07:00", "01/02/2006 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// intByString is Int by its definition: the value read as a string, then
// as a decimal integer or a whole float.
func intByString(raw json.RawMessage) (int64, bool) {
	s := azjson.String(raw)
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int64(f)) {
			return 0, false
		}
		n = int64(f)
	}
	return n, true
}

// FuzzTime holds Time's in-place RFC 3339 reading to time.Parse over the
// host's layouts.
func FuzzTime(f *testing.F) {
	for _, s := range []string{`"2026-03-02T09:59:58.123Z"`, `"2026-03-02T09:59:58Z"`, `"2026-03-02T09:59:58.1234567+01:00"`, `"2024-02-30T00:00:00Z"`,
		`"2026-03-02T09:59:58,5Z"`, `"2026-03-02T09:59:58.Z"`, `"2026-03-02T24:00:00Z"`, `"2026-03-02T09:59:58+24:00"`, `"2026-03-02T09:59:58.1234567"`,
		`"03/02/2026 09:59:58 -07:00"`, `"\"2026-03-02T09:59:58Z\""`, `"2026-03-02t09:59:58z"`, `"0000-01-01T00:00:00Z"`, `"2026-03-02T09:59:58.0000000000001Z"`, `null`, `12`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, want := azjson.Time(raw), timeByLayouts(raw)
		if !got.Equal(want) || got.Location() != want.Location() || got.IsZero() != want.IsZero() {
			t.Fatalf("Time(%q) = %v, want %v", raw, got, want)
		}
	})
}

// FuzzInt holds Int's in-place reading of plain digits to its definition.
func FuzzInt(f *testing.F) {
	for _, s := range []string{`1`, `-7`, `0`, `-0`, `007`, `123456789012345678`, `1234567890123456789`, `9223372036854775808`, `-`, `1.0`, `1e3`, `"12"`, `"\"3\""`, `+1`, ``, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		n, ok := azjson.Int(raw)
		wn, wok := intByString(raw)
		if n != wn || ok != wok {
			t.Fatalf("Int(%q) = %d, %v, want %d, %v", raw, n, ok, wn, wok)
		}
	})
}

// TestTimeEdits checks every one-byte change (and cut) of the host's
// timestamps against the definition: the in-place path must accept
// nothing time.Parse rejects, and read the same time.
func TestTimeEdits(t *testing.T) {
	for _, base := range []string{`"2026-03-02T09:59:58.123Z"`, `"2024-02-29T23:59:59.1234567-07:30"`} {
		for i := 1; i < len(base)-1; i++ {
			for c := 0; c < 256; c++ {
				raw := []byte(base)
				raw[i] = byte(c)
				for _, v := range [][]byte{raw, append(raw[:i:i], raw[i+1:]...)} {
					got, want := azjson.Time(v), timeByLayouts(v)
					if !got.Equal(want) || got.Location() != want.Location() {
						t.Fatalf("Time(%q) = %v, want %v", v, got, want)
					}
				}
			}
		}
	}
}
