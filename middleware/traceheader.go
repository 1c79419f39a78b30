package middleware

import (
	"encoding/binary"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// ParseTraceHeader reads a platform trace header, as found in
// [function.Invocation].TraceHeader, into a remote span context:
//
//   - AWS X-Ray (X-Amzn-Trace-Id, Lambda's _X_AMZN_TRACE_ID):
//     "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".
//     The X-Ray trace id's epoch and random parts make the W3C trace id.
//   - Google Cloud Trace (X-Cloud-Trace-Context):
//     "105445aa7843bc8bf206b12000100000/1;o=1", the span id in decimal.
//
// It reports false for anything else, or for a header without a parent span
// id (there is nothing to continue). It does not allocate.
func ParseTraceHeader(h string) (trace.SpanContext, bool) {
	h = strings.TrimSpace(h)
	if strings.Contains(h, "Root=") {
		return parseXRay(h)
	}
	return parseCloudTrace(h)
}

func parseXRay(h string) (trace.SpanContext, bool) {
	var cfg trace.SpanContextConfig
	var haveRoot, haveParent bool
	for h != "" {
		var part string
		part, h, _ = strings.Cut(h, ";")
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch key {
		case "Root":
			// 1-<8 hex digits of epoch seconds>-<24 hex digits>
			if len(value) != 35 || value[0] != '1' || value[1] != '-' || value[10] != '-' {
				return trace.SpanContext{}, false
			}
			if !decodeHex(cfg.TraceID[:4], value[2:10]) || !decodeHex(cfg.TraceID[4:], value[11:]) {
				return trace.SpanContext{}, false
			}
			haveRoot = true
		case "Parent":
			if len(value) != 16 || !decodeHex(cfg.SpanID[:], value) {
				return trace.SpanContext{}, false
			}
			haveParent = true
		case "Sampled":
			if value == "1" {
				cfg.TraceFlags = trace.FlagsSampled
			}
		}
	}
	if !haveRoot || !haveParent {
		return trace.SpanContext{}, false
	}
	cfg.Remote = true
	sc := trace.NewSpanContext(cfg)
	return sc, sc.IsValid()
}

func parseCloudTrace(h string) (trace.SpanContext, bool) {
	traceID, rest, ok := strings.Cut(h, "/")
	if !ok || len(traceID) != 32 {
		return trace.SpanContext{}, false
	}
	var cfg trace.SpanContextConfig
	if !decodeHex(cfg.TraceID[:], traceID) {
		return trace.SpanContext{}, false
	}
	spanID, options, _ := strings.Cut(rest, ";")
	n, err := strconv.ParseUint(spanID, 10, 64)
	if err != nil {
		return trace.SpanContext{}, false
	}
	binary.BigEndian.PutUint64(cfg.SpanID[:], n)
	if options == "o=1" {
		cfg.TraceFlags = trace.FlagsSampled
	}
	cfg.Remote = true
	sc := trace.NewSpanContext(cfg)
	return sc, sc.IsValid()
}

// decodeHex decodes exactly len(dst) bytes of lower- or upper-case hex.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
