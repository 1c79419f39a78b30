package frontdoor

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/invoke"
)

// Class is the kind of an outcome in the answer table.
type Class uint8

// The classes of outcome.
const (
	// ClassOK: the handler succeeded.
	ClassOK Class = iota
	// ClassPermanent: the handler failed for good (function.Permanent, a
	// DecodeError, a 4xx status); acknowledged.
	ClassPermanent
	// ClassRetryable: the handler failed; the sender should redeliver.
	ClassRetryable
	// ClassPanic: the handler panicked; retryable, answered 500 with no detail.
	ClassPanic
	// ClassMalformed: the request itself cannot be read; 4xx.
	ClassMalformed
)

// String names the class.
func (c Class) String() string {
	switch c {
	case ClassOK:
		return "ok"
	case ClassPermanent:
		return "permanent"
	case ClassRetryable:
		return "retryable"
	case ClassPanic:
		return "panic"
	case ClassMalformed:
		return "malformed"
	}
	return "unknown"
}

// Verdict is the answer the door gives an outcome.
type Verdict struct {
	Class Class
	// Status is the HTTP status to answer.
	Status int
	// RetryAfter, if positive, goes out as the Retry-After header.
	RetryAfter time.Duration
}

// Redelivered reports whether a push sender redelivers after this answer.
func (v Verdict) Redelivered() bool { return Redelivered(v.Status) }

// ErrStart is wrapped by the error an Outcome carries when the handlers'
// start hook failed.
var ErrStart = errors.New("start hook failed")

// Judge is the one answer table of every HTTP platform (see the package
// documentation): it turns a handler's error into the status to answer.
// permanentStatus is the status of a permanent failure without a 4xx of its
// own: 0 means 200, acknowledged (the default, for push senders); a 4xx
// (WithPermanentStatus) is for synchronous callers.
func Judge(err error, permanentStatus int) Verdict {
	switch {
	case err == nil:
		return Verdict{Class: ClassOK, Status: http.StatusOK}
	case errors.Is(err, invoke.ErrPanic):
		return Verdict{Class: ClassPanic, Status: http.StatusInternalServerError}
	case errors.Is(err, ErrStart):
		return Verdict{Class: ClassRetryable, Status: http.StatusServiceUnavailable, RetryAfter: time.Second}
	case function.IsPermanent(err):
		if permanentStatus == 0 {
			return Verdict{Class: ClassPermanent, Status: http.StatusOK}
		}
		if s := function.HTTPStatus(err); s >= 400 && s < 500 && s != http.StatusUnprocessableEntity {
			return Verdict{Class: ClassPermanent, Status: s}
		}
		return Verdict{Class: ClassPermanent, Status: permanentStatus}
	}
	v := Verdict{Class: ClassRetryable, Status: function.HTTPStatus(err)}
	if v.Status < 400 || v.Status > 599 || (v.Status < 500 && !retryable4xx(v.Status)) {
		v.Status = http.StatusServiceUnavailable
	}
	if errors.Is(err, context.DeadlineExceeded) && v.Status == http.StatusServiceUnavailable {
		v.Status = http.StatusGatewayTimeout
	}
	v.RetryAfter, _ = function.RetryDelay(err)
	return v
}

func retryable4xx(s int) bool {
	switch s {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return false
}

// Redelivered reports whether push senders redeliver a request answered
// with status: anything but 2xx (Pub/Sub push also acknowledges 102).
// testing/fntest reports Result.Redelivered from it.
func Redelivered(status int) bool {
	return status != http.StatusProcessing && (status < 200 || status > 299)
}
