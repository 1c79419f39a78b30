package params

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
)

// Prefetcher fetches a set of values once, at the first invocation that
// needs them, instead of at start-up. Build it with [Cache.Prefetch].
type Prefetcher struct {
	lazy *middleware.Lazy[struct{}]
}

// Prefetch returns a [Prefetcher] for the named values. Its [Prefetcher.Middleware]
// (a function.Middleware) fetches them all, concurrently, through
// middleware.Lazy the first time an invocation arrives; if one fails the
// invocation fails with a retryable error without reaching the handler, and
// the next invocation tries again. After that the values are in the cache
// and later Gets follow its TTL as usual.
func (c *Cache) Prefetch(refs ...Ref) *Prefetcher {
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.String()
	}
	return &Prefetcher{lazy: middleware.NewLazy("params "+strings.Join(names, ","), func(ctx context.Context) (struct{}, error) {
		errs := make([]error, len(refs))
		var wg sync.WaitGroup
		for i, r := range refs {
			wg.Go(func() { _, errs[i] = c.Value(ctx, r) })
		}
		wg.Wait()
		return struct{}{}, errors.Join(errs...)
	})}
}

// Middleware fetches the values before the first invocation reaches the
// handler.
func (p *Prefetcher) Middleware() function.Middleware { return p.lazy.Middleware() }

// HTTP wraps an http.Handler so that the values are fetched before the first
// request reaches it. While they cannot be fetched it answers 503 Service
// Unavailable with a Retry-After of 1 second and a body that names no secret
// value.
func (p *Prefetcher) HTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := p.lazy.Get(r.Context()); err != nil {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "configuration unavailable; try again", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Do fetches the values now if no earlier call succeeded, for code that is
// neither a function.Handler nor an http.Handler.
func (p *Prefetcher) Do(ctx context.Context) error {
	_, err := p.lazy.Get(ctx)
	return err
}
