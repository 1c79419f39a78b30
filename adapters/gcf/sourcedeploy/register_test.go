package sourcedeploy_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/adapters/gcf/sourcedeploy"
	"github.com/faasport/faasport/function"
)

func TestRegisterWithoutHandler(t *testing.T) {
	assert.ErrorIs(t, sourcedeploy.Register("NoHandler"), gcf.ErrNoHandler)
}

// A registered function is served by the framework's own server, as after a
// source deploy, and still handles events as the adapter does. The
// framework's server cannot be stopped; it lives on 127.0.0.1 until the test
// binary exits.
func TestRegister(t *testing.T) {
	rec := &recorder{}
	// The registry is the process's: a name registered twice (go test
	// -count=2) would end the process, so each run takes a new one.
	name := fmt.Sprintf("RegisterTest%d", time.Now().UnixNano())
	require.NoError(t, sourcedeploy.Register(name, gcf.Events(rec), gcf.WithGetenv(func(string) string { return "" }), gcf.WithLogger(slog.New(slog.DiscardHandler))))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	t.Setenv("FUNCTION_TARGET", "") // serve every registered function at /NAME
	go func() { _ = funcframework.StartHostPort("127.0.0.1", fmt.Sprint(port)) }()

	url := fmt.Sprintf("http://127.0.0.1:%d/%s", port, name)
	var resp *http.Response
	require.Eventually(t, func() bool {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(push))
		req.Header.Set("Content-Type", "application/json")
		resp, err = http.DefaultClient.Do(req)
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "the framework's server should come up")
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, rec.events, 1)
	assert.Equal(t, gcf.PubSubMessagePublished, rec.events[0].Type())
	assert.Equal(t, 3, rec.invs[0].Attempt)
}

const push = `{"message":{"data":"eyJvcmRlcklkIjoiby0xMDQ0In0=","messageId":"9001","publishTime":"2024-05-17T11:00:00Z"},"subscription":"projects/p/subscriptions/s","deliveryAttempt":3}`

// recorder is an event handler that keeps what it receives.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
	invs   []function.Invocation
}

func (r *recorder) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	r.invs = append(r.invs, *function.FromContext(ctx))
	return nil, nil
}
