package middleware_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/faasport/faasport/middleware"
)

func TestParseTraceHeader(t *testing.T) {
	tests := []struct {
		name        string
		header      string
		wantOK      bool
		wantTrace   string
		wantSpan    string
		wantSampled bool
	}{
		{name: "x-ray sampled", header: xrayHeader, wantOK: true, wantTrace: xrayTraceID, wantSpan: xraySpanID, wantSampled: true},
		{name: "x-ray not sampled", header: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0", wantOK: true, wantTrace: xrayTraceID, wantSpan: xraySpanID},
		{name: "x-ray any order with lineage", header: "Parent=53995c3f42cd8ad8; Lineage=a87bd80c:1|68fd508a:5; Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", wantOK: true, wantTrace: xrayTraceID, wantSpan: xraySpanID, wantSampled: true},
		{name: "x-ray upper case hex", header: "Root=1-5759E988-BD862E3FE1BE46A994272793;Parent=53995C3F42CD8AD8", wantOK: true, wantTrace: xrayTraceID, wantSpan: xraySpanID},
		{name: "x-ray without parent", header: "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"},
		{name: "x-ray bad version", header: "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"},
		{name: "x-ray short root", header: "Root=1-5759e988-bd862e3fe1be46a99427279;Parent=53995c3f42cd8ad8"},
		{name: "x-ray bad parent", header: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8adx"},
		{name: "x-ray zero parent", header: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000"},
		{name: "cloud trace sampled", header: gcpHeader, wantOK: true, wantTrace: gcpTraceID, wantSpan: gcpSpanID, wantSampled: true},
		{name: "cloud trace without options", header: "105445aa7843bc8bf206b12000100000/18446744073709551615", wantOK: true, wantTrace: gcpTraceID, wantSpan: "ffffffffffffffff"},
		{name: "cloud trace bad span", header: "105445aa7843bc8bf206b12000100000/abc;o=1"},
		{name: "cloud trace zero trace", header: "00000000000000000000000000000000/1;o=1"},
		{name: "empty", header: ""},
		{name: "garbage", header: "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, ok := middleware.ParseTraceHeader(tt.header)
			require.Equal(t, tt.wantOK, ok)
			if !ok {
				return
			}
			assert.True(t, sc.IsValid())
			assert.True(t, sc.IsRemote())
			assert.Equal(t, tt.wantTrace, sc.TraceID().String())
			assert.Equal(t, tt.wantSpan, sc.SpanID().String())
			assert.Equal(t, tt.wantSampled, sc.IsSampled())
		})
	}
}

func TestParseTraceHeaderDoesNotAllocate(t *testing.T) {
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = middleware.ParseTraceHeader(xrayHeader) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = middleware.ParseTraceHeader(gcpHeader) }))
}

// formatXRay writes sc as an X-Ray header.
func formatXRay(sc trace.SpanContext) string {
	tid, sid := sc.TraceID(), sc.SpanID()
	sampled := "0"
	if sc.IsSampled() {
		sampled = "1"
	}
	return "Root=1-" + hex.EncodeToString(tid[:4]) + "-" + hex.EncodeToString(tid[4:]) +
		";Parent=" + hex.EncodeToString(sid[:]) + ";Sampled=" + sampled
}

func FuzzParseTraceHeader(f *testing.F) {
	f.Add(xrayHeader)
	f.Add(gcpHeader)
	f.Fuzz(func(t *testing.T, h string) {
		sc, ok := middleware.ParseTraceHeader(h)
		if !ok {
			return
		}
		if !sc.IsValid() || !sc.IsRemote() {
			t.Fatalf("ParseTraceHeader(%q) reported ok with an invalid span context", h)
		}
		// Whatever was read survives a round trip through the X-Ray format.
		again, ok := middleware.ParseTraceHeader(formatXRay(sc))
		if !ok || again.TraceID() != sc.TraceID() || again.SpanID() != sc.SpanID() || again.IsSampled() != sc.IsSampled() {
			t.Fatalf("round trip of %q: got %v, want %v", h, again, sc)
		}
		if strings.Contains(h, "Root=") && !strings.Contains(h, "Parent=") {
			t.Fatalf("ParseTraceHeader(%q) made up a parent", h)
		}
	})
}
