package lambda_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/testing/lambdatest"
)

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// buildEcho builds examples/echo as a Lambda bootstrap.
func buildEcho(t *testing.T) string {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err)
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-o", bin, "./examples/echo")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./examples/echo: %s", out)
	return bin
}

// loggedEvents returns the "event" attribute of every {"msg":"event"} line.
func loggedEvents(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		var line struct {
			Msg   string         `json:"msg"`
			Event map[string]any `json:"event"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "event" {
			out = append(out, line.Event)
		}
	}
	return out
}

func TestEchoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs examples/echo; skipped with -short")
	}
	bin := buildEcho(t)
	srv := lambdatest.NewServer(t)
	var stdout, stderr lockedBuffer
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), srv.Env()...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	start := time.Now()
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	// API Gateway HTTP API: the HTTP echo describes the request.
	v2 := mustJSON(t, events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/hello", RawQueryString: "name=you",
		Headers: map[string]string{"content-type": "text/plain"}, Body: "hi",
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", SourceIP: "127.0.0.1"}}})
	resp, err := srv.Invoke(ctx, v2)
	require.NoError(t, err)
	t.Logf("exec to first response: %v", time.Since(start))
	require.Nil(t, resp.Error, "stderr: %s", stderr.String())
	var v2r events.APIGatewayV2HTTPResponse
	require.NoError(t, json.Unmarshal(resp.Payload, &v2r))
	assert.Equal(t, 200, v2r.StatusCode)
	var described struct {
		Method, Path, Body string
		Query              map[string][]string
	}
	require.NoError(t, json.Unmarshal([]byte(v2r.Body), &described), v2r.Body)
	assert.Equal(t, "POST", described.Method)
	assert.Equal(t, "/hello", described.Path)
	assert.Equal(t, "hi", described.Body)
	assert.Equal(t, []string{"you"}, described.Query["name"])

	// ALB.
	alb := mustJSON(t, events.ALBTargetGroupRequest{HTTPMethod: "GET", Path: "/alb", Headers: map[string]string{"host": "alb"},
		RequestContext: events.ALBTargetGroupRequestContext{ELB: events.ELBContext{TargetGroupArn: "arn:tg"}}})
	resp, err = srv.Invoke(ctx, alb)
	require.NoError(t, err)
	require.Nil(t, resp.Error)
	var albr events.ALBTargetGroupResponse
	require.NoError(t, json.Unmarshal(resp.Payload, &albr))
	assert.Equal(t, "200 OK", albr.StatusDescription)
	assert.Contains(t, albr.Body, `"path":"/alb"`)

	// SQS batch: the CloudEvent body with "fail": true is the one failure;
	// "poison": true is acknowledged.
	const arn = "arn:aws:sqs:us-east-1:123456789012:q"
	ce := func(id, data string) string {
		return `{"specversion":"1.0","id":"` + id + `","source":"/test","type":"com.example.t","datacontenttype":"application/json","data":` + data + `}`
	}
	sqs := mustJSON(t, events.SQSEvent{Records: []events.SQSMessage{
		sqsRecord("ok-1", ce("ce-ok", `{"n":1}`), arn, "", 1),
		sqsRecord("bad-1", ce("ce-fail", `{"fail":true}`), arn, "", 1),
		sqsRecord("poison-1", ce("ce-poison", `{"poison":true}`), arn, "", 1),
		sqsRecord("plain-1", "plain body", arn, "", 1),
	}})
	resp, err = srv.Invoke(ctx, sqs)
	require.NoError(t, err)
	require.Nil(t, resp.Error)
	assert.JSONEq(t, `{"batchItemFailures":[{"itemIdentifier":"bad-1"}]}`, string(resp.Payload))

	// S3: the reply is the echoed event's data (the S3 record) as plain
	// JSON: the caller sent no CloudEvent, so it gets none back.
	resp, err = srv.Invoke(ctx, readTestdata(t, "s3-put.json"))
	require.NoError(t, err)
	require.Nil(t, resp.Error)
	var reply map[string]any
	require.NoError(t, json.Unmarshal(resp.Payload, &reply))
	assert.Equal(t, "ObjectCreated:Put", reply["eventName"], string(resp.Payload))
	assert.NotContains(t, reply, "specversion")

	// EventBridge: the envelope as a CloudEvent, replied to.
	eb := func(id, detail string) []byte {
		return []byte(`{"version":"0","id":"` + id + `","detail-type":"Order Placed","source":"com.example.shop","account":"123456789012","time":"2025-01-02T03:04:05Z","region":"us-east-1","resources":[],"detail":` + detail + `}`)
	}
	resp, err = srv.Invoke(ctx, eb("eb-1", `{"order":1}`))
	require.NoError(t, err)
	require.Nil(t, resp.Error)
	reply = nil
	require.NoError(t, json.Unmarshal(resp.Payload, &reply))
	assert.Equal(t, "Order Placed", reply["detail-type"], string(resp.Payload))

	// EventBridge carrying a CloudEvent that fails retryably: the runtime
	// gets an error response, so Lambda retries the asynchronous event.
	resp, err = srv.Invoke(ctx, eb("eb-2", ce("ce-eb", `{"fail":true}`)))
	require.NoError(t, err)
	require.NotNil(t, resp.Error)
	assert.Equal(t, "faasport.RetryableError", resp.Error.Type)

	// stdout: one line per event the handler received.
	require.Eventually(t, func() bool { return len(loggedEvents(t, stdout.String())) >= 7 }, 10*time.Second, 20*time.Millisecond)
	logged := loggedEvents(t, stdout.String())
	ids := map[string]string{}
	for _, e := range logged {
		id, _ := e["id"].(string)
		typ, _ := e["type"].(string)
		ids[id] = typ
	}
	assert.Equal(t, "com.example.t", ids["ce-ok"])
	assert.Equal(t, "com.example.t", ids["ce-fail"])
	assert.Equal(t, "com.amazonaws.sqs.message", ids["plain-1"])
	assert.Equal(t, "com.amazonaws.s3.ObjectCreated:Put", ids["7Q2RJ5EXAMPLE.hostid/EXAMPLE+abc="])
	assert.Equal(t, "com.amazonaws.events.Order Placed", ids["eb-1"])
	assert.Equal(t, "com.example.t", ids["ce-eb"])
	assert.Contains(t, stdout.String(), "permanent error", "the poison record is logged as acknowledged")

	// SIGTERM: the function drains and exits cleanly.
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		exited <- err
		assert.NoError(t, err, "stderr: %s", stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("echo did not exit after SIGTERM")
	}
}
