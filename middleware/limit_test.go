package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
)

// gate is a handler that blocks until released and tracks how many
// invocations are inside it at once.
type gate struct {
	release chan struct{}
	inside  atomic.Int32
	most    atomic.Int32
}

func newGate() *gate { return &gate{release: make(chan struct{})} }

func (g *gate) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	n := g.inside.Add(1)
	for {
		m := g.most.Load()
		if n <= m || g.most.CompareAndSwap(m, n) {
			break
		}
	}
	<-g.release
	g.inside.Add(-1)
	return nil, nil
}

func TestLimitBoundsInFlight(t *testing.T) {
	g := newGate()
	h := middleware.Limit(3)(g)
	var wg sync.WaitGroup
	errs := make([]error, 30)
	for i := range errs {
		wg.Go(func() { _, errs[i] = h.Handle(context.Background(), testEvent(t, "e")) })
	}
	for g.inside.Load() < 3 {
		runtime.Gosched()
	}
	close(g.release)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err, "without a deadline, excess invocations wait")
	}
	assert.Equal(t, int32(3), g.most.Load())
}

func TestLimitFailsAtDeadline(t *testing.T) {
	g := newGate()
	defer close(g.release)
	h := middleware.Limit(1, middleware.LimitReserve(10*time.Millisecond))(g)
	go func() { _, _ = h.Handle(context.Background(), testEvent(t, "holder")) }()
	for g.inside.Load() < 1 {
		runtime.Gosched()
	}
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{name: "platform deadline", ctx: func() (context.Context, context.CancelFunc) {
			return context.WithCancel(withInvocation(function.Invocation{Deadline: time.Now().Add(30 * time.Millisecond)}))
		}},
		{name: "context deadline", ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 30*time.Millisecond)
		}},
		{name: "cancelled", ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			_, err := h.Handle(ctx, testEvent(t, "excess"))
			require.ErrorIs(t, err, middleware.ErrLimited)
			assert.True(t, function.IsRetryable(err))
			d, ok := function.RetryDelay(err)
			assert.True(t, ok)
			assert.Equal(t, time.Second, d)
		})
	}
}

func TestLimitMaxWait(t *testing.T) {
	g := newGate()
	defer close(g.release)
	h := middleware.Limit(1, middleware.LimitMaxWait(time.Millisecond), middleware.LimitRetryAfter(5*time.Second))(g)
	go func() { _, _ = h.Handle(context.Background(), testEvent(t, "holder")) }()
	for g.inside.Load() < 1 {
		runtime.Gosched()
	}
	_, err := h.Handle(context.Background(), testEvent(t, "excess"))
	require.ErrorIs(t, err, middleware.ErrLimited)
	d, _ := function.RetryDelay(err)
	assert.Equal(t, 5*time.Second, d)
}

func TestLimitZeroIsNoLimit(t *testing.T) {
	g := newGate()
	assert.Same(t, g, middleware.Limit(0)(g).(*gate))
	hh := &http.ServeMux{}
	assert.Same(t, hh, middleware.LimitHTTP(-1)(hh).(*http.ServeMux))
}

func TestLimitHTTP(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	srv := httptest.NewServer(middleware.LimitHTTP(1, middleware.LimitMaxWait(time.Millisecond))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	})))
	defer srv.Close()
	done := make(chan int)
	go func() {
		resp, err := http.Get(srv.URL)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-entered
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	close(release)
	assert.Equal(t, http.StatusOK, <-done)
}

func TestLimitSuccessDoesNotAllocate(t *testing.T) {
	h := middleware.Limit(4)(function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) { return nil, nil }))
	ctx := context.Background()
	e := testEvent(t, "e-1")
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = h.Handle(ctx, e) }))
}
