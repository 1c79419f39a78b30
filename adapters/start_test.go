package adapters_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters"
	"github.com/faasport/faasport/function"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want function.Platform
	}{
		{name: "nothing set", want: function.PlatformHTTP},
		{name: "only PORT", env: map[string]string{"PORT": "9000"}, want: function.PlatformHTTP},
		{name: "Lambda", env: map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, want: function.PlatformLambda},
		{name: "Cloud Functions", env: map[string]string{"FUNCTION_TARGET": "Echo", "K_SERVICE": "echo"}, want: function.PlatformCloudFunctions},
		{name: "Cloud Run", env: map[string]string{"K_SERVICE": "echo"}, want: function.PlatformCloudRun},
		{name: "Azure Functions", env: map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "7071"}, want: function.PlatformAzureFunctions},
		{name: "Azure beside a stray K_SERVICE", env: map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "7071", "K_SERVICE": "y"}, want: function.PlatformAzureFunctions},
		{name: "Lambda wins", env: map[string]string{"AWS_LAMBDA_RUNTIME_API": "x", "K_SERVICE": "y"}, want: function.PlatformLambda},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, adapters.Detect(env(tt.env)))
		})
	}
}

func TestRunNeedsAHandler(t *testing.T) {
	err := adapters.Run(context.Background())
	assert.ErrorIs(t, err, adapters.ErrNoHandler)
}

// Run serves plain net/http on PORT when no platform is detected, and
// returns nil once its context ends.
func TestRunServesHTTPUntilCancelled(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	require.NoError(t, l.Close())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- adapters.Run(ctx, adapters.WithGetenv(env(map[string]string{"PORT": port})), adapters.HTTP(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "ok")
		})))
	}()

	var body []byte
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://127.0.0.1:" + port + "/")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ = io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, "ok", string(body))

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
