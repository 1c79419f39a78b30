package fntest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/testing/azuretest"
)

// The functions of the function app fntest runs on Azure Functions. Their
// names start with "fntest-" so that they stay clear of the paths of a
// forwarded HTTP request; a timer's function is named after its schedule
// and a Cosmos DB trigger's after its container, as on Azure the function
// is what names them.
const (
	azureServiceBusFn = "fntest-servicebus"
	azureQueueFn      = "fntest-queue"
	azureEventHubsFn  = "fntest-eventhubs"
	azureBlobFn       = "fntest-blob"
	azureEventGridFn  = "fntest-eventgrid"
	azureHTTPFn       = "fntest-http"
	azureHTTPDataFn   = "fntest-http-data"
	azureCosmosPrefix = "fntest-cosmos-"
	// azureSchedule is every timer function's CRON expression.
	azureSchedule = "0 */5 * * * *"
	// azureMaxContent bounds the blob content a StorageObject carries.
	azureMaxContent = 1 << 20
)

// azureCall is an invocation of fntest's function app, and the ids of the
// events the adapter makes of it: what the host acknowledges or retries.
type azureCall struct {
	inv azuretest.Invocation
	ids []string
}

// azureOnly is an input with an Azure Functions shape only.
func azureOnly(name string, build func() (azureCall, error)) Input {
	return Input{name: name, azure: build}
}

// jsonOf encodes v, which the builders make of JSON-safe values only.
func jsonOf(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("fntest: %v", err))
	}
	return b
}

// hostString is a string value as the Functions host sends it: encoded
// twice (azuretest.HostEncoded).
func hostString(s string) json.RawMessage { return azuretest.HostEncoded(s) }

// hostInt is an integer as the host sends it: a string of digits.
func hostInt(n int) json.RawMessage { return jsonOf(strconv.Itoa(n)) }

// guid is a GUID-shaped id derived from parts, so inputs stay
// deterministic where the host would send a random one.
func guid(parts ...string) string {
	h := fnv.New128a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	s := fmt.Sprintf("%x", h.Sum(nil))
	return s[:8] + "-" + s[8:12] + "-4" + s[13:16] + "-8" + s[17:20] + "-" + s[20:32]
}

// azureInvocation is the host's post of value to fn under the trigger
// binding t, with the trigger's metadata md and the host's sys metadata.
// An attempt past the first on a trigger without delivery counts carries
// the retry policy's RetryContext.
func azureInvocation(fn string, t azure.Binding, value json.RawMessage, md map[string]json.RawMessage, o inputOptions, counted bool) azuretest.Invocation {
	if md == nil {
		md = map[string]json.RawMessage{}
	}
	md["sys"] = jsonOf(map[string]string{
		"MethodName": fn,
		"UtcNow":     o.at.Format(time.RFC3339Nano),
		"RandGuid":   guid(fn, o.idOf(0)),
	})
	if !counted && o.attempt > 1 {
		md["RetryContext"] = retryContext(o.attempt)
	}
	return azuretest.Invocation{Function: fn, Trigger: t, Request: azure.Request{Data: map[string]json.RawMessage{t.Name: value}, Metadata: md}}
}

// retryContext is the metadata a function's retry policy adds to the
// attempt-th delivery of an invocation.
func retryContext(attempt int) json.RawMessage {
	return jsonOf(map[string]any{"RetryCount": attempt - 1, "MaxRetryCount": 5})
}

// ServiceBus is a message with body on the Service Bus queue "fntest"
// (Azure Functions only), as the host posts it with extension 5.x
// metadata. [ID] sets MessageId, [Attribute] ApplicationProperties,
// [Group] SessionId, [Attempt] DeliveryCount (default 1). The host passes
// one message per invocation: a batch is the first of [Bodies].
func ServiceBus(body string, opts ...InputOption) Input {
	o := buildOptions(opts)
	return azureOnly("Service Bus message", func() (azureCall, error) {
		t := azure.Binding{Type: azure.KindServiceBus, Direction: "in", Name: "message",
			Extra: map[string]any{"queueName": testTopic, "connection": "ServiceBusConnection"}}
		props := map[string]string{}
		maps.Copy(props, o.attrs)
		md := map[string]json.RawMessage{
			"MessageId":             hostString(o.idOf(0)),
			"DeliveryCount":         hostInt(max(o.attempt, 1)),
			"SequenceNumber":        hostInt(1),
			"EnqueuedTimeUtc":       jsonOf(o.at.Format(time.RFC3339Nano)),
			"ExpiresAtUtc":          jsonOf(o.at.Add(14 * 24 * time.Hour).Format(time.RFC3339Nano)),
			"LockToken":             hostString(guid("lock", o.idOf(0))),
			"ApplicationProperties": jsonOf(props),
		}
		if o.group != "" {
			md["SessionId"] = hostString(o.group)
		}
		inv := azureInvocation(azureServiceBusFn, t, hostString(o.body(body, 0)), md, o, true)
		return azureCall{inv: inv, ids: []string{o.idOf(0)}}, nil
	})
}

// QueueStorage is a message with body on the storage queue "fntest"
// (Azure Functions only). [ID] sets its Id, [Attempt] DequeueCount
// (default 1); one message per invocation, the first of [Bodies].
func QueueStorage(body string, opts ...InputOption) Input {
	o := buildOptions(opts)
	return azureOnly("Queue Storage message", func() (azureCall, error) {
		t := azure.Binding{Type: azure.KindQueue, Direction: "in", Name: "message",
			Extra: map[string]any{"queueName": testTopic, "connection": "AzureWebJobsStorage"}}
		md := map[string]json.RawMessage{
			"Id":              hostString(o.idOf(0)),
			"DequeueCount":    hostInt(max(o.attempt, 1)),
			"PopReceipt":      hostString("AgAAAAMAAAAAAAAA" + strconv.Itoa(max(o.attempt, 1))),
			"InsertionTime":   jsonOf(o.at.Format(time.RFC3339)),
			"ExpirationTime":  jsonOf(o.at.Add(7 * 24 * time.Hour).Format(time.RFC3339)),
			"NextVisibleTime": jsonOf(o.at.Add(10 * time.Minute).Format(time.RFC3339)),
		}
		inv := azureInvocation(azureQueueFn, t, hostString(o.body(body, 0)), md, o, true)
		return azureCall{inv: inv, ids: []string{o.idOf(0)}}, nil
	})
}

// EventHubs is a batch of events on partition 0 of the event hub "fntest"
// (Azure Functions only; cardinality many): one event of body, or
// [Batch] or [Bodies] of them. Events are numbered by sequence number from
// 1, so their ids are "0:1", "0:2", … whatever [ID] says; [Group] sets the
// partition key, [Attribute] each event's properties.
func EventHubs(body string, opts ...InputOption) Input {
	o := buildOptions(opts)
	return azureOnly("Event Hubs events", func() (azureCall, error) {
		t := azure.Binding{Type: azure.KindEventHubs, Direction: "in", Name: "events", Cardinality: "many",
			Extra: map[string]any{"eventHubName": testTopic, "consumerGroup": "$Default", "connection": "EventHubConnection"}}
		n := o.n
		bodies, seqs, offsets, times, keys, props := make([]string, n), make([]int, n), make([]string, n), make([]string, n), make([]string, n), make([]map[string]string, n)
		ids := make([]string, n)
		for i := range n {
			bodies[i] = o.body(body, i)
			seqs[i] = i + 1
			ids[i] = "0:" + strconv.Itoa(i+1)
			offsets[i] = strconv.Itoa(64 * i)
			times[i] = o.at.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)
			keys[i] = o.group
			props[i] = map[string]string{}
			maps.Copy(props[i], o.attrs)
		}
		md := map[string]json.RawMessage{
			"PartitionContext":     jsonOf(map[string]string{"FullyQualifiedNamespace": "fntest.servicebus.windows.net", "EventHubName": testTopic, "ConsumerGroup": "$Default", "PartitionId": "0"}),
			"SequenceNumberArray":  jsonOf(seqs),
			"OffsetArray":          jsonOf(offsets),
			"EnqueuedTimeUtcArray": jsonOf(times),
			"PartitionKeyArray":    jsonOf(keys),
			"PropertiesArray":      jsonOf(props),
		}
		// The host sends the batch as a string of a JSON array of strings.
		inv := azureInvocation(azureEventHubsFn, t, jsonOf(string(jsonOf(bodies))), md, o, false)
		return azureCall{inv: inv, ids: ids}, nil
	})
}

// Blob is a blob written to container at name, as the blob trigger
// delivers it (Azure Functions only): its content travels base64
// (dataType binary), its properties in the metadata. [Version] sets the
// blob's VersionId, [ContentType] its content type, [Attribute] its
// metadata; the ETag follows the version.
func Blob(container, name string, content []byte, opts ...InputOption) Input {
	o := buildOptions(opts)
	content = append([]byte(nil), content...)
	return azureOnly("blob", func() (azureCall, error) {
		return blobCall(container, name, content, int64(len(content)), o), nil
	})
}

func blobCall(container, name string, content []byte, size int64, o inputOptions) azureCall {
	t := azure.Binding{Type: azure.KindBlob, Direction: "in", Name: "blob", DataType: "binary",
		Extra: map[string]any{"path": testTopic + "/{name}", "connection": "AzureWebJobsStorage"}}
	ct := o.contentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	etag := "0x8DE" + strings.ToUpper(strings.ReplaceAll(guid(container, name, o.version), "-", "")[:12])
	props := map[string]any{
		"ContentType": ct, "ContentLength": size, "ETag": `"` + etag + `"`,
		"LastModified": o.at.Format(time.RFC3339), "CreatedOn": o.at.Format(time.RFC3339), "BlobType": "BlockBlob",
	}
	if o.version != "" {
		props["VersionId"] = o.version
	}
	meta := map[string]string{}
	maps.Copy(meta, o.attrs)
	md := map[string]json.RawMessage{
		"BlobTrigger": hostString(container + "/" + name),
		"Uri":         jsonOf("https://fntest.blob.core.windows.net/" + container + "/" + name),
		"Properties":  jsonOf(props),
		"Metadata":    jsonOf(meta),
		"name":        hostString(name),
	}
	inv := azureInvocation(azureBlobFn, t, jsonOf(base64.StdEncoding.EncodeToString(content)), md, o, false)
	return azureCall{inv: inv, ids: []string{container + "/" + name + "@" + etag}}
}

// EventGrid is an event in the Event Grid schema (Azure Functions only):
// eventType typ from topic about subject, with JSON data. [ID] sets its
// id, [Version] its dataVersion (default "1.0").
func EventGrid(typ, topic, subject, data string, opts ...InputOption) Input {
	o := buildOptions(opts)
	return azureOnly("Event Grid event", func() (azureCall, error) {
		if !json.Valid([]byte(data)) {
			return azureCall{}, fmt.Errorf("fntest: Event Grid data %q is not JSON; pass a JSON value, or build the event with Event", data)
		}
		dv := o.version
		if dv == "" {
			dv = "1.0"
		}
		ev := map[string]any{
			"id": o.idOf(0), "eventType": typ, "topic": topic, "subject": subject,
			"eventTime": o.at.Format(time.RFC3339Nano), "data": json.RawMessage(data),
			"dataVersion": dv, "metadataVersion": "1",
		}
		inv := azureInvocation(azureEventGridFn, eventGridBinding(), jsonOf(ev), nil, o, false)
		return azureCall{inv: inv, ids: []string{o.idOf(0)}}, nil
	})
}

func eventGridBinding() azure.Binding {
	return azure.Binding{Type: azure.KindEventGrid, Direction: "in", Name: "event"}
}

// eventGridCloudEvents is es delivered by Event Grid in the CloudEvents
// 1.0 schema: one event, or an array of them.
func eventGridCloudEvents(es []event.Event) (azureCall, error) {
	o := buildOptions(nil)
	var value json.RawMessage
	var err error
	if len(es) == 1 {
		value, err = json.Marshal(es[0])
	} else {
		value, err = json.Marshal(es)
	}
	if err != nil {
		return azureCall{}, fmt.Errorf("fntest: encode the CloudEvents for Event Grid: %w", err)
	}
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID()
	}
	o.id = ids[0]
	inv := azureInvocation(azureEventGridFn, eventGridBinding(), value, nil, o, false)
	return azureCall{inv: inv, ids: ids}, nil
}

// CosmosDB is a change to document in the Cosmos DB container "fntest" /
// container (Azure Functions only), as the change feed delivers it: the
// document as it is now, with the system properties added (_lsn from
// [Version] when it is digits, else 1). The document's "id" is required.
// The function is named after the container.
func CosmosDB(container string, document map[string]any, opts ...InputOption) Input {
	o := buildOptions(opts)
	return azureOnly("Cosmos DB change", func() (azureCall, error) {
		id, ok := document["id"].(string)
		if !ok || id == "" {
			return azureCall{}, fmt.Errorf("fntest: a Cosmos DB document needs a string \"id\"; got %v", document["id"])
		}
		lsn := 1
		if n, err := strconv.Atoi(o.version); err == nil && n > 0 {
			lsn = n
		}
		doc := maps.Clone(document)
		doc["_rid"] = "AAAAAA=="
		doc["_self"] = "dbs/AAAA/colls/AAAA/docs/" + id
		doc["_etag"] = `"` + guid(container, id, strconv.Itoa(lsn)) + `"`
		doc["_ts"] = o.at.Unix()
		doc["_lsn"] = lsn
		docs, err := json.Marshal([]map[string]any{doc})
		if err != nil {
			return azureCall{}, fmt.Errorf("fntest: Cosmos DB document: %w", err)
		}
		fn := azureCosmosPrefix + functionName(container)
		t := azure.Binding{Type: azure.KindCosmosDB, Direction: "in", Name: "documents",
			Extra: map[string]any{"databaseName": testTopic, "containerName": container, "connection": "CosmosDBConnection", "leaseContainerName": "leases"}}
		// The host sends the documents as a string of a JSON array.
		inv := azureInvocation(fn, t, jsonOf(string(docs)), nil, o, false)
		return azureCall{inv: inv, ids: []string{id + "@" + strconv.Itoa(lsn)}}, nil
	})
}

// Timer is a firing of the timer-triggered function name (Azure Functions
// only), every five minutes: the occurrence due at the input's time
// ([At]). Its id is the function and the next occurrence, whatever [ID]
// says.
func Timer(name string, opts ...InputOption) Input {
	o := buildOptions(opts)
	return azureOnly("timer", func() (azureCall, error) {
		fn := functionName(name)
		t := azure.Binding{Type: azure.KindTimer, Direction: "in", Name: "timer", Extra: map[string]any{"schedule": azureSchedule}}
		next := o.at.Add(5 * time.Minute)
		v := map[string]any{
			"Schedule": map[string]bool{"AdjustForDST": true},
			"ScheduleStatus": map[string]string{
				"Last": o.at.Add(-5 * time.Minute).Format(time.RFC3339), "Next": next.Format(time.RFC3339),
				"LastUpdated": o.at.Add(-5 * time.Minute).Format(time.RFC3339),
			},
			"IsPastDue": false,
		}
		inv := azureInvocation(fn, t, jsonOf(v), nil, o, false)
		return azureCall{inv: inv, ids: []string{fn + "@" + next.Format(time.RFC3339)}}, nil
	})
}

var notFunctionName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// functionName makes s a valid function name: letters, digits, - and _,
// starting with a letter.
func functionName(s string) string {
	s = strings.Trim(notFunctionName.ReplaceAllString(s, "-"), "-")
	if s == "" || !(s[0] >= 'A' && s[0] <= 'Z' || s[0] >= 'a' && s[0] <= 'z') {
		s = "fn-" + s
	}
	return s
}

// httpFunction is the app's HTTP-only function, to which the host
// forwards every request.
func httpFunction() azuretest.Invocation {
	return azuretest.Invocation{
		Function: azureHTTPFn,
		Trigger: azure.Binding{Type: azure.KindHTTP, Direction: "in", Name: "req",
			Extra: map[string]any{"authLevel": "anonymous", "route": "{*path}"}},
		Outputs: []azure.Binding{{Type: "http", Direction: "out", Name: "res"}},
	}
}

// AzureHTTP is req as the Functions host posts an HTTP trigger's request
// in its Data/Metadata form (Azure Functions only): to a function that is
// not HTTP-only (here one with a queue output as well), or whose app does
// not forward requests. Data.req holds the Url, Method, Query (a string of
// JSON), Headers (each a list), Params (the route's "path") and Body. The
// adapter gives the request to an HTTP handler, or, as here with [Invoke]
// and an event handler, makes it an event of type
// com.github.faasport.http.request. A body that is not UTF-8 travels
// intact only as application/octet-stream or multipart/* (base64, as the
// host sends those); for others use [Serve], which forwards the request.
// The request's body is read once, when AzureHTTP is called.
func AzureHTTP(req *http.Request, opts ...InputOption) Input {
	o := buildOptions(opts)
	p, err := readRequest(req)
	u := *req.URL
	if u.Host == "" {
		u.Scheme, u.Host = "http", "localhost:7071"
		if req.Host != "" {
			u.Host = req.Host
		}
	}
	return azureOnly("Azure HTTP trigger request", func() (azureCall, error) {
		if err != nil {
			return azureCall{}, err
		}
		ct := p.headers.Get("Content-Type")
		binary := strings.HasPrefix(ct, "application/octet-stream") || strings.HasPrefix(ct, "multipart/")
		body := p.body
		switch {
		case binary && !p.base64:
			body = base64.StdEncoding.EncodeToString([]byte(p.body))
		case !binary && p.base64:
			return azureCall{}, fmt.Errorf("fntest: the %s body is not UTF-8: the host sends it intact only as application/octet-stream or multipart/*; set one of them, or send the request with Serve", ct)
		}
		q := map[string]string{}
		for k, vs := range p.query {
			q[k] = strings.Join(vs, ",")
		}
		r := map[string]any{
			"Url": u.String(), "Method": p.method, "Query": string(jsonOf(q)),
			"Headers": p.headers, "Params": map[string]string{"path": strings.TrimPrefix(p.path, "/")},
		}
		if body != "" {
			r["Body"] = body
		}
		inv := azureInvocation(azureHTTPDataFn, azureHTTPDataFunction().Trigger, jsonOf(r), nil, o, false)
		inv.Outputs = azureHTTPDataFunction().Outputs
		return azureCall{inv: inv}, nil
	})
}

// azureHTTPDataFunction is the app's HTTP function with another output
// binding, which the host posts requests to in the Data/Metadata form.
func azureHTTPDataFunction() azuretest.Invocation {
	return azuretest.Invocation{
		Function: azureHTTPDataFn,
		Trigger: azure.Binding{Type: azure.KindHTTP, Direction: "in", Name: "req",
			Extra: map[string]any{"authLevel": "anonymous", "route": "{*path}"}},
		Outputs: []azure.Binding{
			{Type: "http", Direction: "out", Name: "res"},
			{Type: "queue", Direction: "out", Name: "msg", Extra: map[string]any{"queueName": testTopic + "-out", "connection": "AzureWebJobsStorage"}},
		},
	}
}

// azureApp is the function app a fresh Azure instance runs: the HTTP
// function, a function for each Azure builder with a fixed name, and the
// functions extra names (a timer's, a Cosmos DB container's).
func azureApp(extra ...azuretest.Invocation) []azuretest.Invocation {
	app := []azuretest.Invocation{httpFunction(), azureHTTPDataFunction()}
	seen := map[string]bool{azureHTTPFn: true, azureHTTPDataFn: true}
	add := func(inv azuretest.Invocation) {
		if !seen[inv.Function] {
			seen[inv.Function] = true
			app = append(app, inv)
		}
	}
	for _, in := range []Input{ServiceBus(""), QueueStorage(""), EventHubs(""), Blob(testTopic, "x", nil), EventGrid("t", "/t", "s", "{}")} {
		c, err := in.azure()
		if err == nil {
			add(c.inv)
		}
	}
	for _, inv := range extra {
		add(inv)
	}
	return app
}

// azureAttempt is the delivery attempt an invocation says: Service Bus
// DeliveryCount, Queue Storage DequeueCount, else the RetryContext's
// RetryCount plus one; 1 if it says none.
func azureAttempt(req azure.Request) int {
	for _, k := range []string{"DeliveryCount", "DequeueCount"} {
		if n, ok := hostNumber(req.Metadata[k]); ok && n > 0 {
			return n
		}
	}
	var rc struct {
		RetryCount *int `json:"RetryCount"`
	}
	if json.Unmarshal(req.Metadata["RetryContext"], &rc) == nil && rc.RetryCount != nil {
		return *rc.RetryCount + 1
	}
	return 1
}

// hostNumber reads an integer the host sends as a number or a string.
func hostNumber(raw json.RawMessage) (int, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		n, err := strconv.Atoi(s)
		return n, err == nil
	}
	var n int
	return n, json.Unmarshal(raw, &n) == nil
}

// azureAgain is call as the host posts it again, as attempt: the whole
// invocation, with its delivery count, or else its RetryContext, set.
func azureAgain(call *azureCall, attempt int) *azureCall {
	out := *call
	req := call.inv.Request
	md := maps.Clone(req.Metadata)
	switch {
	case md["DeliveryCount"] != nil:
		md["DeliveryCount"] = hostInt(attempt)
	case md["DequeueCount"] != nil:
		md["DequeueCount"] = hostInt(attempt)
		md["PopReceipt"] = hostString("AgAAAAMAAAAAAAAA" + strconv.Itoa(attempt))
	default:
		md["RetryContext"] = retryContext(attempt)
	}
	out.inv.Request = azure.Request{Data: req.Data, Metadata: md}
	return &out
}
