package nethttp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/invoke"
)

// Server serves a [function.Handler] over the CloudEvents HTTP binding and
// an [http.Handler] for every request that carries no event. It is an
// http.Handler itself, so it can be mounted in any mux or server; build one
// with [New], or let [ListenAndServe] run it.
type Server struct {
	events          function.Handler
	http            http.Handler
	log             *slog.Logger
	addr            string
	maxBody         int64
	timeout         time.Duration
	shutdownTimeout time.Duration
	functionName    string
	lifecycle       *function.Lifecycle
	cold            invoke.ColdStart
	sources         sourceCache
}

// New builds a Server from opts. Without [Events] every request goes to the
// [HTTP] handler; without either, every request is answered 501.
func New(opts ...Option) *Server {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if o.maxBodyBytes <= 0 {
		o.maxBodyBytes = DefaultMaxBodyBytes
	}
	if o.shutdownTimeout <= 0 {
		o.shutdownTimeout = DefaultShutdownTimeout
	}
	return &Server{
		events:          o.events,
		http:            o.http,
		log:             o.logger,
		addr:            o.addr,
		maxBody:         o.maxBodyBytes,
		timeout:         o.timeout,
		shutdownTimeout: o.shutdownTimeout,
		functionName:    o.functionName,
		lifecycle:       function.NewLifecycle(o.events, o.http),
	}
}

// ListenAndServe serves the handlers given in opts on WithAddr's address, or
// on every interface at port $PORT (default 8080), until ctx ends. Pass a
// context that SIGTERM and SIGINT cancel (signal.NotifyContext); then it
// stops accepting connections, waits for in-flight requests (at most
// [WithShutdownTimeout]), runs the handlers' stop hooks ([function.Stopper])
// and returns nil.
func ListenAndServe(ctx context.Context, opts ...Option) error {
	s := New(opts...)
	if s.events == nil && s.http == nil {
		return errors.New("nethttp: nothing to serve; pass nethttp.Events(h), nethttp.HTTP(h) or both")
	}
	if s.functionName == "" {
		s.functionName = os.Getenv("K_SERVICE")
	}
	addr, err := listenAddr(s.addr, os.Getenv("PORT"))
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("nethttp: listen on %q: %w; set PORT or nethttp.WithAddr to a free address", addr, err)
	}
	return s.Serve(ctx, l)
}

// listenAddr resolves the address to listen on from WithAddr's value and
// the PORT environment variable.
func listenAddr(addr, port string) (string, error) {
	if port == "" {
		port = "8080"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("nethttp: PORT %q is not a TCP port number; set it to e.g. 8080", port)
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

// Serve serves on l until ctx ends, then shuts down gracefully as
// [ListenAndServe] describes. It closes l.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	// Requests must outlive ctx so that they can drain; base is cancelled
	// only when the shutdown timeout gives up on them.
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	s.log.InfoContext(ctx, "serving", slog.String("addr", l.Addr().String()))

	select {
	case err := <-served:
		stopErr := s.stop(ctx)
		return errors.Join(fmt.Errorf("nethttp: serve on %s: %w", l.Addr(), err), stopErr)
	case <-ctx.Done():
	}
	s.log.InfoContext(ctx, "shutting down: draining in-flight requests", slog.Duration("timeout", s.shutdownTimeout))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.shutdownTimeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(sctx); err != nil {
		cancelBase()
		_ = srv.Close()
		errs = append(errs, fmt.Errorf("nethttp: shutdown: requests still running after %s were cancelled: %w", s.shutdownTimeout, err))
	}
	<-served
	errs = append(errs, s.stop(ctx))
	return errors.Join(errs...)
}

func (s *Server) stop(ctx context.Context) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.shutdownTimeout)
	defer cancel()
	if err := s.lifecycle.Stop(sctx); err != nil {
		return fmt.Errorf("nethttp: stop hooks: %w", err)
	}
	return nil
}

// ServeHTTP serves one request: the events it carries go to the event
// handler, anything else to the HTTP handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.events == nil {
		s.serveHTTP(w, r)
		return
	}
	mode, ct, p := detectMode(r.Header)
	if p != nil {
		s.writeProblem(w, r, p)
		return
	}
	switch mode {
	case ModeBinary:
		var e event.Event
		if p := readBinary(r, s.maxBody, ct, &e, &s.sources); p != nil {
			s.writeProblem(w, r, p)
			return
		}
		s.serveEvent(w, r, mode, &e)
	case ModeStructured:
		var e event.Event
		body, p := readBody(r, s.maxBody)
		if p == nil {
			p = decodeStructured(body, &e)
		}
		if p != nil {
			s.writeProblem(w, r, p)
			return
		}
		s.serveEvent(w, r, mode, &e)
	case ModeBatch:
		body, p := readBody(r, s.maxBody)
		var evs []event.Event
		if p == nil {
			evs, p = decodeBatch(body)
		}
		if p != nil {
			s.writeProblem(w, r, p)
			return
		}
		s.serveBatch(w, r, evs)
	default:
		s.serveHTTP(w, r)
	}
}

// requestContext applies the per-request timeout. cancel is nil when there
// is none, to spare the allocation.
func (s *Server) requestContext(r *http.Request) (context.Context, context.CancelFunc, time.Time) {
	ctx := r.Context()
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		d, _ := ctx.Deadline()
		return ctx, cancel, d
	}
	d, _ := ctx.Deadline()
	return ctx, nil, d
}

func (s *Server) invocation(r *http.Request, eventID string, deadline time.Time, trigger function.Trigger) *function.Invocation {
	id := headerValue(r.Header, "X-Request-Id")
	if id == "" {
		id = eventID
	}
	return &function.Invocation{
		Platform:     function.PlatformHTTP,
		FunctionName: s.functionName,
		RequestID:    id,
		Deadline:     deadline,
		ColdStart:    s.cold.Next(),
		Trigger:      trigger,
		TraceHeader:  headerValue(r.Header, "Traceparent"),
		Native:       r,
	}
}

func (s *Server) serveEvent(w http.ResponseWriter, r *http.Request, mode Mode, e *event.Event) {
	ctx, cancel, deadline := s.requestContext(r)
	if cancel != nil {
		defer cancel()
	}
	inv := s.invocation(r, e.ID(), deadline, function.TriggerPubSub)
	ctx = function.NewContext(ctx, inv)
	if err := s.lifecycle.Start(ctx); err != nil {
		s.startFailed(ctx, w, inv, err)
		return
	}
	reply, err := invoke.Call(ctx, s.events, *e, s.log)
	if err != nil {
		status, detail, retry := s.failure(ctx, e, err)
		p := newProblem(status, nil, detail)
		p.RequestID, p.retryAfter = inv.RequestID, retry
		WriteProblem(w, p)
		return
	}
	if reply == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err := WriteEvents(w, mode, []event.Event{*reply}); err != nil {
		s.replyFailed(ctx, w, inv, err)
	}
}

// serveBatch handles the events of a batch one at a time, in order. The
// first retryable failure stops the batch and asks for all of it again;
// permanent failures are acknowledged and the batch goes on.
func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request, evs []event.Event) {
	if len(evs) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	ctx, cancel, deadline := s.requestContext(r)
	if cancel != nil {
		defer cancel()
	}
	var (
		replies []event.Event
		failed  []EventProblem
		status  int
	)
	for i := range evs {
		e := &evs[i]
		inv := s.invocation(r, e.ID(), deadline, function.TriggerPubSub)
		ectx := function.NewContext(ctx, inv)
		if err := s.lifecycle.Start(ectx); err != nil {
			s.startFailed(ectx, w, inv, err)
			return
		}
		reply, err := invoke.Call(ectx, s.events, *e, s.log)
		if err == nil {
			if reply != nil {
				replies = append(replies, *reply)
			}
			continue
		}
		st, detail, retry := s.failure(ectx, e, err)
		if !function.IsPermanent(err) {
			p := newProblem(st, nil, fmt.Sprintf("%s; it is event %d of %d in the batch, so redeliver the whole batch (events are handled in order: the %d before it were handled and will be seen again, the rest were not)",
				detail, i+1, len(evs), i))
			p.RequestID, p.retryAfter = inv.RequestID, retry
			p.Events = []EventProblem{{ID: e.ID(), Status: st, Detail: detail}}
			WriteProblem(w, p)
			return
		}
		if status == 0 {
			status = st
		}
		failed = append(failed, EventProblem{ID: e.ID(), Status: st, Detail: detail})
	}
	if len(failed) > 0 {
		p := newProblem(status, nil, fmt.Sprintf("%d of %d events in the batch failed permanently (listed in events); do not redeliver them. The other events were handled; their replies are not sent",
			len(failed), len(evs)))
		p.RequestID = headerValue(r.Header, "X-Request-Id")
		p.Events = failed
		WriteProblem(w, p)
		return
	}
	if err := WriteEvents(w, ModeBatch, replies); err != nil {
		s.replyFailed(ctx, w, nil, err)
	}
}

// failure classes a handler error: the status to answer, a detail safe to
// show the sender, and the Retry-After delay. The error's own text is shown
// only when it carries a 4xx status (function.WithStatus, DecodeError): the
// handler meant that one for the sender. It logs the error.
func (s *Server) failure(ctx context.Context, e *event.Event, err error) (int, string, time.Duration) {
	id := e.ID()
	status := function.HTTPStatus(err)
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	retry, _ := function.RetryDelay(err)
	switch {
	case errors.Is(err, invoke.ErrPanic):
		// invoke.Call logged it, with the stack.
		return http.StatusInternalServerError, fmt.Sprintf("event %q: the handler failed unexpectedly; the function's logs hold the cause", id), 0
	case function.IsPermanent(err):
		invoke.LogPermanent(ctx, s.log, *e, err)
	default:
		s.log.WarnContext(ctx, "event handler failed; the sender should redeliver the event",
			slog.String("event_id", id), slog.String("event_type", e.Type()), slog.String("error", err.Error()))
	}
	var sc interface{ HTTPStatus() int }
	switch {
	case status < 500 && errors.As(err, &sc):
		return status, fmt.Sprintf("event %q: %v", id, err), retry
	case status == http.StatusGatewayTimeout:
		return status, fmt.Sprintf("event %q: the handler did not finish before its deadline; redeliver the event later", id), retry
	case function.IsPermanent(err):
		return status, fmt.Sprintf("event %q: the handler failed permanently; do not redeliver it; the function's logs hold the cause", id), 0
	case status < 500:
		return status, fmt.Sprintf("event %q: the handler failed with a retryable error; redeliver the event later", id), retry
	case retry > 0:
		return status, fmt.Sprintf("event %q: the handler failed with a retryable error; redeliver the event after %s", id, retry), retry
	default:
		return status, fmt.Sprintf("event %q: the handler failed with a retryable error; redeliver the event later", id), 0
	}
}

func (s *Server) startFailed(ctx context.Context, w http.ResponseWriter, inv *function.Invocation, err error) {
	s.log.ErrorContext(ctx, "start hook failed; it runs again on the next request", slog.String("error", err.Error()))
	p := newProblem(http.StatusServiceUnavailable, nil, "the function's start hook failed; it is retried on the next request, so retry later")
	p.RequestID = inv.RequestID
	p.retryAfter = time.Second
	WriteProblem(w, p)
}

func (s *Server) replyFailed(ctx context.Context, w http.ResponseWriter, inv *function.Invocation, err error) {
	s.log.ErrorContext(ctx, "reply event cannot be sent", slog.String("error", err.Error()))
	p := newProblem(http.StatusInternalServerError, nil, "the handler's reply event is invalid and was not sent; the function's logs hold the cause")
	if inv != nil {
		p.RequestID = inv.RequestID
	}
	WriteProblem(w, p)
}

func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.RequestID == "" {
		p.RequestID = headerValue(r.Header, "X-Request-Id")
	}
	WriteProblem(w, p)
}

// serveHTTP serves a request that carries no event.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.http == nil {
		if s.events == nil {
			s.writeProblem(w, r, newProblem(http.StatusNotImplemented, nil,
				"this server has no handler; build it with nethttp.Events(h), nethttp.HTTP(h) or both"))
			return
		}
		s.writeProblem(w, r, noEventProblem(r.Header))
		return
	}
	ctx, cancel, deadline := s.requestContext(r)
	if cancel != nil {
		defer cancel()
	}
	inv := s.invocation(r, "", deadline, function.TriggerHTTP)
	ctx = function.NewContext(ctx, inv)
	if err := s.lifecycle.Start(ctx); err != nil {
		s.startFailed(ctx, w, inv, err)
		return
	}
	if r.ContentLength > s.maxBody {
		s.writeProblem(w, r, tooLarge(s.maxBody))
		return
	}
	rw := &responseWriter{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			s.httpPanic(ctx, rw, inv, p)
		}
	}()
	r = r.WithContext(ctx)
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(rw, r.Body, s.maxBody)
	}
	s.http.ServeHTTP(rw, r)
}

// httpPanic answers 500 for a panicking HTTP handler, or, if the response
// has begun, aborts it so the client sees it broken rather than complete.
func (s *Server) httpPanic(ctx context.Context, w *responseWriter, inv *function.Invocation, p any) {
	if p == http.ErrAbortHandler {
		panic(p)
	}
	s.log.ErrorContext(ctx, "HTTP handler panicked", slog.Any("panic", p),
		slog.String("request_id", inv.RequestID), slog.String("stack", string(debug.Stack())))
	if w.wrote {
		panic(http.ErrAbortHandler)
	}
	prob := newProblem(http.StatusInternalServerError, nil, "the request failed unexpectedly; the function's logs hold the cause")
	prob.RequestID = inv.RequestID
	// Headers the handler set before panicking are not part of the error.
	clear(w.Header())
	WriteProblem(w.ResponseWriter, prob)
}

// responseWriter records whether the response has begun, so a panic can
// still be answered with 500. It keeps the optional interfaces handlers use.
type responseWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *responseWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// ReadFrom keeps io.Copy's sendfile path.
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	w.wrote = true
	return io.Copy(w.ResponseWriter, src)
}

// Flush implements http.Flusher.
func (w *responseWriter) Flush() {
	w.wrote = true
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.wrote = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
