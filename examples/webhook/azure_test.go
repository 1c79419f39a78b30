package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/testing/azuretest"
)

// TestAzureApp runs the webhook as a custom handler under the test
// Functions host, with the function app in azure/ (host.json,
// Webhook/function.json): an anonymous HTTP function (the signature is
// the webhook's own authentication) under an empty route prefix, so the
// sender posts to /webhook.
func TestAzureApp(t *testing.T) {
	ctx := context.Background()
	l := newLedger()
	h := newHandler(l, config{secret: staticSecret(testSecret), store: memstate.New(), logger: quiet(), now: func() time.Time { return testNow }})
	host := azuretest.Start(t, "azure", azure.HTTP(h), azure.WithLogger(quiet()))

	assert.Empty(t, host.App.Host.RoutePrefix(), "routes are not under /api")
	fn := host.App.Functions["Webhook"]
	require.NotNil(t, fn, "the app has the Webhook function; it has %v", host.App.Names())
	assert.True(t, fn.HTTPOnly(), "the host forwards its requests as they are, the raw body the signature covers included")
	trig, ok := fn.Trigger()
	require.True(t, ok)
	assert.Equal(t, "anonymous", trig.Prop("authLevel"))

	serve := func(req *http.Request) *http.Response {
		t.Helper()
		resp, err := host.HTTP(ctx, "Webhook", req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	good := sign([]byte(testSecret), testNow.Add(-time.Minute), []byte(paid))
	resp := serve(signed(t, paid, good))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 1, l.count())
	resp = serve(signed(t, paid, good))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, 1, l.count(), "a retry is not processed again")
	resp = serve(signed(t, paid, sign([]byte("whsec_other"), testNow, []byte(paid))))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "a bad signature is refused")
}
