package gcf_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/gcf"
)

func TestRegisterWithoutHandler(t *testing.T) {
	assert.ErrorIs(t, gcf.Register("NoHandler"), gcf.ErrNoHandler)
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
	require.NoError(t, gcf.Register(name, gcf.Events(rec), gcf.WithGetenv(env()), gcf.WithLogger(quietLogger())))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	t.Setenv("FUNCTION_TARGET", "") // serve every registered function at /NAME
	go func() { _ = funcframework.StartHostPort("127.0.0.1", fmt.Sprint(port)) }()

	url := fmt.Sprintf("http://127.0.0.1:%d/%s", port, name)
	var resp *http.Response
	require.Eventually(t, func() bool {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(readTestdata(t, "push/message.json")))
		req.Header.Set("Content-Type", "application/json")
		resp, err = http.DefaultClient.Do(req)
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "the framework's server should come up")
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	e, inv := rec.only(t)
	assert.Equal(t, gcf.PubSubMessagePublished, e.Type())
	assert.Equal(t, 3, inv.Attempt)
}
