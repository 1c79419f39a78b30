package frontdoor

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Errors that a [*Problem] wraps, for [errors.Is].
var (
	// ErrNoEvent: the request carries no CloudEvent (400 unless an HTTP
	// handler serves it).
	ErrNoEvent = errors.New("no CloudEvent in the request")
	// ErrMalformedEvent: the event is not valid CloudEvents 1.0 (400).
	ErrMalformedEvent = errors.New("malformed CloudEvent")
	// ErrUnsupportedMediaType: a structured event format other than JSON (415).
	ErrUnsupportedMediaType = errors.New("unsupported event format")
	// ErrBodyTooLarge: the body exceeds the server's limit (413).
	ErrBodyTooLarge = errors.New("request body too large")
	// ErrTooManyEvents: a batch has more events than the door accepts (413).
	ErrTooManyEvents = errors.New("too many events in the batch")
	// ErrHeadersTooLarge: the request line and headers exceed the limit (431).
	ErrHeadersTooLarge = errors.New("request headers too large")
	// ErrReadTimeout: the request did not arrive within the read deadline (408).
	ErrReadTimeout = errors.New("request not received in time")
	// ErrShuttingDown: the shutdown budget passed before the request was
	// answered (503).
	ErrShuttingDown = errors.New("shutting down")
)

// MediaTypeProblem is the media type of problem details (RFC 9457).
const MediaTypeProblem = "application/problem+json"

// Problem is an RFC 9457 problem details object: the body of every error
// response this adapter writes. It is also an error, so [ReadEvents] returns
// one; its HTTPStatus method makes [function.HTTPStatus] report Status.
type Problem struct {
	// Type is a URI naming the problem type; "about:blank" means the status
	// code says it all.
	Type string `json:"type"`
	// Title is the short, human-readable summary of the type: for
	// "about:blank", the status text.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence and what the client should do.
	Detail string `json:"detail,omitempty"`
	// RequestID is the request id, when known, to find the server's log lines.
	RequestID string `json:"requestId,omitempty"`
	// Events lists the events of a batch that failed.
	Events []EventProblem `json:"events,omitempty"`

	retryAfter time.Duration
	err        error
}

// EventProblem is the failure of one event of a batch.
type EventProblem struct {
	ID     string `json:"id"`     // the event's id
	Status int    `json:"status"` // the status a single event would get
	Detail string `json:"detail"` // what went wrong
}

func newProblem(status int, err error, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, err: err}
}

func malformed(format string, args ...any) *Problem {
	return newProblem(http.StatusBadRequest, ErrMalformedEvent, fmt.Sprintf(format, args...))
}

// Error returns the status and the detail.
func (p *Problem) Error() string {
	return fmt.Sprintf("frontdoor: %d %s: %s", p.Status, p.Title, p.Detail)
}

// Unwrap returns the class of the problem, e.g. [ErrMalformedEvent].
func (p *Problem) Unwrap() error { return p.err }

// HTTPStatus returns Status.
func (p *Problem) HTTPStatus() int { return p.Status }

// WriteProblem writes p as an application/problem+json response with status
// p.Status, and a Retry-After header when the problem says when to retry.
func WriteProblem(w http.ResponseWriter, p *Problem) {
	b, err := json.Marshal(p)
	if err != nil {
		// Unreachable: a Problem has only strings and ints.
		b = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
	}
	h := w.Header()
	h["Cache-Control"] = []string{"no-store"}
	if p.retryAfter > 0 {
		h["Retry-After"] = []string{retryAfterSeconds(p.retryAfter)}
	}
	writeBody(w, p.Status, MediaTypeProblem, b)
}

// retryAfterSeconds rounds d up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(s, 1), 10)
}
