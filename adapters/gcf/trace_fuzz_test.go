package gcf

import "testing"

// FuzzParseTraceHeader checks that any trace header parses without a panic
// and that what it accepts has Cloud Logging's shapes: a 32-digit hex trace
// id and a 16-digit hex span id. The seed corpus is in
// testdata/fuzz/FuzzParseTraceHeader.
func FuzzParseTraceHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, h string) {
		traceID, spanID, _, ok := parseTraceHeader(h)
		if !ok {
			return
		}
		if !isHex(traceID, 32) {
			t.Fatalf("trace id %q from %q is not 32 hex digits", traceID, h)
		}
		if spanID != "" && !isHex(spanID, 16) {
			t.Fatalf("span id %q from %q is not 16 hex digits", spanID, h)
		}
	})
}
