package azure

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faasport/faasport/adapters/frontdoor"
)

// FuzzDecode feeds arbitrary invocations of every function of the test app
// to the decoder and the encoder: a delivery of valid events or a 400
// problem, and a response payload, never a panic.
func FuzzDecode(f *testing.F) {
	app, err := LoadApp("testdata/app")
	if err != nil {
		f.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/requests/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(p), ".json"), "-")
		f.Add(name, b, true)
	}
	f.Add("Unknown", []byte(`{"Data":{"x":"[{\"_lsn\":1,\"id\":\"a\"}]"},"Metadata":{}}`), false)
	f.Fuzz(func(t *testing.T, function string, body []byte, withApp bool) {
		c := &codec{cfg: &config{hasHTTP: len(body)%2 == 0}}
		if withApp {
			c.app = app
		}
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.URL.Path = "/" + function
		r.Header.Set(HeaderInvocationID, "inv-1")
		d, err := c.Decode(r, body)
		if err != nil {
			var p *frontdoor.Problem
			if !errors.As(err, &p) || p.Status != http.StatusBadRequest {
				t.Fatalf("Decode error is not a 400 problem: %v", err)
			}
			return
		}
		if d == nil {
			return
		}
		outs := make([]frontdoor.Outcome, 0, len(d.Events))
		for i := range d.Events {
			if err := d.Events[i].Validate(); err != nil {
				t.Fatalf("event %d is not valid: %v", i, err)
			}
			outs = append(outs, frontdoor.Outcome{Event: &d.Events[i], Reply: &d.Events[i], Verdict: frontdoor.Judge(nil, 0)})
		}
		if d.HTTP != nil {
			outs = append(outs, frontdoor.Outcome{HTTP: &frontdoor.Recorded{Status: 200, Header: http.Header{}}, Verdict: frontdoor.Judge(nil, 0)})
		}
		w := httptest.NewRecorder()
		if err := c.Encode(w, r, d, outs); err != nil {
			t.Fatalf("Encode: %v", err)
		}
		if w.Code != http.StatusOK {
			t.Fatalf("Encode answered %d for successes", w.Code)
		}
	})
}

// validJSON reports whether b is one valid JSON value by the scanners
// readInvocation validates with, so that they can be held to json.Valid.
func validJSON(b []byte) bool {
	i, ok := scanValue(b, skipWS(b, 0), 0)
	return ok && skipWS(b, i) == len(b)
}

// FuzzValidJSON proves the one-pass validator agrees with encoding/json.
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{`{"Data":{"a":"\"x\""},"Metadata":{"n":1}}`, `{"Data":null,"Metadata":[1]}`, `{}`, `[]`, `{"a":[1,-2.5e+3,true,false,null,"\u00e9\n"]}`, `{"a":}`, `"\x01"`, `01`, `1.`, `-`, `[1,]`, `{"a" 1}`, `"\ud800"`, " \t{ } ", `{"a":1}x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		valid := json.Valid(b)
		if got := validJSON(b); got != valid {
			t.Fatalf("validJSON(%q) = %v, json.Valid = %v", b, got, valid)
		}
		var v any
		_ = json.Unmarshal(b, &v)
		_, isObject := v.(map[string]any)
		var inv invocation
		ok := readInvocation(b, &inv)
		if ok != (valid && isObject) {
			t.Fatalf("readInvocation(%q) = %v, want %v", b, ok, valid && isObject)
		}
		if ok && inv.dataObject {
			want, _ := members(nil, inv.dataRaw)
			if len(want) != len(inv.data) {
				t.Fatalf("readInvocation(%q) found %d Data members, members %d", b, len(inv.data), len(want))
			}
		}
	})
}

// FuzzMembers proves the in-place object reader against encoding/json: for
// every valid JSON object, each member's key is a JSON string and its value
// a JSON value, and every key encoding/json finds is among them.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":"x\"y\\\\","c":{"d":[1,{"e":"}"}]}}`, `{"k\u00e9y":null , "z" : true}`, `{"a\\":"\\\\\""}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want map[string]json.RawMessage
		if json.Unmarshal(b, &want) != nil || want == nil {
			return
		}
		got, ok := members(nil, b)
		if !ok {
			t.Fatalf("members(%q) failed on a valid object", b)
		}
		keys := map[string]bool{}
		for _, m := range got {
			var k string
			if err := json.Unmarshal(append(append([]byte{'"'}, m.key...), '"'), &k); err != nil {
				t.Fatalf("key %q of %q is not a JSON string: %v", m.key, b, err)
			}
			if !json.Valid(m.value) {
				t.Fatalf("value %q of key %q in %q is not JSON", m.value, m.key, b)
			}
			keys[k] = true
		}
		for k := range want {
			if !keys[k] {
				t.Fatalf("members(%q) misses key %q", b, k)
			}
		}
	})
}

// FuzzKeyFold holds the member lookup's case-insensitive match to its
// definition: the key as written, or with its escapes undone when it has
// any, equal to the name under strings.EqualFold. The first-letter shortcut must never change an
// answer.
func FuzzKeyFold(f *testing.F) {
	for _, s := range [][2]string{{"Subject", "subject"}, {"subject", "Label"}, {`\u0053ubject`, "Subject"}, {"\u212aey", "key"}, {"\u017fys", "sys"}, {"@x", "`x"}, {"", ""}, {"a", ""}, {`\"`, `"`}} {
		f.Add([]byte(s[0]), s[1])
	}
	f.Fuzz(func(t *testing.T, key []byte, name string) {
		var want bool
		var k string
		if bytes.IndexByte(key, '\\') < 0 {
			want = strings.EqualFold(string(key), name)
		} else if json.Unmarshal(append(append([]byte{'"'}, key...), '"'), &k) == nil {
			want = strings.EqualFold(k, name)
		}
		if got := keyFold(key, name); got != want {
			t.Fatalf("keyFold(%q, %q) = %v, want %v", key, name, got, want)
		}
	})
}
