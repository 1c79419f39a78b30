package cejson_test

import (
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/internal/cejson"
)

func TestUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{name: "valid", in: `{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"aGk="}`},
		{name: "data_base64 not a string (panics in the SDK)", in: `{"specversion":"1.0","data_base64":1}`, wantErr: true},
		{name: "id not a string", in: `{"specversion":"1.0","id":1}`, wantErr: true},
		{name: "truncated", in: `{"specversion":`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e event.Event
			err := cejson.Unmarshal([]byte(tt.in), &e)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "hi", string(e.Data()))
		})
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"a":1}}`))
	f.Add([]byte(`{"specversion":"1.0","data_base64":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e event.Event
		_ = cejson.Unmarshal(b, &e) // an error or an event, never a panic
	})
}
