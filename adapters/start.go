// Package adapters picks the platform a function runs on from its
// environment and serves the function there, so one main deploys anywhere:
//
//	func main() {
//		err := adapters.Start(adapters.Events(h), adapters.HTTP(mux))
//		if err != nil {
//			slog.Error("function stopped", "error", err)
//			os.Exit(1)
//		}
//	}
//
// With AWS_LAMBDA_RUNTIME_API set it runs the AWS Lambda runtime loop
// (adapters/lambda); with FUNCTIONS_CUSTOMHANDLER_PORT set it serves as an
// Azure Functions custom handler (adapters/azure); with FUNCTION_TARGET or
// K_SERVICE set it serves Cloud Functions / Cloud Run's formats
// (adapters/gcf); otherwise it serves plain net/http on PORT, default 8080
// (adapters/nethttp). Import an adapter package
// directly to set its own options.
//
// The HTTP adapters are thin profiles over one front door
// (adapters/frontdoor) and link neither the Functions Framework nor the
// CloudEvents SDK's HTTP client. The Lambda adapter runs its own Runtime
// API loop and links only aws-lambda-go's event types and lambdacontext; a
// container-only binary can leave it out with the tag faasport_nolambda,
// and Start then fails with a clear error if it finds itself on Lambda.
// (The former faasport_nogcf tag is no longer needed and has no effect.)
package adapters

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/adapters/gcf"
	"github.com/faasport/faasport/adapters/nethttp"
	"github.com/faasport/faasport/function"
)

// Option configures Start.
type Option func(*options)

type options struct {
	events function.Handler
	http   http.Handler
	logger *slog.Logger
	getenv func(string) string
}

// Events serves h for every invocation that carries an event.
func Events(h function.Handler) Option { return func(o *options) { o.events = h } }

// HTTP serves h for every HTTP invocation.
func HTTP(h http.Handler) Option { return func(o *options) { o.http = h } }

// WithLogger sets the logger for the adapter's own messages.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithGetenv replaces os.Getenv for platform detection and for the
// environment the chosen adapter reads (PORT, K_SERVICE, …); for tests.
func WithGetenv(getenv func(string) string) Option { return func(o *options) { o.getenv = getenv } }

// ErrNoHandler is returned when neither Events nor HTTP was given.
var ErrNoHandler = errors.New("adapters: nothing to serve; pass adapters.Events(h), adapters.HTTP(h) or both")

// Detect names the platform the environment describes: Lambda when
// AWS_LAMBDA_RUNTIME_API is set, Azure Functions when
// FUNCTIONS_CUSTOMHANDLER_PORT is, Cloud Functions when FUNCTION_TARGET is,
// Cloud Run when K_SERVICE is, else plain HTTP.
func Detect(getenv func(string) string) function.Platform {
	switch {
	case getenv("AWS_LAMBDA_RUNTIME_API") != "":
		return function.PlatformLambda
	case getenv("FUNCTIONS_CUSTOMHANDLER_PORT") != "":
		return function.PlatformAzureFunctions
	case getenv("FUNCTION_TARGET") != "":
		return function.PlatformCloudFunctions
	case getenv("K_SERVICE") != "":
		return function.PlatformCloudRun
	default:
		return function.PlatformHTTP
	}
}

// Start serves the function on the detected platform until the process
// receives SIGTERM or SIGINT, then drains in-flight invocations, runs stop
// hooks and returns nil. It returns an error if the function cannot be
// served.
func Start(opts ...Option) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	return Run(ctx, opts...)
}

// Run is Start with the caller's context: it stops serving when ctx ends.
func Run(ctx context.Context, opts ...Option) error {
	o := options{getenv: os.Getenv}
	for _, opt := range opts {
		opt(&o)
	}
	if o.events == nil && o.http == nil {
		return ErrNoHandler
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	switch Detect(o.getenv) {
	case function.PlatformLambda:
		return startLambda(ctx, o)
	case function.PlatformAzureFunctions:
		return azure.ListenAndServe(ctx, append(adapterOptions(o, azure.Events, azure.HTTP, azure.WithLogger), azure.WithGetenv(o.getenv))...)
	case function.PlatformCloudFunctions, function.PlatformCloudRun:
		return gcf.ListenAndServe(ctx, append(adapterOptions(o, gcf.Events, gcf.HTTP, gcf.WithLogger), gcf.WithGetenv(o.getenv))...)
	default:
		return nethttp.ListenAndServe(ctx, append(adapterOptions(o, nethttp.Events, nethttp.HTTP, nethttp.WithLogger), nethttp.WithGetenv(o.getenv))...)
	}
}

// adapterOptions translates Start's options into one adapter's.
func adapterOptions[O any](o options, events func(function.Handler) O, web func(http.Handler) O, logger func(*slog.Logger) O) []O {
	opts := []O{logger(o.logger)}
	if o.events != nil {
		opts = append(opts, events(o.events))
	}
	if o.http != nil {
		opts = append(opts, web(o.http))
	}
	return opts
}
