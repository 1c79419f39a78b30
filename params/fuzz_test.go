package params_test

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/faasport/faasport/params"
)

type fuzzDoc struct {
	Name   string
	Port   int
	Secret params.Secret
	Nested struct {
		Token params.Secret
		Tags  []string
	}
}

var decodeErrShape = regexp.MustCompile(`^params: decode: JSON into params_test\.fuzzDoc: (invalid JSON at byte offset \d+|a JSON [a-z]+ at field "[A-Za-z.]*" cannot be a [\w.\[\]]+|the document does not fit); check that the stored value is a JSON document of that shape$`)

// FuzzDecode: any stored value decodes or fails with an error of a fixed
// shape that never quotes the value, and never panics.
func FuzzDecode(f *testing.F) {
	f.Add(`{"Name":"n","Port":1,"Secret":"s","Nested":{"Token":"t","Tags":["a"]}}`)
	f.Add(`{"Secret":12}`)
	f.Add(`{"Port":"x"}`)
	f.Add(`{"Nested":{"Tags":"x"}}`)
	f.Add(`{`)
	f.Add(``)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, in string) {
		doc, err := params.Decode[fuzzDoc](params.NewSecret(in))
		if err != nil {
			if !decodeErrShape.MatchString(err.Error()) {
				t.Fatalf("error of unexpected shape (may leak the value): %q", err)
			}
			return
		}
		// A secret field survives a round trip only as [REDACTED].
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back["Secret"] != params.Redacted {
			t.Fatalf("secret marshalled as %v", back["Secret"])
		}
	})
}

// FuzzSecretUnmarshalJSON: a Secret accepts any JSON value as its text.
func FuzzSecretUnmarshalJSON(f *testing.F) {
	f.Add(`"a"`)
	f.Add(`"\u00e4\n"`)
	f.Add(`12`)
	f.Add(`{"a":[1]}`)
	f.Add(`null`)
	f.Add(`"unterminated`)
	f.Fuzz(func(t *testing.T, in string) {
		var s params.Secret
		if err := s.UnmarshalJSON([]byte(in)); err != nil {
			return
		}
		if len(in) > 0 && in[0] == '"' {
			var want string
			if err := json.Unmarshal([]byte(in), &want); err != nil || want != s.Reveal() {
				t.Fatalf("string %q decoded as %q", in, s.Reveal())
			}
		}
	})
}
