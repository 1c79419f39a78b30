package frontdoor_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
)

// An adapter is a Profile over the door; here a Pub/Sub push request and a
// plain JSON request reach the same event handler, and each caller gets an
// answer in its own shape.
func Example() {
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		fmt.Println(e.Type(), function.FromContext(ctx).Attempt)
		r := event.New()
		r.SetID("r-" + e.ID())
		r.SetSource("/example")
		r.SetType("com.example.done")
		_ = r.SetData("text/plain", "done")
		return &r, nil
	})
	d, err := frontdoor.New(frontdoor.Profile{Name: "example", Platform: function.PlatformHTTP}, frontdoor.Events(h))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, body := range []string{
		`{"message":{"data":"aGk=","messageId":"m-1"},"subscription":"projects/p/subscriptions/s","deliveryAttempt":2}`,
		`{"orderId":"o-1"}`,
	} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		d.ServeHTTP(w, req)
		fmt.Println(w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
	// Output:
	// google.cloud.pubsub.topic.v1.messagePublished 2
	// 200 text/plain done
	// com.github.faasport.http.request 0
	// 200 text/plain done
}

// Judge is the one answer table: a permanent failure is acknowledged, a
// retryable one redelivered.
func ExampleJudge() {
	for _, err := range []error{nil, function.Permanent(fmt.Errorf("poison")), fmt.Errorf("down")} {
		v := frontdoor.Judge(err, 0)
		fmt.Println(v.Class, v.Status, v.Redelivered())
	}
	// Output:
	// ok 200 false
	// permanent 200 false
	// retryable 503 true
}
