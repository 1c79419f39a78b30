package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"sort"
	"strings"
	"time"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/fntest"
)

// source is one kind of native event the command can build.
type source struct {
	about string
	// build makes the event; nil for plain HTTP requests.
	build func(f *eventFlags) (fntest.Input, error)
	// web marks sources that invoke an HTTP handler.
	web bool
}

// sources returns the event sources by name.
func sources() map[string]source {
	return map[string]source{
		"queue":   {about: "a queue message: SQS on Lambda, Pub/Sub elsewhere", build: msg(fntest.QueueMessage)},
		"storage": {about: "a new stored object: S3 on Lambda, Cloud Storage elsewhere", build: object(fntest.StorageObject)},
		"change":  {about: "a database change: DynamoDB Streams on Lambda, Firestore elsewhere", build: change(fntest.DatabaseChange)},
		"schedule": {about: "a schedule tick: EventBridge on Lambda, Cloud Scheduler elsewhere", build: func(f *eventFlags) (fntest.Input, error) {
			return fntest.ScheduleTick(f.name, f.options()...), nil
		}},
		"bus": {about: "an application event: EventBridge on Lambda, Eventarc elsewhere", build: func(f *eventFlags) (fntest.Input, error) {
			return fntest.BusEvent(f.typ, f.source, f.bodyOr(`{"id":"o-1"}`), f.options()...), nil
		}},

		"sqs":     {about: "SQS messages (Lambda)", build: msg(fntest.SQS)},
		"sns":     {about: "SNS notifications (Lambda)", build: msg(fntest.SNS)},
		"kinesis": {about: "Kinesis records (Lambda)", build: msg(fntest.Kinesis)},
		"kafka":   {about: "MSK / Kafka records (Lambda)", build: msg(fntest.Kafka)},
		"s3":      {about: "an S3 object created (Lambda)", build: object(fntest.S3)},
		"dynamodb": {about: "a DynamoDB Streams record (Lambda)", build: change(func(table string, key, n, o map[string]any, opts ...fntest.InputOption) fntest.Input {
			return fntest.DynamoDB(table, key, n, o, opts...)
		})},
		"eventbridge": {about: "an EventBridge event (Lambda)", build: func(f *eventFlags) (fntest.Input, error) {
			return fntest.EventBridge(f.typ, f.source, f.bodyOr(`{"id":"o-1"}`), f.options()...), nil
		}},
		"eventbridge-schedule": {about: "an EventBridge Scheduled Event (Lambda)", build: func(f *eventFlags) (fntest.Input, error) {
			return fntest.EventBridgeSchedule(f.name, f.options()...), nil
		}},
		"apigw-v1":     {about: "an API Gateway REST API request (Lambda)", build: web(fntest.APIGatewayV1), web: true},
		"apigw-v2":     {about: "an API Gateway HTTP API request (Lambda)", build: web(fntest.APIGatewayV2), web: true},
		"alb":          {about: "an Application Load Balancer request (Lambda)", build: web(fntest.ALB), web: true},
		"function-url": {about: "a Function URL request (Lambda)", build: web(fntest.FunctionURL), web: true},

		"pubsub": {about: "a Pub/Sub message via Eventarc (Cloud Functions, Cloud Run, net/http)", build: msg(fntest.PubSub)},
		"gcs":    {about: "a Cloud Storage object finalized (Cloud Functions, Cloud Run, net/http)", build: object(fntest.GCS)},
		"firestore": {about: "a Firestore document change (Cloud Functions, Cloud Run, net/http)", build: change(func(table string, key, n, o map[string]any, opts ...fntest.InputOption) fntest.Input {
			return fntest.Firestore(table+"/"+fmt.Sprint(firstValue(key)), n, o, opts...)
		})},
		"cloud-scheduler": {about: "a Cloud Scheduler job execution (Cloud Functions, Cloud Run, net/http)", build: func(f *eventFlags) (fntest.Input, error) {
			return fntest.CloudScheduler(f.name, f.options()...), nil
		}},
		"eventarc": {about: "an application CloudEvent via Eventarc (Cloud Functions, Cloud Run, net/http)", build: func(f *eventFlags) (fntest.Input, error) {
			return fntest.Eventarc(f.typ, f.source, f.bodyOr(`{"id":"o-1"}`), f.options()...), nil
		}},
		"http": {about: "a plain HTTP request (Cloud Run, net/http; API Gateway HTTP API on Lambda)", web: true},
	}
}

func firstValue(m map[string]any) any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return m[keys[0]]
}

func msg(b func(string, ...fntest.InputOption) fntest.Input) func(*eventFlags) (fntest.Input, error) {
	return func(f *eventFlags) (fntest.Input, error) { return b(f.bodyOr(`{"id":"o-1"}`), f.options()...), nil }
}

func object(b func(string, string, int64, ...fntest.InputOption) fntest.Input) func(*eventFlags) (fntest.Input, error) {
	return func(f *eventFlags) (fntest.Input, error) { return b(f.bucket, f.key, f.size, f.options()...), nil }
}

func change(b func(string, map[string]any, map[string]any, map[string]any, ...fntest.InputOption) fntest.Input) func(*eventFlags) (fntest.Input, error) {
	return func(f *eventFlags) (fntest.Input, error) {
		var key, newItem, oldItem map[string]any
		for _, j := range []struct {
			flag, text string
			into       *map[string]any
		}{{"-item-key", f.itemKey, &key}, {"-new", f.newItem, &newItem}, {"-old", f.oldItem, &oldItem}} {
			if j.text == "" {
				continue
			}
			d := json.NewDecoder(strings.NewReader(j.text))
			d.UseNumber()
			if err := d.Decode(j.into); err != nil {
				return fntest.Input{}, fmt.Errorf("faasport: %s %q is not a JSON object: %w", j.flag, j.text, err)
			}
		}
		return b(f.table, key, newItem, oldItem, f.options()...), nil
	}
}

func web(b func(*http.Request, ...fntest.InputOption) fntest.Input) func(*eventFlags) (fntest.Input, error) {
	return func(f *eventFlags) (fntest.Input, error) {
		req, err := f.request()
		if err != nil {
			return fntest.Input{}, err
		}
		return b(req, f.options()...), nil
	}
}

func listSources(w io.Writer) {
	all := sources()
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-21s %s\n", n, all[n].about)
	}
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// maxBatch is the largest -batch: the most records Lambda puts in one
// invocation (SQS, Kinesis, Kafka batch size limit). A larger one would
// only exhaust memory building it.
const maxBatch = 10000

// eventFlags are the flags that shape an event.
type eventFlags struct {
	body, id, group, at              string
	bodies, attrs, headers           multi
	attempt, batch                   int
	bucket, key, version, ctype      string
	size                             int64
	table, itemKey, newItem, oldItem string
	typ, source, name                string
	method, path                     string
}

func (f *eventFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.body, "body", "", "message body, event data or detail, or HTTP request body (default a small JSON object)")
	fs.Var(&f.bodies, "bodies", "one record's body; repeat for a batch of different records")
	fs.StringVar(&f.id, "id", "", "native id of the message or event (record i of a batch gets id-i)")
	fs.StringVar(&f.group, "group", "", "ordering group: SQS FIFO message group, Pub/Sub ordering key, Kinesis partition key, Kafka key")
	fs.IntVar(&f.attempt, "attempt", 0, "delivery attempt (SQS receive count, Pub/Sub deliveryAttempt)")
	fs.IntVar(&f.batch, "batch", 1, "number of records, where the platform batches")
	fs.Var(&f.attrs, "attr", "message attribute name=value; repeatable")
	fs.StringVar(&f.at, "time", "", "event time, RFC 3339 (default 2026-01-02T03:04:05Z)")
	fs.StringVar(&f.bucket, "bucket", "uploads", "bucket of a storage event")
	fs.StringVar(&f.key, "key", "photos/cat.jpg", "object key of a storage event")
	fs.Int64Var(&f.size, "size", 1024, "object size of a storage event")
	fs.StringVar(&f.version, "version", "", "object version: S3 versionId, Cloud Storage generation")
	fs.StringVar(&f.ctype, "content-type", "", "object content type (Cloud Storage)")
	fs.StringVar(&f.table, "table", "orders", "table or collection of a database change")
	fs.StringVar(&f.itemKey, "item-key", `{"id":"o-1"}`, "key of the changed item, a JSON object")
	fs.StringVar(&f.newItem, "new", `{"id":"o-1","qty":2}`, "item after the change, a JSON object; empty for a removal")
	fs.StringVar(&f.oldItem, "old", "", "item before the change, a JSON object; empty for an insert")
	fs.StringVar(&f.typ, "type", "com.example.order.placed", "event type (EventBridge detail-type, CloudEvent type)")
	fs.StringVar(&f.source, "source", "com.example.shop", "event source")
	fs.StringVar(&f.name, "name", "nightly", "schedule rule or job name")
	fs.StringVar(&f.method, "method", http.MethodGet, "HTTP method")
	fs.StringVar(&f.path, "path", "/", "HTTP path and query")
	fs.Var(&f.headers, "header", "HTTP header Name: value; repeatable")
}

func (f *eventFlags) bodyOr(def string) string {
	if f.body != "" {
		return f.body
	}
	return def
}

func (f *eventFlags) options() []fntest.InputOption {
	var opts []fntest.InputOption
	if f.id != "" {
		opts = append(opts, fntest.ID(f.id))
	}
	if f.group != "" {
		opts = append(opts, fntest.Group(f.group))
	}
	if f.attempt > 0 {
		opts = append(opts, fntest.Attempt(f.attempt))
	}
	if f.batch > 1 {
		opts = append(opts, fntest.Batch(f.batch))
	}
	if len(f.bodies) > 0 {
		opts = append(opts, fntest.Bodies(f.bodies...))
	}
	for _, a := range f.attrs {
		k, v, _ := strings.Cut(a, "=")
		opts = append(opts, fntest.Attribute(k, v))
	}
	if t, err := time.Parse(time.RFC3339Nano, f.at); err == nil {
		opts = append(opts, fntest.At(t))
	}
	if f.version != "" {
		opts = append(opts, fntest.Version(f.version))
	}
	if f.ctype != "" {
		opts = append(opts, fntest.ContentType(f.ctype))
	}
	return opts
}

func (f *eventFlags) check() error {
	if f.batch < 1 || f.batch > maxBatch {
		return fmt.Errorf("faasport: -batch %d: write a number of records from 1 to %d, the largest batch Lambda delivers", f.batch, maxBatch)
	}
	if f.at != "" {
		if _, err := time.Parse(time.RFC3339Nano, f.at); err != nil {
			return fmt.Errorf("faasport: -time %q: %w", f.at, err)
		}
	}
	for _, a := range f.attrs {
		if k, _, ok := strings.Cut(a, "="); !ok || k == "" {
			return fmt.Errorf("faasport: -attr %q: write name=value", a)
		}
	}
	for _, h := range f.headers {
		if k, _, ok := strings.Cut(h, ":"); !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("faasport: -header %q: write Name: value", h)
		}
	}
	return nil
}

// request builds the plain HTTP request the flags describe.
func (f *eventFlags) request() (*http.Request, error) {
	path := f.path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	req, err := http.NewRequest(f.method, "http://localhost:8080"+path, strings.NewReader(f.body))
	if err != nil {
		return nil, fmt.Errorf("faasport: build the HTTP request: %w", err)
	}
	req.Header.Set("User-Agent", "faasport")
	for _, h := range f.headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if f.body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// parsePlatform reads a -platform value.
func parsePlatform(s string) (function.Platform, error) {
	switch s {
	case "lambda", "aws", string(function.PlatformLambda):
		return function.PlatformLambda, nil
	case "gcf", "cloudfunctions", "google", string(function.PlatformCloudFunctions):
		return function.PlatformCloudFunctions, nil
	case "cloudrun", "run", string(function.PlatformCloudRun):
		return function.PlatformCloudRun, nil
	case "http", "nethttp", "container":
		return function.PlatformHTTP, nil
	}
	return "", fmt.Errorf("faasport: unknown platform %q; use lambda, gcf, cloudrun or http", s)
}

// shapeFor is the fntest platform whose shape a platform receives: Cloud
// Run and plain HTTP hosts get Eventarc's deliveries too.
func shapeFor(p function.Platform) function.Platform {
	if p == function.PlatformCloudRun {
		return function.PlatformCloudFunctions
	}
	return p
}

func eventCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("faasport event", flag.ContinueOnError)
	fs.SetOutput(stderr)
	platform := fs.String("platform", "", "lambda, gcf, cloudrun or http: whose shape to print (default the source's own platform, Lambda for neutral sources)")
	var f eventFlags
	f.register(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: faasport event <source> [flags]\n\nsources:\n")
		listSources(stderr)
		fmt.Fprint(stderr, "\nflags:\n")
		fs.PrintDefaults()
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			fs.SetOutput(stdout)
			fs.Usage()
			return 0
		}
		fs.Usage()
		return 2
	}
	name := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "faasport: unexpected argument %q; flags go after the source\n", fs.Arg(0))
		return 2
	}
	out, err := sample(name, *platform, &f)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	_, _ = stdout.Write(out)
	return 0
}

// sample is the native event named name, as platform receives it.
func sample(name, platform string, f *eventFlags) ([]byte, error) {
	src, ok := sources()[name]
	if !ok {
		return nil, fmt.Errorf("faasport: unknown source %q; run \"faasport sources\" for the list", name)
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	var p function.Platform
	if platform != "" {
		var err error
		if p, err = parsePlatform(platform); err != nil {
			return nil, err
		}
		p = shapeFor(p)
	}
	if src.build == nil { // plain HTTP
		req, err := f.request()
		if err != nil {
			return nil, err
		}
		if p == function.PlatformLambda {
			return payload(fntest.APIGatewayV2(req), p)
		}
		dump, err := httputil.DumpRequest(req, true)
		return append(dump, '\n'), err
	}
	in, err := src.build(f)
	if err != nil {
		return nil, err
	}
	if p == "" {
		p = function.PlatformLambda
		if !in.On(p) {
			p = function.PlatformCloudFunctions
		}
	}
	return payload(in, p)
}

func payload(in fntest.Input, p function.Platform) ([]byte, error) {
	b, err := in.Payload(p)
	if errors.Is(err, fntest.ErrNoShape) {
		return nil, fmt.Errorf("faasport: %s has no %s shape; pick another -platform or source (\"faasport sources\")", in.Name(), p)
	}
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return append(b, '\n'), nil
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
