package idempotency

import (
	"errors"
	"net/http"
)

// Errors reported by the middleware, matched with [errors.Is]. Each one
// returned to a handler's caller is also classed for redelivery (see
// [function.IsPermanent]) and carries the HTTP status an HTTP-facing adapter
// answers with.
var (
	// ErrInProgress: another execution holds the key's lease. Retryable,
	// with [function.RetryAfter] set to the lease's remaining time; HTTP 409
	// with a Retry-After header.
	ErrInProgress = errors.New("idempotency: another execution with the same key is in progress; retry later")
	// ErrPayloadMismatch: the key was used before with a different payload.
	// Permanent; HTTP 422. The client must use a new key for a new payload.
	ErrPayloadMismatch = errors.New("idempotency: key reused with a different payload; use a new idempotency key for a different request")
	// ErrMissingKey: no idempotency key could be found and [WithRequireKey]
	// is set. Permanent; HTTP 400.
	ErrMissingKey = errors.New("idempotency: missing idempotency key")
	// ErrStore: the store failed, so at-most-once execution cannot be
	// guaranteed and the handler was not run (see [WithFailOpen]).
	// Retryable; HTTP 503.
	ErrStore = errors.New("idempotency: store unavailable")
	// ErrLeaseLost: the execution's lease was taken over by another
	// execution (it outlived its lease), so its result was not recorded and
	// the other execution's record was left alone. Retryable: the redelivery
	// is answered from the other execution's record.
	ErrLeaseLost = errors.New("idempotency: lease taken over by another execution; result not recorded")
	// ErrLeaseExpired: the lease was taken, but the store answered so late
	// that less than the minimum lease ([WithMinLease]) was left before the
	// invocation's deadline, so the handler was not started. Retryable;
	// HTTP 503. If it happens often, the store is too slow for the
	// function's timeout: look at its latency or raise the timeout.
	ErrLeaseExpired = errors.New("idempotency: lease too short to start the handler")
)

// ReplayedError is the error replayed for a key whose first execution failed
// permanently, when [WithPermanentFailures] is set. It is returned wrapped
// with [function.Permanent].
type ReplayedError struct {
	// Message is the original error's text.
	Message string
	// Status is the original error's HTTP status (see [function.HTTPStatus]).
	Status int
}

func (e *ReplayedError) Error() string {
	return "idempotency: replayed permanent failure of the first execution: " + e.Message
}

// HTTPStatus returns the original error's HTTP status.
func (e *ReplayedError) HTTPStatus() int {
	if e.Status == 0 {
		return http.StatusInternalServerError
	}
	return e.Status
}
