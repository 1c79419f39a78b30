package validate_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/validate"
)

func Example() {
	schema := validate.MustCompile(validate.JSON([]byte(`{
		"type": "object",
		"required": ["id", "qty"],
		"properties": {
			"id":  {"type": "string", "minLength": 1},
			"qty": {"type": "integer", "minimum": 1}
		}
	}`)))
	type Order struct {
		ID  string `json:"id"`
		Qty int    `json:"qty"`
	}

	// A typed event handler: invalid input never reaches it.
	h := function.Consume(func(ctx context.Context, o Order) error {
		fmt.Println("reserving", o.Qty, "of", o.ID)
		return nil
	}, validate.Input(schema))
	for _, data := range []string{`{"id":"o-1","qty":2}`, `{"id":"","qty":0}`} {
		e := event.New()
		e.SetID("1")
		e.SetSource("example")
		e.SetType("order.placed")
		_ = e.SetData("application/json", []byte(data))
		_, err := h.Handle(context.Background(), e)
		var ve *validate.Error
		if errors.As(err, &ve) {
			fmt.Println("permanent:", function.IsPermanent(err), "pointers:", ve.Pointers())
		}
	}

	// An HTTP handler: a problem+json 422 names the same pointers.
	api := validate.HTTP(schema)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	}))
	req := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(`{"qty":"2"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body.String())
	// Output:
	// reserving 2 of o-1
	// permanent: true pointers: [/id /qty]
	// 422 application/problem+json
	// {"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"the body violates schema schema.json in 2 place(s); see errors","errors":[{"pointer":"","keyword":"required","detail":"missing property 'id'"},{"pointer":"/qty","keyword":"type","detail":"got string, want integer"}]}
}
