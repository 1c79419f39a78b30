package gcf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
)

// ErrNoHandler is returned by [New] and [ListenAndServe] when neither
// [Events] nor [HTTP] was given.
var ErrNoHandler = frontdoor.ErrNoHandler

// PubSubMessagePublished is the CloudEvent type of a Pub/Sub message, the
// type a Pub/Sub push request is delivered as.
const PubSubMessagePublished = frontdoor.TypePubSubMessagePublished

// DefaultMaxBodyBytes is the request body limit unless [WithMaxBodyBytes]
// says otherwise: 32 MiB, the request limit of Cloud Run and Cloud
// Functions, the same on every HTTP adapter.
const DefaultMaxBodyBytes = frontdoor.DefaultMaxBodyBytes

// Server serves a function the way Cloud Functions and Cloud Run deliver
// to it. It is an [net/http.Handler]; build it with [New].
type Server struct {
	door *frontdoor.Door
}

// Profile is the front door profile of Cloud Functions and Cloud Run,
// reading the environment with getenv once: the platform (Cloud Functions
// when FUNCTION_TARGET is set, Cloud Run when only K_SERVICE is), the
// function name, the deadline of CLOUD_RUN_TIMEOUT_SECONDS, Google's request
// ids and trace header; every format, body-identified ones (Pub/Sub push,
// legacy events) even beside an HTTP handler unless FUNCTION_SIGNATURE_TYPE
// is http.
func Profile(getenv func(string) string) frontdoor.Profile {
	sig := strings.ToLower(getenv("FUNCTION_SIGNATURE_TYPE"))
	return frontdoor.Profile{
		Name:            "gcf",
		Platform:        function.PlatformCloudFunctions,
		Environment:     environment,
		Metadata:        invocationMetadata,
		Formats:         frontdoor.FormatsAll,
		SniffWithHTTP:   sig != "http",
		NoContentStatus: http.StatusOK,
	}
}

// New builds a Server from its options. It reads the platform's environment
// (see [WithGetenv]) once, here. It registers nothing globally, so a program
// or a test may build as many Servers as it likes.
func New(opts ...Option) (*Server, error) {
	var s frontdoor.Settings
	for _, opt := range opts {
		if opt != nil {
			opt(&s)
		}
	}
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	d, err := frontdoor.New(Profile(getenv), opts...)
	if err != nil {
		if errors.Is(err, frontdoor.ErrNoHandler) {
			return nil, fmt.Errorf("gcf: nothing to serve; pass gcf.Events(h), gcf.HTTP(h) or both: %w", ErrNoHandler)
		}
		return nil, err
	}
	return &Server{door: d}, nil
}

func environment(getenv func(string) string) (frontdoor.Env, error) {
	service, target := getenv("K_SERVICE"), getenv("FUNCTION_TARGET")
	env := frontdoor.Env{Platform: function.PlatformCloudFunctions, FunctionName: target}
	if target == "" && service != "" {
		env.Platform = function.PlatformCloudRun
	}
	if service != "" {
		env.FunctionName = service
	}
	if v := getenv("CLOUD_RUN_TIMEOUT_SECONDS"); v != "" {
		secs, err := strconv.Atoi(v)
		if err != nil || secs <= 0 {
			return env, fmt.Errorf("gcf: read CLOUD_RUN_TIMEOUT_SECONDS %q: want a positive whole number of seconds; fix the service's environment", v)
		}
		env.Timeout = time.Duration(secs) * time.Second
	}
	return env, nil
}

// invocationMetadata fills in what Google's front end says of a request.
func invocationMetadata(r *http.Request, inv *function.Invocation) {
	if id := requestID(r.Header); id != "" {
		inv.RequestID = id
	}
	inv.TraceHeader = traceHeader(r.Header)
}

// ServeHTTP serves one invocation: a CloudEvent, a legacy event, a Pub/Sub
// push or Cloud Scheduler request goes to the event handler, anything else
// to the HTTP handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.door.ServeHTTP(w, r) }

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

// traceHeader returns Google's own trace header, else the W3C one.
func traceHeader(h http.Header) string {
	if v := h.Get("X-Cloud-Trace-Context"); v != "" {
		return v
	}
	return h.Get("Traceparent")
}

// Stop waits for handler calls in flight, then runs the stop hooks of the
// handlers ([function.Stopper]). [ListenAndServe] calls it after in-flight
// requests have drained; call it yourself when you serve a Server some
// other way.
func (s *Server) Stop(ctx context.Context) error { return s.door.Stop(ctx) }

// Serve serves on l until ctx ends, then shuts down as [ListenAndServe]
// describes. It closes l.
func (s *Server) Serve(ctx context.Context, l net.Listener) error { return s.door.Serve(ctx, l) }

// ListenAndServe serves the function on PORT (default 8080), or on the
// listener of [WithListener], until ctx ends. Then it stops accepting
// requests, waits for those in flight (see [WithShutdownTimeout]; those
// that have written nothing by then are answered 503), runs the handlers'
// stop hooks once every handler has returned and returns nil, or the errors
// met on the way.
func ListenAndServe(ctx context.Context, opts ...Option) error {
	s, err := New(opts...)
	if err != nil {
		return err
	}
	return s.door.ListenAndServe(ctx)
}
