package gcf_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/functions/metadata"
	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/stretchr/testify/require"
)

// framework is the real Functions Framework, run through its public API
// on a loopback port: a CloudEvent function at /ce and a background
// (legacy) function at /bg, each handing what it received to the test
// through a channel. The framework's server cannot be stopped; it serves
// until the test binary exits, so it is started once.
type framework struct {
	url    string
	events chan cloudevents.Event
	legacy chan frameworkLegacy
}

// frameworkLegacy is what a framework background function receives.
type frameworkLegacy struct {
	md   *metadata.Metadata
	data json.RawMessage
}

var (
	fwOnce sync.Once
	fw     *framework
	fwErr  error
)

func startFramework(t testing.TB) *framework {
	t.Helper()
	fwOnce.Do(func() {
		f := &framework{events: make(chan cloudevents.Event, 1), legacy: make(chan frameworkLegacy, 1)}
		ctx := context.Background()
		if fwErr = funcframework.RegisterCloudEventFunctionContext(ctx, "/ce", func(ctx context.Context, e cloudevents.Event) error {
			f.events <- e
			return nil
		}); fwErr != nil {
			return
		}
		if fwErr = funcframework.RegisterEventFunctionContext(ctx, "/bg", func(ctx context.Context, data json.RawMessage) error {
			md, err := metadata.FromContext(ctx)
			if err != nil {
				return err
			}
			f.legacy <- frameworkLegacy{md: md, data: data}
			return nil
		}); fwErr != nil {
			return
		}
		if fwErr = funcframework.RegisterCloudEventFunctionContext(ctx, "/bench", func(context.Context, cloudevents.Event) error { return nil }); fwErr != nil {
			return
		}
		var l net.Listener
		if l, fwErr = net.Listen("tcp", "127.0.0.1:0"); fwErr != nil {
			return
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		// Without FUNCTION_TARGET the framework serves every function at
		// its path; t.Setenv cannot be used from a sync.Once shared by tests.
		go func() { _ = funcframework.StartHostPort("127.0.0.1", fmt.Sprint(port)) }()
		f.url = fmt.Sprintf("http://127.0.0.1:%d", port)
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			resp, err := http.Get(f.url + "/nothing-here")
			if err == nil {
				_ = resp.Body.Close()
				fw = f
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		fwErr = fmt.Errorf("the Functions Framework did not come up on port %d", port)
	})
	require.NoError(t, fwErr)
	return fw
}
