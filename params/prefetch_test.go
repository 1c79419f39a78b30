package params_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/params"
)

func TestPrefetchMiddleware(t *testing.T) {
	p := &scripted{err: fmt.Errorf("down: %w", params.ErrThrottled)}
	c := params.New(p, params.WithErrorBackoff(0))
	var ran atomic.Int64
	h := function.Chain(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		ran.Add(1)
		s, err := c.Get(ctx, "key")
		if err != nil {
			return nil, err
		}
		assert.Equal(t, "v", s.Reveal())
		return nil, nil
	}), c.Prefetch(params.Ref{Name: "key"}, params.Ref{Name: "key", Label: "AWSPREVIOUS"}).Middleware())
	assert.EqualValues(t, 0, p.calls.Load(), "nothing is fetched before the first invocation")

	e := event.New()
	e.SetID("1")
	e.SetSource("s")
	e.SetType("t")
	_, err := h.Handle(context.Background(), e)
	require.Error(t, err)
	assert.True(t, function.IsRetryable(err), "a prefetch failure is retryable")
	assert.ErrorIs(t, err, params.ErrThrottled)
	assert.EqualValues(t, 0, ran.Load(), "the handler does not run without its configuration")

	p.set("v", nil)
	_, err = h.Handle(context.Background(), e)
	require.NoError(t, err)
	calls := p.calls.Load()
	_, err = h.Handle(context.Background(), e)
	require.NoError(t, err)
	assert.EqualValues(t, 2, ran.Load())
	assert.Equal(t, calls, p.calls.Load(), "later invocations are served from the cache")
}

func TestPrefetchHTTP(t *testing.T) {
	p := &scripted{err: params.ErrAccessDenied}
	c := params.New(p, params.WithErrorBackoff(0))
	h := c.Prefetch(params.Ref{Name: "key"}).HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, "1", rec.Header().Get("Retry-After"))

	p.set("v", nil)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusNoContent, rec.Code)

	require.NoError(t, c.Prefetch(params.Ref{Name: "key"}).Do(context.Background()))
}
