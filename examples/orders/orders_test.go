package main

import (
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/testing/fntest"
)

// Each platform gets its own inventory and store, then the same deliveries.
func TestOrdersOnEveryPlatform(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, p := range []function.Platform{function.PlatformLambda, function.PlatformCloudFunctions, function.PlatformHTTP, function.PlatformAzureFunctions} {
		t.Run(string(p), func(t *testing.T) {
			inv := newInventory(map[string]int{"sku-1": 10, "sku-2": 1})
			h := newHandler(inv, memstate.New(), quiet)
			deliver := func(body string) fntest.Result {
				t.Helper()
				r, err := fntest.Invoke(p, h, fntest.QueueMessage(body))
				require.NoError(t, err)
				return r
			}

			r := deliver(`{"id":"o-1","sku":"sku-1","qty":3}`)
			require.NoError(t, r.Err)
			assert.False(t, r.Redelivered)
			assert.Equal(t, 7, inv.left("sku-1"))

			r = deliver(`{"id":"o-1","sku":"sku-1","qty":3}`)
			assert.False(t, r.Redelivered, "a duplicate is acknowledged")
			assert.Equal(t, 7, inv.left("sku-1"), "a duplicate delivery reserves nothing")

			r = deliver(`{"id":"o-1","sku":"sku-1","qty":5}`)
			require.Error(t, r.Err, "an order id reused with other content is refused")
			assert.True(t, function.IsPermanent(r.Err))
			assert.False(t, r.Redelivered)
			assert.Equal(t, 7, inv.left("sku-1"))

			r = deliver(`{"id":"o-2","sku":"sku-2","qty":2}`)
			assert.True(t, r.Redelivered, "out of stock is retried later")
			assert.Equal(t, 1, inv.left("sku-2"))

			r = deliver(`{"id":"o-3","sku":"sku-2","qty":"many"}`)
			require.Error(t, r.Err)
			assert.True(t, function.IsPermanent(r.Err))
			assert.False(t, r.Redelivered, "a malformed order is acknowledged, not retried")
		})
	}
}
