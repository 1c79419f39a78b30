package params

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Redacted is what every printable form of a [Secret] shows instead of its
// value.
const Redacted = "[REDACTED]"

// Secret holds a value that must not reach a log. Its String, GoString,
// fmt (%v %+v %#v %s %q %x and the rest), slog and JSON forms all show
// [Redacted]; [Secret.Reveal] returns the value. The zero Secret is empty.
//
// A Secret can be a field of a struct decoded with [JSON] or [Decode]: it
// unmarshals from a JSON string, so a credentials document keeps its
// password hidden while its user name prints normally.
//
// The value sits behind a pointer, so even fmt's reflection over an
// unexported Secret field (which cannot call its methods) prints an address,
// not the value.
type Secret struct {
	p *string
}

// NewSecret wraps v.
func NewSecret(v string) Secret { return Secret{p: &v} }

// Reveal returns the secret value. Call it where the value is used (a
// request signature, a database password), never to log it.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.Len() == 0 }

// Len returns the length of the value in bytes.
func (s Secret) Len() int { return len(s.Reveal()) }

// String returns [Redacted].
func (s Secret) String() string { return Redacted }

// GoString returns a redacted Go form, so %#v hides the value too.
func (s Secret) GoString() string { return "params.Secret{" + Redacted + "}" }

// Format redacts every fmt verb: %v, %+v, %s and %x print [Redacted], %q
// prints it quoted and %#v prints [Secret.GoString].
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = f.Write([]byte(s.GoString()))
	case verb == 'q':
		_, _ = f.Write([]byte(`"` + Redacted + `"`))
	default:
		_, _ = f.Write([]byte(Redacted))
	}
}

// LogValue makes slog print [Redacted].
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON writes [Redacted] as a JSON string, so a struct holding a
// Secret can be logged or returned without leaking it.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText writes [Redacted], for encoders that use encoding.TextMarshaler
// (XML, YAML, map keys).
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// UnmarshalJSON reads the value from a JSON string, or from any other JSON
// value as its text (a number, an object), so a document's secret field can
// be typed Secret whatever it holds.
func (s *Secret) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("params: decode secret: %w", err)
		}
		*s = NewSecret(v)
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	*s = NewSecret(string(b))
	return nil
}

var (
	_ fmt.Formatter    = Secret{}
	_ fmt.Stringer     = Secret{}
	_ fmt.GoStringer   = Secret{}
	_ slog.LogValuer   = Secret{}
	_ json.Marshaler   = Secret{}
	_ json.Unmarshaler = (*Secret)(nil)
)
