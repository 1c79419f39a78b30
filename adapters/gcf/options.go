package gcf

import (
	"log/slog"
	"net/http"

	"github.com/faasport/faasport/function"
)

// Option configures the adapter.
type Option func(*options)

type options struct {
	events function.Handler
	http   http.Handler
	logger *slog.Logger
}

// Events serves h for every invocation that carries an event.
func Events(h function.Handler) Option { return func(o *options) { o.events = h } }

// HTTP serves h for every HTTP invocation that carries no event.
func HTTP(h http.Handler) Option { return func(o *options) { o.http = h } }

// WithLogger sets the logger for the adapter's own messages (acknowledged
// permanent errors, recovered panics). The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }
