// Command http is the Functions Framework conformance HTTP function, served
// by adapters/gcf: it writes each request's body to function_output.json.
// See ../README.md for how to run the conformance client against it.
package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/faasport/faasport/adapters/gcf"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		if err := os.WriteFile("function_output.json", body, 0o644); err != nil {
			http.Error(w, "write output", http.StatusInternalServerError)
		}
	})
	if err := gcf.ListenAndServe(ctx, gcf.HTTP(h)); err != nil {
		slog.Error("conformance function stopped", "error", err)
		os.Exit(1)
	}
}
