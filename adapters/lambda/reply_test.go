package lambda_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/payload"
)

// A typed handler answers each caller in the shape it called with.
func TestTypedReplies(t *testing.T) {
	type in struct {
		OrderID string `json:"orderId"`
	}
	type out struct {
		OrderID string `json:"orderId"`
		Status  string `json:"status"`
	}
	typed := function.Typed(func(_ context.Context, i in) (out, error) {
		return out{OrderID: i.OrderID, Status: "reserved"}, nil
	})
	tests := []struct {
		name    string
		payload string
		want    string
		wantCE  bool
	}{
		{"Step Functions task (direct invoke)", `{"orderId":"o-7"}`, `{"orderId":"o-7","status":"reserved"}`, false},
		{"AppSync resolver (direct invoke)", `{"arguments":{"id":"1"},"orderId":"o-8","info":{"fieldName":"order"}}`, `{"orderId":"o-8","status":"reserved"}`, false},
		{"structured CloudEvent", `{"specversion":"1.0","id":"c-1","source":"/x","type":"com.example.order","data":{"orderId":"o-9"}}`, `{"orderId":"o-9","status":"reserved"}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := lambda.New(lambda.Events(typed), lambda.WithLogger(quietLogger()))
			got, err := h.Invoke(lambdaCtx(t), []byte(tc.payload))
			require.NoError(t, err)
			if !tc.wantCE {
				assert.JSONEq(t, tc.want, string(got))
				return
			}
			var reply event.Event
			require.NoError(t, reply.UnmarshalJSON(got), string(got))
			assert.Equal(t, "c-1.reply", reply.ID())
			assert.JSONEq(t, tc.want, string(reply.Data()))
		})
	}
}

// A Cognito trigger answers with the event it was given, modified, through
// the typed API.
func TestTypedCognitoReply(t *testing.T) {
	h := lambda.New(lambda.Events(function.Typed(func(_ context.Context, e events.CognitoEventUserPoolsPreSignup) (events.CognitoEventUserPoolsPreSignup, error) {
		e.Response.AutoConfirmUser = true
		return e, nil
	})), lambda.WithLogger(quietLogger()))
	in := `{"version":"1","triggerSource":"PreSignUp_SignUp","region":"eu-west-1","userPoolId":"eu-west-1_x","userName":"u","callerContext":{"awsSdkVersion":"1","clientId":"c"},"request":{"userAttributes":{"email":"u@example.com"}},"response":{}}`
	got, err := h.Invoke(lambdaCtx(t), []byte(in))
	require.NoError(t, err)
	var reply events.CognitoEventUserPoolsPreSignup
	require.NoError(t, jsonUnmarshal(got, &reply), string(got))
	assert.True(t, reply.Response.AutoConfirmUser)
	assert.Equal(t, "u@example.com", reply.Request.UserAttributes["email"])
	assert.Equal(t, "PreSignUp_SignUp", reply.TriggerSource)
}

func TestReplyPayload(t *testing.T) {
	tests := []struct {
		name, contentType, data, want string
	}{
		{"JSON", "application/json", `{"a":1}`, `{"a":1}`},
		{"JSON with parameters", "application/json; charset=utf-8", `[1]`, `[1]`},
		{"text becomes a JSON string", "text/plain; charset=utf-8", `done`, `"done"`},
		{"bytes that are JSON", "application/octet-stream", `{"a":1}`, `{"a":1}`},
		{"other bytes become base64", "application/octet-stream", "\xff", `"/w=="`},
		{"invalid JSON becomes base64", "application/json", `{`, `"ew=="`},
		{"no data is null", "application/json", ``, `null`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := event.New()
			if tc.data != "" {
				require.NoError(t, e.SetData(tc.contentType, []byte(tc.data)))
			}
			assert.Equal(t, tc.want, string(lambda.ReplyPayload(&e)))
		})
	}
}

// WithTrigger(TriggerTimer) makes a direct invoke — what EventBridge
// Scheduler sends — a schedule tick, handled as an asynchronous invocation.
func TestWithTriggerTimer(t *testing.T) {
	var got *payload.Message
	var inv *function.Invocation
	var typ string
	h := lambda.New(lambda.WithTrigger(function.TriggerTimer), lambda.WithLogger(quietLogger()),
		lambda.Events(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
			typ, inv = e.Type(), function.FromContext(ctx)
			var err error
			got, err = payload.Of(e)
			require.NoError(t, err)
			return nil, function.Permanent(assert.AnError)
		})))
	out, err := h.Invoke(lambdaCtx(t), []byte(`{"scheduleArn":"arn:aws:scheduler:eu-west-1:1:schedule/default/nightly","scheduledTime":"2026-01-01T00:00:00Z"}`))
	require.NoError(t, err, "a permanent error of an asynchronous invocation is acknowledged")
	assert.Equal(t, "null", string(out))
	assert.Equal(t, lambda.TypeSchedule, typ)
	assert.Equal(t, function.TriggerTimer, inv.Trigger)
	assert.JSONEq(t, `{"scheduleArn":"arn:aws:scheduler:eu-west-1:1:schedule/default/nightly","scheduledTime":"2026-01-01T00:00:00Z"}`, string(got.Data))

	// Without the declaration, the same payload is a direct invoke.
	h = lambda.New(lambda.WithLogger(quietLogger()), lambda.Events(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		typ = e.Type()
		return nil, nil
	})))
	_, err = h.Invoke(lambdaCtx(t), []byte(`{"a":1}`))
	require.NoError(t, err)
	assert.Equal(t, lambda.TypeInvoke, typ)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
