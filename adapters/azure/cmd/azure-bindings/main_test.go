package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/azure"
)

func TestGeneratedAppLoads(t *testing.T) {
	dir := t.TempDir()
	runs := [][]string{
		{"-function", "Orders", "-trigger", "queue", "-entity", "orders", "-return", "queue:orders-done"},
		{"-function", "Audit", "-trigger", "servicebus", "-entity", "events/audit"},
		{"-function", "Telemetry", "-trigger", "eventhubs", "-entity", "telemetry", "-one"},
		{"-function", "Uploads", "-trigger", "blob", "-entity", "uploads/{name}", "-binary"},
		{"-function", "Changes", "-trigger", "cosmosdb", "-entity", "shop/orders"},
		{"-function", "Api", "-trigger", "http", "-route", "{*path}"},
		{"-function", "Tick", "-trigger", "timer"},
		{"-function", "Grid", "-trigger", "eventgrid"},
	}
	for _, args := range runs {
		require.NoError(t, run(append([]string{"-app", dir}, args...), io.Discard), "%v", args)
	}
	app, err := azure.LoadApp(dir)
	require.NoError(t, err)
	require.NotNil(t, app.Host.CustomHandler)
	assert.True(t, app.Host.CustomHandler.EnableForwardingHTTPRequest)
	assert.Equal(t, "handler", app.Host.CustomHandler.Description.DefaultExecutablePath)
	require.NotNil(t, app.Host.Extensions.HTTP.RoutePrefix, "host.json sets the route prefix")
	assert.Empty(t, app.Host.RoutePrefix(), "HTTP routes are at the root by default")

	tests := []struct {
		function, kind, prop, want string
	}{
		{"Orders", azure.KindQueue, "queueName", "orders"},
		{"Audit", azure.KindServiceBus, "subscriptionName", "audit"},
		{"Telemetry", azure.KindEventHubs, "eventHubName", "telemetry"},
		{"Uploads", azure.KindBlob, "path", "uploads/{name}"},
		{"Changes", azure.KindCosmosDB, "containerName", "orders"},
		{"Api", azure.KindHTTP, "route", "{*path}"},
		{"Tick", azure.KindTimer, "schedule", "0 */5 * * * *"},
		{"Grid", azure.KindEventGrid, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.function, func(t *testing.T) {
			fn := app.Functions[tt.function]
			require.NotNil(t, fn)
			tr, ok := fn.Trigger()
			require.True(t, ok)
			assert.Equal(t, tt.kind, tr.Type)
			if tt.prop != "" {
				assert.Equal(t, tt.want, tr.Prop(tt.prop))
			}
		})
	}
	assert.True(t, app.Functions["Api"].HTTPOnly())
	api, _ := app.Functions["Api"].Trigger()
	assert.Equal(t, "function", api.Prop("authLevel"), "callers need a function key by default")
	assert.Equal(t, "$return", app.Functions["Orders"].Outputs()[0].Name)
	assert.Equal(t, "binary", func() string { b, _ := app.Functions["Uploads"].Trigger(); return b.DataType }())
	assert.Equal(t, "one", func() string { b, _ := app.Functions["Telemetry"].Trigger(); return b.Cardinality }())
}

func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"no function":           {"-trigger", "queue", "-entity", "q"},
		"unknown trigger":       {"-function", "F", "-trigger", "kafka"},
		"missing entity":        {"-function", "F", "-trigger", "queue"},
		"bad cosmos":            {"-function", "F", "-trigger", "cosmosdb", "-entity", "db"},
		"bad return":            {"-function", "F", "-trigger", "timer", "-return", "queue"},
		"bad return type":       {"-function", "F", "-trigger", "timer", "-return", "table:x"},
		"unknown flag":          {"-nope"},
		"stray argument":        {"-function", "F", "-trigger", "timer", "extra"},
		"bad auth level":        {"-function", "F", "-trigger", "http", "-auth-level", "user"},
		"auth level, not http":  {"-function", "F", "-trigger", "timer", "-auth-level", "anonymous"},
		"route, not http":       {"-function", "F", "-trigger", "queue", "-entity", "q", "-route", "x"},
		"prefix with a param":   {"-function", "F", "-trigger", "http", "-route-prefix", "api/{v}"},
		"retry, queue":          {"-function", "F", "-trigger", "queue", "-entity", "q", "-retry", "fixed:3:10s"},
		"retry, http":           {"-function", "F", "-trigger", "http", "-retry", "fixed:3:10s"},
		"retry, strategy":       {"-function", "F", "-trigger", "timer", "-retry", "linear:3:10s"},
		"retry, too short":      {"-function", "F", "-trigger", "timer", "-retry", "fixed:3"},
		"retry, zero count":     {"-function", "F", "-trigger", "timer", "-retry", "fixed:0:10s"},
		"retry, bad count":      {"-function", "F", "-trigger", "timer", "-retry", "fixed:-2:10s"},
		"retry, word count":     {"-function", "F", "-trigger", "timer", "-retry", "fixed:many:10s"},
		"retry, no interval":    {"-function", "F", "-trigger", "timer", "-retry", "fixed:3:"},
		"retry, two for fixed":  {"-function", "F", "-trigger", "timer", "-retry", "fixed:3:10s:20s"},
		"retry, one for exp":    {"-function", "F", "-trigger", "timer", "-retry", "exponential:3:10s"},
		"retry, min over max":   {"-function", "F", "-trigger", "timer", "-retry", "exponential:3:15m:10s"},
		"retry, zero interval":  {"-function", "F", "-trigger", "timer", "-retry", "fixed:3:0s"},
		"retry, a day":          {"-function", "F", "-trigger", "timer", "-retry", "fixed:3:24h"},
		"retry, milliseconds":   {"-function", "F", "-trigger", "timer", "-retry", "fixed:3:1500ms"},
		"retry, bad hh:mm:ss":   {"-function", "F", "-trigger", "timer", "-retry", "fixed:3:00:60:00"},
		"retry, short hh:mm":    {"-function", "F", "-trigger", "timer", "-retry", "fixed:3:00:10"},
		"retry, not a duration": {"-function", "F", "-trigger", "timer", "-retry", "fixed:3:soon"},
	} {
		t.Run(name, func(t *testing.T) {
			require.Error(t, run(append([]string{"-app", dir}, args...), io.Discard))
		})
	}
	_, err := os.Stat(filepath.Join(dir, "F", "function.json"))
	assert.True(t, os.IsNotExist(err), "a refused spec writes nothing")
}

func readJSON(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestAuthLevel(t *testing.T) {
	for flagValue, want := range map[string]string{"": "function", "anonymous": "anonymous", "ADMIN": "admin", "function": "function"} {
		t.Run(want+"/"+flagValue, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"-app", dir, "-function", "Api", "-trigger", "http"}
			if flagValue != "" {
				args = append(args, "-auth-level", flagValue)
			}
			require.NoError(t, run(args, io.Discard))
			app, err := azure.LoadApp(dir)
			require.NoError(t, err)
			tr, _ := app.Functions["Api"].Trigger()
			assert.Equal(t, want, tr.Prop("authLevel"))
		})
	}
}

func TestRoutePrefix(t *testing.T) {
	for flagValue, want := range map[string]string{"api": "api", "/v1/": "v1", "": ""} {
		t.Run(want, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, run([]string{"-app", dir, "-function", "Api", "-trigger", "http", "-route-prefix", flagValue}, io.Discard))
			app, err := azure.LoadApp(dir)
			require.NoError(t, err)
			require.NotNil(t, app.Host.Extensions.HTTP.RoutePrefix)
			assert.Equal(t, want, app.Host.RoutePrefix())
		})
	}
	t.Run("an existing host.json is kept", func(t *testing.T) {
		dir := t.TempDir()
		host := `{"version":"2.0","extensions":{"http":{"routePrefix":"api"}}}`
		require.NoError(t, os.WriteFile(filepath.Join(dir, "host.json"), []byte(host), 0o644))
		require.NoError(t, run([]string{"-app", dir, "-function", "A", "-trigger", "http"}, io.Discard), "without -route-prefix")
		require.NoError(t, run([]string{"-app", dir, "-function", "B", "-trigger", "http", "-route-prefix", "api"}, io.Discard), "the same prefix")
		assert.Equal(t, host, readJSON(t, filepath.Join(dir, "host.json")))
		err := run([]string{"-app", dir, "-function", "C", "-trigger", "http", "-route-prefix", ""}, io.Discard)
		require.Error(t, err, "a prefix the existing host.json does not have")
		assert.Contains(t, err.Error(), "edit extensions.http.routePrefix")
		_, err = os.Stat(filepath.Join(dir, "C"))
		assert.True(t, os.IsNotExist(err), "a refused spec writes nothing")
	})
}

func TestRetry(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"fixed", []string{"-trigger", "timer", "-retry", "fixed:3:30s"},
			`{"strategy":"fixedDelay","maxRetryCount":3,"delayInterval":"00:00:30"}`},
		{"exponential", []string{"-trigger", "timer", "-schedule", "0 0 23 * * *", "-retry", "exponential:5:10s:15m"},
			`{"strategy":"exponentialBackoff","maxRetryCount":5,"minimumInterval":"00:00:10","maximumInterval":"00:15:00"}`},
		{"hh:mm:ss, no limit", []string{"-trigger", "eventhubs", "-entity", "telemetry", "-retry", "exponential:-1:00:00:04:01:30:00"},
			`{"strategy":"exponentialBackoff","maxRetryCount":-1,"minimumInterval":"00:00:04","maximumInterval":"01:30:00"}`},
		{"mixed forms", []string{"-trigger", "cosmosdb", "-entity", "shop/orders", "-retry", "fixedDelay:2:1h2m3s"},
			`{"strategy":"fixedDelay","maxRetryCount":2,"delayInterval":"01:02:03"}`},
		{"equal bounds", []string{"-trigger", "timer", "-retry", "exponential:1:00:00:10:10s"},
			`{"strategy":"exponentialBackoff","maxRetryCount":1,"minimumInterval":"00:00:10","maximumInterval":"00:00:10"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, run(append([]string{"-app", dir, "-function", "F"}, tt.args...), io.Discard))
			var fn struct {
				Bindings []json.RawMessage
				Retry    json.RawMessage
			}
			require.NoError(t, json.Unmarshal([]byte(readJSON(t, filepath.Join(dir, "F", "function.json"))), &fn))
			assert.Len(t, fn.Bindings, 1)
			assert.JSONEq(t, tt.want, string(fn.Retry))
		})
	}
	t.Run("none unless asked", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, run([]string{"-app", dir, "-function", "F", "-trigger", "timer"}, io.Discard))
		assert.NotContains(t, readJSON(t, filepath.Join(dir, "F", "function.json")), "retry")
	})
}
