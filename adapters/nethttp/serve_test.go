package nethttp_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/nethttp"
	"github.com/faasport/faasport/function"
)

// send posts a binary-mode event of type typ; safe to call off the test
// goroutine.
func send(url, typ string) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{}`))
	if err != nil {
		return 0, err
	}
	for k, v := range binaryHeaders(typ) {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func loopback(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return l
}

func TestServeDrainsInFlightRequests(t *testing.T) {
	h := &lifecycleHandler{release: make(chan struct{}), entered: make(chan struct{})}
	l := loopback(t)
	addr := l.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- nethttp.New(nethttp.Events(h), nethttp.WithLogger(quietLogger())).Serve(ctx, l) }()

	type result struct {
		status int
		err    error
	}
	inflight := make(chan result, 1)
	go func() {
		status, err := send("http://"+addr, "test.block")
		inflight <- result{status, err}
	}()
	<-h.entered
	cancel() // as SIGTERM would

	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 10*time.Second, 5*time.Millisecond, "the server stops accepting connections")
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	default:
	}

	close(h.release)
	r := <-inflight
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusNoContent, r.status, "the in-flight request completes")
	require.NoError(t, <-served)
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Equal(t, []string{"handled", "stopped"}, h.log, "stop hooks run after the drain")
}

func TestServeShutdownTimeout(t *testing.T) {
	stopped, entered := make(chan struct{}), make(chan struct{})
	h := function.HandlerFunc(func(ctx context.Context, _ event.Event) (*event.Event, error) {
		close(entered)
		<-ctx.Done() // only the shutdown timeout ends this request
		return nil, ctx.Err()
	})
	l := loopback(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- nethttp.New(nethttp.Events(stopHook{h, stopped}), nethttp.WithLogger(quietLogger()),
			nethttp.WithShutdownTimeout(50*time.Millisecond)).Serve(ctx, l)
	}()
	go func() { _, _ = send("http://"+l.Addr().String(), "test.slow") }()
	<-entered
	cancel()
	err := <-served
	assert.ErrorContains(t, err, "shutdown budget of 50ms spent: 1 requests still running were answered 503")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	select {
	case <-stopped:
	default:
		t.Fatal("stop hooks did not run")
	}
}

type stopHook struct {
	function.Handler
	stopped chan struct{}
}

func (s stopHook) Stop(context.Context) error { close(s.stopped); return nil }

func TestListenAndServePORT(t *testing.T) {
	l := loopback(t)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	t.Setenv("PORT", strconv.Itoa(port))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- nethttp.ListenAndServe(ctx, nethttp.Events(router(t)), nethttp.WithLogger(quietLogger()),
			nethttp.WithAddr("127.0.0.1")) // no port: PORT gives it
	}()
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	require.Eventually(t, func() bool {
		status, err := send(url, "test.none")
		return err == nil && status == http.StatusNoContent
	}, 10*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}

func TestListenAndServeBadPORT(t *testing.T) {
	t.Setenv("PORT", "http")
	err := nethttp.ListenAndServe(context.Background(), nethttp.Events(router(t)), nethttp.WithAddr("127.0.0.1"))
	assert.ErrorContains(t, err, `PORT "http" is not a TCP port number`)
}

func TestListenAndServeAddrInUse(t *testing.T) {
	l := loopback(t)
	defer l.Close()
	err := nethttp.ListenAndServe(context.Background(), nethttp.Events(router(t)), nethttp.WithAddr(l.Addr().String()))
	require.Error(t, err)
	var opErr *net.OpError
	assert.True(t, errors.As(err, &opErr), "the listen error is wrapped: %v", err)
}
