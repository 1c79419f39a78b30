package azjson_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/faasport/faasport/internal/azjson"
	"github.com/stretchr/testify/assert"
)

func TestReaders(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		str  string
		n    int64
		nok  bool
	}{
		{"plain string", `"abc"`, "abc", 0, false},
		{"twice encoded string", `"\"abc\""`, "abc", 0, false},
		{"number", `12`, "12", 12, true},
		{"digits as string", `"12"`, "12", 12, true},
		{"whole float", `"3.0"`, "3.0", 3, true},
		{"missing", ``, "", 0, false},
		{"null", `null`, "", 0, false},
		{"object", `{"a":1}`, "", 0, false},
		{"string that looks like an object", `"{\"a\":1}"`, `{"a":1}`, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.str, azjson.String(json.RawMessage(tc.raw)))
			n, ok := azjson.Int(json.RawMessage(tc.raw))
			assert.Equal(t, tc.nok, ok)
			assert.Equal(t, tc.n, n)
		})
	}
}

func TestObjectArrayTime(t *testing.T) {
	assert.Equal(t, json.RawMessage(`1`), azjson.Object(json.RawMessage(`"{\"a\":1}"`))["a"])
	assert.Nil(t, azjson.Object(json.RawMessage(`[1]`)))
	a, ok := azjson.Array(json.RawMessage(`"[1,2]"`))
	assert.True(t, ok)
	assert.Len(t, a, 2)
	_, ok = azjson.Array(json.RawMessage(`{}`))
	assert.False(t, ok)
	want := time.Date(2024, 5, 6, 7, 8, 9, 123456700, time.UTC)
	assert.Equal(t, want, azjson.Time(json.RawMessage(`"2024-05-06T07:08:09.1234567Z"`)))
	assert.Equal(t, want, azjson.Time(json.RawMessage(`"2024-05-06T07:08:09.1234567"`)))
	assert.True(t, azjson.Time(json.RawMessage(`"not a time"`)).IsZero())
}

func Example() {
	md := json.RawMessage(`{"DeliveryCount":"\"3\"","Props":"{\"k\":\"v\"}"}`)
	o := azjson.Object(md)
	n, _ := azjson.Int(o["DeliveryCount"])
	fmt.Println(n, azjson.String(azjson.Object(o["Props"])["k"]))
	// Output: 3 v
}
