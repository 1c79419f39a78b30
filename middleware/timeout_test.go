package middleware_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
)

func TestTimeoutDeadline(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	platform := now.Add(10 * time.Second)
	tests := []struct {
		name       string
		inv        *function.Invocation
		parent     time.Time // context deadline set by the caller
		opts       []middleware.TimeoutOption
		want       time.Time
		wantSameCt bool // the handler gets the caller's context itself
	}{
		{name: "no deadline, no budget", wantSameCt: true},
		{name: "invocation without deadline", inv: &function.Invocation{}, wantSameCt: true},
		{name: "platform deadline less default reserve", inv: &function.Invocation{Deadline: platform}, want: platform.Add(-middleware.DefaultReserve)},
		{name: "custom reserve", inv: &function.Invocation{Deadline: platform}, opts: []middleware.TimeoutOption{middleware.TimeoutReserve(2 * time.Second)}, want: platform.Add(-2 * time.Second)},
		{name: "budget shorter than deadline", inv: &function.Invocation{Deadline: platform}, opts: []middleware.TimeoutOption{middleware.TimeoutBudget(3 * time.Second)}, want: now.Add(3 * time.Second)},
		{name: "budget longer than deadline", inv: &function.Invocation{Deadline: platform}, opts: []middleware.TimeoutOption{middleware.TimeoutBudget(time.Minute)}, want: platform.Add(-middleware.DefaultReserve)},
		{name: "budget without platform deadline", opts: []middleware.TimeoutOption{middleware.TimeoutBudget(time.Second)}, want: now.Add(time.Second)},
		{name: "caller's context ends first", inv: &function.Invocation{Deadline: platform}, parent: now.Add(time.Second), want: now.Add(time.Second), wantSameCt: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.inv != nil {
				ctx = function.NewContext(ctx, tt.inv)
			}
			if !tt.parent.IsZero() {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, tt.parent)
				defer cancel()
			}
			var got context.Context
			h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
				got = ctx
				return nil, nil
			})
			opts := append([]middleware.TimeoutOption{middleware.TimeoutNow(func() time.Time { return now })}, tt.opts...)
			_, err := middleware.Timeout(opts...)(h).Handle(ctx, testEvent(t, "e-1"))
			require.NoError(t, err)
			d, ok := got.Deadline()
			assert.Equal(t, !tt.want.IsZero(), ok, "has a deadline")
			assert.True(t, d.Equal(tt.want), "deadline %v, want %v", d, tt.want)
			assert.Equal(t, tt.wantSameCt, got == ctx, "same context")
			assert.Equal(t, function.FromContext(ctx), function.FromContext(got), "values are kept")
		})
	}
}

func TestTimeoutExceeded(t *testing.T) {
	errCause := errors.New("query cancelled")
	var cleanupErr, cleanupInv error
	var cleanupLeft time.Duration
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		<-ctx.Done()
		cctx, cancel := middleware.CleanupContext(ctx)
		defer cancel()
		cleanupErr = cctx.Err()
		d, _ := cctx.Deadline()
		cleanupLeft = time.Until(d)
		if function.FromContext(cctx).RequestID != "req-1" {
			cleanupInv = errors.New("the cleanup context lost the invocation")
		}
		return nil, function.Permanent(errors.Join(errCause, ctx.Err()))
	})
	reserve := 2 * time.Second
	ctx := withInvocation(function.Invocation{RequestID: "req-1", Deadline: time.Now().Add(reserve + 20*time.Millisecond)})
	_, err := middleware.Timeout(middleware.TimeoutReserve(reserve))(h).Handle(ctx, testEvent(t, "e-1"))
	require.Error(t, err)
	assert.ErrorIs(t, err, middleware.ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, errCause, "wraps the handler's error")
	assert.True(t, function.IsRetryable(err), "a timeout is retryable even if the handler said permanent")
	assert.Equal(t, http.StatusGatewayTimeout, function.HTTPStatus(err))
	assert.Contains(t, err.Error(), "timed out")
	assert.Contains(t, err.Error(), "query cancelled", "the text names the cause")
	var te interface{ Timeout() bool }
	require.ErrorAs(t, err, &te)
	assert.True(t, te.Timeout())
	require.NoError(t, cleanupErr, "the cleanup context is still live")
	require.NoError(t, cleanupInv)
	assert.LessOrEqual(t, cleanupLeft, reserve)
	assert.Positive(t, cleanupLeft)
}

func TestTimeoutLeavesOtherErrors(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name string
		h    function.HandlerFunc
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{
			name: "handler fails in time",
			h:    func(context.Context, event.Event) (*event.Event, error) { return nil, function.Permanent(errBoom) },
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithCancel(withInvocation(function.Invocation{Deadline: time.Now().Add(time.Hour)}))
			},
		},
		{
			name: "caller cancelled",
			h: func(ctx context.Context, e event.Event) (*event.Event, error) {
				<-ctx.Done()
				return nil, function.Permanent(errBoom)
			},
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(withInvocation(function.Invocation{Deadline: time.Now().Add(time.Hour)}))
				cancel()
				return ctx, cancel
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			_, err := middleware.Timeout()(tt.h).Handle(ctx, testEvent(t, "e-1"))
			require.ErrorIs(t, err, errBoom)
			assert.NotErrorIs(t, err, middleware.ErrTimeout)
			assert.True(t, function.IsPermanent(err))
		})
	}
}

func TestTimeoutSuccessAfterDeadlineIsSuccess(t *testing.T) {
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		<-ctx.Done()
		return nil, nil
	})
	_, err := middleware.Timeout(middleware.TimeoutBudget(time.Millisecond))(h).Handle(context.Background(), testEvent(t, "e-1"))
	require.NoError(t, err)
}

func TestCleanupContextWithoutTimeout(t *testing.T) {
	tests := []struct {
		name    string
		ctx     context.Context
		maxLeft time.Duration
	}{
		{name: "no invocation", ctx: context.Background(), maxLeft: middleware.DefaultCleanup},
		{name: "platform deadline sooner", ctx: withInvocation(function.Invocation{Deadline: time.Now().Add(100 * time.Millisecond)}), maxLeft: 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent, cancel := context.WithCancel(tt.ctx)
			cancel()
			cctx, cancelCleanup := middleware.CleanupContext(parent)
			defer cancelCleanup()
			require.NoError(t, cctx.Err(), "not cancelled with its parent")
			d, ok := cctx.Deadline()
			require.True(t, ok)
			assert.LessOrEqual(t, time.Until(d), tt.maxLeft)
		})
	}
}

func TestTimeoutHTTP(t *testing.T) {
	tests := []struct {
		name string
		h    http.HandlerFunc
		want int
	}{
		{name: "overran without answering", h: func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, want: http.StatusGatewayTimeout},
		{name: "answered in time", h: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }, want: http.StatusCreated},
		{name: "answered after overrunning", h: func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
			w.WriteHeader(http.StatusServiceUnavailable)
		}, want: http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(middleware.TimeoutHTTP(middleware.TimeoutBudget(20 * time.Millisecond))(tt.h))
			defer srv.Close()
			resp, err := http.Get(srv.URL)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tt.want, resp.StatusCode)
		})
	}
}

func TestTimeoutHTTPWithoutDeadlinePassesThrough(t *testing.T) {
	var got *http.Request
	in := httptest.NewRequest(http.MethodGet, "/", nil)
	middleware.TimeoutHTTP()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r })).ServeHTTP(httptest.NewRecorder(), in)
	assert.Same(t, in, got)
}

func TestTimeoutWithoutDeadlineDoesNotAllocate(t *testing.T) {
	h := middleware.Timeout()(function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) { return nil, nil }))
	ctx := withInvocation(function.Invocation{RequestID: "r"})
	e := testEvent(t, "e-1")
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = h.Handle(ctx, e) }))
}
