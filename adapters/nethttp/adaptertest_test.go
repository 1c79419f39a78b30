package nethttp_test

import (
	"testing"

	"github.com/faasport/faasport/testing/adaptertest"
)

// TestConformance runs the adapter conformance suite.
func TestConformance(t *testing.T) { adaptertest.Run(t, adaptertest.NetHTTP()) }
