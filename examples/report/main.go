// Command report sends a daily sales report on a schedule, on any platform:
// an EventBridge schedule on AWS Lambda, a Cloud Scheduler job on Cloud
// Functions or Cloud Run, a timer trigger on Azure Functions, or any
// CloudEvent over HTTP in a container.
//
// On each tick it reads the day's sales from state ("sales/<YYYY-MM-DD>",
// per SKU), aggregates them (orders, quantity, revenue, top SKU), and emits
// the report as a CloudEvent of type com.example.shop.report.daily: to
// REPORT_SINK or K_SINK when set (a CloudEvents HTTP endpoint), else to the
// log; the event is also the reply. The CloudEvents client is made lazily,
// on the first tick (middleware.Lazy). A redelivered tick gets the same
// report back without sending it again.
//
// State is in memory, seeded with sample sales for 2026-01-02.
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"log/slog"
	"os"

	"github.com/faasport/faasport/adapters"
	"github.com/faasport/faasport/middleware"
	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/memstate"
)

//go:embed sales.json
var sampleSales []byte

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	store := memstate.New()
	if err := seed(context.Background(), store, sampleSales); err != nil {
		logger.Error("report: seed the sample sales", slog.String("error", err.Error()))
		os.Exit(1)
	}
	sink := middleware.NewLazy("report sink", sinkFromEnv(os.Getenv, logger))
	if err := adapters.Start(adapters.Events(newHandler(store, sink, logger)), adapters.WithLogger(logger)); err != nil {
		logger.Error("report stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}

// seed writes each day of data ({"2026-01-02": Sales, ...}) to "sales/<day>".
func seed(ctx context.Context, store state.Store, data []byte) error {
	var days map[string]Sales
	if err := json.Unmarshal(data, &days); err != nil {
		return err
	}
	sales := state.NewTyped[Sales](store)
	for day, s := range days {
		if _, err := sales.Put(ctx, "sales/"+day, s, state.PutOptions{}); err != nil {
			return err
		}
	}
	return nil
}
