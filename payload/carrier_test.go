package payload_test

import (
	"context"
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/payload"
)

// A Message attached by a middleware is reused by a Carrier bound below it
// to the same event, and only to the same event.
func TestCarrierReusesTheEventsMessage(t *testing.T) {
	t.Parallel()
	e := ce(t, "com.amazonaws.sqs.message", sqsRecord(order, ""))
	outer, _, _, err := payload.Attach(context.Background(), e, nil)
	require.NoError(t, err)
	attached, ok := payload.FromContext(outer)
	require.True(t, ok)
	type key struct{}
	below := context.WithValue(outer, key{}, 1) // a span, say

	t.Run("same event", func(t *testing.T) {
		var c payload.Carrier
		data, ct, err := c.Bind(below, e, nil)
		require.NoError(t, err)
		assert.Equal(t, order, string(data))
		assert.Equal(t, "application/json", ct)
		m, ok := payload.FromContext(&c)
		require.True(t, ok)
		assert.Same(t, attached, m, "the envelope is read once")
		assert.Equal(t, 1, c.Value(key{}))
	})
	t.Run("a copy of the event is the same event", func(t *testing.T) {
		cp := e
		var c payload.Carrier
		_, _, err := c.Bind(below, cp, nil)
		require.NoError(t, err)
		m, _ := payload.FromContext(&c)
		assert.Same(t, attached, m)
	})
	// Each case is another event handled with the same context: its own
	// Message is read.
	other := map[string]func() event.Event{
		"a clone (equal, not the same)": func() event.Event { return e.Clone() },
		"same context, other data": func() event.Event {
			o := e
			o.DataEncoded = []byte(sqsRecord(`{"id":"o-2"}`, ""))
			return o
		},
		"same context, the data resliced": func() event.Event {
			o := e
			o.DataEncoded = append([]byte(nil), e.DataEncoded...)
			return o
		},
		"an event of another record": func() event.Event {
			return ce(t, "com.amazonaws.sqs.message", sqsRecord(`{"id":"o-3"}`, ""))
		},
	}
	for name, build := range other {
		t.Run(name, func(t *testing.T) {
			o := build()
			var c payload.Carrier
			data, _, err := c.Bind(below, o, nil)
			require.NoError(t, err)
			m, _ := payload.FromContext(&c)
			assert.NotSame(t, attached, m)
			want, err := payload.Of(o)
			require.NoError(t, err)
			assert.Equal(t, want.Data, data)
			assert.Equal(t, want.Data, m.Data)
		})
	}
}

// An event that is its own payload is not read by Attach's caller and
// Carrier alike: each builds its Message only when asked, and a Carrier of
// an own payload never looks for another's Message.
func TestCarrierOwnPayloadIsItsOwn(t *testing.T) {
	t.Parallel()
	e := ce(t, "com.example.order", order)
	outer, _, _, err := payload.Attach(context.Background(), e, func(context.Context) int { return 2 })
	require.NoError(t, err)
	var c payload.Carrier
	_, _, err = c.Bind(outer, e, nil)
	require.NoError(t, err)
	m, ok := payload.FromContext(&c)
	require.True(t, ok)
	assert.Equal(t, 0, m.Attempt, "the inner carrier's own attempt (none)")
	om, _ := payload.FromContext(outer)
	assert.Equal(t, 2, om.Attempt)
}

// The attempt is read from the context only where the message does not
// say, and for an own payload only when the Message is read.
func TestCarrierAttemptIsLazy(t *testing.T) {
	t.Parallel()
	type key struct{}
	parent := context.WithValue(context.Background(), key{}, 7)
	calls := 0
	attempt := func(ctx context.Context) int { calls++; return ctx.Value(key{}).(int) }

	var own payload.Carrier
	_, _, err := own.Bind(parent, ce(t, "com.example.order", order), attempt)
	require.NoError(t, err)
	assert.Equal(t, 0, calls, "not read at bind")
	m, _ := payload.FromContext(&own)
	assert.Equal(t, 7, m.Attempt)
	assert.Equal(t, 1, calls)

	var sqs payload.Carrier
	_, _, err = sqs.Bind(parent, ce(t, "com.amazonaws.sqs.message", sqsRecord(order, "")), attempt)
	require.NoError(t, err)
	m, _ = payload.FromContext(&sqs)
	assert.Equal(t, 3, m.Attempt, "SQS says")
	assert.Equal(t, 1, calls, "not read when the message says")

	var ps payload.Carrier
	_, _, err = ps.Bind(parent, ce(t, "google.cloud.pubsub.topic.v1.messagePublished", `{"message":{"data":"`+b64(order)+`","messageId":"p-1"},"subscription":"s"}`), attempt)
	require.NoError(t, err)
	m, _ = payload.FromContext(&ps)
	assert.Equal(t, 7, m.Attempt, "Pub/Sub push without deliveryAttempt: the platform's")
}

// A CloudEvents 0.3 context binds and is read like a 1.0 one.
func TestCarrierV03(t *testing.T) {
	t.Parallel()
	e := ce(t, "com.amazonaws.sqs.message", sqsRecord(order, ""))
	e.SetSpecVersion(event.CloudEventsVersionV03)
	_, ok := e.Context.(*event.EventContextV03)
	require.True(t, ok)
	outer, data, ct, err := payload.Attach(context.Background(), e, nil)
	require.NoError(t, err)
	assert.Equal(t, order, string(data))
	assert.Equal(t, "application/json", ct)
	attached, _ := payload.FromContext(outer)
	var c payload.Carrier
	_, _, err = c.Bind(outer, e, nil)
	require.NoError(t, err)
	m, _ := payload.FromContext(&c)
	assert.Same(t, attached, m)
}

// Handlers that share an attached event's context concurrently read the
// one Message without a race (run with -race).
func TestCarrierConcurrentReuse(t *testing.T) {
	t.Parallel()
	e := ce(t, "com.amazonaws.sqs.message", sqsRecord(order, ""))
	outer, _, _, err := payload.Attach(context.Background(), e, func(context.Context) int { return 1 })
	require.NoError(t, err)
	attached, _ := payload.FromContext(outer)
	var wg sync.WaitGroup
	got := make([]*payload.Message, 8)
	for i := range got {
		wg.Go(func() {
			var c payload.Carrier
			if _, _, err := c.Bind(outer, e, nil); err == nil {
				got[i], _ = payload.FromContext(&c)
			}
		})
	}
	wg.Wait()
	for _, m := range got {
		assert.Same(t, attached, m)
	}
}
