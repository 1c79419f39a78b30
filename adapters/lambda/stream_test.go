package lambda_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/testing/lambdatest"
)

// childEnv makes the test binary act as a Lambda function (see TestMain).
const childEnv = "FAASPORT_LAMBDA_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "stream" {
		os.Exit(streamingFunction())
	}
	os.Exit(m.Run())
}

// streamingFunction serves a handler that flushes "first", waits until the
// test has received it, then writes "second".
func streamingFunction() int {
	next := os.Getenv("FAASPORT_CONTINUE_URL")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Test", "1")
		_, _ = io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		if resp, err := http.Get(next); err == nil {
			resp.Body.Close()
		}
		_, _ = io.WriteString(w, "second\n")
	})
	if err := lambda.Start(context.Background(), lambda.HTTP(h), lambda.WithResponseStreaming()); err != nil {
		return 1
	}
	return 0
}

func TestFunctionURLStreaming(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the test binary as a function; skipped with -short")
	}
	release := make(chan struct{})
	cont := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer cont.Close()
	var once sync.Once
	var released atomic.Bool
	unblock := func() { once.Do(func() { released.Store(true); close(release) }) }
	defer unblock()
	// A buffered response would wait for the handler, which waits for the
	// release: give up after a while so the test fails instead of hanging.
	watchdog := time.AfterFunc(20*time.Second, unblock)
	defer watchdog.Stop()

	srv := lambdatest.NewServer(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), srv.Env()...)
	cmd.Env = append(cmd.Env, childEnv+"=stream", "FAASPORT_CONTINUE_URL="+cont.URL)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	payload := mustJSON(t, events.LambdaFunctionURLRequest{Version: "2.0", RawPath: "/stream",
		RequestContext: events.LambdaFunctionURLRequestContext{DomainName: "abc.lambda-url.us-east-1.on.aws",
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: "GET"}}})
	st, err := srv.InvokeStream(ctx, payload)
	require.NoError(t, err)
	assert.Equal(t, "application/vnd.awslambda.http-integration-response", st.ContentType)

	// The prelude: the status and headers as JSON, then eight NUL bytes.
	rd := bufio.NewReader(st.Body)
	prelude, err := rd.ReadBytes(0)
	require.NoError(t, err)
	var head struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
	}
	require.NoError(t, json.Unmarshal(prelude[:len(prelude)-1], &head), string(prelude))
	assert.Equal(t, 200, head.StatusCode)
	assert.Equal(t, "1", head.Headers["X-Test"])
	_, err = io.ReadFull(rd, make([]byte, 7))
	require.NoError(t, err)

	// "first" arrives while the handler is still blocked: it was streamed.
	line, err := rd.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "first\n", line)
	require.False(t, released.Load(), "the first line arrived only after the handler finished: the response was not streamed")
	unblock()
	rest, err := io.ReadAll(rd)
	require.NoError(t, err)
	assert.Equal(t, "second\n", string(rest))
}

func TestStartChecksItsArguments(t *testing.T) {
	noEnv := lambda.WithGetenv(func(string) string { return "" })
	assert.ErrorIs(t, lambda.Start(context.Background(), noEnv), lambda.ErrNoHandler)
	assert.ErrorIs(t, lambda.Start(context.Background(), noEnv, lambda.HTTP(http.NotFoundHandler())), lambda.ErrNotOnLambda)
}
