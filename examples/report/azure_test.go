package main

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/middleware"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/testing/azuretest"
)

// recordingSink keeps the reports sent to it.
type recordingSink struct {
	mu   sync.Mutex
	sent []event.Event
}

func (s *recordingSink) Send(_ context.Context, e event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, e)
	return nil
}

func (s *recordingSink) reports() []event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]event.Event(nil), s.sent...)
}

// TestAzureApp runs the report as a custom handler under the test
// Functions host, with the function app in azure/ (host.json,
// nightly-report/function.json): the nightly timer's tick reports its day,
// from a source named after the function; the host's retry of the same
// occurrence sends nothing again.
func TestAzureApp(t *testing.T) {
	ctx := context.Background()
	store := memstate.New()
	require.NoError(t, seed(ctx, store, sampleSales))
	sink := &recordingSink{}
	lazy := middleware.NewLazy("sink", func(context.Context) (Sink, error) { return sink, nil })
	host := azuretest.Start(t, "azure", azure.Events(newHandler(store, lazy, quiet())), azure.WithLogger(quiet()))

	fn := host.App.Functions["nightly-report"]
	require.NotNil(t, fn, "the app has the nightly-report function; it has %v", host.App.Names())
	trig, ok := fn.Trigger()
	require.True(t, ok)
	assert.Equal(t, azure.KindTimer, trig.Type)
	assert.Equal(t, "0 0 23 * * *", trig.Prop("schedule"), "every night at 23:00 UTC")

	at := time.Date(2026, 1, 2, 23, 0, 0, 0, time.UTC)
	timer := azuretest.TimerTick(at).Request.Data["timer"]
	fire := func(md map[string]any) *azuretest.Result {
		t.Helper()
		md["sys"] = map[string]string{"MethodName": "nightly-report", "UtcNow": at.Format(time.RFC3339)}
		res, err := host.Trigger(ctx, "nightly-report", timer, md)
		require.NoError(t, err)
		require.False(t, res.Failed(), "status %d, body %s", res.Status, res.Body)
		return res
	}

	res := fire(map[string]any{})
	var rep Report
	require.NoError(t, json.Unmarshal(res.ReturnValue, &rep), "the report is the return value")
	assert.Equal(t, Report{Day: "2026-01-02", Orders: 19, Qty: 43, RevenueCents: 218462, TopSKU: "sku-2", SKUs: 3, Number: 1}, rep)
	sent := sink.reports()
	require.Len(t, sent, 1)
	assert.Equal(t, "/reports/nightly-report", sent[0].Source())
	assert.Equal(t, "2026-01-02", sent[0].Subject())

	// The function's retry policy runs the same occurrence again.
	res = fire(map[string]any{"RetryContext": map[string]int{"RetryCount": 1, "MaxRetryCount": 5}})
	require.NoError(t, json.Unmarshal(res.ReturnValue, &rep))
	assert.Equal(t, 1, rep.Number, "a retried tick gets the same report")
	assert.Len(t, sink.reports(), 1, "and sends nothing again")
}
