package function

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrPermanent and ErrRetryable match, with [errors.Is], errors classed by
// [Permanent] and [Retryable]. Prefer [IsPermanent] and [IsRetryable], which
// also class errors that carry only an HTTP status.
var (
	ErrPermanent = errors.New("permanent error")
	ErrRetryable = errors.New("retryable error")
)

// classed marks an error as permanent or retryable. The outermost mark in a
// chain wins, so a middleware can re-class an error it wraps.
type classed struct {
	err        error
	permanent  bool
	retryAfter time.Duration
}

func (c *classed) Error() string { return c.err.Error() }
func (c *classed) Unwrap() error { return c.err }
func (c *classed) Is(target error) bool {
	return (target == ErrPermanent && c.permanent) || (target == ErrRetryable && !c.permanent)
}

// Permanent marks err as permanent: retrying cannot help (a poison message,
// invalid input). Adapters log it and acknowledge the event instead of having
// the platform redeliver it. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &classed{err: err, permanent: true}
}

// Retryable marks err as retryable, overriding a permanent class of an error
// it wraps. Unclassed errors are retryable already; use this to re-class.
// Retryable(nil) is nil.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &classed{err: err}
}

// RetryAfter marks err as retryable no sooner than after d. HTTP adapters
// send d as the Retry-After header. RetryAfter(nil, d) is nil.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &classed{err: err, retryAfter: d}
}

// RetryDelay reports the delay set by [RetryAfter] on err, if any.
func RetryDelay(err error) (time.Duration, bool) {
	var c *classed
	if errors.As(err, &c) && !c.permanent && c.retryAfter > 0 {
		return c.retryAfter, true
	}
	return 0, false
}

// IsPermanent reports whether err must not be retried: it, or an error it
// wraps, was marked with [Permanent], or it carries a 4xx HTTP status that
// retrying cannot change. The outermost mark wins.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	var c *classed
	if errors.As(err, &c) {
		return c.permanent
	}
	if code, ok := statusOf(err); ok {
		return code >= 400 && code < 500 && !retryableStatus(code)
	}
	return false
}

// IsRetryable reports whether the platform should redeliver after err: every
// non-nil error that is not permanent.
func IsRetryable(err error) bool { return err != nil && !IsPermanent(err) }

func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return code >= 500
}

// StatusError carries the HTTP status an HTTP-facing adapter answers with.
// Build one with [WithStatus].
type StatusError struct {
	Code int
	Err  error
}

func (e *StatusError) Error() string {
	if e.Err == nil {
		return http.StatusText(e.Code)
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *StatusError) Unwrap() error { return e.Err }

// HTTPStatus returns e.Code.
func (e *StatusError) HTTPStatus() int { return e.Code }

// WithStatus attaches an HTTP status code to err. A 4xx status (other than
// 408, 409, 425 and 429) also makes err permanent; 5xx keeps it retryable.
// A nil err gets the status text as its message.
func WithStatus(code int, err error) error {
	if err == nil {
		err = errors.New(http.StatusText(code))
	}
	return &StatusError{Code: code, Err: err}
}

// statusCarrier is implemented by errors that know their HTTP status.
type statusCarrier interface{ HTTPStatus() int }

func statusOf(err error) (int, bool) {
	var sc statusCarrier
	if errors.As(err, &sc) {
		if code := sc.HTTPStatus(); code >= 100 && code <= 599 {
			return code, true
		}
	}
	return 0, false
}

// HTTPStatus is the status an HTTP-facing adapter answers err with: 200 for
// nil, the status carried by err (see [WithStatus]), 504 for an expired
// deadline, 503 for other retryable errors, and 422 (Unprocessable Content)
// for other permanent ones. A permanent error must not answer 5xx: event
// senders over HTTP (Knative, webhooks, most brokers) redeliver on 5xx, and a
// permanent error means "do not deliver this again".
func HTTPStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	}
	if code, ok := statusOf(err); ok {
		return code
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case IsPermanent(err):
		return http.StatusUnprocessableEntity
	default:
		return http.StatusServiceUnavailable
	}
}

// DecodeError reports event data that could not be decoded into the type a
// typed handler asked for. It is permanent (redelivering the same bytes
// cannot help) and carries HTTP status 400.
type DecodeError struct {
	EventID     string
	EventType   string
	ContentType string
	Target      string // the Go type decoded into
	Field       string // the field that failed, where the decoder says
	Err         error
}

func (e *DecodeError) Error() string {
	where := ""
	if e.Field != "" {
		where = fmt.Sprintf(" at field %q", e.Field)
	}
	return fmt.Sprintf("function: decode data of event %q (type %q, content type %q) into %s%s: %v; fix the producer or the handler's input type",
		e.EventID, e.EventType, e.ContentType, e.Target, where, e.Err)
}

// Unwrap returns the decoder's error.
func (e *DecodeError) Unwrap() error { return e.Err }

// HTTPStatus returns 400.
func (e *DecodeError) HTTPStatus() int { return http.StatusBadRequest }

// Is makes a DecodeError match [ErrPermanent].
func (e *DecodeError) Is(target error) bool { return target == ErrPermanent }
