package function_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
)

func newEvent(t testing.TB, contentType, data string) event.Event {
	t.Helper()
	e := event.New()
	e.SetID("evt-1")
	e.SetSource("/test")
	e.SetType("com.example.test")
	if contentType != "" || data != "" {
		e.SetDataContentType(contentType)
		e.DataEncoded = []byte(data)
	}
	return e
}

type order struct {
	ID    string `json:"id" xml:"id"`
	Items []struct {
		Qty int `json:"qty"`
	} `json:"items"`
}

func TestChainOrder(t *testing.T) {
	var trail []string
	mw := func(name string) function.Middleware {
		return func(next function.Handler) function.Handler {
			return function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
				trail = append(trail, name+">")
				r, err := next.Handle(ctx, e)
				trail = append(trail, "<"+name)
				return r, err
			})
		}
	}
	inner := function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) {
		trail = append(trail, "h")
		return nil, nil
	})
	h := function.Chain(inner, mw("a"), nil, mw("b"))
	_, err := h.Handle(context.Background(), newEvent(t, "", ""))
	require.NoError(t, err)
	assert.Equal(t, []string{"a>", "b>", "h", "<b", "<a"}, trail)
	u, ok := h.(function.Unwrapper)
	require.True(t, ok, "a chain unwraps to its next layer")
	assert.NotNil(t, u.Unwrap())
	assert.Equal(t, fmt.Sprint(inner), fmt.Sprint(function.Chain(inner)), "Chain without middleware returns the handler")
}

func TestTypedDecoding(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		data        string
		wantID      string
		wantField   string // non-empty: decoding must fail naming this field
	}{
		{name: "json", contentType: "application/json", data: `{"id":"o-1","items":[{"qty":2}]}`, wantID: "o-1"},
		{name: "json with charset", contentType: "application/json; charset=utf-8", data: `{"id":"o-2"}`, wantID: "o-2"},
		{name: "no content type means json", data: `{"id":"o-3"}`, wantID: "o-3"},
		{name: "upper case with parameters", contentType: " Application/JSON ; charset=UTF-8", data: `{"id":"o-7"}`, wantID: "o-7"},
		{name: "structured suffix", contentType: "application/vnd.order+json", data: `{"id":"o-4"}`, wantID: "o-4"},
		{name: "xml", contentType: "application/xml", data: `<order><id>o-5</id></order>`, wantID: "o-5"},
		{name: "wrong type names the field", contentType: "application/json", data: `{"id":"o-6","items":[{"qty":"two"}]}`, wantField: "items.qty"},
		{name: "syntax error names the offset", contentType: "application/json", data: `{"id":`, wantField: "byte offset"},
		{name: "unsupported content type", contentType: "image/png", data: "\x89PNG", wantField: "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got order
			calls := 0
			h := function.Consume(func(_ context.Context, o order) error {
				calls++
				got = o
				return nil
			})
			_, err := h.Handle(context.Background(), newEvent(t, tt.contentType, tt.data))
			if tt.wantField == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.wantID, got.ID)
				assert.Equal(t, 1, calls)
				return
			}
			require.Error(t, err)
			assert.Zero(t, calls, "the handler must not run on undecodable data")
			var de *function.DecodeError
			require.ErrorAs(t, err, &de)
			assert.True(t, function.IsPermanent(err), "a decode failure is permanent")
			assert.ErrorIs(t, err, function.ErrPermanent)
			assert.Equal(t, http.StatusBadRequest, function.HTTPStatus(err))
			assert.Equal(t, "evt-1", de.EventID)
			assert.Equal(t, "com.example.test", de.EventType)
			assert.Contains(t, err.Error(), "evt-1")
			assert.Contains(t, err.Error(), "com.example.test")
			if tt.wantField != "-" {
				assert.Contains(t, de.Field, tt.wantField)
			} else {
				assert.ErrorIs(t, err, function.ErrUnsupportedContentType)
			}
		})
	}
}

func TestTypedRawInputs(t *testing.T) {
	var gotBytes []byte
	hb := function.Consume(func(_ context.Context, b []byte) error { gotBytes = b; return nil })
	_, err := hb.Handle(context.Background(), newEvent(t, "application/octet-stream", "\x00\x01"))
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 1}, gotBytes)

	var gotText string
	hs := function.Consume(func(_ context.Context, s string) error { gotText = s; return nil })
	_, err = hs.Handle(context.Background(), newEvent(t, "text/plain", "hello"))
	require.NoError(t, err)
	assert.Equal(t, "hello", gotText)
	_, err = hs.Handle(context.Background(), newEvent(t, "application/json", `"quoted"`))
	require.NoError(t, err)
	assert.Equal(t, "quoted", gotText, "a JSON string is decoded")
}

func TestTypedReply(t *testing.T) {
	type out struct {
		Total int `json:"total"`
	}
	h := function.Typed(func(_ context.Context, o order) (out, error) {
		return out{Total: len(o.Items)}, nil
	})
	r, err := h.Handle(context.Background(), newEvent(t, "application/json", `{"id":"o","items":[{},{}]}`))
	require.NoError(t, err)
	require.NotNil(t, r)
	require.NoError(t, r.Validate())
	assert.Equal(t, "evt-1.reply", r.ID(), "reply id derives from the event id so redeliveries reply alike")
	assert.Equal(t, "com.example.test.reply", r.Type())
	assert.Equal(t, "/test", r.Source())
	assert.Equal(t, "application/json", r.DataContentType())
	assert.JSONEq(t, `{"total":2}`, string(r.Data()))

	custom := function.Typed(func(_ context.Context, s string) (string, error) { return strings.ToUpper(s), nil },
		function.WithReplyType("com.example.upper"), function.WithReplySource("/upper"))
	r, err = custom.Handle(context.Background(), newEvent(t, "text/plain", "abc"))
	require.NoError(t, err)
	assert.Equal(t, "com.example.upper", r.Type())
	assert.Equal(t, "/upper", r.Source())
	assert.Equal(t, "ABC", string(r.Data()))

	failing := function.Typed(func(context.Context, order) (out, error) { return out{}, errors.New("boom") })
	r, err = failing.Handle(context.Background(), newEvent(t, "application/json", `{}`))
	assert.Nil(t, r)
	assert.EqualError(t, err, "boom")

	unencodable := function.Typed(func(context.Context, order) (func(), error) { return func() {}, nil })
	_, err = unencodable.Handle(context.Background(), newEvent(t, "application/json", `{}`))
	assert.True(t, function.IsPermanent(err), "an unencodable reply is permanent: %v", err)
}

func TestErrorClasses(t *testing.T) {
	base := errors.New("cause")
	tests := []struct {
		name      string
		err       error
		permanent bool
		status    int
	}{
		{name: "nil", err: nil, permanent: false, status: http.StatusOK},
		{name: "plain error is retryable", err: base, status: http.StatusServiceUnavailable},
		{name: "permanent", err: function.Permanent(base), permanent: true, status: http.StatusUnprocessableEntity},
		{name: "wrapped permanent", err: fmt.Errorf("ctx: %w", function.Permanent(base)), permanent: true, status: http.StatusUnprocessableEntity},
		{name: "retryable re-classes permanent", err: function.Retryable(function.Permanent(base)), status: http.StatusServiceUnavailable},
		{name: "4xx status is permanent", err: function.WithStatus(http.StatusNotFound, base), permanent: true, status: http.StatusNotFound},
		{name: "429 status stays retryable", err: function.WithStatus(http.StatusTooManyRequests, base), status: http.StatusTooManyRequests},
		{name: "5xx status is retryable", err: function.WithStatus(http.StatusBadGateway, base), status: http.StatusBadGateway},
		{name: "deadline", err: fmt.Errorf("call: %w: %w", base, context.DeadlineExceeded), status: http.StatusGatewayTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.permanent, function.IsPermanent(tt.err))
			assert.Equal(t, tt.err != nil && !tt.permanent, function.IsRetryable(tt.err))
			assert.Equal(t, tt.status, function.HTTPStatus(tt.err))
			if tt.err != nil {
				assert.ErrorIs(t, tt.err, base, "the cause stays reachable")
			}
		})
	}
	assert.NoError(t, function.Permanent(nil))
	assert.NoError(t, function.Retryable(nil))
	assert.NoError(t, function.RetryAfter(nil, time.Second))
	assert.ErrorIs(t, function.Permanent(base), function.ErrPermanent)
	assert.ErrorIs(t, function.Retryable(base), function.ErrRetryable)
	assert.NotErrorIs(t, function.Permanent(base), function.ErrRetryable)

	d, ok := function.RetryDelay(fmt.Errorf("wrapped: %w", function.RetryAfter(base, 3*time.Second)))
	assert.True(t, ok)
	assert.Equal(t, 3*time.Second, d)
	_, ok = function.RetryDelay(base)
	assert.False(t, ok)
	assert.Equal(t, "Not Found", function.WithStatus(404, nil).Error())
}

func TestInvocationContext(t *testing.T) {
	ctx := context.Background()
	_, ok := function.InvocationFromContext(ctx)
	assert.False(t, ok)
	assert.NotNil(t, function.FromContext(ctx), "FromContext never returns nil")
	assert.Empty(t, function.FromContext(ctx).RequestID)

	inv := &function.Invocation{Platform: function.PlatformLambda, RequestID: "r-1", Attempt: 2, ColdStart: true}
	ctx = function.NewContext(ctx, inv)
	got, ok := function.InvocationFromContext(ctx)
	require.True(t, ok)
	assert.Same(t, inv, got)
	assert.Equal(t, "r-1", function.FromContext(ctx).RequestID)
}

// hooked is a handler with lifecycle hooks.
type hooked struct {
	function.Handler
	starts, stops atomic.Int32
	failStarts    atomic.Int32 // the first failStarts calls of Start fail
	trail         *[]string
	name          string
	mu            *sync.Mutex
}

func (h *hooked) Start(context.Context) error {
	n := h.starts.Add(1)
	if n <= h.failStarts.Load() {
		return errors.New("not yet")
	}
	return nil
}

func (h *hooked) Stop(context.Context) error {
	h.stops.Add(1)
	h.mu.Lock()
	*h.trail = append(*h.trail, h.name)
	h.mu.Unlock()
	return nil
}

func TestLifecycle(t *testing.T) {
	var trail []string
	var mu sync.Mutex
	noop := function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) { return nil, nil })
	a := &hooked{Handler: noop, trail: &trail, name: "a", mu: &mu}
	b := &hooked{Handler: noop, trail: &trail, name: "b", mu: &mu}
	b.failStarts.Store(1)
	passthrough := func(next function.Handler) function.Handler { return next }

	l := function.NewLifecycle(function.Chain(a, passthrough), nil, b)
	ctx := context.Background()
	assert.True(t, l.HasStop())
	assert.False(t, function.NewLifecycle(function.Chain(noop, passthrough), nil).HasStop(), "no handler has a Stop hook")

	err := l.Start(ctx)
	require.Error(t, err, "b fails its first start")
	assert.True(t, function.IsRetryable(err))
	assert.Equal(t, int32(1), a.starts.Load())
	require.NoError(t, l.Stop(ctx), "nothing to stop before a successful start")
	assert.Empty(t, trail)

	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, l.Start(ctx))
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), a.starts.Load(), "a started once: its success is not repeated")
	assert.Equal(t, int32(2), b.starts.Load(), "b retried once, then never again")

	require.NoError(t, l.Stop(ctx))
	assert.Equal(t, []string{"b", "a"}, trail, "stop hooks run in reverse order")

	// A middleware's own handler may have hooks too; Chain keeps it reachable.
	trail = nil
	m := &hooked{Handler: noop, trail: &trail, name: "middleware", mu: &mu}
	withHooks := func(next function.Handler) function.Handler { m.Handler = next; return m }
	l = function.NewLifecycle(function.Chain(a, withHooks, passthrough))
	require.NoError(t, l.Start(ctx))
	assert.Equal(t, int32(1), m.starts.Load())
	assert.Equal(t, int32(2), a.starts.Load(), "a new lifecycle starts a once more, and only once")
	require.NoError(t, l.Stop(ctx))
	assert.Equal(t, []string{"a", "middleware"}, trail, "inner hooks stop first")
}

func FuzzDecodeData(f *testing.F) {
	f.Add("application/json", []byte(`{"id":"x","items":[{"qty":1}]}`))
	f.Add("application/xml", []byte(`<order><id>x</id></order>`))
	f.Add("text/plain; charset=utf-8", []byte("hello"))
	f.Add("application/cloudevents+json; charset", []byte(`{"id":`))
	f.Fuzz(func(t *testing.T, contentType string, data []byte) {
		var o order
		err := function.DecodeData(contentType, data, &o)
		var s string
		err2 := function.DecodeData(contentType, data, &s)
		var raw json.RawMessage
		require.NoError(t, function.DecodeData(contentType, data, &raw), "raw targets always decode")
		_, _ = err, err2
	})
}
