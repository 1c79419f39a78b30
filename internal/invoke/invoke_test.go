package invoke_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/invoke"
)

func TestCallRecoversPanics(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	e := event.New()
	e.SetID("e-1")
	h := function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) { panic("secret detail") })

	reply, err := invoke.Call(context.Background(), h, e, log)
	assert.Nil(t, reply)
	require.ErrorIs(t, err, invoke.ErrPanic)
	assert.True(t, function.IsRetryable(err), "a panic is retryable")
	assert.NotContains(t, err.Error(), "secret detail", "the panic value stays out of the error a client may see")
	assert.Contains(t, logs.String(), "secret detail", "the panic is logged")
	assert.Contains(t, logs.String(), "e-1")

	want := errors.New("plain")
	_, err = invoke.Call(context.Background(), function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) {
		return nil, want
	}), e, nil)
	assert.Same(t, want, err, "errors pass through untouched")
}

func TestColdStartOnce(t *testing.T) {
	var c invoke.ColdStart
	var wg sync.WaitGroup
	var mu sync.Mutex
	cold := 0
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c.Next() {
				mu.Lock()
				cold++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, cold)
	assert.False(t, c.Next())
}
