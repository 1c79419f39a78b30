package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/testing/azuretest"
)

// TestAzureApp runs the function as a custom handler under the test
// Functions host, with the function app in azure/ (host.json,
// Thumbnails/function.json): a blob written under uploads/photos/ gets its
// thumbnails once per ETag, and the thumbnails, written under
// uploads/thumbnails/, are outside the trigger's path.
func TestAzureApp(t *testing.T) {
	ctx := context.Background()
	blobs := newMemBlobs()
	require.NoError(t, blobs.Put(ctx, "uploads", "photos/sample.png", samplePNG, "image/png"))
	host := azuretest.Start(t, "azure", azure.Events(newHandler(blobs, memstate.New(), quiet())), azure.WithLogger(quiet()))

	fn := host.App.Functions["Thumbnails"]
	require.NotNil(t, fn, "the app has the Thumbnails function; it has %v", host.App.Names())
	trig, ok := fn.Trigger()
	require.True(t, ok)
	assert.Equal(t, azure.KindBlob, trig.Type)
	assert.Equal(t, "binary", trig.DataType)
	watched := strings.TrimSuffix(trig.Prop("path"), "{name}")
	assert.Equal(t, "uploads/photos/", watched)
	assert.False(t, strings.HasPrefix("uploads/"+outputPrefix, watched), "the function's outputs do not trigger it")

	written := func(name, etag string) *azuretest.Result {
		t.Helper()
		blob := azuretest.BlobWritten("uploads", "photos/"+name, samplePNG, etag, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)).Request
		md := map[string]any{}
		for k, v := range blob.Metadata {
			if k != "sys" { // the host's own for Thumbnails is added
				md[k] = v
			}
		}
		md["name"] = azuretest.HostEncoded(name) // what {name} matched
		res, err := host.Trigger(ctx, "Thumbnails", blob.Data["blob"], md)
		require.NoError(t, err)
		return res
	}

	res := written("sample.png", "0x8DE1")
	require.False(t, res.Failed(), "status %d, body %s", res.Status, res.Body)
	assert.Equal(t, []string{"thumbnails/128/photos/sample.png", "thumbnails/512/photos/sample.png"}, blobs.keys("uploads", "thumbnails/"))
	writes := blobs.writes()

	res = written("sample.png", "0x8DE1")
	assert.False(t, res.Failed())
	assert.Equal(t, writes, blobs.writes(), "the blob trigger's retry of the same blob writes nothing")

	res = written("sample.png", "0x8DE2")
	assert.False(t, res.Failed())
	assert.Equal(t, writes+2, blobs.writes(), "an overwrite (a new ETag) gets new thumbnails")

	res = written("missing.png", "0x8DE1")
	assert.True(t, res.Failed(), "a blob not yet readable fails the invocation, so the trigger retries it")
}
