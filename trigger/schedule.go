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
	// Time is when the schedule was due to fire where the platform says
	// (EventBridge's event time, Cloud Scheduler's X-CloudScheduler-
	// ScheduleTime, an EventBridge Scheduler <aws.scheduler.scheduled-time>
	// in the input), else the event's time, else the time of parsing.
	Time time.Time
	// Schedule names the rule, schedule or job that fired, where the event
	// says (the EventBridge rule ARN, the EventBridge Scheduler schedule ARN,
	// the Cloud Scheduler job); else the event source.
	Schedule string
	// Event is the CloudEvent the tick arrived as.
	Event event.Event
}

// The types of schedule events: Cloud Scheduler HTTP targets as the HTTP
// adapters deliver them, and a Lambda function declared as scheduled
// (lambda.WithTrigger with function.TriggerTimer).
const (
	typeSchedulerJob   = "google.cloud.scheduler.job.v1.executed"
	typeLambdaSchedule = "com.amazonaws.scheduler.schedule"
)

// Schedule builds a Handler that passes each tick to f. Any event counts as
// a tick: Cloud Scheduler's Pub/Sub targets deliver a plain Pub/Sub message
// with no type of its own, so the view does not insist on one.
func Schedule(f func(ctx context.Context, t Tick) error) function.Handler {
	return view(ParseTick, f)
}

// ParseTick reads a Tick from e.
//
// EventBridge Scheduler sends a Lambda target its input as it is, so the
// schedule's ARN and time are known only when the input carries them: give
// the schedule the input {"scheduleArn": "<aws.scheduler.schedule-arn>",
// "scheduledTime": "<aws.scheduler.scheduled-time>"} (EventBridge Scheduler
// fills in the placeholders) and ParseTick reads them.
func ParseTick(e event.Event) (Tick, error) {
	t := Tick{Time: e.Time(), Schedule: e.Source(), Event: e}
	typ := e.Type()
	switch {
	case strings.HasPrefix(typ, typeEventsPrefix):
		var r struct {
			Resources []string `json:"resources"`
		}
		if err := decode("schedule", e, &r); err != nil {
			return Tick{}, err
		}
		if len(r.Resources) > 0 {
			t.Schedule = r.Resources[0]
		}
	case typ == typeLambdaSchedule, typ == typeInvoke:
		// The input is the user's: read the documented keys if it is a JSON
		// object that has them, and never fail on it.
		var r struct {
			ScheduleArn   string `json:"scheduleArn"`
			ScheduledTime string `json:"scheduledTime"`
		}
		if json.Unmarshal(e.Data(), &r) == nil {
			if r.ScheduleArn != "" {
				t.Schedule = r.ScheduleArn
			}
			if at, err := time.Parse(time.RFC3339Nano, r.ScheduledTime); err == nil {
				t.Time = at
			}
		}
	case typ == typeSchedulerJob:
		if s := e.Subject(); s != "" {
			t.Schedule = s
		}
	case typ == typePubSub:
		if m, err := ParseMessage(e); err == nil && m.Attributes["scheduler_job"] != "" {
			t.Schedule = m.Attributes["scheduler_job"]
		}
	case typ == typeAzureTimer:
		t.fromAzureTimer(e)
	}
	if t.Time.IsZero() {
		t.Time = time.Now()
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
