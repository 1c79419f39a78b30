package idempotency

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Option configures a [Guard] (and [New] and [HTTP], which build one).
type Option func(*options)

type options struct {
	now            func() time.Time
	realClock      bool // now is time.Now: context deadlines compare with its times
	logger         *slog.Logger
	prefix         string
	prefixSet      bool
	eventKey       func(ctx context.Context, e event.Event) (string, error)
	requestKey     func(r *http.Request) (string, error)
	keyField       string
	payloadFields  []string
	noValidation   bool
	requireKey     bool
	expiry         time.Duration
	margin         time.Duration
	minLease       time.Duration
	fallback       time.Duration
	permanent      bool
	wait           bool
	poll           time.Duration
	failOpen       bool
	cacheSize      int
	disabled       bool
	replayHeader   string
	replayHook     func(ctx context.Context, key string, reply *event.Event) *event.Event
	writeTimeout   time.Duration
	maxTakeTries   int
	protectMethods map[string]bool
}

// Defaults, documented on the options that change them.
const (
	DefaultExpiry        = time.Hour
	DefaultLeaseMargin   = 5 * time.Second
	DefaultFallbackLease = 5 * time.Minute
	DefaultMinLease      = 100 * time.Millisecond
	DefaultPollInterval  = 200 * time.Millisecond
	DefaultReplayHeader  = "Idempotent-Replayed"
	// HeaderKey is the request header that carries an HTTP request's
	// idempotency key (IETF draft "The Idempotency-Key HTTP Header Field").
	HeaderKey = "Idempotency-Key"
)

func newOptions(opts []Option) options {
	o := options{
		now:          time.Now,
		realClock:    true,
		minLease:     DefaultMinLease,
		expiry:       DefaultExpiry,
		margin:       DefaultLeaseMargin,
		fallback:     DefaultFallbackLease,
		poll:         DefaultPollInterval,
		replayHeader: DefaultReplayHeader,
		writeTimeout: 5 * time.Second,
		maxTakeTries: 4,
		protectMethods: map[string]bool{
			http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true, http.MethodDelete: true,
		},
	}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	return o
}

// WithClock sets the clock that leases and expiries are computed with
// (default time.Now). Tests pass a fake clock to expire leases without
// sleeping; give the store the same clock.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now, o.realClock = now, false
		}
	}
}

// WithLogger sets the logger for lost leases, store failures and fail-open
// runs. The default is slog.Default() at construction.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithKeyPrefix replaces the namespace every store key starts with. By
// default keys are "idempotency/<function name>/<hash>", the function name
// coming from [function.FromContext], so two functions sharing a store and
// receiving the same event do not answer for each other. With a prefix p keys
// are p + "<hash>": use it to share keys between functions on purpose, or to
// keep a stable namespace across renames.
func WithKeyPrefix(p string) Option {
	return func(o *options) { o.prefix, o.prefixSet = p, true }
}

// WithEventKey sets the function that derives an event's idempotency key
// (default: the CloudEvent's source and id, the spec's uniqueness rule).
// Returning "" means the event has no key: it runs without idempotency, or is
// rejected with [ErrMissingKey] under [WithRequireKey]. An error is returned
// to the caller as it is.
func WithEventKey(f func(ctx context.Context, e event.Event) (string, error)) Option {
	return func(o *options) { o.eventKey = f }
}

// WithRequestKey sets the function that derives an HTTP request's idempotency
// key (default: the Idempotency-Key header). Returning "" means the request
// has no key (see [WithRequireKey]).
func WithRequestKey(f func(r *http.Request) (string, error)) Option {
	return func(o *options) { o.requestKey = f }
}

// WithKeyField takes the idempotency key from a field of the JSON payload
// (what the producer sent: a broker message's body, else the event's data;
// or the HTTP request's body) instead: a dotted path such as "order.id" or
// "items.0.sku" (like Powertools' event_key_jmespath, for the common case).
// A path not found in a broker message's payload is looked up in its
// envelope, so paths written against the record ("body.orderId") keep
// working. A string field holding JSON is decoded and followed into, like
// Powertools' powertools_json(). A missing field, or a payload that is not JSON, means
// the payload has no key.
func WithKeyField(path string) Option { return func(o *options) { o.keyField = path } }

// WithPayloadFields validates only the given dotted-path fields of the JSON
// payload instead of the whole payload (like Powertools'
// payload_validation_jmespath): reusing a key with the same values in these
// fields replays, with different ones fails with [ErrPayloadMismatch]. A
// payload that is not JSON is validated whole.
func WithPayloadFields(paths ...string) Option {
	return func(o *options) { o.payloadFields = append([]string(nil), paths...) }
}

// WithoutPayloadValidation stores no payload hash: a reused key replays the
// first result whatever the payload.
func WithoutPayloadValidation() Option { return func(o *options) { o.noValidation = true } }

// WithRequireKey rejects what has no idempotency key: events with
// [ErrMissingKey] (permanent), HTTP requests with 400 and a problem body.
// Without it they run without idempotency, and a debug line is logged.
func WithRequireKey() Option { return func(o *options) { o.requireKey = true } }

// WithExpiry sets how long a completed record answers duplicates (default
// [DefaultExpiry], one hour). Choose it longer than the platform's longest
// redelivery window.
func WithExpiry(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.expiry = d
		}
	}
}

// WithLeaseMargin sets how long after the invocation's deadline an
// in-progress lease still holds (default [DefaultLeaseMargin]). It absorbs
// clock skew between instances and the platform's lag in stopping a timed
// out invocation.
func WithLeaseMargin(d time.Duration) Option {
	return func(o *options) {
		if d >= 0 {
			o.margin = d
		}
	}
}

// WithMinLease sets the least time an execution must have left before the
// invocation's deadline, once its lease is taken, for the handler to start
// (default [DefaultMinLease]). A slow store can answer the lease write when
// the lease is almost over, or already over and taken by a redelivery;
// running the handler then could repeat its effects, so it is not run: the
// lease is released and a retryable error wrapping [ErrLeaseExpired] makes
// the platform redeliver. Set it to about the time the handler needs.
func WithMinLease(d time.Duration) Option {
	return func(o *options) {
		if d >= 0 {
			o.minLease = d
		}
	}
}

// WithFallbackLease sets the lease taken when neither the invocation nor the
// context has a deadline (default [DefaultFallbackLease]). The handler's
// context then gets that deadline, so an execution cannot outlive its own
// lease unnoticed.
func WithFallbackLease(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.fallback = d
		}
	}
}

// WithPermanentFailures records permanent handler errors (see
// [function.Permanent]) instead of removing the record: duplicates get the
// same error back (a [*ReplayedError]) instead of running again. For HTTP,
// responses with a 4xx status other than 408, 409, 425 and 429 are then
// recorded and replayed too. Retryable errors always remove the record so
// the retry runs again.
func WithPermanentFailures() Option { return func(o *options) { o.permanent = true } }

// WithWait makes a duplicate that finds its key in progress wait for the
// other execution, polling the store every poll (≤ 0: [DefaultPollInterval]),
// until that execution completes, its lease expires (then this one takes
// over) or this invocation's deadline comes; only then is [ErrInProgress]
// returned.
func WithWait(poll time.Duration) Option {
	return func(o *options) {
		o.wait = true
		if poll > 0 {
			o.poll = poll
		}
	}
}

// WithFailOpen runs the handler without idempotency when the store fails,
// logging each such run at error level. By default (fail closed) the handler
// is not run and a retryable error wrapping [ErrStore] is returned, so a
// store outage delays work but never duplicates it.
func WithFailOpen() Option { return func(o *options) { o.failOpen = true } }

// WithCache keeps up to n completed records in a process-local LRU cache, so
// duplicates that reach the same instance are answered without a store round
// trip. In-progress records are never cached.
func WithCache(n int) Option { return func(o *options) { o.cacheSize = n } }

// WithDisabled turns the middleware into a pass-through when disabled is
// true, for local runs and tests without a store, e.g.
// idempotency.WithDisabled(os.Getenv("IDEMPOTENCY_DISABLED") == "true").
func WithDisabled(disabled bool) Option { return func(o *options) { o.disabled = disabled } }

// WithReplayHeader sets the response header that marks an HTTP replay
// (default [DefaultReplayHeader], "Idempotent-Replayed: true").
func WithReplayHeader(name string) Option {
	return func(o *options) {
		if name != "" {
			o.replayHeader = http.CanonicalHeaderKey(name)
		}
	}
}

// WithReplayHook calls f with every event reply replayed from a record (nil
// when the first execution had no reply) and returns what f returns instead,
// e.g. to add an extension attribute marking the replay (like Powertools'
// response_hook). key is the store key of the record.
func WithReplayHook(f func(ctx context.Context, key string, reply *event.Event) *event.Event) Option {
	return func(o *options) { o.replayHook = f }
}

// WithMethods sets the HTTP methods the HTTP middleware protects (default
// POST, PUT, PATCH and DELETE); requests with other methods pass through.
func WithMethods(methods ...string) Option {
	return func(o *options) {
		o.protectMethods = make(map[string]bool, len(methods))
		for _, m := range methods {
			o.protectMethods[m] = true
		}
	}
}
