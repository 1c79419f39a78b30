package frontdoor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/invoke"
)

// Raw is function.Invocation.Native for an event the door made from a
// request that was not a CloudEvent (a Pub/Sub push, a Cloud Scheduler job,
// a legacy event, a plain request): the request, and its body as received.
// Request's body has been read.
type Raw struct {
	Request *http.Request
	Body    []byte
}

// ListenAddr resolves the address to listen on from WithAddr's value and
// the PORT environment variable's (default 8080).
func ListenAddr(addr, port string) (string, error) {
	if port == "" {
		port = "8080"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("PORT %q is not a TCP port number; set it to e.g. 8080", port)
	}
	if addr == "" {
		return ":" + port, nil
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return net.JoinHostPort(addr, port), nil
	}
	if p == "" {
		return net.JoinHostPort(host, port), nil
	}
	return addr, nil
}

// own marks the requests of the Door's own server, whose connections
// already carry the read deadline.
type own struct{ d *Door }

func (o own) ServeHTTP(w http.ResponseWriter, r *http.Request) { o.d.serveHTTP(w, r, true) }

func (d *Door) serve(ctx context.Context, l net.Listener) error {
	// Requests must outlive ctx so that they can drain; base is cancelled
	// only when the shutdown budget is spent.
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{
		Handler:           own{d},
		ReadHeaderTimeout: d.s.ReadHeaderTimeout,
		MaxHeaderBytes:    d.s.MaxHeaderBytes,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
	}
	if d.s.ReadTimeout > 0 {
		srv.ReadTimeout = d.s.ReadTimeout
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	d.log.InfoContext(ctx, "serving", slog.String("addr", l.Addr().String()))

	select {
	case err := <-served:
		stopErr := d.stopWithin(ctx)
		return errors.Join(fmt.Errorf("%s: serve on %s: %w", d.p.Name, l.Addr(), err), stopErr)
	case <-ctx.Done():
	}
	d.log.InfoContext(ctx, "shutting down: draining in-flight requests", slog.String("budget", d.s.ShutdownTimeout.String()))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.s.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(sctx); err != nil {
		n := d.expire()
		cancelBase()
		_ = srv.Close()
		errs = append(errs, fmt.Errorf("%s: shutdown budget of %s spent: %d requests still running were answered 503 and cancelled: %w",
			d.p.Name, d.s.ShutdownTimeout, n, err))
	}
	<-served
	errs = append(errs, d.stopWithin(ctx))
	return errors.Join(errs...)
}

func (d *Door) stopWithin(ctx context.Context) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.s.ShutdownTimeout)
	defer cancel()
	return d.Stop(sctx)
}

// ServeHTTP serves one request: the events it carries go to the event
// handler, anything else to the HTTP handler.
func (d *Door) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.serveHTTP(w, r, false) }

func (d *Door) serveHTTP(w http.ResponseWriter, r *http.Request, ownServer bool) {
	rq := d.enter(w)
	g := &rq.g
	defer d.leave(g)
	if !ownServer && d.s.ReadTimeout > 0 {
		// Mounted in another server: bound the rest of the request here.
		setReadDeadline(w, d.s.ReadTimeout)
	}
	// The door's own server enforces the header limit as it reads.
	if !ownServer && headerBytes(r) > d.s.MaxHeaderBytes {
		d.refuse(g, r, newProblem(http.StatusRequestHeaderFieldsTooLarge, ErrHeadersTooLarge,
			fmt.Sprintf("the request headers are larger than this server's limit of %d bytes; send fewer or shorter headers", d.s.MaxHeaderBytes)))
		return
	}
	var body []byte // the body, when read to find out what the request is
	if d.p.Codec != nil {
		var p *Problem
		if body, p = readBody(r, d.s.MaxBodyBytes); p != nil {
			d.refuse(g, r, p)
			return
		}
		dl, err := d.p.Codec.Decode(r, body)
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) {
				p = malformed("%v", err)
			}
			d.refuse(g, r, p)
			return
		}
		if dl != nil {
			d.serveDelivery(rq, r, dl, ModeNone, d.p.Codec)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if d.s.Events == nil {
		d.serveWeb(rq, r, body)
		return
	}
	if d.formats&FormatWebhook != 0 && r.Method == http.MethodOptions && r.Header.Get("Webhook-Request-Origin") != "" {
		webhookHandshake(g, r)
		return
	}
	if d.formats&FormatCloudEvents != 0 {
		mode, ct, p := detectMode(r.Header)
		if p != nil {
			d.refuse(g, r, p)
			return
		}
		if mode != ModeNone && body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		if mode != ModeNone {
			dl := rq.single()
			evs, p := decodeEvents(r, mode, ct, d.s.MaxBodyBytes, d.s.MaxBatchEvents, dl.Events, &d.sources)
			if p != nil {
				d.refuse(g, r, p)
				return
			}
			dl.Events = evs
			d.serveDelivery(rq, r, dl, mode, nil)
			return
		}
		if d.s.HTTP == nil || d.formats&FormatPlain != 0 {
			// A binary-mode attempt gone wrong must not pass as plain HTTP.
			if p := ceHeaderProblem(r.Header); p != nil {
				d.refuse(g, r, p)
				return
			}
		}
	}
	if d.formats&FormatPubSubUnwrapped != 0 && r.Header.Get("X-Goog-Pubsub-Message-Id") != "" {
		d.serveConverted(rq, r, body, unwrappedPush)
		return
	}
	if d.formats&FormatScheduler != 0 && r.Header.Get("X-Cloudscheduler") != "" {
		d.serveConverted(rq, r, body, schedulerJob)
		return
	}
	if d.sniff && r.Method == http.MethodPost && isJSON(r.Header.Get("Content-Type")) {
		if body == nil {
			var p *Problem
			if body, p = readBody(r, d.s.MaxBodyBytes); p != nil {
				d.refuse(g, r, p)
				return
			}
		}
		switch kind := sniff(body); {
		case kind == kindPush && d.formats&FormatPubSubPush != 0:
			d.serveConverted(rq, r, body, wrappedPush)
			return
		case kind == kindLegacy && d.formats&FormatLegacy != 0:
			d.serveConverted(rq, r, body, legacyEvent)
			return
		}
	}
	if d.s.HTTP != nil {
		d.serveWeb(rq, r, body)
		return
	}
	if d.formats&FormatPlain != 0 {
		d.serveConverted(rq, r, body, plainRequest)
		return
	}
	d.refuse(g, r, noEventProblem(r.Header))
}

// setReadDeadline sets the read deadline of the connection under w, as
// http.ResponseController does, without its error value for writers that
// have none (a test's recorder): this runs on every request.
func setReadDeadline(w http.ResponseWriter, d time.Duration) {
	for {
		switch x := w.(type) {
		case interface{ SetReadDeadline(time.Time) error }:
			_ = x.SetReadDeadline(time.Now().Add(d))
			return
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return
		}
	}
}

// headerBytes is the size of the request line and headers, as net/http
// counts them against MaxHeaderBytes.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + 12
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// ceHeaderProblem finds the required attributes of a binary-mode
// CloudEvent on a request that lacks its ce-specversion.
func ceHeaderProblem(h http.Header) *Problem {
	for k := range h {
		if hasCEPrefix(k) {
			switch strings.ToLower(k[3:]) {
			case "id", "type", "source", "specversion":
				return noEventProblem(h)
			}
		}
	}
	return nil
}

// converter makes the event of a request that is not a CloudEvent.
type converter func(r *http.Request, body []byte, dl *Delivery) *Problem

// serveConverted reads the body, if not yet read, and serves the event
// conv makes of it.
func (d *Door) serveConverted(rq *request, r *http.Request, body []byte, conv converter) {
	g := &rq.g
	if body == nil {
		var p *Problem
		if body, p = readBody(r, d.s.MaxBodyBytes); p != nil {
			d.refuse(g, r, p)
			return
		}
	}
	dl := rq.single()
	dl.Native = &Raw{Request: r, Body: body}
	if p := conv(r, body, dl); p != nil {
		d.refuse(g, r, p)
		return
	}
	d.serveDelivery(rq, r, dl, ModeNone, nil)
}

// webhookHandshake answers the CloudEvents webhook validation request
// (CloudEvents HTTP webhook spec, section 4): any origin may deliver, at
// any rate.
func webhookHandshake(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("WebHook-Allowed-Origin", r.Header.Get("WebHook-Request-Origin"))
	if r.Header.Get("WebHook-Request-Rate") != "" {
		h.Set("WebHook-Allowed-Rate", "*")
	}
	h.Set("Allow", "POST, OPTIONS")
	w.WriteHeader(http.StatusOK)
}

// refuse answers a request the door cannot serve.
func (d *Door) refuse(g *gate, r *http.Request, p *Problem) {
	if p.RequestID == "" {
		p.RequestID = headerValue(r.Header, "X-Request-Id")
	}
	invoke.LogOutcome(r.Context(), d.log, nil, invoke.OutcomeRefused, nil, 0,
		slog.String(invoke.KeyPlatform, string(d.platform)), slog.Int(invoke.KeyStatus, p.Status), slog.String("detail", p.Detail))
	g.answer(p)
}

// requestContext applies the invocation deadline.
func (d *Door) requestContext(r *http.Request) (context.Context, context.CancelFunc, time.Time) {
	ctx := r.Context()
	if d.s.Timeout > 0 {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d.s.Timeout)
			dl, _ := ctx.Deadline()
			return ctx, cancel, dl
		}
	}
	dl, _ := ctx.Deadline()
	return ctx, nil, dl
}

// invocation describes one handler call in inv, or in a new Invocation
// when inv is nil.
func (d *Door) invocation(inv *function.Invocation, r *http.Request, dl *Delivery, e *event.Event, deadline time.Time, trigger function.Trigger) *function.Invocation {
	if inv == nil {
		inv = new(function.Invocation)
	}
	*inv = function.Invocation{
		Platform:     d.platform,
		FunctionName: d.s.FunctionName,
		Deadline:     deadline,
		ColdStart:    d.cold.Next(),
		Trigger:      trigger,
		Native:       r,
	}
	if e != nil {
		inv.RequestID = e.ID()
	}
	if dl != nil {
		if dl.Native != nil {
			inv.Native = dl.Native
		}
		inv.Attempt = dl.Attempt
		if e != nil {
			// As on Lambda: how many events the request delivered, so
			// tracing can tell a batch's message from a whole invocation.
			inv.Batch = len(dl.Events)
		}
	}
	if d.p.Metadata != nil {
		d.p.Metadata(r, inv)
	} else {
		if id := headerValue(r.Header, "X-Request-Id"); id != "" {
			inv.RequestID = id
		}
		inv.TraceHeader = headerValue(r.Header, "Traceparent")
	}
	if dl != nil && dl.RequestID != "" {
		inv.RequestID = dl.RequestID
	}
	return inv
}

// call runs the event handler on e, counted for the stop hooks.
func (d *Door) call(ctx context.Context, e event.Event) (*event.Event, error) {
	d.inflight.Add(1)
	defer d.inflight.Done()
	if err := d.lc.Start(ctx); err != nil {
		invoke.LogOutcome(ctx, d.log, &e, invoke.OutcomeStartFailed, err, 0)
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	return invoke.Call(ctx, d.s.Events, e, d.log)
}

// serveDelivery runs the event handler on every event of dl, in order,
// stopping at the first retryable failure, and answers.
func (d *Door) serveDelivery(rq *request, r *http.Request, dl *Delivery, mode Mode, codec Codec) {
	g := &rq.g
	ctx, cancel, deadline := d.requestContext(r)
	if cancel != nil {
		defer cancel()
	}
	if dl.HTTP != nil {
		d.serveRecorded(ctx, rq, r, dl, deadline, codec)
		return
	}
	if len(dl.Events) == 0 && codec == nil {
		g.WriteHeader(d.noContent)
		return
	}
	outs := rq.out[:0]
	if len(dl.Events) > 1 {
		outs = make([]Outcome, 0, len(dl.Events))
	}
	var inv *function.Invocation
	for i := range dl.Events {
		e := &dl.Events[i]
		trig := dl.Trigger
		if trig == "" {
			trig = TriggerOf(e.Type())
		}
		var room *function.Invocation
		if i == 0 {
			room = &rq.inv
		}
		inv = d.invocation(room, r, dl, e, deadline, trig)
		// The one place a Pub/Sub message's deliveryAttempt is read, for
		// every adapter: a wrapped push, an Eventarc event in any mode.
		if inv.Attempt == 0 && e.Type() == TypePubSubMessagePublished {
			inv.Attempt = deliveryAttempt(e.DataEncoded)
		}
		ectx := function.NewContext(ctx, inv)
		began := time.Now()
		reply, err := d.call(ectx, *e)
		if err == nil && reply != nil {
			if rerr := checkReply(reply); rerr != nil {
				// A bug redelivery cannot fix: acknowledged, not sent.
				reply, err = nil, function.Permanent(rerr)
			}
		}
		v := Judge(err, d.s.PermanentStatus)
		outs = append(outs, Outcome{Event: e, Reply: reply, Err: err, Verdict: v})
		if o := invoke.OutcomeOf(err); o != invoke.OutcomePanic && !errors.Is(err, ErrStart) && d.log.Enabled(ectx, o.Level()) {
			// Panics and start hooks were logged where they happened.
			invoke.LogOutcome(ectx, d.log, e, o, err, time.Since(began), slog.Int(invoke.KeyStatus, v.Status))
		}
		if v.Redelivered() && v.Class != ClassPermanent {
			break
		}
	}
	if codec != nil {
		if err := codec.Encode(g, r, dl, outs); err != nil {
			d.log.ErrorContext(ctx, "response cannot be encoded", slog.String("error", err.Error()))
			p := newProblem(http.StatusInternalServerError, nil, "the response cannot be encoded; the function's logs hold the cause")
			g.answer(p)
		}
		return
	}
	requestID := ""
	if inv != nil {
		requestID = inv.RequestID
	}
	writeOutcomes(g, mode, len(dl.Events), outs, requestID, d.noContent)
}

// serveRecorded serves a codec's HTTP request with the HTTP handler and
// hands the recorded response to the codec.
func (d *Door) serveRecorded(ctx context.Context, rq *request, r *http.Request, dl *Delivery, deadline time.Time, codec Codec) {
	g := &rq.g
	out := Outcome{HTTP: &Recorded{Header: http.Header{}}}
	if d.s.HTTP == nil {
		out.Err = function.Permanent(errors.New("this function serves no HTTP handler"))
		out.Verdict = Judge(out.Err, d.s.PermanentStatus)
	} else {
		inv := d.invocation(&rq.inv, r, dl, nil, deadline, function.TriggerHTTP)
		req := dl.HTTP.WithContext(function.NewContext(ctx, inv))
		rec := &recorder{rec: out.HTTP}
		out.Err = d.runWeb(ctx, rec, req, inv)
		if out.HTTP.Status == 0 {
			out.HTTP.Status = http.StatusOK
		}
		out.Verdict = Judge(out.Err, d.s.PermanentStatus)
	}
	if err := codec.Encode(g, r, dl, []Outcome{out}); err != nil {
		d.log.ErrorContext(ctx, "response cannot be encoded", slog.String("error", err.Error()))
		g.answer(newProblem(http.StatusInternalServerError, nil, "the response cannot be encoded; the function's logs hold the cause"))
	}
}

// runWeb runs the HTTP handler for a codec, recovering a panic into an
// error wrapping invoke.ErrPanic.
func (d *Door) runWeb(ctx context.Context, w http.ResponseWriter, r *http.Request, inv *function.Invocation) (err error) {
	d.inflight.Add(1)
	defer d.inflight.Done()
	if err := d.lc.Start(ctx); err != nil {
		invoke.LogOutcome(ctx, d.log, nil, invoke.OutcomeStartFailed, err, 0)
		return fmt.Errorf("%w: %w", ErrStart, err)
	}
	defer func() {
		if p := recover(); p != nil {
			invoke.LogOutcome(ctx, d.log, nil, invoke.OutcomePanic, nil, 0, slog.Any(invoke.KeyPanic, p), slog.String(invoke.KeyStack, string(debug.Stack())))
			err = fmt.Errorf("%s: request %q: %w", d.p.Name, inv.RequestID, invoke.ErrPanic)
		}
	}()
	d.s.HTTP.ServeHTTP(w, r)
	return nil
}

// serveWeb serves a request that carries no event with the HTTP handler.
// body is the body if the door read it already.
func (d *Door) serveWeb(rq *request, r *http.Request, body []byte) {
	g := &rq.g
	if d.s.HTTP == nil {
		d.refuse(g, r, newProblem(http.StatusNotImplemented, nil,
			"this server has no handler; build it with Events(h), HTTP(h) or both"))
		return
	}
	ctx, cancel, deadline := d.requestContext(r)
	if cancel != nil {
		defer cancel()
	}
	inv := d.invocation(&rq.inv, r, nil, nil, deadline, function.TriggerHTTP)
	ctx = function.NewContext(ctx, inv)
	if err := d.lc.Start(ctx); err != nil {
		invoke.LogOutcome(ctx, d.log, nil, invoke.OutcomeStartFailed, err, 0)
		p := newProblem(http.StatusServiceUnavailable, ErrStart, "the function's start hook failed; it is retried on the next request, so retry later")
		p.RequestID, p.retryAfter = inv.RequestID, time.Second
		g.answer(p)
		return
	}
	if r.ContentLength > d.s.MaxBodyBytes {
		d.refuse(g, r, tooLarge(d.s.MaxBodyBytes))
		return
	}
	r = r.WithContext(ctx)
	switch {
	case body != nil:
		r.Body = io.NopCloser(bytes.NewReader(body))
	case r.Body != nil && r.Body != http.NoBody:
		r.Body = http.MaxBytesReader(g.w, r.Body, d.s.MaxBodyBytes) // g.w: net/http then closes the connection
	}
	d.inflight.Add(1)
	defer d.inflight.Done()
	defer func() {
		if p := recover(); p != nil {
			d.webPanic(ctx, g, inv, p)
		}
	}()
	d.s.HTTP.ServeHTTP(g, r)
}

// webPanic answers 500 for a panicking HTTP handler, dropping the headers
// it set, or, if the response has begun, aborts it so the client sees it
// broken rather than complete.
func (d *Door) webPanic(ctx context.Context, g *gate, inv *function.Invocation, p any) {
	if p == http.ErrAbortHandler {
		panic(p)
	}
	invoke.LogOutcome(ctx, d.log, nil, invoke.OutcomePanic, nil, 0, slog.Any(invoke.KeyPanic, p), slog.String(invoke.KeyStack, string(debug.Stack())))
	prob := newProblem(http.StatusInternalServerError, invoke.ErrPanic, "the request failed unexpectedly; the function's logs hold the cause")
	prob.RequestID = inv.RequestID
	if !g.answer(prob) {
		panic(http.ErrAbortHandler)
	}
}

// recorder records an HTTP handler's response for a codec.
type recorder struct {
	rec   *Recorded
	buf   bytes.Buffer
	wrote bool
}

func (w *recorder) Header() http.Header { return w.rec.Header }

func (w *recorder) WriteHeader(code int) {
	if w.wrote || code < 200 {
		return
	}
	w.wrote = true
	w.rec.Status = code
}

func (w *recorder) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	w.buf.Write(b)
	w.rec.Body = w.buf.Bytes()
	return len(b), nil
}

// TriggerOf classes an event type by the OpenTelemetry faas.trigger
// convention: Google's Pub/Sub and Cloud Scheduler types, storage and
// database changes, other Google events as other; plain HTTP requests;
// every other event, delivered by a broker, as pubsub.
func TriggerOf(eventType string) function.Trigger {
	switch {
	case eventType == TypeHTTPRequest:
		return function.TriggerHTTP
	case strings.HasPrefix(eventType, "google.cloud.scheduler."):
		return function.TriggerTimer
	case strings.HasPrefix(eventType, "google.cloud.storage."),
		strings.HasPrefix(eventType, "google.cloud.firestore."),
		strings.HasPrefix(eventType, "google.cloud.datastore."),
		strings.HasPrefix(eventType, "google.firebase.database."):
		return function.TriggerDatasource
	case strings.HasPrefix(eventType, "google.cloud.pubsub."):
		return function.TriggerPubSub
	case strings.HasPrefix(eventType, "google."):
		return function.TriggerOther
	}
	return function.TriggerPubSub
}

func isJSON(contentType string) bool {
	ct := mediaType(contentType)
	return ct == "" || ct == "application/json" || ct == "text/json"
}

// deliveryAttempt reads the deliveryAttempt of a Pub/Sub push body (the
// data of a messagePublished event, from Eventarc or converted); 0 when
// there is none.
func deliveryAttempt(data []byte) int {
	if !bytes.Contains(data, []byte(`"deliveryAttempt"`)) {
		return 0
	}
	var v struct {
		DeliveryAttempt int `json:"deliveryAttempt"`
	}
	if json.Unmarshal(data, &v) != nil {
		return 0
	}
	return v.DeliveryAttempt
}
