package trigger

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// Tick is one firing of a schedule.
type Tick struct {
	// Time is when the schedule fired (the event's time; the time of
	// parsing if the event has none).
	Time time.Time
	// Schedule names the rule or job that fired, where the event says (the
	// EventBridge rule ARN, the Cloud Scheduler job); else the event source.
	Schedule string
	// Event is the CloudEvent the tick arrived as.
	Event event.Event
}

// Schedule builds a Handler that passes each tick to f. Any event counts as
// a tick: Cloud Scheduler delivers through Pub/Sub or HTTP with no type of
// its own, so the view does not insist on one.
func Schedule(f func(ctx context.Context, t Tick) error) function.Handler {
	return view(ParseTick, f)
}

// ParseTick reads a Tick from e.
func ParseTick(e event.Event) (Tick, error) {
	t := Tick{Time: e.Time(), Schedule: e.Source(), Event: e}
	if t.Time.IsZero() {
		t.Time = time.Now()
	}
	if strings.HasPrefix(e.Type(), typeEventsPrefix) {
		var r struct {
			Resources []string `json:"resources"`
		}
		if err := decode("schedule", e, &r); err != nil {
			return Tick{}, err
		}
		if len(r.Resources) > 0 {
			t.Schedule = r.Resources[0]
		}
	}
	if e.Type() == typePubSub {
		if m, err := ParseMessage(e); err == nil && m.Attributes["scheduler_job"] != "" {
			t.Schedule = m.Attributes["scheduler_job"]
		}
	}
	return t, nil
}

// BusEvent is an event from an event bus (EventBridge, Eventarc).
type BusEvent struct {
	ID     string
	Type   string // EventBridge detail-type, or the CloudEvent type
	Source string // EventBridge source, or the CloudEvent source
	Time   time.Time
	// Detail is the event's payload: EventBridge's detail, or the
	// CloudEvent's data.
	Detail json.RawMessage
	// Resources are the ARNs or names the event concerns, where it says.
	Resources []string
	// Account and Region are set for EventBridge events.
	Account, Region string
	// Event is the CloudEvent it arrived as.
	Event event.Event
}

// EventBus builds a Handler that passes each bus event to f.
func EventBus(f func(ctx context.Context, b BusEvent) error) function.Handler {
	return view(ParseBusEvent, f)
}

// ParseBusEvent reads a BusEvent from e. An EventBridge event is unwrapped
// into its detail; any other CloudEvent is taken as it is.
func ParseBusEvent(e event.Event) (BusEvent, error) {
	b := BusEvent{ID: e.ID(), Type: e.Type(), Source: e.Source(), Time: e.Time(), Detail: e.Data(), Event: e}
	if s := e.Subject(); s != "" {
		b.Resources = []string{s}
	}
	if !strings.HasPrefix(e.Type(), typeEventsPrefix) {
		return b, nil
	}
	var r struct {
		ID         string          `json:"id"`
		DetailType string          `json:"detail-type"`
		Source     string          `json:"source"`
		Account    string          `json:"account"`
		Region     string          `json:"region"`
		Resources  []string        `json:"resources"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := decode("event bus", e, &r); err != nil {
		return BusEvent{}, err
	}
	b.Type, b.Source, b.Detail, b.Resources = r.DetailType, r.Source, r.Detail, r.Resources
	b.Account, b.Region = r.Account, r.Region
	if r.ID != "" {
		b.ID = r.ID
	}
	return b, nil
}
