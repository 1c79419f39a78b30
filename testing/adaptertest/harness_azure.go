package adaptertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/azuretest"
)

// Azure is the harness of adapters/azure: the adapter runs as a custom
// handler on a loopback port, under the test host of testing/azuretest,
// and each event arrives as the Functions host posts a Service Bus queue
// message (the event's data as the message body, its id as MessageId, the
// attempt as DeliveryCount).
//
// Its batches (Event Hubs) number their events by sequence number, not by
// ids a sender chooses, so the harness does not declare Batches; the Azure
// adapter's own tests cover them.
func Azure() Harness { return azureHarness{} }

type azureHarness struct{}

func (azureHarness) Name() string                { return "azure" }
func (azureHarness) Platform() function.Platform { return function.PlatformAzureFunctions }
func (azureHarness) Features() Features {
	return Features{Replies: true, RetryAfter: true, BodyLimit: true, Attempt: true}
}

// sample is the invocation whose function.json the harness's app holds.
func sample(id, body string, attempt int) azuretest.Invocation {
	return azuretest.ServiceBusMessage(id, body, attempt, nil, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
}

func (azureHarness) New(h function.Handler, o Options) (Adapter, error) {
	dir, err := os.MkdirTemp("", "adaptertest-azure-")
	if err != nil {
		return nil, fmt.Errorf("adaptertest: azure app folder: %w", err)
	}
	if err := azuretest.WriteApp(dir, sample("x", "{}", 1)); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("adaptertest: write the azure app: %w", err)
	}
	opts := []azure.Option{azure.Events(h), azure.WithLogger(quiet())}
	if o.MaxBodyBytes > 0 {
		opts = append(opts, azure.WithMaxBodyBytes(o.MaxBodyBytes))
	}
	if o.Timeout > 0 {
		opts = append(opts, azure.WithTimeout(o.Timeout))
	}
	ctx, cancel := context.WithCancel(context.Background())
	host, err := azuretest.Serve(ctx, dir, opts...)
	if err != nil {
		cancel()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("adaptertest: start the azure custom handler: %w", err)
	}
	return &azureAdapter{host: host, cancel: cancel, dir: dir}, nil
}

type azureAdapter struct {
	host   *azuretest.Host
	cancel context.CancelFunc
	dir    string
}

// Stop ends the handler's context, as the host does at shutdown: the
// adapter drains the invocations in flight, then runs the stop hooks.
func (a *azureAdapter) Stop(context.Context) error {
	if a.cancel == nil {
		return nil
	}
	a.cancel()
	a.cancel = nil
	err := a.host.Wait()
	_ = os.RemoveAll(a.dir)
	return err
}

func (a *azureAdapter) Deliver(ctx context.Context, d Delivery) (Result, error) {
	if len(d.Events) != 1 {
		return Result{}, errors.New("adaptertest: the azure harness delivers one event at a time")
	}
	e := d.Events[0]
	attempt := d.Attempt
	if attempt == 0 {
		attempt = 1
	}
	res, err := a.host.Send(ctx, sample(e.ID(), string(e.Data()), attempt))
	if err != nil {
		return Result{}, err
	}
	// The host keeps the response's Logs in the function's log stream, the
	// operators' side; what reaches the trigger is the status and the
	// output bindings, so Response holds the answer without Logs.
	r := Result{Status: res.Status, Response: withoutLogs(res), Redelivered: frontdoor.Redelivered(res.Status)}
	if s := res.Header.Get("Retry-After"); s != "" {
		secs, _ := strconv.Atoi(s)
		r.RetryAfter = time.Duration(secs) * time.Second
	}
	if r.Redelivered {
		r.Failed = []string{e.ID()}
	}
	if len(res.ReturnValue) > 0 && string(res.ReturnValue) != "null" {
		r.Reply = res.ReturnValue
	}
	return r, nil
}

// withoutLogs is the handler's answer as the trigger sees it: the response
// payload less its Logs, or the body of an answer that is not one.
func withoutLogs(res *azuretest.Result) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(res.Body, &m); err != nil {
		return res.Body
	}
	if _, ok := m["Logs"]; !ok {
		return res.Body
	}
	delete(m, "Logs")
	b, err := json.Marshal(m)
	if err != nil {
		return res.Body
	}
	return b
}
