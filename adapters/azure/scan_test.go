package azure

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/faasport/faasport/internal/azjson"
)

// TestReadInvocationDepth holds the invocation reader to encoding/json's
// nesting limit inside Data and Metadata too: the top-level object counts
// as one level, Data's object as the second.
func TestReadInvocationDepth(t *testing.T) {
	for _, key := range []string{"Data", "Metadata", "Other"} {
		for _, n := range []int{azjson.MaxDepth - 2, azjson.MaxDepth - 1} {
			b := []byte(`{"` + key + `":{"a":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}}`)
			var inv invocation
			assert.Equal(t, json.Valid(b), readInvocation(b, &inv), "%s nested %d deep", key, n+2)
		}
	}
}
