package frontdoor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/invoke"
)

// ErrNoHandler is returned by [New] when neither [Events] nor [HTTP] was
// given.
var ErrNoHandler = errors.New("nothing to serve; pass Events(h), HTTP(h) or both")

// ErrBadOption is returned by [New] for an option it cannot honour as
// documented, such as a [WithPermanentStatus] that is not 0, 200 or a 4xx.
var ErrBadOption = errors.New("option cannot be honoured")

// Door serves a function's handlers over HTTP under one platform's
// [Profile]. It is an http.Handler, so it can be mounted in any server; its
// [Door.ListenAndServe] and [Door.Serve] add the connection limits and the
// graceful shutdown.
type Door struct {
	p        Profile
	s        Settings
	platform function.Platform
	log      *slog.Logger
	lc       *function.Lifecycle
	cold     invoke.ColdStart
	formats  Formats
	sniff    bool // read JSON bodies to find body-identified formats
	sources  sourceCache
	// noContent answers success without a reply.
	noContent int

	inflight sync.WaitGroup // handler calls, so stop hooks wait for them
	mu       sync.Mutex
	expired  bool
	pending  gate // sentinel of the ring of requests in flight
}

// New builds a Door for profile p from the user's options. It reads the
// platform's environment once, here.
func New(p Profile, opts ...Option) (*Door, error) {
	var s Settings
	for _, opt := range opts {
		if opt != nil {
			opt(&s)
		}
	}
	if s.Events == nil && s.HTTP == nil {
		return nil, fmt.Errorf("%s: %w", p.Name, ErrNoHandler)
	}
	if ps := s.PermanentStatus; ps != 0 && ps != http.StatusOK && (ps < 400 || ps > 499) {
		return nil, fmt.Errorf("%s: WithPermanentStatus(%d): %w: a permanent failure must answer a 4xx status such as 422, "+
			"or 0 for the default 200; push senders redeliver a 5xx, and net/http cannot send a status outside 100-999", p.Name, ps, ErrBadOption)
	}
	if s.Getenv == nil {
		s.Getenv = os.Getenv
	}
	d := &Door{p: p, platform: p.Platform}
	d.pending.prev, d.pending.next = &d.pending, &d.pending
	if p.Environment != nil {
		env, err := p.Environment(s.Getenv)
		if err != nil {
			return nil, err
		}
		if env.Platform != "" {
			d.platform = env.Platform
		}
		if s.FunctionName == "" {
			s.FunctionName = env.FunctionName
		}
		if env.Timeout > 0 {
			s.Timeout = env.Timeout
		}
	}
	if s.Logger == nil {
		if p.Logger != nil {
			s.Logger = p.Logger()
		}
		if s.Logger == nil {
			s.Logger = slog.Default()
		}
	}
	if s.MaxBodyBytes <= 0 {
		s.MaxBodyBytes = p.MaxBodyBytes
		if s.MaxBodyBytes <= 0 {
			s.MaxBodyBytes = DefaultMaxBodyBytes
		}
	}
	if s.MaxBatchEvents <= 0 {
		s.MaxBatchEvents = DefaultMaxBatchEvents
	}
	if s.MaxHeaderBytes <= 0 {
		s.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if s.ReadHeaderTimeout <= 0 {
		s.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if s.ReadTimeout == 0 {
		s.ReadTimeout = DefaultReadTimeout
	}
	if s.ShutdownTimeout <= 0 {
		s.ShutdownTimeout = DefaultShutdownTimeout
	}
	d.formats = s.Formats
	if d.formats == 0 {
		d.formats = p.Formats
		if d.formats == 0 {
			d.formats = FormatsAll
		}
		if s.HTTP != nil && !p.SniffWithHTTP {
			d.formats &^= FormatPubSubPush | FormatLegacy
		}
	}
	if s.HTTP != nil {
		d.formats &^= FormatPlain
	}
	d.sniff = d.formats&(FormatPubSubPush|FormatLegacy) != 0
	d.noContent = http.StatusNoContent
	if p.NoContentStatus != 0 {
		d.noContent = p.NoContentStatus
	}
	d.s = s
	d.log = s.Logger
	d.lc = function.NewLifecycle(s.Events, s.HTTP)
	return d, nil
}

// Settings returns the settings in effect, defaults filled in.
func (d *Door) Settings() Settings { return d.s }

// Platform returns the platform invocations report.
func (d *Door) Platform() function.Platform { return d.platform }

// ListenAndServe serves on the Listener of [WithListener], else on the
// address of [WithAddr], else on every interface at $PORT (default 8080),
// until ctx ends; then it shuts down as [Door.Serve] describes.
func (d *Door) ListenAndServe(ctx context.Context) error {
	l := d.s.Listener
	if l == nil {
		addr, err := ListenAddr(d.s.Addr, d.s.Getenv("PORT"))
		if err != nil {
			return fmt.Errorf("%s: %w", d.p.Name, err)
		}
		var lc net.ListenConfig
		if l, err = lc.Listen(ctx, "tcp", addr); err != nil {
			return fmt.Errorf("%s: listen on %q: %w; set PORT or WithAddr to a free address", d.p.Name, addr, err)
		}
	}
	return d.Serve(ctx, l)
}

// Serve serves on l until ctx ends. Then it stops accepting connections,
// waits up to the shutdown budget for requests in flight, answers 503 to
// those that have written nothing by then and cancels their context, waits
// for every handler call to return, runs the stop hooks (again within the
// budget) and returns nil, or the errors met. It closes l.
func (d *Door) Serve(ctx context.Context, l net.Listener) error {
	return d.serve(ctx, l)
}

// Stop waits for every handler call in flight to return, then runs the
// handlers' stop hooks ([function.Stopper]) within ctx. Serve calls it; call
// it yourself when you serve the Door some other way.
func (d *Door) Stop(ctx context.Context) error {
	done := make(chan struct{})
	go func() { d.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("%s: stop hooks not run: handlers still running: %w", d.p.Name, ctx.Err())
	}
	if err := d.lc.Stop(ctx); err != nil {
		return fmt.Errorf("%s: stop hooks: %w", d.p.Name, err)
	}
	return nil
}
