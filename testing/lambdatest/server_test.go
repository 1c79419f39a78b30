package lambdatest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/testing/lambdatest"
)

// runtimeAPI is a minimal runtime client, as a function would be.
type runtimeAPI struct{ base string }

func (c runtimeAPI) next(t *testing.T) (http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(c.base + "/2018-06-01/runtime/invocation/next")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.Header, body
}

func (c runtimeAPI) post(t *testing.T, path, body string, header ...string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestServer(t *testing.T) {
	srv := lambdatest.NewServer(t, lambdatest.WithTimeout(5*time.Second), lambdatest.WithFunctionARN("arn:aws:lambda:eu-west-1:1:function:fn"))
	c := runtimeAPI{base: "http://" + srv.Addr()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	assert.True(t, strings.HasPrefix(srv.Addr(), "127.0.0.1:"))
	assert.Contains(t, srv.Env(), "AWS_LAMBDA_FUNCTION_NAME=fn")

	tests := []struct {
		name    string
		answer  func(id string) int
		check   func(t *testing.T, r *lambdatest.Response)
		payload string
	}{
		{"response", func(id string) int {
			return c.post(t, "/2018-06-01/runtime/invocation/"+id+"/response", `{"ok":true}`, "Content-Type", "application/json")
		}, func(t *testing.T, r *lambdatest.Response) {
			assert.Nil(t, r.Error)
			assert.JSONEq(t, `{"ok":true}`, string(r.Payload))
			assert.Equal(t, "application/json", r.ContentType)
		}, `{"n":1}`},
		{"error", func(id string) int {
			return c.post(t, "/2018-06-01/runtime/invocation/"+id+"/error", `{"errorMessage":"boom","errorType":"MyError"}`)
		}, func(t *testing.T, r *lambdatest.Response) {
			require.NotNil(t, r.Error)
			assert.Equal(t, "MyError", r.Error.Type)
			assert.Equal(t, "boom", r.Error.Message)
		}, `{"n":2}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan *lambdatest.Response, 1)
			go func() {
				r, err := srv.Invoke(ctx, []byte(tc.payload), lambdatest.WithTraceID("Root=1-x"))
				assert.NoError(t, err)
				done <- r
			}()
			h, body := c.next(t)
			assert.Equal(t, tc.payload, string(body))
			id := h.Get("Lambda-Runtime-Aws-Request-Id")
			require.NotEmpty(t, id)
			assert.Equal(t, "arn:aws:lambda:eu-west-1:1:function:fn", h.Get("Lambda-Runtime-Invoked-Function-Arn"))
			assert.Equal(t, "Root=1-x", h.Get("Lambda-Runtime-Trace-Id"))
			ms, err := strconv.ParseInt(h.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
			require.NoError(t, err)
			assert.WithinDuration(t, time.Now().Add(5*time.Second), time.UnixMilli(ms), 2*time.Second)
			assert.Equal(t, http.StatusAccepted, tc.answer(id))
			r := <-done
			require.NotNil(t, r)
			assert.Equal(t, id, r.RequestID)
			tc.check(t, r)
			// An invocation is answered once.
			assert.Equal(t, http.StatusBadRequest, c.post(t, "/2018-06-01/runtime/invocation/"+id+"/response", `{}`))
		})
	}

	assert.Equal(t, http.StatusAccepted, c.post(t, "/2018-06-01/runtime/init/error", `{"errorMessage":"no config","errorType":"Init"}`))
	e, err := srv.InitError(ctx)
	require.NoError(t, err)
	assert.Equal(t, "Init", e.Type)
}

func TestInvokeStream(t *testing.T) {
	srv := lambdatest.NewServer(t)
	c := runtimeAPI{base: "http://" + srv.Addr()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	release := make(chan struct{})
	go func() {
		h, _ := c.next(t)
		pr, pw := io.Pipe()
		go func() {
			_, _ = io.WriteString(pw, "first,")
			<-release // the test has read "first," before the rest is written
			_, _ = io.WriteString(pw, "second")
			pw.Close()
		}()
		req, _ := http.NewRequest(http.MethodPost, c.base+"/2018-06-01/runtime/invocation/"+h.Get("Lambda-Runtime-Aws-Request-Id")+"/response", pr)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	st, err := srv.InvokeStream(ctx, []byte(`{}`))
	require.NoError(t, err)
	buf := make([]byte, len("first,"))
	_, err = io.ReadFull(st.Body, buf)
	require.NoError(t, err)
	assert.Equal(t, "first,", string(buf))
	close(release)
	rest, err := io.ReadAll(st.Body)
	require.NoError(t, err)
	assert.Equal(t, "second", string(rest))
}

func TestInvocationHeaders(t *testing.T) {
	srv := lambdatest.NewServer(t)
	c := runtimeAPI{base: "http://" + srv.Addr()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan *lambdatest.Response, 1)
	go func() {
		r, err := srv.Invoke(ctx, []byte(`{}`),
			lambdatest.WithClientContext(`{"custom":{"k":"v"}}`),
			lambdatest.WithCognitoIdentity(`{"cognitoIdentityId":"id-1"}`),
			lambdatest.WithTenantID("tenant-1"))
		assert.NoError(t, err)
		done <- r
	}()
	h, _ := c.next(t)
	assert.Equal(t, `{"custom":{"k":"v"}}`, h.Get("Lambda-Runtime-Client-Context"))
	assert.Equal(t, `{"cognitoIdentityId":"id-1"}`, h.Get("Lambda-Runtime-Cognito-Identity"))
	assert.Equal(t, "tenant-1", h.Get("Lambda-Runtime-Aws-Tenant-Id"))
	c.post(t, "/2018-06-01/runtime/invocation/"+h.Get("Lambda-Runtime-Aws-Request-Id")+"/response", `{}`)
	<-done

	// Without the options, the headers are absent, as on Lambda.
	go func() {
		r, err := srv.Invoke(ctx, []byte(`{}`))
		assert.NoError(t, err)
		done <- r
	}()
	h, _ = c.next(t)
	for _, k := range []string{"Lambda-Runtime-Client-Context", "Lambda-Runtime-Cognito-Identity", "Lambda-Runtime-Aws-Tenant-Id"} {
		assert.NotContains(t, h, k)
	}
	c.post(t, "/2018-06-01/runtime/invocation/"+h.Get("Lambda-Runtime-Aws-Request-Id")+"/response", `{}`)
	<-done
}

// TestErrorTrailer: a response that fails after it started carries the
// error in trailers, its report as base64-encoded JSON.
func TestErrorTrailer(t *testing.T) {
	srv := lambdatest.NewServer(t)
	c := runtimeAPI{base: "http://" + srv.Addr()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct{ body, wantMessage string }{
		{base64.StdEncoding.EncodeToString([]byte(`{"errorMessage":"disk full","errorType":"IOError"}`)), "disk full"},
		{"not base64 json", "not base64 json"},
	} {
		done := make(chan *lambdatest.Response, 1)
		go func() {
			r, err := srv.Invoke(ctx, []byte(`{}`))
			assert.NoError(t, err)
			done <- r
		}()
		h, _ := c.next(t)
		req, err := http.NewRequest(http.MethodPost, c.base+"/2018-06-01/runtime/invocation/"+h.Get("Lambda-Runtime-Aws-Request-Id")+"/response",
			io.MultiReader(strings.NewReader("partial"))) // unknown length: chunked, with trailers
		require.NoError(t, err)
		req.Trailer = http.Header{"Lambda-Runtime-Function-Error-Type": {"IOError"}, "Lambda-Runtime-Function-Error-Body": {tc.body}}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		r := <-done
		require.NotNil(t, r.Error)
		assert.Equal(t, "IOError", r.Error.Type)
		assert.Equal(t, tc.wantMessage, r.Error.Message)
		assert.Equal(t, "partial", string(r.Payload))
	}
}

func Example() {
	srv := lambdatest.New()
	defer srv.Close()
	// A function: take the next invocation, answer it in upper case.
	go func() {
		resp, err := http.Get("http://" + srv.Addr() + "/2018-06-01/runtime/invocation/next")
		if err != nil {
			return
		}
		payload, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		r, err := http.Post("http://"+srv.Addr()+"/2018-06-01/runtime/invocation/"+id+"/response", "application/json", bytes.NewReader(bytes.ToUpper(payload)))
		if err == nil {
			r.Body.Close()
		}
	}()
	r, err := srv.Invoke(context.Background(), []byte(`"hello"`))
	fmt.Println(string(r.Payload), r.Error, err)
	// Output: "HELLO" <nil> <nil>
}
