package azuretest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/faasport/faasport/adapters/azure"
)

// Invocation is one trigger's invocation as the host posts it, with the
// function.json trigger binding that makes the host post it, so a test can
// write the app ([WriteApp]) and send it ([Host.Send]) without fixtures.
// Values are encoded as the real host encodes them (strings twice).
type Invocation struct {
	// Function is the function's name.
	Function string
	// Trigger is its trigger binding.
	Trigger azure.Binding
	// Outputs are its output bindings, if any.
	Outputs []azure.Binding
	// Request is the invocation.
	Request azure.Request
}

func raw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("azuretest: %v", err))
	}
	return b
}

func sys(function string, at time.Time) json.RawMessage {
	return raw(map[string]string{"MethodName": function, "UtcNow": at.UTC().Format(time.RFC3339Nano), "RandGuid": NewInvocationID()})
}

func invocation(function string, t azure.Binding, value json.RawMessage, md map[string]json.RawMessage, at time.Time) Invocation {
	if md == nil {
		md = map[string]json.RawMessage{}
	}
	md["sys"] = sys(function, at)
	return Invocation{Function: function, Trigger: t, Request: azure.Request{Data: map[string]json.RawMessage{t.Name: value}, Metadata: md}}
}

// hostInt is an integer as the host encodes it: a string of digits.
func hostInt(n int) json.RawMessage { return raw(strconv.Itoa(n)) }

// QueueMessage is a Queue Storage message on queue "orders" to the function
// "Orders".
func QueueMessage(id, body string, dequeueCount int, at time.Time) Invocation {
	t := azure.Binding{Type: azure.KindQueue, Direction: "in", Name: "message", Extra: map[string]any{"queueName": "orders", "connection": "AzureWebJobsStorage"}}
	return invocation("Orders", t, HostEncoded(body), map[string]json.RawMessage{
		"Id": HostEncoded(id), "DequeueCount": hostInt(dequeueCount), "PopReceipt": HostEncoded("AgAAAAMAAAAAAAAA"),
		"InsertionTime": raw(at.UTC().Format(time.RFC3339)), "ExpirationTime": raw(at.Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339)),
	}, at)
}

// ServiceBusMessage is a message on the Service Bus queue "payments" to the
// function "Payments", with extension 5.x metadata.
func ServiceBusMessage(id, body string, deliveryCount int, props map[string]string, at time.Time) Invocation {
	t := azure.Binding{Type: azure.KindServiceBus, Direction: "in", Name: "message", Extra: map[string]any{"queueName": "payments", "connection": "ServiceBusConnection"}}
	if props == nil {
		props = map[string]string{}
	}
	return invocation("Payments", t, HostEncoded(body), map[string]json.RawMessage{
		"MessageId": HostEncoded(id), "DeliveryCount": hostInt(deliveryCount), "SequenceNumber": hostInt(1),
		"EnqueuedTimeUtc": raw(at.UTC().Format(time.RFC3339Nano)), "LockToken": HostEncoded(NewInvocationID()),
		"ApplicationProperties": raw(props),
	}, at)
}

// EventHubsEvents is a batch of events from partition 0 of the event hub
// "telemetry" to the function "Telemetry" (cardinality many), sequence
// numbers from 1.
func EventHubsEvents(at time.Time, bodies ...string) Invocation {
	t := azure.Binding{Type: azure.KindEventHubs, Direction: "in", Name: "events", Cardinality: "many", Extra: map[string]any{"eventHubName": "telemetry", "connection": "EventHubConnection"}}
	n := len(bodies)
	seq, off, times, keys, props := make([]int, n), make([]string, n), make([]string, n), make([]string, n), make([]map[string]string, n)
	for i := range bodies {
		seq[i], off[i], keys[i], props[i] = i+1, strconv.Itoa(64*i), "p", map[string]string{}
		times[i] = at.Add(time.Duration(i) * time.Millisecond).UTC().Format(time.RFC3339Nano)
	}
	return invocation("Telemetry", t, raw(string(raw(bodies))), map[string]json.RawMessage{
		"PartitionContext":     raw(map[string]string{"EventHubName": "telemetry", "ConsumerGroup": "$Default", "PartitionId": "0"}),
		"SequenceNumberArray":  raw(string(raw(seq))),
		"OffsetArray":          raw(off),
		"EnqueuedTimeUtcArray": raw(times),
		"PartitionKeyArray":    raw(keys),
		"PropertiesArray":      raw(props),
	}, at)
}

// BlobWritten is a blob written to container at name, to the function
// "Uploads" (dataType binary: the content travels base64).
func BlobWritten(container, name string, content []byte, etag string, at time.Time) Invocation {
	t := azure.Binding{Type: azure.KindBlob, Direction: "in", Name: "blob", DataType: "binary", Extra: map[string]any{"path": container + "/{name}", "connection": "AzureWebJobsStorage"}}
	return invocation("Uploads", t, raw(base64.StdEncoding.EncodeToString(content)), map[string]json.RawMessage{
		"BlobTrigger": HostEncoded(container + "/" + name),
		"Uri":         raw("https://account.blob.core.windows.net/" + container + "/" + name),
		"Properties":  raw(map[string]any{"ETag": `"` + etag + `"`, "ContentLength": len(content), "LastModified": at.UTC().Format(time.RFC3339)}),
		"name":        HostEncoded(name),
	}, at)
}

// CosmosChanges is a change feed batch of the container shop/orders to the
// function "Changes". Each document needs an "id"; _lsn and _ts are added.
func CosmosChanges(at time.Time, docs ...map[string]any) Invocation {
	t := azure.Binding{Type: azure.KindCosmosDB, Direction: "in", Name: "documents", Extra: map[string]any{"databaseName": "shop", "containerName": "orders", "connection": "CosmosDBConnection", "leaseContainerName": "leases"}}
	all := make([]map[string]any, len(docs))
	for i, d := range docs {
		c := map[string]any{"_lsn": i + 1, "_ts": at.Unix(), "_rid": "AAAA"}
		for k, v := range d {
			c[k] = v
		}
		all[i] = c
	}
	return invocation("Changes", t, raw(string(raw(all))), nil, at)
}

// EventGridEvent is an Event Grid event in its own schema to the function
// "Grid".
func EventGridEvent(id, eventType, topic, subject string, data any, at time.Time) Invocation {
	t := azure.Binding{Type: azure.KindEventGrid, Direction: "in", Name: "event"}
	return invocation("Grid", t, raw(map[string]any{
		"id": id, "eventType": eventType, "topic": topic, "subject": subject, "eventTime": at.UTC().Format(time.RFC3339Nano),
		"data": data, "dataVersion": "1", "metadataVersion": "1",
	}), nil, at)
}

// TimerTick is a firing of the function "Tick", every five minutes.
func TimerTick(at time.Time) Invocation {
	t := azure.Binding{Type: azure.KindTimer, Direction: "in", Name: "timer", Extra: map[string]any{"schedule": "0 */5 * * * *"}}
	return invocation("Tick", t, raw(map[string]any{
		"Schedule":       map[string]bool{"AdjustForDST": true},
		"ScheduleStatus": map[string]string{"Last": at.Add(-5 * time.Minute).UTC().Format(time.RFC3339), "Next": at.Add(5 * time.Minute).UTC().Format(time.RFC3339)},
		"IsPastDue":      false,
	}), nil, at)
}

// WriteApp writes a function app to dir: a custom handler host.json
// (forwarding HTTP requests; HTTP routes under the default prefix, /api)
// and a function.json for each invocation's function.
func WriteApp(dir string, invs ...Invocation) error {
	return writeApp(dir, `{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"handler"},"enableForwardingHttpRequest":true}}`, invs)
}

// WriteAppWithPrefix is [WriteApp] with host.json's
// extensions.http.routePrefix set to prefix: "" puts HTTP routes at the
// root, so paths are the same as on other platforms.
func WriteAppWithPrefix(dir, prefix string, invs ...Invocation) error {
	p, err := json.Marshal(prefix)
	if err != nil {
		return err
	}
	return writeApp(dir, `{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"handler"},"enableForwardingHttpRequest":true},"extensions":{"http":{"routePrefix":`+string(p)+`}}}`, invs)
}

func writeApp(dir, host string, invs []Invocation) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "host.json"), []byte(host+"\n"), 0o644); err != nil {
		return err
	}
	for _, inv := range invs {
		fn := azure.Function{Bindings: append([]azure.Binding{inv.Trigger}, inv.Outputs...)}
		b, err := json.MarshalIndent(fn, "", "  ")
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, inv.Function), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, inv.Function, "function.json"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Send posts inv to its function.
func (h *Host) Send(ctx context.Context, inv Invocation) (*Result, error) {
	return h.Invoke(ctx, inv.Function, inv.Request)
}
