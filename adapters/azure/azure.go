package azure

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
)

// Platform is function.Invocation.Platform on Azure Functions: the
// OpenTelemetry cloud.platform value, function.PlatformAzureFunctions.
const Platform = function.PlatformAzureFunctions

// Environment variables the Functions host sets for a custom handler.
const (
	// EnvPort is the port the host expects the handler to listen on.
	EnvPort = "FUNCTIONS_CUSTOMHANDLER_PORT"
	// EnvScriptRoot is the function app's root folder (host.json).
	EnvScriptRoot = "AzureWebJobsScriptRoot"
	// EnvSiteName is the function app's name.
	EnvSiteName = "WEBSITE_SITE_NAME"
)

// Option configures the adapter.
type Option func(*config)

type config struct {
	door        []frontdoor.Option
	hasHTTP     bool
	hasEvents   bool
	getenv      func(string) string
	scriptRoot  string
	app         *App
	replyOutput string
}

// Events serves h for every trigger but HTTP, and for HTTP triggers too
// when no HTTP handler is given.
func Events(h function.Handler) Option {
	return func(c *config) {
		c.hasEvents = h != nil
		c.door = append(c.door, frontdoor.Events(h))
	}
}

// HTTP serves h for every HTTP trigger: forwarded requests
// (enableForwardingHttpRequest) as they are, and requests the host posts
// in its Data/Metadata form rebuilt as an *http.Request, whose response
// goes back as the http output binding.
func HTTP(h http.Handler) Option {
	return func(c *config) {
		c.hasHTTP = h != nil
		c.door = append(c.door, frontdoor.HTTP(h))
	}
}

// WithLogger sets the logger for the adapter's own messages.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.door = append(c.door, frontdoor.WithLogger(l)) }
}

// WithGetenv replaces os.Getenv for reading the host's environment
// (FUNCTIONS_CUSTOMHANDLER_PORT, AzureWebJobsScriptRoot, WEBSITE_SITE_NAME).
func WithGetenv(getenv func(string) string) Option {
	return func(c *config) {
		c.getenv = getenv
		c.door = append(c.door, frontdoor.WithGetenv(getenv))
	}
}

// WithScriptRoot sets the function app's root folder, whose host.json and
// <function>/function.json files tell each function's trigger and outputs.
// Default: $AzureWebJobsScriptRoot, else the working directory (the host
// starts the handler there). Without them the adapter recognises triggers
// by the shape of their requests.
func WithScriptRoot(dir string) Option { return func(c *config) { c.scriptRoot = dir } }

// WithApp gives the function app's bindings directly instead of reading
// them from the script root.
func WithApp(app *App) Option { return func(c *config) { c.app = app } }

// WithReplyOutput sends every reply to the output binding name instead of
// the function's return value ($return or, when the function has exactly
// one other output, that one).
func WithReplyOutput(name string) Option { return func(c *config) { c.replyOutput = name } }

// WithAddr sets the address to listen on; default 127.0.0.1 at
// $FUNCTIONS_CUSTOMHANDLER_PORT, where the host sends its requests.
func WithAddr(addr string) Option {
	return func(c *config) { c.door = append(c.door, frontdoor.WithAddr(addr)) }
}

// WithListener serves on l instead of listening; ListenAndServe closes it.
func WithListener(l net.Listener) Option {
	return func(c *config) { c.door = append(c.door, frontdoor.WithListener(l)) }
}

// WithFunctionName sets function.Invocation.FunctionName for every
// invocation instead of the name of the function invoked.
func WithFunctionName(name string) Option {
	return func(c *config) { c.door = append(c.door, frontdoor.WithFunctionName(name)) }
}

// WithMaxBodyBytes limits every request body, the host's invocations
// included; default 100 MiB, Azure Functions' own HTTP request limit.
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) { c.door = append(c.door, frontdoor.WithMaxBodyBytes(n)) }
}

// WithMaxHeaderBytes limits the request line and headers.
func WithMaxHeaderBytes(n int) Option {
	return func(c *config) { c.door = append(c.door, frontdoor.WithMaxHeaderBytes(n)) }
}

// WithReadTimeout bounds how long a request may take to arrive.
func WithReadTimeout(d time.Duration) Option {
	return func(c *config) { c.door = append(c.door, frontdoor.WithReadTimeout(d)) }
}

// WithTimeout gives every invocation a deadline d after its request
// arrives. Set it to host.json's functionTimeout: the host gives up on the
// invocation then.
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.door = append(c.door, frontdoor.WithTimeout(d)) }
}

// WithShutdownTimeout sets the shutdown budget: how long a shutdown waits
// for invocations in flight.
func WithShutdownTimeout(d time.Duration) Option {
	return func(c *config) { c.door = append(c.door, frontdoor.WithShutdownTimeout(d)) }
}

// WithDoor passes front door options (limits, timeouts, shutdown budget)
// through; every HTTP adapter has the same ones.
func WithDoor(opts ...frontdoor.Option) Option {
	return func(c *config) { c.door = append(c.door, opts...) }
}

// ErrNoPort is returned by [ListenAndServe] when FUNCTIONS_CUSTOMHANDLER_PORT
// is not set and no address was given.
var ErrNoPort = errors.New("azure: FUNCTIONS_CUSTOMHANDLER_PORT is not set; run under the Functions host (func start) or pass WithAddr")

// New builds the custom handler: a front door with the Functions host's
// protocol. Serve it with its ListenAndServe, or mount it as an
// http.Handler.
func New(opts ...Option) (*frontdoor.Door, error) {
	c := &config{getenv: os.Getenv}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	cd := &codec{cfg: c, app: c.app}
	if cd.app == nil {
		root := c.scriptRoot
		if root == "" {
			root = c.getenv(EnvScriptRoot)
		}
		if root == "" {
			root = "."
		}
		app, err := LoadApp(root)
		switch {
		case err == nil:
			cd.app = app
		case errors.Is(err, ErrNoApp):
			// No app files: recognise triggers by their shape.
		default:
			return nil, err
		}
	}
	p := frontdoor.Profile{
		Name:     "azure",
		Platform: Platform,
		Environment: func(getenv func(string) string) (frontdoor.Env, error) {
			return frontdoor.Env{FunctionName: getenv(EnvSiteName)}, nil
		},
		Metadata: metadata,
		Formats:  frontdoor.FormatCloudEvents | frontdoor.FormatWebhook | frontdoor.FormatPlain,
		// The host accepts 100 MB HTTP requests; its own posts carry the
		// trigger's value, Service Bus premium allowing 100 MB messages.
		MaxBodyBytes: 100 << 20,
		Codec:        cd,
	}
	return frontdoor.New(p, c.door...)
}

// metadata fills in what the request says of the invocation: the function
// (the path the host posted to), the invocation id and the trace context.
func metadata(r *http.Request, inv *function.Invocation) {
	n, ok := inv.Native.(*Native)
	// An invocation's delivery carries the same id (see decodeInvocation).
	if !ok {
		if id := header(r, HeaderInvocationID); id != "" {
			inv.RequestID = id
		}
	}
	if tp := header(r, "Traceparent"); tp != "" {
		inv.TraceHeader = tp
	}
	if ok {
		inv.FunctionName = n.Function
	}
}

// header reads the header key, given in canonical form, as Header.Get
// does but without canonicalising key again on every request.
func header(r *http.Request, key string) string {
	if v := r.Header[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// ListenAndServe serves the handlers as an Azure Functions custom handler
// until ctx ends, then drains: it listens on 127.0.0.1 at
// $FUNCTIONS_CUSTOMHANDLER_PORT (or WithAddr's address) and answers the
// host's readiness probe and invocations.
func ListenAndServe(ctx context.Context, opts ...Option) error {
	c := &config{getenv: os.Getenv}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	var s frontdoor.Settings
	for _, o := range c.door {
		if o != nil {
			o(&s)
		}
	}
	if s.Addr == "" && s.Listener == nil {
		port := strings.TrimSpace(c.getenv(EnvPort))
		if port == "" {
			return ErrNoPort
		}
		opts = append([]Option{WithAddr("127.0.0.1:" + port)}, opts...)
	}
	d, err := New(opts...)
	if err != nil {
		return err
	}
	if err := d.ListenAndServe(ctx); err != nil {
		return fmt.Errorf("azure: %w", err)
	}
	return nil
}
