package trigger_test

import (
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/trigger"
)

func TestParseTick(t *testing.T) {
	at := time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)
	newEvent := func(typ, subject, data string) event.Event {
		e := event.New()
		e.SetID("t-1")
		e.SetSource("urn:source")
		e.SetType(typ)
		if subject != "" {
			e.SetSubject(subject)
		}
		e.SetTime(at.Add(time.Minute))
		if data != "" {
			e.SetDataContentType("application/json")
			e.DataEncoded = []byte(data)
		}
		return e
	}
	tests := []struct {
		name     string
		e        event.Event
		schedule string
		time     time.Time
	}{
		{
			name:     "EventBridge scheduled rule",
			e:        newEvent("com.amazonaws.events.Scheduled Event", "", `{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","resources":["arn:aws:events:eu-west-1:1:rule/nightly"],"detail":{}}`),
			schedule: "arn:aws:events:eu-west-1:1:rule/nightly", time: at.Add(time.Minute),
		},
		{
			name:     "EventBridge Scheduler with the documented input",
			e:        newEvent("com.amazonaws.scheduler.schedule", "", `{"scheduleArn":"arn:aws:scheduler:eu-west-1:1:schedule/default/nightly","scheduledTime":"2026-01-01T02:00:00Z"}`),
			schedule: "arn:aws:scheduler:eu-west-1:1:schedule/default/nightly", time: at,
		},
		{
			name:     "EventBridge Scheduler with another input",
			e:        newEvent("com.amazonaws.scheduler.schedule", "", `"just text"`),
			schedule: "urn:source", time: at.Add(time.Minute),
		},
		{
			name:     "Cloud Scheduler HTTP target",
			e:        newEvent("google.cloud.scheduler.job.v1.executed", "projects/p/locations/l/jobs/nightly", ""),
			schedule: "projects/p/locations/l/jobs/nightly", time: at.Add(time.Minute),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tick, err := trigger.ParseTick(tt.e)
			require.NoError(t, err)
			assert.Equal(t, tt.schedule, tick.Schedule)
			assert.True(t, tt.time.Equal(tick.Time), "time %v, want %v", tick.Time, tt.time)
		})
	}
}

// The Message view is the payload a typed handler gets: an SNS
// notification inside an SQS body is unwrapped.
func TestMessageUnwrapsSNSInSQS(t *testing.T) {
	e := event.New()
	e.SetID("m-1")
	e.SetSource("arn:aws:sqs:eu-west-1:1:q")
	e.SetType("com.amazonaws.sqs.message")
	e.DataEncoded = []byte(`{"messageId":"m-1","body":"{\"Type\":\"Notification\",\"MessageId\":\"s-1\",\"TopicArn\":\"arn:aws:sns:eu-west-1:1:t\",\"Message\":\"{\\\"id\\\":\\\"o-1\\\"}\",\"MessageAttributes\":{\"traceparent\":{\"Type\":\"String\",\"Value\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"}}}","attributes":{"ApproximateReceiveCount":"2"},"eventSourceARN":"arn:aws:sqs:eu-west-1:1:q"}`)
	m, err := trigger.ParseMessage(e)
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"o-1"}`, string(m.Body))
	assert.Equal(t, "application/json", m.ContentType)
	assert.Equal(t, 2, m.Attempt)
	assert.Equal(t, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", m.Trace.TraceParent)
}
