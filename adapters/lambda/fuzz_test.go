package lambda_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
)

// FuzzInvoke feeds arbitrary payloads through shape detection, every
// decoder and the batch and HTTP paths: bad input must yield an error or a
// response, never a panic, and a response must be JSON.
func FuzzInvoke(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"1","body":"x"}]}`))
	f.Add([]byte(`{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"GET"}},"body":"aGk=","isBase64Encoded":true}`))
	f.Add([]byte(`{"awslogs":{"data":"H4sIAAAAAAAA/w=="}}`))
	f.Add([]byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t"}`))
	events := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		if len(e.Data())%3 == 0 {
			return nil, errors.New("retry")
		}
		return &e, nil
	})
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	})
	h := lambda.New(lambda.Events(events), lambda.HTTP(web), lambda.WithLogger(quietLogger()), lambda.WithConcurrency(2))
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, err := h.Invoke(context.Background(), payload)
		if err != nil {
			var le *lambda.Error
			if !errors.As(err, &le) || le.Type == "" {
				t.Fatalf("error %v is not a *lambda.Error with a type", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("response %q is not JSON", out)
		}
	})
}
