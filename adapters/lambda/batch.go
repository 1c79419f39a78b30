package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/invoke"
	"github.com/faasport/faasport/payload"
)

// unit is one record of an invocation, turned into the event the handler
// sees.
type unit struct {
	ev      event.Event
	native  any
	attempt int
	item    any    // the batchItemFailures identifier; nil where the source has none
	group   string // records of one group run in order (ordered sources only)
	err     error  // set when the record could not be turned into an event
	// preset, set for an SQS record, becomes the record's context when it
	// runs: it gives the payload package the record the adapter decoded,
	// so a typed handler's Message is made from it, not from the record's
	// JSON again.
	preset *payload.Carrier
}

// replyMode says how an invocation's results become its response.
type replyMode uint8

const (
	// replyEvent: one event; its reply goes back as structured CloudEvent
	// JSON, a retryable error fails the invocation, a permanent one fails a
	// synchronous invocation and is acknowledged for an asynchronous one.
	replyEvent replyMode = iota
	// replyItems: batchItemFailures listing the records that failed retryably.
	replyItems
	// replyWhole: the source has no partial batch response (Amazon MQ): any
	// retryable failure fails the invocation, so the batch is redelivered.
	replyWhole
	// replyVerbatim: the caller expects its own response shape (Cognito,
	// IoT hooks): the reply's data verbatim, or the payload echoed when there
	// is no reply.
	replyVerbatim
	// replyFirehose and replyS3Batch build those services' result lists.
	replyFirehose
	replyS3Batch
)

// plan is an invocation turned into events, with how to run and answer it.
type plan struct {
	units   []unit
	trigger function.Trigger
	reply   replyMode
	ordered bool // records of one group stop at the first retryable failure
	async   bool // Lambda invokes asynchronously: permanent errors are acknowledged
	// itemOf gives a unit's batchItemFailures identifier when the source
	// derives it from the record instead of setting unit.item: only failed
	// records need one.
	itemOf func(*unit) any
}

// result is what running one unit produced.
type result struct {
	reply *event.Event
	err   error
}

// errEarlierFailed fails the records of an ordered group after its first
// retryable failure: they are reported, not run, so the group keeps order.
var errEarlierFailed = errors.New("lambda: not processed because an earlier record of its ordered group (FIFO message group, shard or partition) failed; it is redelivered")

// run calls the event handler for every unit, concurrently up to the
// configured limit, keeping order within groups of an ordered plan.
func (h *Handler) run(ctx context.Context, base *function.Invocation, p *plan) []result {
	res := make([]result, len(p.units))
	invs := make([]function.Invocation, len(p.units))
	if !p.ordered {
		h.parallel(len(p.units), func(i int) { res[i] = h.one(ctx, base, p, i, &invs[i]) })
		return res
	}
	groups := groupUnits(p.units)
	h.parallel(len(groups), func(g int) {
		failed := false
		for _, i := range groups[g] {
			if failed {
				res[i] = h.skip(ctx, base, p, i, &invs[i])
				continue
			}
			res[i] = h.one(ctx, base, p, i, &invs[i])
			failed = function.IsRetryable(res[i].err)
		}
	})
	return res
}

// groupUnits returns the indexes of units per group, groups in order of
// first appearance, in time linear in the units however many groups there
// are: one map lookup per unit, and one backing array for every group's
// indexes.
func groupUnits(units []unit) [][]int {
	index := make(map[string]int)
	of := make([]int, len(units)) // the group of each unit
	var sizes []int
	for i := range units {
		g, ok := index[units[i].group]
		if !ok {
			g = len(sizes)
			index[units[i].group] = g
			sizes = append(sizes, 0)
		}
		of[i] = g
		sizes[g]++
	}
	groups := make([][]int, len(sizes))
	backing := make([]int, 0, len(units))
	for g, n := range sizes {
		groups[g] = backing[len(backing) : len(backing) : len(backing)+n]
		backing = backing[:len(backing)+n]
	}
	for i, g := range of {
		groups[g] = append(groups[g], i)
	}
	return groups
}

// helpersAfter is how long the invocation's own goroutine works through a
// batch alone before helpers join it. Records that finish sooner (the
// handler does little) cost no goroutines; records that wait on I/O get
// the full concurrency limit from then on.
const helpersAfter = 100 * time.Microsecond

// parallel runs f(0..n-1) with at most h.concurrency running at once. The
// calling goroutine takes part, and is joined by helpers only if the work
// is still going after helpersAfter.
func (h *Handler) parallel(n int, f func(int)) {
	limit := min(h.concurrency, n)
	if limit <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var (
		next   atomic.Int64
		wg     sync.WaitGroup
		mu     sync.Mutex
		closed bool
	)
	worker := func() {
		for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
			f(i)
		}
	}
	spawn := func() {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			return
		}
		closed = true
		wg.Add(limit - 1)
		for w := 1; w < limit; w++ {
			go func() { defer wg.Done(); worker() }()
		}
	}
	t := time.AfterFunc(helpersAfter, spawn)
	worker()
	t.Stop()
	mu.Lock()
	closed = true // a timer firing from now on spawns nothing
	mu.Unlock()
	wg.Wait()
}

// one runs the handler for unit i and logs its outcome; a panic fails that
// unit only.
func (h *Handler) one(ctx context.Context, base *function.Invocation, p *plan, i int, inv *function.Invocation) result {
	u := &p.units[i]
	rctx := h.unitContext(ctx, base, p, i, inv)
	if u.err != nil {
		// A record that cannot be read is acknowledged: redelivery cannot
		// fix it.
		err := function.Permanent(u.err)
		invoke.LogOutcome(rctx, h.log, &u.ev, invoke.OutcomePermanent, err, 0)
		return result{err: err}
	}
	began := time.Now()
	reply, err := invoke.Call(rctx, h.events, u.ev, h.log)
	// invoke.Call logged a panic where it happened, with its stack.
	if o := invoke.OutcomeOf(err); o != invoke.OutcomePanic && h.log.Enabled(rctx, o.Level()) {
		invoke.LogOutcome(rctx, h.log, &u.ev, o, err, time.Since(began))
	}
	return result{reply: reply, err: err}
}

// skip fails unit i without running it (an earlier record of its ordered
// group failed), logged as the retryable failure it is.
func (h *Handler) skip(ctx context.Context, base *function.Invocation, p *plan, i int, inv *function.Invocation) result {
	rctx := h.unitContext(ctx, base, p, i, inv)
	invoke.LogOutcome(rctx, h.log, &p.units[i].ev, invoke.OutcomeRetryable, errEarlierFailed, 0)
	return result{err: errEarlierFailed}
}

// unitContext fills inv, unit i's invocation, and returns ctx carrying it.
func (h *Handler) unitContext(ctx context.Context, base *function.Invocation, p *plan, i int, inv *function.Invocation) context.Context {
	u := &p.units[i]
	if u.preset != nil {
		u.preset.PresetSQS(ctx, u.ev, (*sqsSource)(u))
		ctx = u.preset
	}
	*inv = *base
	inv.Native = u.native
	inv.Attempt = u.attempt
	inv.Trigger = p.trigger
	inv.Batch = len(p.units)
	return function.NewContext(ctx, inv)
}

var emptyBatchResponse = []byte(`{"batchItemFailures":[]}`)

// batchResponse encodes the batchItemFailures of the records that failed
// retryably; permanent failures are acknowledged.
func batchResponse(p *plan, res []result) ([]byte, error) {
	var failed []any
	for i, r := range res {
		if function.IsRetryable(r.err) {
			u := &p.units[i]
			if p.itemOf != nil {
				failed = append(failed, p.itemOf(u))
			} else {
				failed = append(failed, u.item)
			}
		}
	}
	if len(failed) == 0 {
		return emptyBatchResponse, nil
	}
	type itemFailure struct {
		ItemIdentifier any `json:"itemIdentifier"`
	}
	out := struct {
		BatchItemFailures []itemFailure `json:"batchItemFailures"`
	}{BatchItemFailures: make([]itemFailure, len(failed))}
	for i, id := range failed {
		out.BatchItemFailures[i].ItemIdentifier = id
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("lambda: encode batchItemFailures: %w", err)
	}
	return b, nil
}

// retryableErrors joins the retryable errors of res, or returns nil.
func retryableErrors(res []result) error {
	var errs []error
	for _, r := range res {
		if function.IsRetryable(r.err) {
			errs = append(errs, r.err)
		}
	}
	return errors.Join(errs...)
}
