package gcf

import (
	"log/slog"
	"net"
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
	getenv          func(string) string
	defaultTimeout  time.Duration
	shutdownTimeout time.Duration
	maxBodyBytes    int64
	listener        net.Listener
}

// Events serves h for every invocation that carries an event.
func Events(h function.Handler) Option { return func(o *options) { o.events = h } }

// HTTP serves h for every HTTP invocation that carries no event.
func HTTP(h http.Handler) Option { return func(o *options) { o.http = h } }

// WithLogger sets the logger for the adapter's own messages (acknowledged
// permanent errors, recovered panics). The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithGetenv replaces os.Getenv for reading the platform's environment
// (FUNCTION_TARGET, K_SERVICE, PORT, CLOUD_RUN_TIMEOUT_SECONDS,
// FUNCTION_SIGNATURE_TYPE). The adapter reads it once, in [New]; tests use it
// to pose as a platform without touching the process environment.
func WithGetenv(getenv func(string) string) Option {
	return func(o *options) { o.getenv = getenv }
}

// WithDefaultTimeout sets the invocation deadline used when neither the
// request's context nor CLOUD_RUN_TIMEOUT_SECONDS gives one: the handler's
// context ends d after the request arrives and [function.Invocation.Deadline]
// reports it. Zero, the default, leaves such invocations without a deadline.
func WithDefaultTimeout(d time.Duration) Option {
	return func(o *options) { o.defaultTimeout = d }
}

// WithShutdownTimeout bounds how long [ListenAndServe] waits for in-flight
// requests after its context ends, before it runs the stop hooks. The default
// is 10s, the grace period Cloud Run gives after SIGTERM.
func WithShutdownTimeout(d time.Duration) Option {
	return func(o *options) { o.shutdownTimeout = d }
}

// WithMaxBodyBytes bounds the size of a request body the adapter buffers to
// convert a legacy event or Pub/Sub push message; a larger one is answered
// with 413. The default is 32 MiB, the platforms' own request limit.
func WithMaxBodyBytes(n int64) Option { return func(o *options) { o.maxBodyBytes = n } }

// WithListener makes [ListenAndServe] serve on l instead of listening on
// PORT. ListenAndServe closes l when it returns.
func WithListener(l net.Listener) Option { return func(o *options) { o.listener = l } }
