package validate_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/faasport/faasport/validate"
)

// FuzzValidate: any bytes are valid, malformed, or an *Error whose every
// violation has a well-formed JSON pointer and a message; never a panic.
func FuzzValidate(f *testing.F) {
	s := orderSchema(f)
	for _, seed := range []string{validOrder, invalidOrder, ``, `{`, `[]`, `{"items":[{"sku":1}]}`, `{"a/b~c":true}`, `1e999`, `"\ud800"`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := s.Validate(data)
		if err == nil || errors.Is(err, validate.ErrMalformed) {
			return
		}
		var ve *validate.Error
		if !errors.As(err, &ve) {
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
		if len(ve.Violations) == 0 {
			t.Fatal("an *Error without violations")
		}
		for _, v := range ve.Violations {
			if v.Pointer != "" && !strings.HasPrefix(v.Pointer, "/") || v.Message == "" {
				t.Fatalf("bad violation %+v", v)
			}
		}
	})
}
