package lambda

import (
	"encoding/json"
	"testing"
)

func TestScanner(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		keys    []string
		wantErr bool
	}{
		{"flat", `{"a":1,"b":"x","c":null}`, []string{"a", "b", "c"}, false},
		{"nested and escaped", ` { "a" : {"x":[1,{"y":"}\""}]}, "b\"q":"\\"} `, []string{"a", `b\"q`}, false},
		{"empty", `{}`, nil, false},
		{"truncated", `{"a":{"b":1}`, []string{}, true},
		{"unterminated string", `{"a":"xyz`, []string{}, true},
		{"missing colon", `{"a" 1}`, []string{}, true},
		{"not an object", `[1]`, []string{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var keys []string
			err := eachMember([]byte(tc.in), func(k, v []byte) bool {
				keys = append(keys, string(k))
				if !json.Valid(v) {
					t.Errorf("value of %q is not a JSON value: %q", k, v)
				}
				return true
			})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && len(keys) != len(tc.keys) {
				t.Fatalf("keys = %q, want %q", keys, tc.keys)
			}
			for i := range tc.keys {
				if !tc.wantErr && keys[i] != tc.keys[i] {
					t.Fatalf("keys = %q, want %q", keys, tc.keys)
				}
			}
		})
	}
}

// FuzzDetect checks the scanner against encoding/json: on valid JSON
// objects it must find every member, each value span must be valid JSON,
// and shape detection must not fail; on any input it must not panic.
func FuzzDetect(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs"}]}`))
	f.Add([]byte(`{"a":"\\\"","b":[{"c":"]"}]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		s, detectErr := detect(payload)
		var obj map[string]json.RawMessage
		if json.Unmarshal(payload, &obj) != nil {
			return
		}
		n := 0
		err := eachMember(payload, func(k, v []byte) bool {
			n++
			if !json.Valid(v) {
				t.Fatalf("span of %q is not valid JSON: %q", k, v)
			}
			return true
		})
		if err != nil {
			t.Fatalf("scanner rejects valid JSON object %q: %v", payload, err)
		}
		if n < len(obj) {
			t.Fatalf("scanner found %d members, encoding/json %d", n, len(obj))
		}
		if _, hasRecords := obj["Records"]; detectErr != nil && !hasRecords {
			t.Fatalf("detect failed on a valid object: %v", detectErr)
		}
		if s.records != nil {
			_ = eachElement(s.records, func(v []byte) bool {
				if !json.Valid(v) {
					t.Fatalf("record span is not valid JSON: %q", v)
				}
				return true
			})
		}
	})
}
