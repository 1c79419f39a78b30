package main

import (
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
	assert.Equal(t, "$return", app.Functions["Orders"].Outputs()[0].Name)
	assert.Equal(t, "binary", func() string { b, _ := app.Functions["Uploads"].Trigger(); return b.DataType }())
	assert.Equal(t, "one", func() string { b, _ := app.Functions["Telemetry"].Trigger(); return b.Cardinality }())
}

func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"no function":     {"-trigger", "queue", "-entity", "q"},
		"unknown trigger": {"-function", "F", "-trigger", "kafka"},
		"missing entity":  {"-function", "F", "-trigger", "queue"},
		"bad cosmos":      {"-function", "F", "-trigger", "cosmosdb", "-entity", "db"},
		"bad return":      {"-function", "F", "-trigger", "timer", "-return", "queue"},
		"bad return type": {"-function", "F", "-trigger", "timer", "-return", "table:x"},
		"unknown flag":    {"-nope"},
	} {
		t.Run(name, func(t *testing.T) {
			require.Error(t, run(append([]string{"-app", dir}, args...), io.Discard))
		})
	}
	_, err := os.Stat(filepath.Join(dir, "F", "function.json"))
	assert.True(t, os.IsNotExist(err), "a refused spec writes nothing")
}
