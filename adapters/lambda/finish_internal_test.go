package lambda

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
)

// streamFinisher writes a body and counts Finish calls.
type streamFinisher struct {
	finishes  atomic.Int32
	finishing atomic.Bool
}

func (s *streamFinisher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.finishing.Store(function.Finishing(r.Context()))
	_, _ = io.WriteString(w, "body")
}

func (s *streamFinisher) Finish(context.Context) { s.finishes.Add(1) }

func TestStreamingFinishBeforeBodyEnds(t *testing.T) {
	s := &streamFinisher{}
	h := New(HTTP(s), WithResponseStreaming())
	req := events.LambdaFunctionURLRequest{Version: "2.0", RawPath: "/",
		RequestContext: events.LambdaFunctionURLRequestContext{DomainName: "abc.lambda-url.us-east-1.on.aws",
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: "GET"}}}
	payload, err := json.Marshal(req)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := h.invokeStreaming(ctx, payload)
	require.NoError(t, err)
	resp, ok := out.(*events.LambdaFunctionURLStreamingResponse)
	require.True(t, ok, "a Function URL request streams; got %T", out)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "body", string(body))
	assert.Equal(t, int32(1), s.finishes.Load(), "Finish ran once, before the body's end")
	assert.True(t, s.finishing.Load())
}
