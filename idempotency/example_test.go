package idempotency_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/idempotency"
	"github.com/faasport/faasport/state/memstate"
)

// A queue delivers the same order twice: the charge runs once and the
// duplicate gets the first reply back.
func ExampleNew() {
	store := memstate.New() // redisstate, dynamostate or pgstate in production
	charges := 0
	charge := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		charges++
		reply := event.New()
		reply.SetID("receipt-" + e.ID())
		reply.SetSource("example/payments")
		reply.SetType("com.example.charged")
		return &reply, nil
	})
	h := function.Chain(charge, idempotency.New(store))

	order := event.New()
	order.SetID("msg-1")
	order.SetSource("arn:aws:sqs:eu-west-1:123456789012:orders")
	order.SetType("com.amazonaws.sqs.message")
	_ = order.SetData(event.ApplicationJSON, map[string]any{"order": "o-1", "amount": 42})

	for range 2 {
		reply, err := h.Handle(context.Background(), order)
		fmt.Println(reply.ID(), err)
	}
	fmt.Println("charges:", charges)

	// The same id with another payload is a client error, never a replay.
	_ = order.SetData(event.ApplicationJSON, map[string]any{"order": "o-1", "amount": 43})
	_, err := h.Handle(context.Background(), order)
	fmt.Println(errors.Is(err, idempotency.ErrPayloadMismatch), function.IsPermanent(err))
	// Output:
	// receipt-msg-1 <nil>
	// receipt-msg-1 <nil>
	// charges: 1
	// true true
}

// An API that requires an Idempotency-Key: a retried POST gets the recorded
// response, marked as a replay.
func ExampleHTTP() {
	created := 0
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		created++
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "order %d", created)
	})
	srv := httptest.NewServer(idempotency.HTTP(memstate.New(), idempotency.WithRequireKey())(api))
	defer srv.Close()

	post := func(key string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/orders", strings.NewReader(`{"sku":"a"}`))
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		fmt.Println(res.StatusCode, res.Header.Get("Idempotent-Replayed"), strings.SplitN(string(body), ",", 2)[0])
	}
	post("7f3c9a")
	post("7f3c9a")
	post("")
	// Output:
	// 201  order 1
	// 201 true order 1
	// 400  {"type":"about:blank"
}

// Guard.Do makes any function idempotent, like Powertools'
// idempotent_function.
func ExampleGuard_Do() {
	g := idempotency.NewGuard(memstate.New())
	send := func(ctx context.Context) ([]byte, error) {
		fmt.Println("sending the e-mail")
		return []byte("sent"), nil
	}
	for range 2 {
		out, err := g.Do(context.Background(), "welcome-mail/user-42", nil, send)
		fmt.Println(string(out), err)
	}
	// Output:
	// sending the e-mail
	// sent <nil>
	// sent <nil>
}
