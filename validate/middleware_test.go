package validate_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/payload"
	"github.com/faasport/faasport/validate"
)

type order struct {
	ID  string `json:"id"`
	Qty int    `json:"qty"`
}

func newEvent(t *testing.T, typ, ct, data string) event.Event {
	t.Helper()
	e := event.New()
	e.SetID("e-1")
	e.SetSource("test")
	e.SetType(typ)
	require.NoError(t, e.SetData(ct, []byte(data)))
	return e
}

func sqsEvent(t *testing.T, body string) event.Event {
	t.Helper()
	rec, err := json.Marshal(map[string]any{
		"messageId": "m-1", "body": body, "eventSource": "aws:sqs",
		"eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:orders",
		"attributes":     map[string]string{"ApproximateReceiveCount": "1"},
	})
	require.NoError(t, err)
	return newEvent(t, "com.amazonaws.sqs.message", "application/json", string(rec))
}

func TestInputWithTypedHandlers(t *testing.T) {
	s := orderSchema(t)
	var got []order
	consume := function.Consume(func(_ context.Context, o order) error {
		got = append(got, o)
		return nil
	}, validate.Input(s))
	typed := function.Typed(func(_ context.Context, o order) (order, error) { return o, nil }, validate.Input(s))

	tests := []struct {
		name     string
		e        event.Event
		ptrs     []string
		notJSON  bool
		accepted bool
	}{
		{name: "valid", e: newEvent(t, "t", "application/json", validOrder), accepted: true},
		{name: "invalid", e: newEvent(t, "t", "application/json", invalidOrder), ptrs: invalidPointers},
		{name: "one field", e: newEvent(t, "t", "application/json", `{"id":"x","qty":"2","items":[]}`), ptrs: []string{"/qty"}},
		{name: "xml", e: newEvent(t, "t", "application/xml", `<order/>`), notJSON: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, h := range map[string]function.Handler{"Consume": consume, "Typed": typed} {
				_, err := h.Handle(context.Background(), tt.e)
				if tt.accepted {
					require.NoError(t, err, name)
					continue
				}
				require.Error(t, err, name)
				assert.True(t, function.IsPermanent(err), "%s: an invalid event is permanent", name)
				if tt.notJSON {
					assert.ErrorIs(t, err, validate.ErrNotJSON)
					continue
				}
				var ve *validate.Error
				require.ErrorAs(t, err, &ve, name)
				assert.Equal(t, tt.ptrs, ve.Pointers(), name)
			}
		})
	}
	assert.Len(t, got, 1, "only the valid event reached the handler")
}

func TestEventsValidatesThePayloadNotTheEnvelope(t *testing.T) {
	s := orderSchema(t)
	var ran int
	h := validate.Events(s)(function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) {
		ran++
		return nil, nil
	}))
	tests := []struct {
		name string
		e    event.Event
		ptrs []string
	}{
		{name: "sqs body valid", e: sqsEvent(t, validOrder)},
		{name: "sqs body invalid", e: sqsEvent(t, `{"id":"o","qty":0,"items":[]}`), ptrs: []string{"/qty"}},
		{name: "plain event valid", e: newEvent(t, "com.example.order", "application/json", validOrder)},
		{name: "plain event invalid", e: newEvent(t, "com.example.order", "application/json", `{}`), ptrs: []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ran
			_, err := h.Handle(context.Background(), tt.e)
			if tt.ptrs == nil {
				require.NoError(t, err)
				assert.Equal(t, before+1, ran)
				return
			}
			assert.True(t, function.IsPermanent(err))
			var ve *validate.Error
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.ptrs, ve.Pointers())
			assert.Equal(t, before, ran)
		})
	}
	_, err := h.Handle(context.Background(), sqsEvent(t, "not json"))
	require.Error(t, err)
	assert.True(t, function.IsPermanent(err))
}

func TestOutput(t *testing.T) {
	s := orderSchema(t)
	reply := func(o map[string]any) function.Handler {
		return validate.Output(s)(function.Typed(func(context.Context, order) (map[string]any, error) { return o, nil }))
	}
	in := newEvent(t, "t", "application/json", `{"id":"x"}`)
	r, err := reply(map[string]any{"id": "o", "qty": 1, "items": []any{}}).Handle(context.Background(), in)
	require.NoError(t, err)
	require.NotNil(t, r)

	_, err = reply(map[string]any{"id": "o"}).Handle(context.Background(), in)
	require.Error(t, err)
	assert.True(t, function.IsPermanent(err))
	var ve *validate.Error
	require.ErrorAs(t, err, &ve)
	assert.Contains(t, err.Error(), "breaks the output schema")

	failing := validate.Output(s)(function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) {
		return nil, errors.New("boom")
	}))
	_, err = failing.Handle(context.Background(), in)
	assert.EqualError(t, err, "boom")
}

func TestHTTP(t *testing.T) {
	s := orderSchema(t)
	var seen string
	h := validate.HTTP(s, validate.WithMaxBytes(256))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = string(b)
		w.WriteHeader(http.StatusCreated)
	}))
	tests := []struct {
		name   string
		method string
		ct     string
		body   string
		status int
		ptrs   []string
	}{
		{name: "valid", method: http.MethodPost, ct: "application/json", body: validOrder, status: http.StatusCreated},
		{name: "valid with charset", method: http.MethodPut, ct: "application/json; charset=utf-8", body: validOrder, status: http.StatusCreated},
		{name: "invalid", method: http.MethodPost, ct: "application/json", body: invalidOrder, status: http.StatusUnprocessableEntity, ptrs: invalidPointers},
		{name: "malformed", method: http.MethodPost, ct: "application/json", body: `{"id":`, status: http.StatusBadRequest},
		{name: "not json", method: http.MethodPatch, ct: "text/plain", body: "hi", status: http.StatusUnsupportedMediaType},
		{name: "too large", method: http.MethodPost, ct: "application/json", body: `{"id":"` + strings.Repeat("x", 300) + `"}`, status: http.StatusRequestEntityTooLarge},
		{name: "GET passes", method: http.MethodGet, status: http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = ""
			req := httptest.NewRequest(tt.method, "/orders", strings.NewReader(tt.body))
			if tt.ct != "" {
				req.Header.Set("Content-Type", tt.ct)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.status == http.StatusCreated {
				assert.Equal(t, tt.body, seen, "the handler reads the same body")
				return
			}
			assert.Empty(t, seen, "the handler is not called")
			assert.Equal(t, validate.MediaTypeProblem, rec.Header().Get("Content-Type"))
			var p validate.Problem
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
			assert.Equal(t, tt.status, p.Status)
			assert.Equal(t, http.StatusText(tt.status), p.Title)
			assert.NotEmpty(t, p.Detail)
			var ptrs []string
			for _, v := range p.Errors {
				if len(ptrs) == 0 || ptrs[len(ptrs)-1] != v.Pointer {
					ptrs = append(ptrs, v.Pointer)
				}
			}
			assert.Equal(t, tt.ptrs, ptrs)
		})
	}
}

// TestEventsPassesTheMessageOn: the handler below Events finds the Message
// Events read (payload.FromContext), with the invocation's attempt where
// the envelope has none, so it need not read the envelope again.
func TestEventsPassesTheMessageOn(t *testing.T) {
	var got *payload.Message
	h := validate.Events(orderSchema(t))(function.HandlerFunc(func(ctx context.Context, _ event.Event) (*event.Event, error) {
		m, ok := payload.FromContext(ctx)
		require.True(t, ok, "the context carries the Message")
		got = m
		return nil, nil
	}))
	_, err := h.Handle(context.Background(), sqsEvent(t, validOrder))
	require.NoError(t, err)
	assert.Equal(t, "m-1", got.ID)
	assert.JSONEq(t, validOrder, string(got.Data))
	assert.Equal(t, 1, got.Attempt, "from ApproximateReceiveCount")

	ctx := function.NewContext(context.Background(), &function.Invocation{Attempt: 3})
	_, err = h.Handle(ctx, newEvent(t, "com.example.order", "application/json", validOrder))
	require.NoError(t, err)
	assert.Equal(t, 3, got.Attempt, "from the invocation, for an event that is its own payload")
}
