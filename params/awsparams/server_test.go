package awsparams_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// answer is what the fake service says to one call.
type answer struct {
	status int
	body   any
}

// awsFake speaks the AWS JSON 1.1 protocol on loopback: POST / with
// X-Amz-Target naming the operation, a JSON request and a JSON answer;
// errors carry their code in __type.
type awsFake struct {
	t     testing.TB
	srv   *httptest.Server
	calls atomic.Int64

	mu       sync.Mutex
	requests []map[string]any
	respond  func(target string, in map[string]any) answer
	gate     chan struct{}
}

func newAWSFake(t testing.TB, respond func(target string, in map[string]any) answer) *awsFake {
	t.Helper()
	f := &awsFake{t: t, respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *awsFake) serve(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		http.Error(w, "not AWS JSON 1.1", http.StatusBadRequest)
		return
	}
	if r.Header.Get("Authorization") == "" {
		http.Error(w, "unsigned", http.StatusForbidden)
		return
	}
	var in map[string]any
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, in)
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	a := f.respond(r.Header.Get("X-Amz-Target"), in)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "req-1")
	w.WriteHeader(a.status)
	_ = json.NewEncoder(w).Encode(a.body)
}

func (f *awsFake) lastRequest() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[len(f.requests)-1]
}

func awsError(status int, code, msg string) answer {
	return answer{status, map[string]string{"__type": code, "message": msg}}
}

var creds = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")

// ssmClient is a real SSM client pointed at f. Retries are off unless the
// test sets a retryer: a throttled answer must reach the mapping.
func (f *awsFake) ssmClient(opts ...func(*ssm.Options)) *ssm.Client {
	return ssm.New(ssm.Options{
		Region:       "eu-west-1",
		Credentials:  creds,
		BaseEndpoint: aws.String(f.srv.URL),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   f.srv.Client(),
	}, opts...)
}

func (f *awsFake) secretsClient(opts ...func(*secretsmanager.Options)) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		Region:       "eu-west-1",
		Credentials:  creds,
		BaseEndpoint: aws.String(f.srv.URL),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   f.srv.Client(),
	}, opts...)
}
