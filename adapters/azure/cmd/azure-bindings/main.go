// Command azure-bindings writes the function.json of one function of an
// Azure Functions custom handler app, and the app's host.json if it has
// none, so a faasport function can be deployed with `func azure
// functionapp publish`:
//
//	go run ./adapters/azure/cmd/azure-bindings -app dist -function Orders -trigger queue -entity orders -return queue:orders-done
//	go run ./adapters/azure/cmd/azure-bindings -app dist -function Api -trigger http -route '{*path}' -auth-level anonymous
//	go run ./adapters/azure/cmd/azure-bindings -app dist -function Nightly -trigger timer -schedule '0 0 23 * * *' -retry exponential:5:10s:15m
//
// Triggers and their -entity: http (none; -route, -auth-level), timer
// (-schedule), queue (queue name), servicebus (queue, or
// topic/subscription), eventhubs (event hub name), eventgrid (none), blob
// (path, e.g. uploads/{name}), cosmosdb (database/container). -connection
// names the app setting that holds the connection (defaults per trigger).
//
// -auth-level is the HTTP trigger's authLevel: function (the default;
// callers need a function key), anonymous or admin (the master key).
//
// -retry writes the function's retry policy, which the host applies to
// timer, eventhubs and cosmosdb triggers (the others retry by their
// extension's host.json settings or their service): fixed:N:DELAY or
// exponential:N:MIN:MAX, N the most retries (-1: no limit) and each
// interval a Go duration (10s, 15m) or hh:mm:ss.
//
// A new host.json sets extensions.http.routePrefix to -route-prefix: ""
// by default, so HTTP routes are at the root (/items, as on the other
// platforms) rather than under the host's default /api.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/faasport/faasport/adapters/azure"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "azure-bindings:", err)
		os.Exit(2)
	}
}

// spec is what the flags describe.
type spec struct {
	app, function, trigger, entity, connection, schedule, route, ret, exe string
	routePrefix, authLevel, retry                                         string
	binary, one, noForward                                                bool
	// set holds the flags given on the command line.
	set map[string]bool
}

func run(args []string, stderr io.Writer) error {
	var s spec
	fs := flag.NewFlagSet("azure-bindings", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&s.app, "app", ".", "the function app's folder (host.json)")
	fs.StringVar(&s.function, "function", "", "the function's name (its folder)")
	fs.StringVar(&s.trigger, "trigger", "", "http, timer, queue, servicebus, eventhubs, eventgrid, blob or cosmosdb")
	fs.StringVar(&s.entity, "entity", "", "what the trigger listens to (see the command's doc)")
	fs.StringVar(&s.connection, "connection", "", "the app setting holding the connection")
	fs.StringVar(&s.schedule, "schedule", "0 */5 * * * *", "the timer's NCRONTAB schedule")
	fs.StringVar(&s.route, "route", "", "the HTTP trigger's route")
	fs.StringVar(&s.ret, "return", "", "an output binding for the reply, type:entity (queue:NAME, servicebus:NAME, eventhubs:NAME)")
	fs.StringVar(&s.exe, "executable", "handler", "the handler executable host.json names")
	fs.BoolVar(&s.binary, "binary", false, "pass the trigger's value as bytes (dataType binary)")
	fs.BoolVar(&s.one, "one", false, "Event Hubs: one event per invocation instead of batches")
	fs.BoolVar(&s.noForward, "no-forward", false, "host.json: post HTTP requests in the Data/Metadata form instead of forwarding them")
	fs.StringVar(&s.routePrefix, "route-prefix", "", `host.json: the prefix of HTTP routes ("" puts them at the root; the host's own default is "api")`)
	fs.StringVar(&s.authLevel, "auth-level", "function", "the HTTP trigger's authLevel: anonymous, function or admin")
	fs.StringVar(&s.retry, "retry", "", "the function's retry policy (timer, eventhubs, cosmosdb): fixed:N:DELAY or exponential:N:MIN:MAX")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; every setting is a flag (-h lists them)", fs.Arg(0))
	}
	s.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { s.set[f.Name] = true })
	if s.function == "" || s.trigger == "" {
		return errors.New("-function and -trigger are required")
	}
	fn, err := build(s)
	if err != nil {
		return err
	}
	retry, err := parseRetry(s.retry, fn)
	if err != nil {
		return err
	}
	if err := writeHost(s); err != nil {
		return err
	}
	b, err := json.MarshalIndent(functionJSON{Bindings: fn.Bindings, Retry: retry}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Join(s.app, s.function)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "function.json"), append(b, '\n'), 0o644)
}

func build(s spec) (*azure.Function, error) {
	conn := func(def string) map[string]any {
		if s.connection != "" {
			def = s.connection
		}
		return map[string]any{"connection": def}
	}
	t := azure.Binding{Direction: "in"}
	var extra []azure.Binding
	switch strings.ToLower(s.trigger) {
	case "http":
		level := strings.ToLower(s.authLevel)
		switch level {
		case "anonymous", "function", "admin":
		default:
			return nil, fmt.Errorf("-auth-level %q: use anonymous (no key), function (a function key) or admin (the master key)", s.authLevel)
		}
		t.Type, t.Name = azure.KindHTTP, "req"
		t.Extra = map[string]any{"authLevel": level, "methods": []string{"get", "post", "put", "patch", "delete"}}
		if s.route != "" {
			t.Extra["route"] = s.route
		}
		extra = append(extra, azure.Binding{Type: "http", Direction: "out", Name: "res"})
	case "timer":
		t.Type, t.Name, t.Extra = azure.KindTimer, "timer", map[string]any{"schedule": s.schedule}
	case "queue":
		t.Type, t.Name, t.Extra = azure.KindQueue, "message", conn("AzureWebJobsStorage")
		t.Extra["queueName"] = s.entity
	case "servicebus":
		t.Type, t.Name, t.Extra = azure.KindServiceBus, "message", conn("ServiceBusConnection")
		if topic, sub, ok := strings.Cut(s.entity, "/"); ok {
			t.Extra["topicName"], t.Extra["subscriptionName"] = topic, sub
		} else {
			t.Extra["queueName"] = s.entity
		}
	case "eventhubs":
		t.Type, t.Name, t.Extra = azure.KindEventHubs, "events", conn("EventHubConnection")
		t.Extra["eventHubName"] = s.entity
		t.Cardinality = "many"
		if s.one {
			t.Cardinality = "one"
		}
	case "eventgrid":
		t.Type, t.Name = azure.KindEventGrid, "event"
	case "blob":
		t.Type, t.Name, t.Extra = azure.KindBlob, "blob", conn("AzureWebJobsStorage")
		t.Extra["path"] = s.entity
	case "cosmosdb":
		db, container, ok := strings.Cut(s.entity, "/")
		if !ok {
			return nil, errors.New("cosmosdb: -entity is database/container")
		}
		t.Type, t.Name, t.Extra = azure.KindCosmosDB, "documents", conn("CosmosDBConnection")
		t.Extra["databaseName"], t.Extra["containerName"] = db, container
		t.Extra["leaseContainerName"], t.Extra["createLeaseContainerIfNotExists"] = "leases", true
	default:
		return nil, fmt.Errorf("unknown trigger %q; use http, timer, queue, servicebus, eventhubs, eventgrid, blob or cosmosdb", s.trigger)
	}
	if t.Type != azure.KindHTTP {
		for _, f := range []string{"auth-level", "route"} {
			if s.set[f] {
				return nil, fmt.Errorf("-%s is for -trigger http only; drop it for %s", f, s.trigger)
			}
		}
	}
	if needsEntity(t.Type) && s.entity == "" {
		return nil, fmt.Errorf("%s: -entity is required", s.trigger)
	}
	if s.binary {
		t.DataType = "binary"
	}
	if s.ret != "" {
		kind, entity, ok := strings.Cut(s.ret, ":")
		if !ok || entity == "" {
			return nil, fmt.Errorf("-return %q: use type:entity, e.g. queue:orders-done", s.ret)
		}
		out := azure.Binding{Direction: "out", Name: "$return"}
		switch kind {
		case "queue":
			out.Type, out.Extra = "queue", map[string]any{"queueName": entity, "connection": "AzureWebJobsStorage"}
		case "servicebus":
			out.Type, out.Extra = "serviceBus", map[string]any{"queueName": entity, "connection": "ServiceBusConnection"}
		case "eventhubs":
			out.Type, out.Extra = "eventHub", map[string]any{"eventHubName": entity, "connection": "EventHubConnection"}
		default:
			return nil, fmt.Errorf("-return %q: the type is queue, servicebus or eventhubs", s.ret)
		}
		extra = append(extra, out)
	}
	return &azure.Function{Name: s.function, Bindings: append([]azure.Binding{t}, extra...)}, nil
}

func needsEntity(kind string) bool {
	switch kind {
	case azure.KindHTTP, azure.KindTimer, azure.KindEventGrid:
		return false
	}
	return true
}

// writeHost writes host.json for a custom handler unless the app has one.
// An existing one is kept; a -route-prefix given on the command line must
// then agree with it.
func writeHost(s spec) error {
	prefix := strings.Trim(s.routePrefix, "/")
	if strings.ContainsAny(prefix, "{}*?") {
		return fmt.Errorf("-route-prefix %q: a route prefix is literal path segments (no {parameters}), e.g. \"\" or \"api\"", s.routePrefix)
	}
	path := filepath.Join(s.app, "host.json")
	if _, err := os.Stat(path); err == nil {
		if !s.set["route-prefix"] {
			return nil
		}
		app, err := azure.LoadApp(s.app)
		if err != nil {
			return err
		}
		if have := app.Host.RoutePrefix(); have != prefix {
			return fmt.Errorf("-route-prefix %q: the app's host.json exists and its route prefix is %q; edit extensions.http.routePrefix in it, or remove it to have it written", s.routePrefix, have)
		}
		return nil
	}
	host := map[string]any{
		"version":         "2.0",
		"extensionBundle": map[string]string{"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)"},
		"customHandler": map[string]any{
			"description":                 map[string]any{"defaultExecutablePath": s.exe},
			"enableForwardingHttpRequest": !s.noForward,
		},
		"extensions": map[string]any{"http": map[string]any{"routePrefix": prefix}},
	}
	b, err := json.MarshalIndent(host, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.app, 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// functionJSON is a function.json as written: the bindings and, where
// asked for, the retry policy.
type functionJSON struct {
	Bindings []azure.Binding `json:"bindings"`
	Retry    *retryPolicy    `json:"retry,omitempty"`
}

// retryPolicy is a function.json retry policy: fixedDelay with its
// delayInterval, or exponentialBackoff between minimumInterval and
// maximumInterval; intervals are "hh:mm:ss".
type retryPolicy struct {
	Strategy        string `json:"strategy"`
	MaxRetryCount   int    `json:"maxRetryCount"`
	DelayInterval   string `json:"delayInterval,omitempty"`
	MinimumInterval string `json:"minimumInterval,omitempty"`
	MaximumInterval string `json:"maximumInterval,omitempty"`
}

// retries reports whether the host applies a retry policy to a trigger of
// kind.
func retries(kind string) bool {
	switch kind {
	case azure.KindTimer, azure.KindEventHubs, azure.KindCosmosDB:
		return true
	}
	return false
}

// parseRetry reads -retry: fixed:N:DELAY or exponential:N:MIN:MAX. It
// returns nil for "".
func parseRetry(v string, fn *azure.Function) (*retryPolicy, error) {
	if v == "" {
		return nil, nil
	}
	const usage = "use fixed:N:DELAY or exponential:N:MIN:MAX, e.g. fixed:3:30s or exponential:5:10s:15m (N the most retries, -1 for no limit; intervals as 10s, 15m or hh:mm:ss)"
	if t, _ := fn.Trigger(); !retries(t.Type) {
		return nil, fmt.Errorf("-retry: the host applies retry policies to timer, eventhubs and cosmosdb triggers only, not to %s; drop -retry (queue, servicebus and blob redeliver failed messages by their host.json settings, an HTTP caller retries itself)", t.Type)
	}
	parts := strings.Split(v, ":")
	if len(parts) < 3 {
		return nil, fmt.Errorf("-retry %q: %s", v, usage)
	}
	p := &retryPolicy{}
	want := 0
	switch strings.ToLower(parts[0]) {
	case "fixed", "fixeddelay":
		p.Strategy, want = "fixedDelay", 1
	case "exponential", "exponentialbackoff":
		p.Strategy, want = "exponentialBackoff", 2
	default:
		return nil, fmt.Errorf("-retry %q: unknown strategy %q; %s", v, parts[0], usage)
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < -1 || n == 0 {
		return nil, fmt.Errorf("-retry %q: the retry count %q is not a positive integer or -1 (no limit); %s", v, parts[1], usage)
	}
	p.MaxRetryCount = n
	var intervals []time.Duration
	for rest := parts[2:]; len(rest) > 0; {
		d, used, err := parseInterval(rest)
		if err != nil {
			return nil, fmt.Errorf("-retry %q: %w; %s", v, err, usage)
		}
		intervals, rest = append(intervals, d), rest[used:]
	}
	if len(intervals) != want {
		return nil, fmt.Errorf("-retry %q: %s takes %d interval(s), got %d; %s", v, p.Strategy, want, len(intervals), usage)
	}
	if want == 1 {
		p.DelayInterval = hhmmss(intervals[0])
		return p, nil
	}
	if intervals[0] > intervals[1] {
		return nil, fmt.Errorf("-retry %q: the minimum interval %s exceeds the maximum %s; give MIN before MAX", v, intervals[0], intervals[1])
	}
	p.MinimumInterval, p.MaximumInterval = hhmmss(intervals[0]), hhmmss(intervals[1])
	return p, nil
}

// parseInterval reads one interval from the head of parts, which -retry's
// colons split: a Go duration (one part) or hh:mm:ss (three). It must be
// whole seconds, more than zero and less than a day.
func parseInterval(parts []string) (time.Duration, int, error) {
	bad := fmt.Errorf("the interval %q is neither a duration (10s, 15m) nor hh:mm:ss", strings.Join(parts[:min(3, len(parts))], ":"))
	var d time.Duration
	used := 1
	if strings.Trim(parts[0], "0123456789") != "" {
		var err error
		if d, err = time.ParseDuration(parts[0]); err != nil {
			return 0, 0, fmt.Errorf("the interval %q is neither a duration (10s, 15m) nor hh:mm:ss", parts[0])
		}
	} else {
		// A bare number starts hh:mm:ss.
		if len(parts) < 3 {
			return 0, 0, bad
		}
		var hms [3]int
		for i, limit := range []int{24, 60, 60} {
			n, err := strconv.Atoi(parts[i])
			if err != nil || n < 0 || n >= limit || len(parts[i]) > 2 {
				return 0, 0, bad
			}
			hms[i] = n
		}
		d, used = time.Duration(hms[0])*time.Hour+time.Duration(hms[1])*time.Minute+time.Duration(hms[2])*time.Second, 3
	}
	switch {
	case d <= 0:
		return 0, 0, fmt.Errorf("the interval %s is not positive", d)
	case d >= 24*time.Hour:
		return 0, 0, fmt.Errorf("the interval %s is a day or more; the host takes hh:mm:ss", d)
	case d%time.Second != 0:
		return 0, 0, fmt.Errorf("the interval %s is not whole seconds", d)
	}
	return d, used, nil
}

// hhmmss writes d, less than a day, as "hh:mm:ss".
func hhmmss(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}
