package azure

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/internal/azjson"
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

// FuzzValidJSON proves the one-pass invocation reader agrees with
// encoding/json: it reads every valid JSON object and nothing else.
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{`{"Data":{"a":"\"x\""},"Metadata":{"n":1}}`, `{"Data":null,"Metadata":[1]}`, `{}`, `[]`, `{"a":[1,-2.5e+3,true,false,null,"\u00e9\n"]}`, `{"a":}`, `"\x01"`, `01`, `1.`, `-`, `[1,]`, `{"a" 1}`, `"\ud800"`, " \t{ } ", `{"a":1}x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		valid := json.Valid(b)
		var v any
		_ = json.Unmarshal(b, &v)
		_, isObject := v.(map[string]any)
		var inv invocation
		ok := readInvocation(b, &inv)
		if ok != (valid && isObject) {
			t.Fatalf("readInvocation(%q) = %v, want %v", b, ok, valid && isObject)
		}
		if ok && inv.dataObject {
			want, _ := azjson.ReadObject(nil, inv.dataRaw)
			if len(want) != len(inv.data) {
				t.Fatalf("readInvocation(%q) found %d Data members, members %d", b, len(inv.data), len(want))
			}
		}
	})
}
