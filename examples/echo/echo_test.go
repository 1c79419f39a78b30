package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// process is the echo binary running as a separate process on a free port.
type process struct {
	url string
	mu  sync.Mutex
	out bytes.Buffer
}

// lines returns the JSON lines the process has written to stdout so far.
func (p *process) lines(t *testing.T) []map[string]any {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(p.out.Bytes()))
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "stdout line is not JSON: %s", sc.Text())
		out = append(out, m)
	}
	return out
}

func (p *process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func startEcho(t *testing.T) *process {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "echo")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run(), "build examples/echo")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())

	p := &process{url: "http://127.0.0.1:" + strconv.Itoa(port)}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
	cmd.Stdout = p
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			assert.NoError(t, err, "echo must exit cleanly on SIGINT")
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("echo did not stop within 10s of SIGINT")
		}
	})

	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	}, 20*time.Second, 20*time.Millisecond, "echo did not listen on PORT")
	return p
}

func TestEchoProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs examples/echo; skipped with -short")
	}
	p := startEcho(t)
	ctx := context.Background()

	t.Run("binary event is logged and echoed", func(t *testing.T) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+"/", strings.NewReader(`{"order":"o-1"}`))
		require.NoError(t, err)
		req.Header.Set("ce-specversion", "1.0")
		req.Header.Set("ce-id", "bin-1")
		req.Header.Set("ce-source", "/orders")
		req.Header.Set("ce-type", "com.example.order.created")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Equal(t, "bin-1", resp.Header.Get("ce-id"))
		assert.Equal(t, "com.example.order.created", resp.Header.Get("ce-type"))
		assert.JSONEq(t, `{"order":"o-1"}`, string(body))
		assertLogged(t, p, "bin-1", map[string]any{"order": "o-1"})
	})

	t.Run("structured event is logged and echoed", func(t *testing.T) {
		in := `{"specversion":"1.0","id":"str-1","source":"/orders","type":"com.example.order.created","datacontenttype":"application/json","data":{"order":"o-2"}}`
		resp, err := http.Post(p.url+"/", "application/cloudevents+json", strings.NewReader(in))
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Contains(t, resp.Header.Get("Content-Type"), "application/cloudevents+json")
		assert.JSONEq(t, in, string(body))
		assertLogged(t, p, "str-1", map[string]any{"order": "o-2"})
	})

	t.Run("plain request is described", func(t *testing.T) {
		resp, err := http.Post(p.url+"/hello?x=1&x=2", "text/plain", strings.NewReader("hi"))
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var got request
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
		assert.Equal(t, "POST", got.Method)
		assert.Equal(t, "/hello", got.Path)
		assert.Equal(t, []string{"1", "2"}, got.Query["x"])
		assert.Equal(t, []string{"text/plain"}, got.Headers["Content-Type"])
		assert.Equal(t, "hi", got.Body)
	})
}

// assertLogged checks that exactly one stdout line logged the event with id.
func assertLogged(t *testing.T, p *process, id string, data map[string]any) {
	t.Helper()
	var found []map[string]any
	require.Eventually(t, func() bool {
		found = found[:0]
		for _, l := range p.lines(t) {
			ev, _ := l["event"].(map[string]any)
			if l["msg"] == "event" && ev["id"] == id {
				found = append(found, ev)
			}
		}
		return len(found) > 0
	}, 5*time.Second, 10*time.Millisecond, "no log line for event %s", id)
	require.Len(t, found, 1, "event %s must be logged exactly once", id)
	assert.Equal(t, "1.0", found[0]["specversion"])
	assert.Equal(t, "/orders", found[0]["source"])
	assert.Equal(t, data, found[0]["data"])
}
