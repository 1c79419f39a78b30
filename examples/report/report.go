package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/trigger"
)

// ReportType is the type of the CloudEvent each report is emitted as.
const ReportType = "com.example.shop.report.daily"

// Sales are one day's sales per SKU, as the shop's functions keep them in
// state under "sales/<YYYY-MM-DD>".
type Sales map[string]SKUSales

// SKUSales are the sales of one SKU.
type SKUSales struct {
	Orders       int   `json:"orders"`
	Qty          int   `json:"qty"`
	RevenueCents int64 `json:"revenue_cents"`
}

// Report is the data of the emitted event.
type Report struct {
	Day          string `json:"day"`
	Orders       int    `json:"orders"`
	Qty          int    `json:"qty"`
	RevenueCents int64  `json:"revenue_cents"`
	TopSKU       string `json:"top_sku,omitempty"`
	SKUs         int    `json:"skus"`
	// Number counts the reports made so far, this one included.
	Number int `json:"number"`
}

// last is what the function keeps between ticks, at "report/last".
type last struct {
	TickID string       `json:"tick_id"`
	Number int          `json:"number"`
	Event  *event.Event `json:"event,omitempty"`
}

// Sink is where reports go: a CloudEvents HTTP endpoint in a deployment
// (sink.go), the log otherwise.
type Sink interface {
	Send(ctx context.Context, e event.Event) error
}

// reporter aggregates a day's sales into a report on each tick.
type reporter struct {
	sales *state.Typed[Sales]
	last  *state.Typed[last]
	sink  *middleware.Lazy[Sink]
}

// newHandler builds the function. The sink is made on the first tick that
// needs it (middleware.Lazy), not at start-up, so a cold start that never
// reports pays nothing for it, and a failure to make it is retried.
func newHandler(store state.Store, sink *middleware.Lazy[Sink], logger *slog.Logger) function.Handler {
	r := &reporter{sales: state.NewTyped[Sales](store), last: state.NewTyped[last](store), sink: sink}
	h := function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		tick, err := trigger.ParseTick(e)
		if err != nil {
			return nil, function.Permanent(err)
		}
		return r.report(ctx, tick)
	})
	mw := append(middleware.Default(middleware.WithLogger(logger)), sink.Middleware())
	return function.Chain(h, mw...)
}

// report emits the report of the tick's day, once per tick: a redelivered
// tick gets the same report back without sending it again.
func (r *reporter) report(ctx context.Context, tick trigger.Tick) (*event.Event, error) {
	prev, version, err := r.last.Get(ctx, "report/last")
	switch {
	case errors.Is(err, state.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("report: read the last report: %w", err)
	case prev.TickID == tick.Event.ID() && prev.Event != nil:
		return prev.Event, nil // a redelivery: already sent
	}
	day := tick.Time.UTC().Format(time.DateOnly)
	sales, _, err := r.sales.Get(ctx, "sales/"+day)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, fmt.Errorf("report: read the sales of %s: %w", day, err)
	}
	rep := aggregate(day, sales)
	rep.Number = prev.Number + 1

	e := event.New()
	// The id is fixed by the tick, so a report sent twice (a crash between
	// sending and recording it) is one event to consumers that dedupe.
	e.SetID("report-" + tick.Event.ID())
	e.SetType(ReportType)
	e.SetSource("/reports/" + scheduleName(tick.Schedule))
	e.SetSubject(day)
	e.SetTime(tick.Time)
	if err := e.SetData(event.ApplicationJSON, rep); err != nil {
		return nil, function.Permanent(fmt.Errorf("report: encode: %w", err))
	}
	sink, err := r.sink.Get(ctx)
	if err != nil {
		return nil, err
	}
	if err := sink.Send(ctx, e); err != nil {
		return nil, fmt.Errorf("report: send the report of %s: %w", day, err) // retried
	}
	opts := state.PutOptions{IfVersion: version}
	if version == "" {
		opts = state.PutOptions{IfAbsent: true}
	}
	if _, err := r.last.Put(ctx, "report/last", last{TickID: tick.Event.ID(), Number: rep.Number, Event: &e}, opts); err != nil {
		// Another instance reported meanwhile, or the store failed: retry,
		// and the next attempt sees what happened.
		return nil, fmt.Errorf("report: record the report of %s: %w", day, err)
	}
	middleware.Logger(ctx).InfoContext(ctx, "report sent", slog.String("day", day), slog.Int("orders", rep.Orders), slog.Int64("revenue_cents", rep.RevenueCents))
	return &e, nil
}

// scheduleName is the name of what fired: the last part of an EventBridge
// rule's ARN or a Cloud Scheduler job's resource path, or of an Azure
// timer's source (/timers/<function>), which Tick.Schedule follows with the
// timer's CRON expression.
func scheduleName(schedule string) string {
	if i := strings.IndexByte(schedule, ' '); i >= 0 {
		schedule = schedule[:i]
	}
	return schedule[strings.LastIndexAny(schedule, "/:")+1:]
}

// aggregate sums a day's sales; the top SKU is the one with the most
// revenue (ties: the smaller name).
func aggregate(day string, sales Sales) Report {
	rep := Report{Day: day, SKUs: len(sales)}
	skus := make([]string, 0, len(sales))
	for sku, s := range sales {
		rep.Orders += s.Orders
		rep.Qty += s.Qty
		rep.RevenueCents += s.RevenueCents
		skus = append(skus, sku)
	}
	slices.SortFunc(skus, func(a, b string) int {
		return cmp.Or(cmp.Compare(sales[b].RevenueCents, sales[a].RevenueCents), cmp.Compare(a, b))
	})
	if len(skus) > 0 {
		rep.TopSKU = skus[0]
	}
	return rep
}
