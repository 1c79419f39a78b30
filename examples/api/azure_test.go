package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/testing/azuretest"
)

// TestAzureApp runs the API as a custom handler under the test Functions
// host, with the function app in azure/ (host.json, Api/function.json):
// one anonymous HTTP function takes every path, and the empty route prefix
// keeps the paths the mux matches (/items, not /api/items).
func TestAzureApp(t *testing.T) {
	ctx := context.Background()
	host := azuretest.Start(t, "azure", azure.HTTP(newHandler(newCatalog(), memstate.New(), quiet())), azure.WithLogger(quiet()))

	assert.Empty(t, host.App.Host.RoutePrefix(), "routes are not under /api")
	fn := host.App.Functions["Api"]
	require.NotNil(t, fn, "the app has the Api function; it has %v", host.App.Names())
	assert.True(t, fn.HTTPOnly(), "the host forwards its requests as they are")
	trig, ok := fn.Trigger()
	require.True(t, ok)
	assert.Equal(t, "{*path}", trig.Prop("route"))
	assert.Equal(t, "anonymous", trig.Prop("authLevel"))

	serve := func(req *http.Request) *http.Response {
		t.Helper()
		resp, err := host.HTTP(ctx, "Api", req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	const lamp = `{"name":"lamp","price_cents":1999}`
	resp := serve(request(t, "POST", "/items", lamp, "Idempotency-Key", "k-1"))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "/items/item-1", resp.Header.Get("Location"))
	resp = serve(request(t, "POST", "/items", lamp, "Idempotency-Key", "k-1"))
	require.Equal(t, http.StatusCreated, resp.StatusCode, "a retried POST gets the first answer")
	assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"))
	resp = serve(request(t, "GET", "/items/item-1", ""))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"id":"item-1","name":"lamp","price_cents":1999}`, bodyOf(t, resp))
}
