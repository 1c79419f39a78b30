package frontdoor_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
)

// The attacks of issue 9, each replayed against a real loopback server.

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// rawRequest opens a connection and writes head (and body) without
// waiting for an answer.
func rawRequest(t *testing.T, addr, head string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	_, err = io.WriteString(c, head)
	require.NoError(t, err)
	return c
}

// readStatus reads the status code of the answer on c, with a generous
// safety deadline so that a hung server fails the test instead of hanging it.
func readStatus(t *testing.T, c net.Conn) int {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err, "the server must answer, not hang")
	_ = resp.Body.Close()
	return resp.StatusCode
}

// serveLoopback runs d on a loopback listener until the test ends.
func serveLoopback(t *testing.T, d *frontdoor.Door) string {
	t.Helper()
	l := loopback(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Serve(ctx, l) }()
	t.Cleanup(func() { cancel(); <-done })
	return l.Addr().String()
}

// Bodies announced but never sent cost what arrived, not what was
// announced: 64 connections announcing 8 MiB each, sending 100 bytes,
// must not take 512 MiB (the old adapter allocated the announced length).
func TestAnnouncedBodiesCostWhatArrives(t *testing.T) {
	const conns, announced = 64, 8 << 20
	d := newDoor(t, testProfile(), frontdoor.Events((*seen)(nil).handler()), frontdoor.WithReadTimeout(30*time.Second))
	addr := serveLoopback(t, d)
	before := heapInUse()
	var cs []net.Conn
	for i := range conns {
		head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nCe-Specversion: 1.0\r\nCe-Id: %d\r\nCe-Source: /s\r\nCe-Type: test.ok\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			i, announced, strings.Repeat(" ", 100))
		cs = append(cs, rawRequest(t, addr, head))
	}
	// Let the server take up every request and start reading the bodies.
	time.Sleep(300 * time.Millisecond)
	grown := int64(heapInUse()) - int64(before)
	t.Logf("heap grew by %d KiB for %d stalled %d MiB bodies", grown>>10, conns, announced>>20)
	assert.Less(t, grown, int64(conns*(64<<10)*2+16<<20), "memory must follow the bytes received (at most 64 KiB up front each)")
	for _, c := range cs {
		_ = c.Close()
	}
}

// A batch of invalid elements is refused at the first one, and memory per
// batch stays a fraction of the batch: 16 concurrent 4 MiB batches of {}.
func TestInvalidBatchesAreNotAmplified(t *testing.T) {
	d := newDoor(t, testProfile(), frontdoor.Events((*seen)(nil).handler()))
	srv := httptest.NewServer(d)
	defer srv.Close()
	body := "[" + strings.Repeat("{},", 4<<20/3) + "{}]"
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	var wg sync.WaitGroup
	var bad atomic.Int32
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(srv.URL, frontdoor.MediaTypeBatch, strings.NewReader(body))
			if err != nil {
				return // the server may close before reading it all
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	runtime.ReadMemStats(&m1)
	alloc := m1.TotalAlloc - m0.TotalAlloc
	t.Logf("16 batches of %d MiB: %d MiB allocated in all (client included)", len(body)>>20, alloc>>20)
	assert.Zero(t, bad.Load(), "every batch is refused 400")
	// The client's own copies of the body are most of it; the old decoder
	// materialised every element first (2.6 GiB for 16 × 6 MB).
	assert.Less(t, alloc, uint64(len(body)), "16 batches together must cost less than one batch's size")
}

// A batch over the count limit is refused before the handler runs.
func TestBatchCountLimit(t *testing.T) {
	s := newSeen()
	d := newDoor(t, testProfile(), frontdoor.Events(s.handler()), frontdoor.WithMaxBatchEvents(3))
	ev := `{"specversion":"1.0","id":"1","source":"/s","type":"test.ok"}`
	w := serve(d, http.MethodPost, "/", map[string]string{"Content-Type": frontdoor.MediaTypeBatch}, "["+strings.Repeat(ev+",", 3)+ev+"]")
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Contains(t, w.Body.String(), "more than 3 events")
	assert.Empty(t, s.events)
	w = serve(d, http.MethodPost, "/", map[string]string{"Content-Type": frontdoor.MediaTypeBatch}, "["+strings.Repeat(ev+",", 2)+ev+"]")
	assert.Equal(t, http.StatusNoContent, w.Code)
}

// A client trickling its body is cut off at the read deadline, whether the
// door runs its own server or is mounted in another.
func TestSlowBodyIsCutOff(t *testing.T) {
	for _, tc := range []struct {
		name  string
		serve func(t *testing.T, d *frontdoor.Door) string
	}{
		{"own server", serveLoopback},
		{"mounted in httptest", func(t *testing.T, d *frontdoor.Door) string {
			srv := httptest.NewServer(d)
			t.Cleanup(srv.Close)
			return srv.Listener.Addr().String()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDoor(t, testProfile(), frontdoor.Events((*seen)(nil).handler()), frontdoor.WithReadTimeout(200*time.Millisecond))
			addr := tc.serve(t, d)
			c := rawRequest(t, addr, "POST / HTTP/1.1\r\nHost: x\r\nCe-Specversion: 1.0\r\nCe-Id: 1\r\nCe-Source: /s\r\nCe-Type: test.ok\r\nContent-Length: 100\r\n\r\n{")
			defer c.Close()
			stop := make(chan struct{})
			go func() { // one byte every 50 ms: never done within 200 ms
				for {
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond):
						if _, err := c.Write([]byte(" ")); err != nil {
							return
						}
					}
				}
			}()
			defer close(stop)
			_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err == nil {
				_ = resp.Body.Close()
				assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
				return
			}
			var ne net.Error
			require.False(t, errors.As(err, &ne) && ne.Timeout(), "the server must cut the connection off, not wait: %v", err)
		})
	}
}

// A body over the limit is refused on every path: binary events, plain
// HTTP and the body-sniffed formats, with or without Content-Length.
func TestBodyLimitOnEveryPath(t *testing.T) {
	big := strings.Repeat("x", 2048)
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	for _, tc := range []struct {
		name    string
		opts    []frontdoor.Option
		headers map[string]string
		chunked bool
		body    string
	}{
		{"binary event", nil, binaryHeaders("test.ok"), false, ""},
		{"binary event, chunked", nil, binaryHeaders("test.ok"), true, ""},
		{"structured event", nil, map[string]string{"Content-Type": frontdoor.MediaTypeStructured}, false, ""},
		{"batch, chunked", nil, map[string]string{"Content-Type": frontdoor.MediaTypeBatch}, true, `["` + big + `"]`},
		{"push body", nil, map[string]string{"Content-Type": "application/json"}, false, ""},
		{"plain HTTP", []frontdoor.Option{frontdoor.HTTP(web)}, map[string]string{"Content-Type": "text/plain"}, false, ""},
		{"plain HTTP, chunked", []frontdoor.Option{frontdoor.HTTP(web)}, map[string]string{"Content-Type": "text/plain"}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSeen()
			d := newDoor(t, testProfile(), append(tc.opts, frontdoor.Events(s.handler()), frontdoor.WithMaxBodyBytes(1024))...)
			srv := httptest.NewServer(d)
			defer srv.Close()
			if tc.body == "" {
				tc.body = big
			}
			var body io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				body = io.MultiReader(strings.NewReader(tc.body)) // no length: sent chunked
			}
			req, err := http.NewRequest(http.MethodPost, srv.URL, body)
			require.NoError(t, err)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
			assert.Empty(t, s.events, "the handler must not run")
		})
	}
}

// Headers over the limit are answered 431, mounted or not.
func TestHeaderLimit(t *testing.T) {
	d := newDoor(t, testProfile(), frontdoor.Events((*seen)(nil).handler()), frontdoor.WithMaxHeaderBytes(1024))
	h := binaryHeaders("test.ok")
	h["X-Padding"] = strings.Repeat("p", 2048)
	w := serve(d, http.MethodPost, "/", h, `{}`)
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, w.Code)

	addr := serveLoopback(t, d)
	c := rawRequest(t, addr, "POST / HTTP/1.1\r\nHost: x\r\nX-Padding: "+strings.Repeat("p", 8<<10)+"\r\nContent-Length: 0\r\n\r\n")
	defer c.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, readStatus(t, c))
}

// A panic after the response started aborts the connection: the client
// sees a broken response, never a complete-looking 200. A panic before
// it answers 500 without the headers the handler had set.
func TestPanicAfterWriteAbortsTheConnection(t *testing.T) {
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Secret", "internal")
		if r.URL.Path == "/late" {
			_, _ = io.WriteString(w, "partial")
			http.NewResponseController(w).Flush()
		}
		panic("boom")
	})
	d := newDoor(t, testProfile(), frontdoor.HTTP(web))
	srv := httptest.NewServer(d)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/late")
	require.NoError(t, err)
	_, err = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Error(t, err, "the body must be cut off, not end cleanly")

	resp, err = http.Get(srv.URL + "/early")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("X-Secret"), "headers set before the panic are dropped")
	assert.NotContains(t, string(b), "boom")
}

// An event that can never succeed — binary mode, JSON content type, a body
// that is not JSON, a typed handler — is permanent: acknowledged, not 500.
func TestUndecodableEventIsPermanent(t *testing.T) {
	h := function.Consume(func(context.Context, struct{ Qty int }) error { return nil })
	d := newDoor(t, testProfile(), frontdoor.Events(h))
	w := serve(d, http.MethodPost, "/", binaryHeaders("test.order"), `qty=1`)
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.False(t, frontdoor.Redelivered(w.Code))
	assert.Contains(t, w.Body.String(), frontdoor.ProblemTypePermanent)
}

// Past the shutdown budget, a request that has written nothing is answered
// 503; stop hooks run only once every handler has returned.
func TestShutdownBudget(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	var running atomic.Int32
	var stoppedWhileRunning atomic.Bool
	h := &stopper{
		Handler: function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
			running.Add(1)
			defer running.Add(-1)
			entered <- struct{}{}
			<-release // ignores its context: a handler that overruns
			return nil, nil
		}),
		stop: func() { stoppedWhileRunning.Store(running.Load() > 0) },
	}
	d := newDoor(t, testProfile(), frontdoor.Events(h), frontdoor.WithShutdownTimeout(100*time.Millisecond))
	l := loopback(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- d.Serve(ctx, l) }()

	c := rawRequest(t, l.Addr().String(), "POST / HTTP/1.1\r\nHost: x\r\nCe-Specversion: 1.0\r\nCe-Id: 1\r\nCe-Source: /s\r\nCe-Type: test.hang\r\nContent-Length: 2\r\n\r\n{}")
	defer c.Close()
	<-entered
	cancel()
	assert.Equal(t, http.StatusServiceUnavailable, readStatus(t, c))
	select {
	case err := <-served:
		t.Fatalf("Serve returned while a handler still runs: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	err := <-served
	assert.ErrorContains(t, err, "answered 503")
	assert.True(t, h.stopped.Load(), "stop hooks ran")
	assert.False(t, stoppedWhileRunning.Load(), "stop hooks ran only after every handler returned")
}

type stopper struct {
	function.Handler
	stop    func()
	stopped atomic.Bool
}

func (s *stopper) Stop(context.Context) error {
	s.stop()
	s.stopped.Store(true)
	return nil
}

// An HTTP handler still setting headers when the shutdown budget passes
// shares no map with the door's 503 (run with -race).
func TestShutdownBudgetWhileSettingHeaders(t *testing.T) {
	entered := make(chan struct{}, 1)
	stop := make(chan struct{})
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
				w.Header().Set("X-Progress", fmt.Sprint(i))
			}
		}
	})
	d := newDoor(t, testProfile(), frontdoor.HTTP(web), frontdoor.WithShutdownTimeout(50*time.Millisecond))
	l := loopback(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- d.Serve(ctx, l) }()
	c := rawRequest(t, l.Addr().String(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	defer c.Close()
	<-entered
	cancel()
	assert.Equal(t, http.StatusServiceUnavailable, readStatus(t, c))
	close(stop)
	assert.ErrorContains(t, <-served, "answered 503")
}
