package function_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/payload"
)

func typedEvent(t *testing.T, typ, data string) event.Event {
	t.Helper()
	e := newEvent(t, "application/json", data)
	e.SetType(typ)
	return e
}

type qtyOrder struct {
	ID  string `json:"id"`
	Qty int    `json:"qty"`
}

// Typed handlers decode the payload, not the envelope, and find the
// payload's Message in their context.
func TestTypedDecodesPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		e       event.Event
		attempt int // the invocation's attempt
		wantID  string
		wantAtt int
	}{
		{
			name:   "SQS record",
			e:      typedEvent(t, "com.amazonaws.sqs.message", `{"messageId":"m-1","body":"{\"id\":\"o-1\",\"qty\":2}","attributes":{"ApproximateReceiveCount":"2"},"eventSourceARN":"arn:aws:sqs:eu-west-1:1:q"}`),
			wantID: "m-1", wantAtt: 2,
		},
		{
			name:   "Pub/Sub message, attempt from the invocation",
			e:      typedEvent(t, "google.cloud.pubsub.topic.v1.messagePublished", `{"message":{"data":"eyJpZCI6Im8tMSIsInF0eSI6Mn0=","messageId":"p-1"},"subscription":"s"}`),
			wantID: "p-1", attempt: 5, wantAtt: 5,
		},
		{
			name:   "a CloudEvent is its own payload",
			e:      typedEvent(t, "com.example.order", `{"id":"o-1","qty":2}`),
			wantID: "evt-1", attempt: 3, wantAtt: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got qtyOrder
			var msg *payload.Message
			h := function.Typed(func(ctx context.Context, o qtyOrder) (qtyOrder, error) {
				got = o
				var ok bool
				msg, ok = payload.FromContext(ctx)
				require.True(t, ok, "the payload's Message is in the handler's context")
				return o, nil
			})
			ctx := function.NewContext(context.Background(), &function.Invocation{Attempt: tt.attempt})
			reply, err := h.Handle(ctx, tt.e)
			require.NoError(t, err)
			assert.Equal(t, qtyOrder{ID: "o-1", Qty: 2}, got)
			assert.JSONEq(t, `{"id":"o-1","qty":2}`, string(reply.Data()), "the reply carries the output alone")
			assert.Equal(t, tt.wantID, msg.ID)
			assert.Equal(t, tt.wantAtt, msg.Attempt)
			assert.Equal(t, "application/json", msg.ContentType)
		})
	}
}

// A text SQS body reaches a string handler; a malformed envelope and an
// undecodable payload are permanent DecodeErrors.
func TestTypedPayloadErrors(t *testing.T) {
	t.Parallel()
	var got string
	h := function.Consume(func(_ context.Context, s string) error { got = s; return nil })
	_, err := h.Handle(context.Background(), typedEvent(t, "com.amazonaws.sqs.message", `{"messageId":"m-1","body":"plain text"}`))
	require.NoError(t, err)
	assert.Equal(t, "plain text", got)

	called := false
	o := function.Consume(func(context.Context, qtyOrder) error { called = true; return nil })
	_, err = o.Handle(context.Background(), typedEvent(t, "com.amazonaws.sqs.message", `{"messageId":`))
	var de *function.DecodeError
	require.ErrorAs(t, err, &de)
	assert.True(t, function.IsPermanent(err))
	assert.True(t, errors.Is(err, payload.ErrMalformed))

	_, err = o.Handle(context.Background(), typedEvent(t, "com.amazonaws.sqs.message", `{"messageId":"m-1","body":"{\"qty\":\"two\"}"}`))
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "qty", de.Field)
	assert.Equal(t, "application/json", de.ContentType)
	assert.True(t, function.IsPermanent(err))
	assert.False(t, called)
}
