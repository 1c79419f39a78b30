package frontdoor

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/faasport/faasport/function"
)

// Defaults of the limits. Each HTTP adapter uses these unless its
// [Profile] or the user's options say otherwise.
const (
	// DefaultMaxBodyBytes is the request body limit: 32 MiB, the request
	// limit of Cloud Run and Cloud Functions (2nd gen) over HTTP/1, which
	// also holds Pub/Sub's largest push request (a 10 MB message, base64 in
	// JSON). AWS Lambda's synchronous limit is 6 MB, Azure Functions' HTTP
	// limit 100 MB.
	DefaultMaxBodyBytes = 32 << 20
	// DefaultMaxBatchEvents is the most events a CloudEvents batch may
	// carry: 1000, the most messages a Pub/Sub pull or a Knative batch
	// delivers at once.
	DefaultMaxBatchEvents = 1000
	// DefaultMaxHeaderBytes is the limit on the request line and headers
	// together: 64 KiB, what Google's front end and API Gateway accept.
	DefaultMaxHeaderBytes = 64 << 10
	// DefaultReadHeaderTimeout is how long a client may take to send the
	// request line and headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout is how long a client may take to send the whole
	// request, body included, counted from its arrival. Slower clients are
	// cut off (408 if nothing was answered yet), so a connection trickling a
	// byte now and then cannot hold its buffer for ever.
	DefaultReadTimeout = time.Minute
	// DefaultShutdownTimeout is the shutdown budget: how long a shutdown
	// waits for in-flight requests, and then again at most for stop hooks.
	// It fits inside the 10 s Cloud Run gives after SIGTERM.
	DefaultShutdownTimeout = 8 * time.Second
)

// Option configures a [Door]. The HTTP adapters re-export these under
// their own package names, so every adapter has the same options.
type Option func(*Settings)

// Settings is what the options set. Adapters read it through
// [Door.Settings]; a [Profile]'s Environment may fill in what the user left
// zero.
type Settings struct {
	// Events serves every invocation that carries an event.
	Events function.Handler
	// HTTP serves every request that carries no event.
	HTTP http.Handler
	// Logger receives the door's own messages. Default: the Profile's
	// Logger, else slog.Default().
	Logger *slog.Logger
	// Getenv reads the platform's environment, once, in New. Default: os.Getenv.
	Getenv func(string) string
	// Addr is where ListenAndServe listens; see [WithAddr].
	Addr string
	// Listener, if set, is served by ListenAndServe instead of Addr.
	Listener net.Listener
	// FunctionName is function.Invocation.FunctionName. Default: the
	// Profile's Environment.
	FunctionName string
	// MaxBodyBytes limits every request body. Default [DefaultMaxBodyBytes].
	MaxBodyBytes int64
	// MaxBatchEvents limits the events of one batch. Default [DefaultMaxBatchEvents].
	MaxBatchEvents int
	// MaxHeaderBytes limits request line and headers. Default [DefaultMaxHeaderBytes].
	MaxHeaderBytes int
	// ReadHeaderTimeout bounds receiving the headers. Default [DefaultReadHeaderTimeout].
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds receiving the whole request; negative: none.
	// Default [DefaultReadTimeout].
	ReadTimeout time.Duration
	// Timeout is every invocation's deadline after its request arrived;
	// zero: the platform's (the Profile's Environment), else none.
	Timeout time.Duration
	// ShutdownTimeout is the shutdown budget. Default [DefaultShutdownTimeout].
	ShutdownTimeout time.Duration
	// PermanentStatus, if not zero, is the status a permanent failure
	// answers instead of 200 (see [WithPermanentStatus]).
	PermanentStatus int
	// Formats are the formats recognised. Zero: the Profile's.
	Formats Formats
}

// Events serves h for every invocation that carries an event.
func Events(h function.Handler) Option { return func(s *Settings) { s.Events = h } }

// HTTP serves h for every request that carries no event.
func HTTP(h http.Handler) Option { return func(s *Settings) { s.HTTP = h } }

// WithLogger sets the logger for the door's own messages (acknowledged
// permanent errors, recovered panics, shutdown).
func WithLogger(l *slog.Logger) Option { return func(s *Settings) { s.Logger = l } }

// WithGetenv replaces os.Getenv for reading the platform's environment
// (PORT, K_SERVICE, FUNCTION_TARGET, …). It is read once, in New; tests use
// it to pose as a platform without touching the process environment.
func WithGetenv(getenv func(string) string) Option { return func(s *Settings) { s.Getenv = getenv } }

// WithAddr sets the address ListenAndServe listens on, e.g.
// "127.0.0.1:9000". An address without a port ("127.0.0.1" or
// "127.0.0.1:") takes the port from the PORT environment variable, default
// 8080. The default address is ":$PORT", what container platforms expect.
func WithAddr(addr string) Option { return func(s *Settings) { s.Addr = addr } }

// WithListener makes ListenAndServe serve on l instead of listening; it
// closes l when it returns.
func WithListener(l net.Listener) Option { return func(s *Settings) { s.Listener = l } }

// WithFunctionName sets function.Invocation.FunctionName instead of the
// name the platform's environment gives.
func WithFunctionName(name string) Option { return func(s *Settings) { s.FunctionName = name } }

// WithMaxBodyBytes limits every request body to n bytes: events in every
// mode and format, and plain HTTP, whose handler gets an
// [*http.MaxBytesError] when it reads past n. A request over it is answered
// 413. n <= 0 restores the default.
func WithMaxBodyBytes(n int64) Option { return func(s *Settings) { s.MaxBodyBytes = n } }

// WithMaxBatchEvents limits a CloudEvents batch to n events; a longer one
// is answered 413 without running the handler. n <= 0 restores
// [DefaultMaxBatchEvents].
func WithMaxBatchEvents(n int) Option { return func(s *Settings) { s.MaxBatchEvents = n } }

// WithMaxHeaderBytes limits the request line and headers to n bytes;
// larger requests are answered 431. n <= 0 restores [DefaultMaxHeaderBytes].
func WithMaxHeaderBytes(n int) Option { return func(s *Settings) { s.MaxHeaderBytes = n } }

// WithReadTimeout bounds how long a client may take to send the whole
// request, headers and body, counted from its arrival. d < 0 sets no bound
// (for HTTP handlers that stream long uploads); 0 restores
// [DefaultReadTimeout].
func WithReadTimeout(d time.Duration) Option { return func(s *Settings) { s.ReadTimeout = d } }

// WithTimeout gives every invocation a deadline d after its request
// arrives, where the platform sets none (Cloud Run's
// CLOUD_RUN_TIMEOUT_SECONDS wins): the handler's context ends then, and
// function.Invocation reports it as Deadline. An event handler that returns
// the context's error answers 504. d <= 0 sets none beyond the client's.
func WithTimeout(d time.Duration) Option { return func(s *Settings) { s.Timeout = d } }

// WithShutdownTimeout sets the shutdown budget: how long a shutdown waits
// for in-flight requests, then again at most for stop hooks. Requests that
// have written nothing by then are answered 503 and their context is
// cancelled. d <= 0 restores [DefaultShutdownTimeout].
func WithShutdownTimeout(d time.Duration) Option { return func(s *Settings) { s.ShutdownTimeout = d } }

// WithPermanentStatus makes a permanent failure answer status (a 4xx, for
// example 422) instead of the default 200. Use it only for synchronous
// callers that read the status: push systems (Pub/Sub, Eventarc, Knative,
// SNS) redeliver anything but 2xx, so a poison event would loop for ever. An
// error with its own 4xx status (function.WithStatus, function.DecodeError)
// answers that status. status 0 restores the default; [New] refuses any
// other status but 200 with [ErrBadOption].
func WithPermanentStatus(status int) Option { return func(s *Settings) { s.PermanentStatus = status } }

// WithFormats sets the request formats recognised, replacing the
// adapter's default set (see [Formats]).
func WithFormats(f Formats) Option { return func(s *Settings) { s.Formats = f } }
