package middleware_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
)

type client struct{ dsn string }

func TestLazyConcurrentFirstUseRunsOnce(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	lazy := middleware.NewLazy("db", func(ctx context.Context) (*client, error) {
		calls.Add(1)
		<-release
		return &client{dsn: "postgres://db"}, nil
	})
	h := function.Chain(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		c, err := lazy.Get(ctx)
		if err != nil || c.dsn != "postgres://db" {
			return nil, errors.New("handler did not get the client")
		}
		return nil, nil
	}), lazy.Middleware())

	const n = 100
	var arrived atomic.Int32
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			arrived.Add(1)
			_, errs[i] = h.Handle(context.Background(), testEvent(t, "e"))
		})
	}
	for arrived.Load() < n {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "invocation %d", i)
	}
	assert.Equal(t, int32(1), calls.Load(), "the initializer ran once")
	c, ok := lazy.Peek()
	require.True(t, ok)
	assert.Equal(t, "postgres://db", c.dsn)
}

func TestLazyRetriesAfterFailure(t *testing.T) {
	errDown := errors.New("config service down")
	tests := []struct {
		name string
		fail func() (*client, error)
	}{
		{name: "error", fail: func() (*client, error) { return nil, errDown }},
		{name: "permanent error", fail: func() (*client, error) { return nil, function.Permanent(errDown) }},
		{name: "panic", fail: func() (*client, error) { panic(errDown) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			lazy := middleware.NewLazy("config", func(ctx context.Context) (*client, error) {
				if calls.Add(1) == 1 {
					return tt.fail()
				}
				return &client{dsn: "ok"}, nil
			})
			var handled atomic.Int32
			h := lazy.Middleware()(function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) {
				handled.Add(1)
				return nil, nil
			}))
			_, err := h.Handle(context.Background(), testEvent(t, "e-1"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "config")
			assert.True(t, function.IsRetryable(err), "an init failure is never the event's fault")
			assert.Zero(t, handled.Load(), "the handler does not run without its dependency")
			_, ok := lazy.Peek()
			assert.False(t, ok)

			_, err = h.Handle(context.Background(), testEvent(t, "e-2"))
			require.NoError(t, err, "the next invocation tries again")
			assert.Equal(t, int32(2), calls.Load())
			c, err := lazy.Get(context.Background())
			require.NoError(t, err)
			assert.Equal(t, "ok", c.dsn)
			assert.Equal(t, int32(2), calls.Load(), "no third run once made")
		})
	}
}

// waitingCtx counts the callers that have started waiting on it.
type waitingCtx struct {
	context.Context
	waiting *atomic.Int32
}

func (c waitingCtx) Done() <-chan struct{} {
	c.waiting.Add(1)
	return c.Context.Done()
}

func TestLazyWaitersShareAFailure(t *testing.T) {
	errDown := errors.New("down")
	var calls atomic.Int32
	release := make(chan struct{})
	lazy := middleware.NewLazy("db", func(ctx context.Context) (int, error) {
		n := calls.Add(1)
		<-release
		if n == 1 {
			return 0, errDown
		}
		return 42, nil
	})
	first := make(chan error, 1)
	go func() { _, err := lazy.Get(context.Background()); first <- err }()
	for calls.Load() < 1 {
		runtime.Gosched()
	}
	const waiters = 10
	var waiting atomic.Int32
	var wg sync.WaitGroup
	errs := make([]error, waiters)
	for i := range waiters {
		wg.Go(func() { _, errs[i] = lazy.Get(waitingCtx{Context: context.Background(), waiting: &waiting}) })
	}
	// Every waiter is either waiting for the first run or (wrongly) running
	// the initializer itself.
	for waiting.Load()+calls.Load()-1 < waiters {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	require.ErrorIs(t, <-first, errDown)
	for _, err := range errs {
		require.ErrorIs(t, err, errDown, "a waiter gets the failure it waited for")
	}
	assert.Equal(t, int32(1), calls.Load(), "waiters do not run the initializer themselves")
	v, err := lazy.Get(context.Background())
	require.NoError(t, err, "the next use tries again")
	assert.Equal(t, 42, v)
	assert.Equal(t, int32(2), calls.Load())
}

func TestLazyWaiterContextEnds(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	lazy := middleware.NewLazy("slow", func(ctx context.Context) (int, error) {
		close(started)
		<-release
		return 1, nil
	})
	go func() { _, _ = lazy.Get(context.Background()) }()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := lazy.Get(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func TestLazyRecordsDurationOnSpan(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	lazy := middleware.NewLazy("db", func(ctx context.Context) (int, error) { return 1, nil })
	h := middleware.Tracing(middleware.TracingProvider(tp))(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		_, err := lazy.Get(ctx)
		return nil, err
	}))
	_, err := h.Handle(context.Background(), testEvent(t, "e-1"))
	require.NoError(t, err)
	_, err = h.Handle(context.Background(), testEvent(t, "e-2"))
	require.NoError(t, err)
	spans := rec.Ended()
	require.Len(t, spans, 2)
	require.Len(t, spans[0].Events(), 1, "the first invocation's span has the init event")
	ev := spans[0].Events()[0]
	assert.Equal(t, "faasport.lazy_init", ev.Name)
	attrs := map[string]any{}
	for _, a := range ev.Attributes {
		attrs[string(a.Key)] = a.Value.AsInterface()
	}
	assert.Equal(t, "db", attrs["faasport.lazy.name"])
	assert.Equal(t, true, attrs["faasport.lazy.ok"])
	assert.Contains(t, attrs, "faasport.lazy.duration_ms")
	assert.Empty(t, spans[1].Events(), "later invocations do not initialize")
}

func TestLazyGetDoesNotAllocateOnceMade(t *testing.T) {
	lazy := middleware.NewLazy("n", func(context.Context) (int, error) { return 7, nil })
	ctx := context.Background()
	_, err := lazy.Get(ctx)
	require.NoError(t, err)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = lazy.Get(ctx) }))
}
