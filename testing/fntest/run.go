package fntest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/adapters/nethttp"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/adaptertest"
	"github.com/faasport/faasport/testing/lambdatest"
)

// Option configures how fntest runs a function: its deadline, its clock,
// the platforms, whether logs are shown.
type Option func(*config)

type config struct {
	timeout   time.Duration
	now       func() time.Time
	verbose   bool
	platforms []function.Platform
}

func newConfig(opts []Option) config {
	c := config{timeout: DefaultDeadline}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

func (c config) platformsOr(def []function.Platform) []function.Platform {
	if len(c.platforms) > 0 {
		return c.platforms
	}
	return def
}

// DefaultDeadline is how long an invocation may run unless [Deadline]
// says otherwise.
const DefaultDeadline = 30 * time.Second

// Deadline sets how long each invocation may run, as the platform's
// timeout does: the handler's context ends then, and
// function.Invocation.Deadline says when. The default is
// [DefaultDeadline].
func Deadline(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// Now sets the clock the simulated platform keeps: the handler's
// function.Invocation.Deadline is now() plus the time left, so code that
// compares it with the same clock (idempotency.WithClock,
// memstate.WithClock — pass them the same now) sees a consistent
// deadline. The context's own deadline stays in real time. See [NewClock].
func Now(now func() time.Time) Option { return func(c *config) { c.now = now } }

// Verbose prints the adapters' captured logs with go test -v even when
// the test passes; without it they are printed only when it fails.
func Verbose() Option { return func(c *config) { c.verbose = true } }

// Platforms limits a run to ps, in that order.
func Platforms(ps ...function.Platform) Option {
	return func(c *config) { c.platforms = append([]function.Platform(nil), ps...) }
}

// Result is what one platform made of an invocation, in its own terms.
type Result struct {
	Platform function.Platform
	// Attempt is which delivery of the input this was: the native
	// input's own (SQS ApproximateReceiveCount, Pub/Sub deliveryAttempt,
	// Service Bus DeliveryCount, Queue Storage DequeueCount, Azure
	// RetryContext; else 1), one more for each [Sim.Again] or [Sim.Redeliver]. The
	// handler sees it in Invocation.Attempt where the platform reports
	// attempts.
	Attempt int
	// Calls is how often the handler ran (0 if the adapter rejected the input).
	Calls int
	// Event is the CloudEvent the handler last received; Events all of
	// them, in the order the calls ended.
	Event  event.Event
	Events []event.Event
	// Invocation is what the handler last found in its context
	// (function.FromContext): cold start, attempt, deadline, request id.
	Invocation function.Invocation
	// Reply and Err are what the handler last returned.
	Reply *event.Event
	Err   error
	// Redelivered reports whether the platform will deliver (some of) the
	// input again: a Lambda error (other than a permanent one, which a
	// synchronous caller sees) or batch item failure, or an HTTP status
	// push senders redeliver — anything but 2xx, the front door's one table
	// (frontdoor.Redelivered).
	Redelivered bool
	// Acknowledged lists the ids of the records the platform is done with,
	// and Failed those it will deliver again: on Lambda the records in
	// batchItemFailures (itemIdentifier: the SQS messageId, the Kinesis or
	// DynamoDB sequence number, a Kafka record's "topic-partition:offset"),
	// or all of them after an error; over HTTP
	// every event of a request that was not acknowledged (the CloudEvent
	// ids: the Pub/Sub messageId); on Azure Functions every event of the
	// invocation alike (the Service Bus MessageId, the Event Hubs
	// "<partition>:<sequence number>", the blob's "<path>@<ETag>", the
	// Cosmos DB document's "<id>@<_lsn>", the timer's
	// "<function>@<next occurrence>", the Event Grid event id).
	Acknowledged []string
	Failed       []string
	// Status and Header are the HTTP answer (Cloud Functions, net/http,
	// Azure Functions); 0 and nil on Lambda.
	Status int
	Header http.Header
	// Response is the raw answer: Lambda's payload (the error type for a
	// failed invocation) or the HTTP body (on Azure Functions the custom
	// handler's {"Outputs", "Logs", "ReturnValue"}).
	Response []byte
	// Logs are the records the adapter logged for this invocation.
	Logs []Log

	sent *sent
}

// sent is what was delivered, to deliver it again.
type sent struct {
	attempt int
	lambda  []byte
	events  []event.Event
	batch   bool
	azure   *azureCall
}

// Log is one captured log record.
type Log struct {
	Level   slog.Level
	Message string
	// Attrs are the record's attributes, groups joined with dots.
	Attrs map[string]any
}

// String formats the record as slog's text handler would, roughly.
func (l Log) String() string {
	s := l.Level.String() + " " + strconv.Quote(l.Message)
	keys := make([]string, 0, len(l.Attrs))
	for k := range l.Attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		s += fmt.Sprintf(" %s=%v", k, l.Attrs[k])
	}
	return s
}

// logSink is a slog.Handler that keeps every record.
type logSink struct {
	mu   *sync.Mutex
	logs *[]Log
	pre  []slog.Attr
	grp  string
}

func newLogSink() *logSink { return &logSink{mu: new(sync.Mutex), logs: new([]Log)} }

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }

func (s *logSink) Handle(_ context.Context, r slog.Record) error {
	l := Log{Level: r.Level, Message: r.Message, Attrs: map[string]any{}}
	for _, a := range s.pre {
		addAttr(l.Attrs, "", a)
	}
	r.Attrs(func(a slog.Attr) bool { addAttr(l.Attrs, s.grp, a); return true })
	s.mu.Lock()
	*s.logs = append(*s.logs, l)
	s.mu.Unlock()
	return nil
}

func addAttr(m map[string]any, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range v.Group() {
			addAttr(m, p, g)
		}
		return
	}
	m[prefix+a.Key] = v.Any()
}

func (s *logSink) WithAttrs(as []slog.Attr) slog.Handler {
	c := *s
	c.pre = slices.Clone(s.pre)
	for _, a := range as {
		if s.grp != "" {
			a = slog.Attr{Key: s.grp + a.Key, Value: a.Value}
		}
		c.pre = append(c.pre, a)
	}
	return &c
}

func (s *logSink) WithGroup(name string) slog.Handler {
	if name == "" {
		return s
	}
	c := *s
	c.grp += name + "."
	return &c
}

// since returns the records logged after the first n.
func (s *logSink) since(n int) []Log {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone((*s.logs)[n:])
}

func (s *logSink) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(*s.logs)
}

// recorder wraps the handler under test to see what it received and
// returned, and puts the simulated clock's deadline in its invocation.
type recorder struct {
	h   function.Handler
	now func() time.Time
	mu  sync.Mutex
	r   Result
}

func (rec *recorder) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	inv := *function.FromContext(ctx)
	if rec.now != nil && !inv.Deadline.IsZero() {
		inv.Deadline = rec.now().Add(time.Until(inv.Deadline))
		ctx = function.NewContext(ctx, &inv)
	}
	reply, err := rec.h.Handle(ctx, e)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.r.Calls++
	rec.r.Event, rec.r.Reply, rec.r.Err, rec.r.Invocation = e, reply, err, inv
	rec.r.Events = append(rec.r.Events, e)
	return reply, err
}

// take returns what the handler did since the last take.
func (rec *recorder) take() Result {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	r := rec.r
	rec.r = Result{}
	return r
}

// target is one built adapter of one platform: one warm instance.
type target struct {
	p    function.Platform
	cfg  config
	rec  *recorder
	logs *logSink
	n    int
	// Lambda
	lambda *lambda.Handler
	// HTTP platforms
	srv  *httptest.Server
	door http.Handler
	// Azure Functions
	az *azureTarget
}

func newTarget(p function.Platform, h function.Handler, web http.Handler, cfg config) (*target, error) {
	tg := &target{p: p, cfg: cfg, logs: newLogSink()}
	log := slog.New(tg.logs)
	if h != nil {
		tg.rec = &recorder{h: h, now: cfg.now}
		h = tg.rec
	}
	if p == function.PlatformLambda {
		opts := []lambda.Option{lambda.WithLogger(log), lambda.WithGetenv(noEnv)}
		if h != nil {
			opts = append(opts, lambda.Events(h))
		}
		if web != nil {
			opts = append(opts, lambda.HTTP(web))
		}
		tg.lambda = lambda.New(opts...)
		return tg, nil
	}
	if p == function.PlatformAzureFunctions {
		return tg, tg.startAzure(log, h, web)
	}
	opts := []frontdoor.Option{frontdoor.WithLogger(log), frontdoor.WithTimeout(cfg.timeout)}
	if h != nil {
		opts = append(opts, frontdoor.Events(h))
	}
	if web != nil {
		opts = append(opts, frontdoor.HTTP(web))
	}
	var err error
	switch p {
	case function.PlatformHTTP:
		tg.door = nethttp.New(append(opts, nethttp.WithGetenv(noEnv))...)
	case function.PlatformCloudFunctions:
		tg.door, err = gcf.New(append(opts, gcf.WithGetenv(envOf(map[string]string{"FUNCTION_TARGET": "fntest"})))...)
	case function.PlatformCloudRun:
		tg.door, err = gcf.New(append(opts, gcf.WithGetenv(envOf(map[string]string{"K_SERVICE": "fntest"})))...)
	default:
		return nil, fmt.Errorf("fntest: no adapter for platform %q; use one of %v", p, platforms())
	}
	if err != nil {
		return nil, fmt.Errorf("fntest: build the %s adapter: %w", p, err)
	}
	tg.srv = httptest.NewServer(tg.door)
	return tg, nil
}

func noEnv(string) string { return "" }

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// close shuts the instance down: requests in flight end, stop hooks run.
func (tg *target) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if tg.lambda != nil {
		return tg.lambda.Stop(ctx)
	}
	if tg.az != nil {
		return tg.az.close()
	}
	tg.srv.Close()
	if s, ok := tg.door.(interface{ Stop(context.Context) error }); ok {
		return s.Stop(ctx)
	}
	return nil
}

// deliverInput builds in for the target's platform and delivers it.
func (tg *target) deliverInput(in Input) (Result, error) {
	var s sent
	var err error
	switch {
	case tg.p == function.PlatformLambda:
		s.lambda, err = in.lambda()
	case tg.p == function.PlatformAzureFunctions:
		var c azureCall
		c, err = in.azure()
		s.azure = &c
	case in.batch != nil:
		s.events, err = in.batch()
		s.batch = true
	case tg.p == function.PlatformCloudFunctions || tg.p == function.PlatformCloudRun:
		var e event.Event
		e, err = in.google()
		s.events = []event.Event{e}
	default:
		var e event.Event
		e, err = in.http()
		s.events = []event.Event{e}
	}
	if err != nil {
		return Result{}, fmt.Errorf("fntest: build %s for %s: %w", in.name, tg.p, err)
	}
	s.attempt = lambdaAttempt(s.lambda)
	switch {
	case s.azure != nil:
		s.attempt = azureAttempt(s.azure.inv.Request)
	case s.lambda == nil:
		for _, e := range s.events {
			s.attempt = max(s.attempt, pubsubAttempt(e))
		}
	}
	r, err := tg.deliver(&s)
	if err != nil {
		return r, fmt.Errorf("fntest: %s input on %s: %w", in.name, tg.p, err)
	}
	return r, nil
}

// deliver sends s and reads the answer in the platform's terms.
func (tg *target) deliver(s *sent) (Result, error) {
	mark := tg.logs.len()
	tg.n++
	var r Result
	var err error
	switch {
	case tg.lambda != nil:
		r, err = tg.deliverLambda(s.lambda)
	case tg.az != nil:
		r, err = tg.deliverAzure(s.azure)
	default:
		r, err = tg.deliverHTTP(s)
	}
	r.Platform, r.sent, r.Attempt = tg.p, s, s.attempt
	r.Logs = tg.logs.since(mark)
	return r, err
}

func (tg *target) lambdaContext() (context.Context, context.CancelFunc) {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID:       "fntest-request-" + strconv.Itoa(tg.n),
		InvokedFunctionArn: arn("lambda", "function:fntest"),
	})
	return context.WithTimeout(ctx, tg.cfg.timeout)
}

func (tg *target) deliverLambda(payload []byte) (Result, error) {
	ctx, cancel := tg.lambdaContext()
	defer cancel()
	out, err := tg.lambda.Invoke(ctx, payload)
	r := tg.rec.take()
	r.Response = out
	ids := lambdatest.RecordIDs(payload)
	if len(ids) == 0 {
		for _, e := range r.Events {
			ids = append(ids, e.ID())
		}
	}
	var lerr *lambda.Error
	switch {
	case errors.As(err, &lerr) && lerr.Type == lambda.ErrorTypePermanent:
		// A synchronous caller sees it; nothing is retried.
		r.Response = []byte(lerr.Type)
		r.Acknowledged = ids
	case errors.As(err, &lerr):
		r.Response = []byte(lerr.Type)
		r.Redelivered, r.Failed = true, ids
	case err != nil:
		return r, err
	default:
		r.Failed = lambdatest.FailedRecordIDs(out)
		r.Redelivered = len(r.Failed) > 0
		for _, id := range ids {
			if !slices.Contains(r.Failed, id) {
				r.Acknowledged = append(r.Acknowledged, id)
			}
		}
	}
	return r, nil
}

func (tg *target) deliverHTTP(s *sent) (Result, error) {
	ctx := context.Background()
	var req *http.Request
	var err error
	if s.batch {
		req, err = adaptertest.BatchRequest(ctx, tg.srv.URL, s.events)
	} else {
		req, err = adaptertest.BinaryRequest(ctx, tg.srv.URL, s.events[0])
	}
	if err != nil {
		return Result{}, err
	}
	resp, err := tg.srv.Client().Do(req)
	if err != nil {
		return Result{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	r := tg.rec.take()
	r.Status, r.Header, r.Response = resp.StatusCode, resp.Header, body
	r.Redelivered = frontdoor.Redelivered(resp.StatusCode)
	for _, e := range s.events {
		if r.Redelivered {
			r.Failed = append(r.Failed, e.ID())
		} else {
			r.Acknowledged = append(r.Acknowledged, e.ID())
		}
	}
	return r, err
}

// serve sends an HTTP request through the platform's HTTP path.
func (tg *target) serve(req *http.Request) (*http.Response, error) {
	tg.n++
	if tg.lambda != nil {
		payload, err := APIGatewayV2(req, ID("fntest-request-"+strconv.Itoa(tg.n))).Payload(function.PlatformLambda)
		if err != nil {
			return nil, err
		}
		ctx, cancel := tg.lambdaContext()
		defer cancel()
		out, err := tg.lambda.Invoke(ctx, payload)
		if err != nil {
			return nil, fmt.Errorf("the Lambda adapter failed the invocation: %w", err)
		}
		resp, err := LambdaResponse(out)
		if err != nil {
			return nil, err
		}
		resp.Request = req
		return resp, nil
	}
	if tg.az != nil {
		return tg.az.serve(req)
	}
	r, err := http.NewRequestWithContext(context.Background(), req.Method, tg.srv.URL+req.URL.RequestURI(), req.Body)
	if err != nil {
		return nil, err
	}
	r.Header = req.Header.Clone()
	if req.Host != "" {
		r.Host = req.Host
	}
	resp, err := tg.srv.Client().Do(r)
	if err != nil {
		return nil, err
	}
	// Read the body now: the response outlives the connection.
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.Request = req
	return resp, err
}
