package gcf

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"cloud.google.com/go/functions/metadata"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// RawEvent is [function.Invocation.Native] for an event that did not arrive
// as a CloudEvent: a legacy background event or a Pub/Sub push request. Body
// is the request body as received, before conversion; Request's body has
// been read.
type RawEvent struct {
	Request *http.Request
	Body    []byte
}

// LegacyEvent is an event as the Functions Framework hands it to a legacy
// background function (func(ctx, data) error with metadata.FromContext): the
// data, and the context metadata.
type LegacyEvent struct {
	Data    json.RawMessage    `json:"data"`
	Context *metadata.Metadata `json:"context"`
}

// Legacy returns the event e, being handled under ctx, in the form the
// Functions Framework gives a legacy background function, for code migrated
// from one. An event that arrived in legacy form (or as a Pub/Sub push
// request) is parsed from the body as received; a CloudEvent is converted by
// the framework's CloudEvent-to-legacy rules, which cover the Google event
// types that have a legacy equivalent.
func Legacy(ctx context.Context, e event.Event) (*LegacyEvent, error) {
	if raw, ok := function.FromContext(ctx).Native.(*RawEvent); ok && raw != nil {
		path := ""
		if raw.Request != nil && raw.Request.URL != nil {
			path = raw.Request.URL.Path
		}
		if topicFromPath(path) == "" && strings.HasPrefix(e.Source(), pubsubSourcePrefix) {
			// A push request's topic, if known, is in the event's source.
			path = "/" + strings.TrimPrefix(e.Source(), pubsubSourcePrefix)
		}
		return legacyFromBody(raw.Body, path, e.ID())
	}
	r := &http.Request{Method: http.MethodPost, Header: http.Header{}, Body: newBody(e.Data())}
	r.Header.Set("Ce-Specversion", e.SpecVersion())
	r.Header.Set("Ce-Type", e.Type())
	r.Header.Set("Ce-Source", e.Source())
	r.Header.Set("Ce-Id", e.ID())
	if s := e.Subject(); s != "" {
		r.Header.Set("Ce-Subject", s)
	}
	if t := e.Time(); !t.IsZero() {
		r.Header.Set("Ce-Time", t.Format(time.RFC3339Nano))
	}
	if !ffShouldConvertCloudEventToBackgroundRequest(r) {
		return nil, fmt.Errorf("gcf: convert event %q of type %q to a legacy event: the type has no legacy equivalent", e.ID(), e.Type())
	}
	if err := ffConvertCloudEventToBackgroundRequest(r); err != nil {
		return nil, fmt.Errorf("gcf: convert event %q to a legacy event: %w", e.ID(), err)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("gcf: convert event %q to a legacy event: %w", e.ID(), err)
	}
	return legacyFromBody(body, "", e.ID())
}

func legacyFromBody(body []byte, path, id string) (*LegacyEvent, error) {
	md, data, err := ffGetBackgroundEvent(body, path)
	if err != nil {
		return nil, fmt.Errorf("gcf: parse legacy form of event %q: %w", id, err)
	}
	if md == nil || data == nil {
		return nil, fmt.Errorf("gcf: parse legacy form of event %q: no data and context", id)
	}
	b, err := ffEncodeData(data)
	if err != nil {
		return nil, fmt.Errorf("gcf: encode legacy data of event %q: %w", id, err)
	}
	return &LegacyEvent{Data: bytes.TrimSpace(b), Context: md}, nil
}
