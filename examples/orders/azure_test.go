package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/testing/azuretest"
)

// TestAzureApp runs the orders consumer as a custom handler under the test
// Functions host, with the function app in azure/ (host.json,
// Orders/function.json): a Service Bus message on the queue "orders"
// reserves stock once, however often it is delivered; out of stock fails
// the invocation, so Service Bus delivers the message again.
func TestAzureApp(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	inv := newInventory(map[string]int{"sku-1": 10, "sku-2": 1})
	host := azuretest.Start(t, "azure", azure.Events(newHandler(inv, memstate.New(), quiet)), azure.WithLogger(quiet))

	fn := host.App.Functions["Orders"]
	require.NotNil(t, fn, "the app has the Orders function; it has %v", host.App.Names())
	trig, ok := fn.Trigger()
	require.True(t, ok)
	assert.Equal(t, azure.KindServiceBus, trig.Type)
	assert.Equal(t, "orders", trig.Prop("queueName"))

	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	deliver := func(id, body string, deliveryCount int) *azuretest.Result {
		t.Helper()
		msg := azuretest.ServiceBusMessage(id, body, deliveryCount, nil, at).Request
		md := map[string]any{}
		for k, v := range msg.Metadata {
			if k != "sys" { // the host's own for Orders is added
				md[k] = v
			}
		}
		res, err := host.Trigger(ctx, "Orders", msg.Data["message"], md)
		require.NoError(t, err)
		return res
	}

	res := deliver("m-1", `{"id":"o-1","sku":"sku-1","qty":3}`, 1)
	require.False(t, res.Failed(), "status %d, body %s", res.Status, res.Body)
	assert.Equal(t, 7, inv.left("sku-1"))

	res = deliver("m-1", `{"id":"o-1","sku":"sku-1","qty":3}`, 2)
	assert.False(t, res.Failed(), "a redelivery is completed")
	assert.Equal(t, 7, inv.left("sku-1"), "and reserves nothing again")

	res = deliver("m-2", `{"id":"o-2","sku":"sku-2","qty":2}`, 1)
	assert.True(t, res.Failed(), "out of stock: the message is abandoned and delivered again")
	assert.Equal(t, 1, inv.left("sku-2"))

	res = deliver("m-3", `{"id":"o-3","sku":"sku-2","qty":"many"}`, 1)
	assert.False(t, res.Failed(), "a malformed order is completed, not retried")
	assert.Contains(t, strings.Join(res.Logs, "\n"), `"m-3"`, "and the host's log names the message")
}
