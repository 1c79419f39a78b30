package nethttp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
)

// Profile is the front door profile of plain net/http hosts: platform
// [function.PlatformHTTP], the function name from K_SERVICE, request ids
// from X-Request-Id and traces from traceparent, and every format;
// body-identified ones (wrapped Pub/Sub push, legacy events) only when no
// HTTP handler is served.
func Profile() frontdoor.Profile {
	return frontdoor.Profile{
		Name:     "nethttp",
		Platform: function.PlatformHTTP,
		Environment: func(getenv func(string) string) (frontdoor.Env, error) {
			return frontdoor.Env{FunctionName: getenv("K_SERVICE")}, nil
		},
		Formats: frontdoor.FormatsAll,
	}
}

// Server serves a [function.Handler] over the CloudEvents HTTP binding (and
// the other push formats of [frontdoor]) and an [http.Handler] for every
// request that carries no event. It is an http.Handler itself, so it can be
// mounted in any mux or server; build one with [New], or let
// [ListenAndServe] run it.
type Server struct {
	door *frontdoor.Door
	err  error

	log    *slog.Logger // where err is reported, once
	logged sync.Once
}

// New builds a Server from opts. New returns no error: a Server that
// cannot serve reports why from [Server.Err], from [Server.Serve] and
// [ListenAndServe], which return it without serving, and, when mounted in
// a server of your own, in one Error line through [WithLogger]'s logger on
// the first request. Without [Events] or [HTTP] every request is answered
// 501; with an option it cannot honour (a [WithPermanentStatus] other than
// 200 or a 4xx) every request is answered 500. Check Err after New when you
// mount the Server yourself.
func New(opts ...Option) *Server {
	d, err := frontdoor.New(Profile(), opts...)
	s := &Server{door: d, err: err}
	if err != nil {
		s.log = logger(opts)
	}
	return s
}

// Err returns why the Server cannot serve, or nil if it can.
func (s *Server) Err() error { return s.err }

// logger returns the logger opts set, else slog.Default().
func logger(opts []Option) *slog.Logger {
	var st frontdoor.Settings
	for _, o := range opts {
		if o != nil {
			o(&st)
		}
	}
	if st.Logger != nil {
		return st.Logger
	}
	return slog.Default()
}

// ListenAndServe serves the handlers given in opts on WithAddr's address, or
// on every interface at port $PORT (default 8080), until ctx ends. Pass a
// context that SIGTERM and SIGINT cancel (signal.NotifyContext); then it
// stops accepting connections, waits for in-flight requests (at most
// [WithShutdownTimeout]; those that have written nothing by then are
// answered 503), runs the handlers' stop hooks ([function.Stopper]) once
// every handler has returned, and returns nil.
func ListenAndServe(ctx context.Context, opts ...Option) error {
	s := New(opts...)
	if s.err != nil {
		return s.err
	}
	return s.door.ListenAndServe(ctx)
}

// Serve serves on l until ctx ends, then shuts down gracefully as
// [ListenAndServe] describes. It closes l.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if s.err != nil {
		_ = l.Close()
		return s.err
	}
	return s.door.Serve(ctx, l)
}

// Stop waits for handler calls in flight, then runs the handlers' stop
// hooks. Serve calls it; call it yourself when you mount the Server in a
// server of your own.
func (s *Server) Stop(ctx context.Context) error {
	if s.err != nil {
		return nil
	}
	return s.door.Stop(ctx)
}

// ServeHTTP serves one request: the events it carries go to the event
// handler, anything else to the HTTP handler. A Server that cannot serve
// (see [New]) answers 501 without a handler, else 500, and logs why on the
// first request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.err != nil {
		s.logged.Do(func() {
			s.log.ErrorContext(r.Context(), "nethttp: the server cannot serve; every request is refused", "error", s.err)
		})
		p := &Problem{Type: "about:blank", Title: http.StatusText(http.StatusInternalServerError), Status: http.StatusInternalServerError,
			Detail: "this server is misconfigured; its log says why"}
		if errors.Is(s.err, frontdoor.ErrNoHandler) {
			p = &Problem{Type: "about:blank", Title: http.StatusText(http.StatusNotImplemented), Status: http.StatusNotImplemented,
				Detail: "this server has no handler; build it with nethttp.Events(h), nethttp.HTTP(h) or both"}
		}
		WriteProblem(w, p)
		return
	}
	s.door.ServeHTTP(w, r)
}
