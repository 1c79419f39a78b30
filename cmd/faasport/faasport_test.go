package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	echoOnce sync.Once
	echoBin  string
	echoErr  error
)

// echoBinary builds examples/echo once for all tests.
func echoBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs examples/echo; not in -short mode")
	}
	echoOnce.Do(func() {
		dir, err := osMkdirTemp()
		if err != nil {
			echoErr = err
			return
		}
		echoBin = filepath.Join(dir, "echo")
		out, err := exec.Command("go", "build", "-o", echoBin, "../../examples/echo").CombinedOutput()
		if err != nil {
			echoErr = &buildError{err: err, out: string(out)}
		}
	})
	require.NoError(t, echoErr)
	return echoBin
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "go build examples/echo: " + e.err.Error() + "\n" + e.out }

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestInvokeEcho(t *testing.T) {
	bin := echoBinary(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{
			name: "Lambda SQS batch with a retryable and a permanent failure",
			args: []string{"invoke", "-quiet", bin, "sqs", "-bodies", `{"ok":1}`, "-bodies", `{"fail":true}`, "-bodies", `{"poison":true}`},
			want: []string{"platform: aws_lambda", "sent: SQS message", `"itemIdentifier": "fntest-2"`, "acknowledged: 2 of 3 fntest-1 fntest-3", "redelivered: 1 fntest-2"},
		},
		{
			name: "Lambda Kafka batch: the failed record and those after it are redelivered, by topic-partition:offset",
			args: []string{"invoke", "-quiet", bin, "kafka", "-bodies", `{"ok":1}`, "-bodies", `{"fail":true}`, "-bodies", `{"poison":true}`},
			want: []string{"sent: Kafka record", `"partition": "fntest-0"`, "acknowledged: 1 of 3 fntest-0:0\n", "redelivered: 2 fntest-0:1 fntest-0:2\n"},
		},
		{
			name: "Lambda S3 event, cold then warm",
			args: []string{"invoke", "-quiet", "-times", "2", bin, "s3", "-bucket", "photos", "-key", "a b.jpg"},
			want: []string{"invocation 1 (cold)", "invocation 2 (warm)", "acknowledged: yes", `a+b.jpg`},
		},
		{
			name: "Lambda SNS notification that fails",
			args: []string{"invoke", "-quiet", bin, "sns", "-body", `{"fail":true}`},
			want: []string{"answered: error faasport.RetryableError", "redelivered: all (1 record(s))"},
		},
		{
			name: "Lambda API Gateway REST request",
			args: []string{"invoke", "-quiet", bin, "apigw-v1", "-method", "POST", "-path", "/hello?name=you", "-body", "hi"},
			want: []string{"sent: API Gateway REST request", "answered: HTTP/1.1 200 OK", `"path":"/hello"`, `"name":["you"]`, `"body":"hi"`},
		},
		{
			name: "Lambda plain HTTP goes through an HTTP API",
			args: []string{"invoke", "-quiet", bin, "http", "-path", "/x"},
			want: []string{"sent: API Gateway HTTP API request", "200 OK", `"path":"/x"`},
		},
		{
			name: "Cloud Run Pub/Sub message that fails",
			args: []string{"invoke", "-quiet", "-platform", "cloudrun", bin, "pubsub", "-body", `{"fail":true}`},
			want: []string{"platform: gcp_cloud_run", "binary-mode CloudEvent google.cloud.pubsub.topic.v1.messagePublished", "503 Service Unavailable", "redelivered: yes"},
		},
		{
			name: "net/http storage object that is poison",
			args: []string{"invoke", "-quiet", "-platform", "http", bin, "storage", "-key", "x.json"},
			want: []string{"platform: http", "google.cloud.storage.object.v1.finalized", "200 OK", "acknowledged: yes"},
		},
		{
			name: "net/http plain request twice",
			args: []string{"invoke", "-quiet", "-platform", "http", "-times", "2", bin, "http", "-method", "PUT", "-path", "/items/1", "-header", "X-Test: yes", "-body", "b"},
			want: []string{"request 2", `"method":"PUT"`, `"X-Test":["yes"]`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCmd(t, tt.args...)
			require.Equal(t, 0, code, "stderr: %s\nstdout: %s", errOut, out)
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
		})
	}
}

func TestInvokePayloadFile(t *testing.T) {
	bin := echoBinary(t)
	file := filepath.Join(t.TempDir(), "event.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"specversion":"1.0","id":"p-1","source":"/cli","type":"com.example.t","data":{"fail":true}}`), 0o600))
	code, out, errOut := runCmd(t, "invoke", "-quiet", "-payload", file, bin)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "sent: payload "+file)
	assert.Contains(t, out, "answered: error faasport.RetryableError")

	code, out, errOut = runCmd(t, "invoke", "-quiet", "-platform", "http", "-payload", file, bin, "http", "-method", "POST",
		"-header", "Content-Type: application/cloudevents+json")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "503 Service Unavailable", "a structured-mode CloudEvent that fails")
	assert.Contains(t, out, "redelivered: yes")
}

func TestInvokeShowsFunctionLogs(t *testing.T) {
	bin := echoBinary(t)
	code, _, errOut := runCmd(t, "invoke", bin, "queue", "-body", `{"id":"o-9"}`)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, `"msg":"event"`, "the function's own log lines reach stderr")
}

func TestInvokeErrors(t *testing.T) {
	bin := echoBinary(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"Google source on Lambda", []string{"invoke", bin, "pubsub"}, 1, "does not reach Lambda"},
		{"Lambda source on Cloud Run", []string{"invoke", "-platform", "cloudrun", bin, "sqs"}, 1, "does not reach gcp_cloud_run"},
		{"API Gateway on net/http", []string{"invoke", "-platform", "http", bin, "apigw-v2"}, 1, "reaches Lambda only"},
		{"unknown source", []string{"invoke", bin, "carrier-pigeon"}, 1, "unknown source"},
		{"unknown platform", []string{"invoke", "-platform", "mainframe", bin}, 2, "unknown platform"},
		{"missing binary", []string{"invoke", filepath.Join(t.TempDir(), "nothing")}, 1, "the function binary"},
		{"not a Lambda bootstrap", []string{"invoke", "-timeout", "5s", "/bin/true"}, 1, "exited before answering"},
		{"not an HTTP server", []string{"invoke", "-platform", "http", "/bin/true"}, 1, "exited before listening"},
		{"bad attribute", []string{"invoke", bin, "sqs", "-attr", "novalue"}, 1, "write name=value"},
		{"never sent", []string{"invoke", "-times", "0", bin}, 1, "at least once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCmd(t, tt.args...)
			assert.Equal(t, tt.code, code)
			assert.Contains(t, errOut, tt.want)
		})
	}
}

func TestEvent(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"SQS batch", []string{"event", "sqs", "-batch", "2", "-group", "g"}, []string{`"messageId": "fntest-2"`, `"MessageGroupId": "g"`, "fntest.fifo"}},
		{"queue on Google", []string{"event", "queue", "-platform", "gcf"}, []string{`"type": "google.cloud.pubsub.topic.v1.messagePublished"`}},
		{"Google source picks its platform", []string{"event", "firestore", "-old", `{"id":"o-1","qty":1}`}, []string{"google.cloud.firestore.document.v1.updated", "documents/orders/o-1", `"integerValue": "2"`}},
		{"DynamoDB", []string{"event", "dynamodb"}, []string{`"eventName": "INSERT"`, `"N": "2"`}},
		{"schedule", []string{"event", "schedule", "-name", "hourly"}, []string{"rule/hourly", "Scheduled Event"}},
		{"plain HTTP", []string{"event", "http", "-method", "POST", "-path", "/x", "-body", "hi"}, []string{"POST /x HTTP/1.1", "hi"}},
		{"plain HTTP on Lambda", []string{"event", "http", "-platform", "lambda"}, []string{`"routeKey": "$default"`}},
		{"Function URL", []string{"event", "function-url"}, []string{".lambda-url."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tt.args...)
			require.Equal(t, 0, code, errOut)
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
			if !strings.HasPrefix(out, "POST") {
				assert.True(t, json.Valid([]byte(out)), "the sample is JSON: %s", out)
			}
		})
	}
}

func TestEventErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no source", []string{"event"}, 2, "usage: faasport event"},
		{"unknown source", []string{"event", "fax"}, 1, "unknown source"},
		{"no shape on that platform", []string{"event", "sqs", "-platform", "gcf"}, 1, "has no gcp_cloud_functions shape"},
		{"bad JSON item", []string{"event", "dynamodb", "-new", "{"}, 1, "-new"},
		{"bad time", []string{"event", "sqs", "-time", "yesterday"}, 1, "-time"},
		{"stray argument", []string{"event", "sqs", "-body", "x", "extra"}, 2, "unexpected argument"},
		{"no records", []string{"event", "sqs", "-batch", "0"}, 1, "-batch 0"},
		{"batch larger than Lambda's", []string{"event", "kafka", "-batch", "100000000000"}, 1, "from 1 to 10000"},
		{"unknown command", []string{"deploy"}, 2, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCmd(t, tt.args...)
			assert.Equal(t, tt.code, code)
			assert.Contains(t, errOut, tt.want)
		})
	}
}

func TestSources(t *testing.T) {
	code, out, _ := runCmd(t, "sources")
	require.Equal(t, 0, code)
	for _, s := range []string{"sqs", "sns", "kinesis", "kafka", "s3", "dynamodb", "eventbridge", "eventbridge-schedule",
		"apigw-v1", "apigw-v2", "alb", "function-url", "http", "pubsub", "gcs", "firestore", "cloud-scheduler", "eventarc",
		"queue", "storage", "change", "schedule", "bus"} {
		assert.Contains(t, out, "  "+s+" ")
	}
}

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "faasport-test-") }
