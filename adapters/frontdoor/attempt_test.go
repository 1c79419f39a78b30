package frontdoor_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/adapters/nethttp"
	"github.com/faasport/faasport/function"
)

// pushBody is a wrapped Pub/Sub push of message id with deliveryAttempt n.
func pushBody(id string, n int) string {
	b, _ := json.Marshal(map[string]any{
		"message": map[string]any{
			"data": base64.StdEncoding.EncodeToString([]byte(`{"id":"o-1"}`)), "messageId": id,
			"publishTime": "2026-01-02T03:04:05Z",
		},
		"subscription":    "projects/p/subscriptions/s",
		"deliveryAttempt": n,
	})
	return string(b)
}

// pubsubEvent is the messagePublished CloudEvent Eventarc makes of it.
func pubsubEvent(t *testing.T, id string, n int) event.Event {
	e := event.New()
	e.SetID(id)
	e.SetType(frontdoor.TypePubSubMessagePublished)
	e.SetSource("//pubsub.googleapis.com/projects/p/topics/t")
	require.NoError(t, e.SetData(event.ApplicationJSON, json.RawMessage(pushBody(id, n))))
	return e
}

// TestPubSubDeliveryAttemptEveryAdapter: every HTTP adapter reads a Pub/Sub
// message's deliveryAttempt the same way, however the message arrives.
func TestPubSubDeliveryAttemptEveryAdapter(t *testing.T) {
	adapters := map[string]func(opts ...frontdoor.Option) (http.Handler, error){
		"nethttp": func(opts ...frontdoor.Option) (http.Handler, error) {
			return nethttp.New(append(opts, nethttp.WithGetenv(func(string) string { return "" }))...), nil
		},
		"gcf": func(opts ...frontdoor.Option) (http.Handler, error) {
			return gcf.New(append(opts, gcf.WithGetenv(func(k string) string {
				if k == "FUNCTION_TARGET" {
					return "f"
				}
				return ""
			}))...)
		},
	}
	structured, err := json.Marshal(pubsubEvent(t, "m-1", 3))
	require.NoError(t, err)
	batch, err := json.Marshal([]event.Event{pubsubEvent(t, "m-1", 3), pubsubEvent(t, "m-2", 4)})
	require.NoError(t, err)
	binary := pubsubEvent(t, "m-1", 3)
	requests := []struct {
		name    string
		header  map[string]string
		body    string
		attempt map[string]int
	}{
		{"wrapped push", map[string]string{"Content-Type": "application/json"}, pushBody("m-1", 3), map[string]int{"m-1": 3}},
		{"binary CloudEvent", map[string]string{
			"Ce-Specversion": "1.0", "Ce-Id": binary.ID(), "Ce-Source": binary.Source(), "Ce-Type": binary.Type(),
			"Content-Type": "application/json",
		}, string(binary.Data()), map[string]int{"m-1": 3}},
		{"structured CloudEvent", map[string]string{"Content-Type": "application/cloudevents+json"}, string(structured), map[string]int{"m-1": 3}},
		{"CloudEvents batch", map[string]string{"Content-Type": frontdoor.MediaTypeBatch}, string(batch), map[string]int{"m-1": 3, "m-2": 4}},
	}
	for name, build := range adapters {
		for _, rq := range requests {
			t.Run(name+"/"+rq.name, func(t *testing.T) {
				got := map[string]int{}
				h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
					got[e.ID()] = function.FromContext(ctx).Attempt
					return nil, nil
				})
				srv, err := build(frontdoor.Events(h), frontdoor.WithLogger(quietLogger()))
				require.NoError(t, err)
				req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(rq.body))
				for k, v := range rq.header {
					req.Header.Set(k, v)
				}
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				require.Less(t, w.Code, 300, w.Body.String())
				assert.Equal(t, rq.attempt, got)
			})
		}
	}
}
