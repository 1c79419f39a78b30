package gcf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/invoke"
)

// ErrNoHandler is returned by [New] and [ListenAndServe] when neither
// [Events] nor [HTTP] was given.
var ErrNoHandler = errors.New("gcf: nothing to serve; pass gcf.Events(h), gcf.HTTP(h) or both")

// Server serves a function the way the Functions Framework does. It is an
// [net/http.Handler]; build it with [New].
type Server struct {
	events  function.Handler
	web     http.Handler
	ceServe http.Handler // the framework's CloudEvent handler around s.receive
	log     *slog.Logger
	lc      *function.Lifecycle
	cold    invoke.ColdStart

	platform  function.Platform
	name      string
	signature string // FUNCTION_SIGNATURE_TYPE, lower case
	timeout   time.Duration
	maxBody   int64

	getenv          func(string) string
	shutdownTimeout time.Duration
	listener        net.Listener
}

// New builds a Server from its options. It reads the platform's environment
// (see [WithGetenv]) once, here. It registers nothing globally, so a program
// or a test may build as many Servers as it likes.
func New(opts ...Option) (*Server, error) {
	o := options{
		getenv:          os.Getenv,
		shutdownTimeout: 10 * time.Second,
		maxBodyBytes:    32 << 20,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.events == nil && o.http == nil {
		return nil, ErrNoHandler
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	s := &Server{
		events:          o.events,
		web:             o.http,
		log:             o.logger,
		lc:              function.NewLifecycle(o.events, o.http),
		signature:       strings.ToLower(o.getenv("FUNCTION_SIGNATURE_TYPE")),
		timeout:         o.defaultTimeout,
		maxBody:         o.maxBodyBytes,
		getenv:          o.getenv,
		shutdownTimeout: o.shutdownTimeout,
		listener:        o.listener,
	}
	s.platform, s.name = platform(o.getenv)
	if v := o.getenv("CLOUD_RUN_TIMEOUT_SECONDS"); v != "" {
		secs, err := strconv.Atoi(v)
		if err != nil || secs <= 0 {
			return nil, fmt.Errorf("gcf: read CLOUD_RUN_TIMEOUT_SECONDS %q: want a positive whole number of seconds; fix the service's environment", v)
		}
		s.timeout = time.Duration(secs) * time.Second
	}
	var err error
	if s.events != nil {
		if s.ceServe, err = ffWrapCloudEventFunction(context.Background(), s.receive); err != nil {
			return nil, fmt.Errorf("gcf: build the Functions Framework CloudEvent handler: %w", err)
		}
	}
	return s, nil
}

// platform names the platform and the function from the environment: Cloud
// Functions when FUNCTION_TARGET is set, Cloud Run when only K_SERVICE is (and,
// outside both, Cloud Functions, whose framework this adapter runs).
func platform(getenv func(string) string) (function.Platform, string) {
	service, target := getenv("K_SERVICE"), getenv("FUNCTION_TARGET")
	p := function.PlatformCloudFunctions
	if target == "" && service != "" {
		p = function.PlatformCloudRun
	}
	if service != "" {
		return p, service
	}
	return p, target
}

// ServeHTTP serves one invocation: a CloudEvent, a legacy event or a Pub/Sub
// push request goes to the event handler, anything else to the HTTP handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	isEvent, body, err := s.route(r)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx := r.Context()
	if s.timeout > 0 {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, s.timeout)
			defer cancel()
		}
	}
	if isEvent {
		s.serveEvent(ctx, w, r, body)
		return
	}
	inv := new(function.Invocation)
	s.begin(ctx, inv, r)
	inv.Trigger = function.TriggerHTTP
	r = r.WithContext(function.NewContext(ctx, inv))
	if body != nil {
		r.Body = newBody(body)
	}
	s.serveWeb(w, r)
}

// begin fills in what is known of an invocation when its request arrives.
func (s *Server) begin(ctx context.Context, inv *function.Invocation, r *http.Request) {
	inv.Platform = s.platform
	inv.FunctionName = s.name
	inv.RequestID = requestID(r.Header)
	inv.ColdStart = s.cold.Next()
	inv.TraceHeader = traceHeader(r.Header)
	inv.Native = r
	if d, ok := ctx.Deadline(); ok {
		inv.Deadline = d
	}
}

// requestID names a request: Cloud Functions' execution id, else (on Cloud
// Run, which sets none) the trace id Google's front end gives every request,
// else a W3C trace id, else X-Request-Id. Events without any fall back to
// their event id.
func requestID(h http.Header) string {
	if id := h.Get("Function-Execution-Id"); id != "" {
		return id
	}
	if tc := h.Get("X-Cloud-Trace-Context"); tc != "" {
		id, _, _ := strings.Cut(tc, "/")
		return id
	}
	// traceparent: version-traceid-parentid-flags
	if tp := h.Get("Traceparent"); len(tp) >= 35 && tp[2] == '-' {
		return tp[3:35]
	}
	return h.Get("X-Request-Id")
}

// route tells an event from an HTTP request. With one handler there is
// nothing to tell. With both, a CloudEvent (by its headers) is an event; for
// anything else FUNCTION_SIGNATURE_TYPE decides where the platform sets it
// ("http", or "cloudevent"/"event"), and otherwise a JSON POST is an event
// if its body has the shape of a legacy event or a Pub/Sub push message (the
// body, read to decide, is returned).
func (s *Server) route(r *http.Request) (isEvent bool, body []byte, err error) {
	switch {
	case s.web == nil:
		return true, nil, nil
	case s.events == nil:
		return false, nil, nil
	case isCloudEvent(r.Header):
		return true, nil, nil
	}
	switch s.signature {
	case "http":
		return false, nil, nil
	case "event", "cloudevent":
		return true, nil, nil
	}
	if r.Method != http.MethodPost || !isJSON(r.Header.Get("Content-Type")) {
		return false, nil, nil
	}
	body, err = readBody(r, s.maxBody)
	if err != nil {
		return false, nil, err
	}
	p, err := probe(body)
	return err == nil && p.isEvent(), body, nil
}

// serveWeb runs the user's HTTP handler. It does not go through the
// framework's HTTP wrapper, which on Cloud Run prints blank lines to stdout
// and stderr after every request to flush logs, and logs panics as
// multi-line text; timeouts and execution ids are handled here instead.
func (s *Server) serveWeb(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.ErrorContext(ctx, "HTTP handler panicked", slog.Any("panic", p),
				slog.String("path", r.URL.Path), slog.String("stack", string(debug.Stack())))
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	if err := s.lc.Start(ctx); err != nil {
		s.log.ErrorContext(ctx, "start hook failed", slog.String("error", err.Error()))
		http.Error(w, "the function is not ready; retry later", http.StatusServiceUnavailable)
		return
	}
	s.web.ServeHTTP(w, r)
}

// Register builds a Server from opts and registers it, under name, with
// the Functions Framework's process-wide registry. It is the bridge for
// source deploys (gcloud functions deploy --entry-point NAME), whose build
// generates a main that serves the function registered under the entry
// point: call it from init in the deployed, non-main package, and handle
// the error there. The framework serves the Server as an HTTP function,
// which handles events itself exactly as under [ListenAndServe].
//
// Prefer [ListenAndServe] (or adapters.Start) with a main of your own where
// you can: the framework's server has no graceful shutdown, so stop hooks do
// not run, and registering one name twice makes the framework end the
// process.
func Register(name string, opts ...Option) error {
	s, err := New(opts...)
	if err != nil {
		return fmt.Errorf("gcf: register function %q: %w", name, err)
	}
	functions.HTTP(name, s.ServeHTTP)
	return nil
}

// Stop runs the stop hooks of the handlers ([function.Stopper]).
// [ListenAndServe] calls it after in-flight requests have drained; call it
// yourself when you serve a Server some other way.
func (s *Server) Stop(ctx context.Context) error {
	if err := s.lc.Stop(ctx); err != nil {
		return fmt.Errorf("gcf: run stop hooks: %w", err)
	}
	return nil
}

// ListenAndServe serves the function on PORT (default 8080), or on the
// listener of [WithListener], until ctx ends. Then it stops accepting
// requests, waits for those in flight (see [WithShutdownTimeout]), runs the
// handlers' stop hooks and returns nil, or the errors met on the way.
func ListenAndServe(ctx context.Context, opts ...Option) error {
	s, err := New(opts...)
	if err != nil {
		return err
	}
	ln := s.listener
	if ln == nil {
		port := s.getenv("PORT")
		if port == "" {
			port = "8080"
		}
		if ln, err = net.Listen("tcp", ":"+port); err != nil {
			return fmt.Errorf("gcf: listen on port %q: %w; set PORT to a free port", port, err)
		}
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return errors.Join(fmt.Errorf("gcf: serve on %s: %w", ln.Addr(), err), s.stop())
	case <-ctx.Done():
	}
	drain, cancel := context.WithTimeout(context.Background(), s.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(drain); err != nil {
		err = fmt.Errorf("gcf: drain in-flight requests within %s: %w", s.shutdownTimeout, err)
		return errors.Join(err, s.stop())
	}
	<-served
	return s.stop()
}

func (s *Server) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.shutdownTimeout)
	defer cancel()
	return s.Stop(ctx)
}

// traceHeader returns Google's own trace header, else the W3C one.
func traceHeader(h http.Header) string {
	if v := h.Get("X-Cloud-Trace-Context"); v != "" {
		return v
	}
	return h.Get("Traceparent")
}

// isCloudEvent applies the Functions Framework's test for a CloudEvent
// request: a Ce-Id header (binary mode) or a cloudevents content type
// (structured or batch mode).
func isCloudEvent(h http.Header) bool {
	return h.Get("Ce-Id") != "" || strings.Contains(h.Get("Content-Type"), "cloudevents")
}

func isJSON(contentType string) bool {
	ct := strings.ToLower(contentType)
	return ct == "" || strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "text/json")
}
