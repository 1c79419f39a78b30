package nethttp

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/faasport/faasport/function"
)

// Option configures the adapter.
type Option func(*options)

type options struct {
	events          function.Handler
	http            http.Handler
	logger          *slog.Logger
	addr            string
	maxBodyBytes    int64
	timeout         time.Duration
	shutdownTimeout time.Duration
	functionName    string
}

// DefaultMaxBodyBytes is the request body limit unless [WithMaxBodyBytes]
// says otherwise: 6 MiB, like AWS Lambda's synchronous payload limit, so a
// function accepts the same events everywhere.
const DefaultMaxBodyBytes = 6 << 20

// DefaultShutdownTimeout is how long a shutdown waits for in-flight requests
// and stop hooks unless [WithShutdownTimeout] says otherwise. It fits inside
// the 10 s grace period Cloud Run gives after SIGTERM.
const DefaultShutdownTimeout = 8 * time.Second

// Events serves h for every invocation that carries an event.
func Events(h function.Handler) Option { return func(o *options) { o.events = h } }

// HTTP serves h for every HTTP invocation that carries no event.
func HTTP(h http.Handler) Option { return func(o *options) { o.http = h } }

// WithLogger sets the logger for the adapter's own messages (acknowledged
// permanent errors, recovered panics). The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithAddr sets the address [ListenAndServe] listens on, e.g. "127.0.0.1:9000".
// An address without a port ("127.0.0.1" or "127.0.0.1:") takes the port from
// the PORT environment variable, default 8080. The default address is ":$PORT"
// (every interface), what container platforms expect.
func WithAddr(addr string) Option { return func(o *options) { o.addr = addr } }

// WithMaxBodyBytes limits request bodies to n bytes. An event request over
// it is answered 413 before the handler runs; so is a plain HTTP request
// whose Content-Length is over it, and an HTTP handler that reads past it
// gets an [*http.MaxBytesError]. n <= 0 restores [DefaultMaxBodyBytes].
func WithMaxBodyBytes(n int64) Option { return func(o *options) { o.maxBodyBytes = n } }

// WithTimeout gives every request a deadline d after it arrives: the
// handler's context ends then, and [function.Invocation] reports it as
// Deadline. An event handler that returns the context's error answers 504.
// d <= 0 (the default) sets no deadline beyond the client's own.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithShutdownTimeout bounds how long a shutdown waits for in-flight requests
// to finish, and then again for stop hooks ([function.Stopper]). Requests
// still running after it have their context cancelled. d <= 0 restores
// [DefaultShutdownTimeout].
func WithShutdownTimeout(d time.Duration) Option {
	return func(o *options) { o.shutdownTimeout = d }
}

// WithFunctionName sets [function.Invocation].FunctionName. [ListenAndServe]
// defaults it to the K_SERVICE environment variable (Knative, Cloud Run).
func WithFunctionName(name string) Option { return func(o *options) { o.functionName = name } }
