package nethttp

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
)

// Option configures the adapter. It is the front door's option type, so
// adapters/gcf and adapters/azure take the same options.
type Option = frontdoor.Option

// DefaultMaxBodyBytes is the request body limit unless [WithMaxBodyBytes]
// says otherwise: [frontdoor.DefaultMaxBodyBytes], the same on every HTTP
// adapter.
const DefaultMaxBodyBytes = frontdoor.DefaultMaxBodyBytes

// DefaultShutdownTimeout is the shutdown budget unless
// [WithShutdownTimeout] says otherwise: [frontdoor.DefaultShutdownTimeout],
// which fits inside the 10 s grace period Cloud Run gives after SIGTERM.
const DefaultShutdownTimeout = frontdoor.DefaultShutdownTimeout

// Events serves h for every invocation that carries an event.
func Events(h function.Handler) Option { return frontdoor.Events(h) }

// HTTP serves h for every HTTP invocation that carries no event.
func HTTP(h http.Handler) Option { return frontdoor.HTTP(h) }

// WithLogger sets the logger for the adapter's own messages (acknowledged
// permanent errors, recovered panics). The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return frontdoor.WithLogger(l) }

// WithGetenv replaces os.Getenv for reading PORT and K_SERVICE.
func WithGetenv(getenv func(string) string) Option { return frontdoor.WithGetenv(getenv) }

// WithAddr sets the address [ListenAndServe] listens on, e.g. "127.0.0.1:9000".
// An address without a port ("127.0.0.1" or "127.0.0.1:") takes the port from
// the PORT environment variable, default 8080. The default address is ":$PORT"
// (every interface), what container platforms expect.
func WithAddr(addr string) Option { return frontdoor.WithAddr(addr) }

// WithListener makes [ListenAndServe] serve on l instead of listening.
func WithListener(l net.Listener) Option { return frontdoor.WithListener(l) }

// WithMaxBodyBytes limits request bodies to n bytes, on every path: an
// event request over it is answered 413 before the handler runs; so is a
// plain HTTP request whose Content-Length is over it, and an HTTP handler
// that reads past it gets an [*http.MaxBytesError]. n <= 0 restores
// [DefaultMaxBodyBytes].
func WithMaxBodyBytes(n int64) Option { return frontdoor.WithMaxBodyBytes(n) }

// WithMaxBatchEvents limits a CloudEvents batch to n events (default
// [frontdoor.DefaultMaxBatchEvents]); a longer one is answered 413.
func WithMaxBatchEvents(n int) Option { return frontdoor.WithMaxBatchEvents(n) }

// WithMaxHeaderBytes limits the request line and headers (default
// [frontdoor.DefaultMaxHeaderBytes]); larger requests are answered 431.
func WithMaxHeaderBytes(n int) Option { return frontdoor.WithMaxHeaderBytes(n) }

// WithReadTimeout bounds how long a client may take to send the whole
// request (default [frontdoor.DefaultReadTimeout]); d < 0 sets no bound.
func WithReadTimeout(d time.Duration) Option { return frontdoor.WithReadTimeout(d) }

// WithTimeout gives every request a deadline d after it arrives: the
// handler's context ends then, and [function.Invocation] reports it as
// Deadline. An event handler that returns the context's error answers 504.
// d <= 0 (the default) sets no deadline beyond the client's own.
func WithTimeout(d time.Duration) Option { return frontdoor.WithTimeout(d) }

// WithShutdownTimeout sets the shutdown budget: how long a shutdown waits
// for in-flight requests, then again at most for stop hooks
// ([function.Stopper]). Requests that have written nothing by then are
// answered 503 and their context is cancelled. d <= 0 restores
// [DefaultShutdownTimeout].
func WithShutdownTimeout(d time.Duration) Option { return frontdoor.WithShutdownTimeout(d) }

// WithFunctionName sets [function.Invocation].FunctionName. The default is
// the K_SERVICE environment variable (Knative, Cloud Run).
func WithFunctionName(name string) Option { return frontdoor.WithFunctionName(name) }

// WithPermanentStatus makes a permanent failure answer status (a 4xx such
// as 422) instead of 200. Only for synchronous callers: push senders
// redeliver anything but 2xx. See [frontdoor.WithPermanentStatus]. Any
// other status than 0, 200 or a 4xx leaves the Server refusing to serve
// (see [New]).
func WithPermanentStatus(status int) Option { return frontdoor.WithPermanentStatus(status) }

// WithFormats sets the request formats recognised (see [frontdoor.Formats]).
func WithFormats(f frontdoor.Formats) Option { return frontdoor.WithFormats(f) }
