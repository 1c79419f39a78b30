// Package cejson reads events in the CloudEvents JSON format safely.
//
// The CloudEvents SDK's JSON reader (event.Event's UnmarshalJSON) panics on
// some malformed input, e.g. a data_base64 that is not a string. Events from
// outside (a Lambda payload, an SQS body, a stored record) must fail with an
// error instead, so every such read goes through Unmarshal.
package cejson

import (
	"encoding/json"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Unmarshal decodes b into e, reporting a panic of the SDK's reader as an
// error.
func Unmarshal(b []byte, e *event.Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			*e = event.Event{}
			err = fmt.Errorf("malformed CloudEvent JSON (the reader failed: %v)", p)
		}
	}()
	return json.Unmarshal(b, e)
}
