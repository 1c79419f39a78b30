package gcf_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/function"
)

// A legacy Cloud Storage event, as Cloud Functions (1st gen) sends it,
// reaches the handler as the CloudEvent the Functions Framework makes of it.
// New serves in-process, so a test needs no port and no global registration.
func Example() {
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		inv := function.FromContext(ctx)
		fmt.Println(inv.Platform, inv.FunctionName, inv.RequestID)
		fmt.Println(e.Type())
		fmt.Println(e.Source())
		fmt.Println(e.Subject())
		return nil, nil
	})
	s, err := gcf.New(gcf.Events(h), gcf.WithGetenv(func(k string) string {
		return map[string]string{"FUNCTION_TARGET": "OnUpload", "K_SERVICE": "on-upload"}[k]
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	body := `{
	  "context": {
	    "eventId": "5518331928847211",
	    "timestamp": "2024-05-11T08:15:42.117Z",
	    "eventType": "google.storage.object.finalize",
	    "resource": {"service": "storage.googleapis.com", "name": "projects/_/buckets/uploads/objects/a.pdf", "type": "storage#object"}
	  },
	  "data": {"bucket": "uploads", "name": "a.pdf"}
	}`
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Function-Execution-Id", "exec-1")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	fmt.Println(w.Code)
	// Output:
	// gcp_cloud_functions on-upload exec-1
	// google.cloud.storage.object.v1.finalized
	// //storage.googleapis.com/projects/_/buckets/uploads
	// objects/a.pdf
	// 200
}

// Turn on Cloud Logging's structured format for the adapter's messages and,
// with slog.SetDefault, for the function's own. (The time is dropped here
// only to keep the output stable.)
func ExampleNewLogHandler() {
	log := slog.New(gcf.NewLogHandler(os.Stdout, &gcf.LogOptions{
		ProjectID: "shop-prod",
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
	ctx := function.NewContext(context.Background(), &function.Invocation{
		RequestID:   "exec-1",
		TraceHeader: "4bf92f3577b34da6a3ce929d0e0e4736/1;o=1",
	})
	log.InfoContext(ctx, "order reserved", "order", "o-1042")
	// Output:
	// {"severity":"INFO","message":"order reserved","order":"o-1042","logging.googleapis.com/trace":"projects/shop-prod/traces/4bf92f3577b34da6a3ce929d0e0e4736","logging.googleapis.com/spanId":"0000000000000001","logging.googleapis.com/trace_sampled":true,"logging.googleapis.com/labels":{"execution_id":"exec-1"}}
}
