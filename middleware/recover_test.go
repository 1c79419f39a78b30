package middleware_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
)

const secret = "password=hunter2"

func panicking(context.Context, event.Event) (*event.Event, error) { panic(secret) }

func TestRecover(t *testing.T) {
	tests := []struct {
		name     string
		opts     []middleware.RecoverOption
		wantPerm bool
	}{
		{name: "retryable by default"},
		{name: "permanent when asked", opts: []middleware.RecoverOption{middleware.RecoverPermanent()}, wantPerm: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			opts := append([]middleware.RecoverOption{middleware.RecoverLogger(slog.New(slog.NewJSONHandler(&logs, nil)))}, tt.opts...)
			_, err := middleware.Recover(opts...)(function.HandlerFunc(panicking)).Handle(context.Background(), testEvent(t, "e-7"))
			require.Error(t, err)
			assert.ErrorIs(t, err, middleware.ErrPanic)
			var pe *middleware.PanicError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, secret, pe.Value)
			assert.Equal(t, "e-7", pe.EventID)
			assert.Equal(t, tt.wantPerm, function.IsPermanent(err))
			assert.NotContains(t, err.Error(), secret, "the panic value stays out of the error text")
			assert.NotContains(t, err.Error(), "goroutine", "the stack stays out of the error text")
			assert.Contains(t, logs.String(), secret, "the panic value is logged")
			assert.Contains(t, logs.String(), "recover_test.go", "the stack is logged")
		})
	}
}

func TestRecoverPassesResults(t *testing.T) {
	errBoom := errors.New("boom")
	reply := testEvent(t, "reply")
	h := middleware.Recover()(function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) { return &reply, errBoom }))
	got, err := h.Handle(context.Background(), testEvent(t, "e-1"))
	assert.Same(t, &reply, got)
	assert.Same(t, errBoom, err)
}

func TestRecoverSuccessDoesNotAllocate(t *testing.T) {
	h := middleware.Recover()(function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) { return nil, nil }))
	e := testEvent(t, "e-1")
	ctx := context.Background()
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = h.Handle(ctx, e) }))
}

func TestRecoverHTTP(t *testing.T) {
	tests := []struct {
		name     string
		h        http.HandlerFunc
		wantCode int
		wantBody string
	}{
		{name: "panic before answering", h: func(http.ResponseWriter, *http.Request) { panic(secret) }, wantCode: 500, wantBody: "Internal Server Error\n"},
		{name: "panic after answering", h: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, "partial")
			panic(secret)
		}, wantCode: http.StatusAccepted, wantBody: "partial"},
		{name: "no panic", h: func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "fine") }, wantCode: 200, wantBody: "fine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			srv := httptest.NewServer(middleware.RecoverHTTP(middleware.RecoverLogger(slog.New(slog.NewTextHandler(&logs, nil))))(tt.h))
			defer srv.Close()
			resp, err := http.Get(srv.URL)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.wantCode, resp.StatusCode)
			assert.Equal(t, tt.wantBody, string(body))
			assert.NotContains(t, string(body), secret)
		})
	}
}

func TestRecoverHTTPLetsAbortThrough(t *testing.T) {
	h := middleware.RecoverHTTP(middleware.RecoverLogger(slog.New(slog.DiscardHandler)))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	})
}
