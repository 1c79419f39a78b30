package gcf

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
)

// Option configures the adapter. It is the front door's option type, so
// adapters/nethttp and adapters/azure take the same options.
type Option = frontdoor.Option

// Events serves h for every invocation that carries an event.
func Events(h function.Handler) Option { return frontdoor.Events(h) }

// HTTP serves h for every HTTP invocation that carries no event.
func HTTP(h http.Handler) Option { return frontdoor.HTTP(h) }

// WithLogger sets the logger for the adapter's own messages (acknowledged
// permanent errors, recovered panics). The default is slog.Default(); use
// [NewLogHandler] for Cloud Logging's structured format.
func WithLogger(l *slog.Logger) Option { return frontdoor.WithLogger(l) }

// WithGetenv replaces os.Getenv for reading the platform's environment
// (FUNCTION_TARGET, K_SERVICE, PORT, CLOUD_RUN_TIMEOUT_SECONDS,
// FUNCTION_SIGNATURE_TYPE). The adapter reads it once, in [New]; tests use it
// to pose as a platform without touching the process environment.
func WithGetenv(getenv func(string) string) Option { return frontdoor.WithGetenv(getenv) }

// WithTimeout sets the invocation deadline used when neither the request's
// context nor CLOUD_RUN_TIMEOUT_SECONDS gives one: the handler's context
// ends d after the request arrives and [function.Invocation.Deadline]
// reports it. Zero, the default, leaves such invocations without a deadline.
func WithTimeout(d time.Duration) Option { return frontdoor.WithTimeout(d) }

// WithDefaultTimeout is [WithTimeout].
//
// Deprecated: use WithTimeout, the name every HTTP adapter shares.
func WithDefaultTimeout(d time.Duration) Option { return frontdoor.WithTimeout(d) }

// WithShutdownTimeout sets the shutdown budget: how long [ListenAndServe]
// waits for in-flight requests after its context ends, then again at most
// for stop hooks. The default, [frontdoor.DefaultShutdownTimeout], fits in
// the 10 s Cloud Run gives after SIGTERM.
func WithShutdownTimeout(d time.Duration) Option { return frontdoor.WithShutdownTimeout(d) }

// WithMaxBodyBytes limits every request body, events and plain HTTP alike,
// to n bytes; a larger one is answered 413. The default is
// [DefaultMaxBodyBytes].
func WithMaxBodyBytes(n int64) Option { return frontdoor.WithMaxBodyBytes(n) }

// WithMaxBatchEvents limits a CloudEvents batch to n events (default
// [frontdoor.DefaultMaxBatchEvents]).
func WithMaxBatchEvents(n int) Option { return frontdoor.WithMaxBatchEvents(n) }

// WithMaxHeaderBytes limits the request line and headers (default
// [frontdoor.DefaultMaxHeaderBytes]); larger requests are answered 431.
func WithMaxHeaderBytes(n int) Option { return frontdoor.WithMaxHeaderBytes(n) }

// WithReadTimeout bounds how long a client may take to send the whole
// request (default [frontdoor.DefaultReadTimeout]); d < 0 sets no bound.
func WithReadTimeout(d time.Duration) Option { return frontdoor.WithReadTimeout(d) }

// WithListener makes [ListenAndServe] serve on l instead of listening on
// PORT. ListenAndServe closes l when it returns.
func WithListener(l net.Listener) Option { return frontdoor.WithListener(l) }

// WithAddr makes [ListenAndServe] listen on addr instead of ":$PORT".
func WithAddr(addr string) Option { return frontdoor.WithAddr(addr) }

// WithFunctionName sets [function.Invocation].FunctionName instead of
// K_SERVICE or FUNCTION_TARGET.
func WithFunctionName(name string) Option { return frontdoor.WithFunctionName(name) }

// WithPermanentStatus makes a permanent failure answer status (a 4xx)
// instead of 200. Pub/Sub and Eventarc redeliver anything but 2xx, so use
// it only for synchronous callers; see [frontdoor.WithPermanentStatus].
func WithPermanentStatus(status int) Option { return frontdoor.WithPermanentStatus(status) }

// WithFormats sets the request formats recognised (see [frontdoor.Formats]).
func WithFormats(f frontdoor.Formats) Option { return frontdoor.WithFormats(f) }
