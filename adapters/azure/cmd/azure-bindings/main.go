// Command azure-bindings writes the function.json of one function of an
// Azure Functions custom handler app, and the app's host.json if it has
// none, so a faasport function can be deployed with `func azure
// functionapp publish`:
//
//	go run ./adapters/azure/cmd/azure-bindings -app dist -function Orders -trigger queue -entity orders -return queue:orders-done
//	go run ./adapters/azure/cmd/azure-bindings -app dist -function Api -trigger http -route '{*path}'
//
// Triggers and their -entity: http (none; -route), timer (-schedule),
// queue (queue name), servicebus (queue, or topic/subscription), eventhubs
// (event hub name), eventgrid (none), blob (path, e.g. uploads/{name}),
// cosmosdb (database/container). -connection names the app setting that
// holds the connection (defaults per trigger).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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
	binary, one, noForward                                                bool
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if s.function == "" || s.trigger == "" {
		return errors.New("-function and -trigger are required")
	}
	fn, err := build(s)
	if err != nil {
		return err
	}
	if err := writeHost(s); err != nil {
		return err
	}
	b, err := json.MarshalIndent(fn, "", "  ")
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
		t.Type, t.Name = azure.KindHTTP, "req"
		t.Extra = map[string]any{"authLevel": "function", "methods": []string{"get", "post", "put", "patch", "delete"}}
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
func writeHost(s spec) error {
	path := filepath.Join(s.app, "host.json")
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	host := map[string]any{
		"version":         "2.0",
		"extensionBundle": map[string]string{"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)"},
		"customHandler": map[string]any{
			"description":                 map[string]any{"defaultExecutablePath": s.exe},
			"enableForwardingHttpRequest": !s.noForward,
		},
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
