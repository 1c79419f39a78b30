package nethttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/faasport/faasport/adapters/nethttp"
	"github.com/faasport/faasport/function"
)

// An event handler and an HTTP handler served side by side: a binary-mode
// CloudEvent reaches the typed handler and its reply comes back in binary
// mode; a plain request reaches the mux.
func Example() {
	type greeting struct {
		Name string `json:"name"`
	}
	events := function.Typed(func(_ context.Context, g greeting) (string, error) {
		return "hello " + g.Name, nil
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })

	srv := httptest.NewServer(nethttp.New(nethttp.Events(events), nethttp.HTTP(mux)))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"name":"Ada"}`))
	req.Header.Set("Ce-Specversion", "1.0")
	req.Header.Set("Ce-Id", "42")
	req.Header.Set("Ce-Source", "//example/greeter")
	req.Header.Set("Ce-Type", "com.example.greet")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Ce-Id"), resp.Header.Get("Ce-Type"), string(body))

	resp, err = http.Get(srv.URL + "/healthz")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 200 42.reply com.example.greet.reply hello Ada
	// 200 ok
}

// ListenAndServe in main: PORT (default 8080) from the environment, and a
// graceful shutdown when the platform sends SIGTERM.
func ExampleListenAndServe() {
	h := function.Consume(func(_ context.Context, order map[string]any) error {
		fmt.Println("order", order["id"])
		return nil
	})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := nethttp.ListenAndServe(ctx, nethttp.Events(h)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
