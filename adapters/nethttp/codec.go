package nethttp

import (
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/frontdoor"
)

// Mode is how a request carries CloudEvents under the CloudEvents HTTP
// protocol binding.
type Mode = frontdoor.Mode

// The modes of the CloudEvents HTTP binding.
const (
	ModeNone       = frontdoor.ModeNone
	ModeBinary     = frontdoor.ModeBinary
	ModeStructured = frontdoor.ModeStructured
	ModeBatch      = frontdoor.ModeBatch
)

// Media types of the CloudEvents JSON event format and of problem details.
const (
	MediaTypeStructured = frontdoor.MediaTypeStructured
	MediaTypeBatch      = frontdoor.MediaTypeBatch
	MediaTypeProblem    = frontdoor.MediaTypeProblem
)

// Problem is an RFC 9457 problem details object: the body of every error
// response. See [frontdoor.Problem].
type Problem = frontdoor.Problem

// EventProblem is the failure of one event of a batch.
type EventProblem = frontdoor.EventProblem

// Errors a [*Problem] wraps, for errors.Is.
var (
	ErrNoEvent              = frontdoor.ErrNoEvent
	ErrMalformedEvent       = frontdoor.ErrMalformedEvent
	ErrUnsupportedMediaType = frontdoor.ErrUnsupportedMediaType
	ErrBodyTooLarge         = frontdoor.ErrBodyTooLarge
	ErrInvalidReply         = frontdoor.ErrInvalidReply
)

// ReadEvents decodes the CloudEvents a request carries; see
// [frontdoor.ReadEvents].
func ReadEvents(r *http.Request, limit int64) ([]event.Event, Mode, error) {
	return frontdoor.ReadEvents(r, limit)
}

// WriteEvents writes replies in mode; see [frontdoor.WriteEvents].
func WriteEvents(w http.ResponseWriter, mode Mode, replies []event.Event) error {
	return frontdoor.WriteEvents(w, mode, replies)
}

// WriteProblem writes p as an application/problem+json response.
func WriteProblem(w http.ResponseWriter, p *Problem) { frontdoor.WriteProblem(w, p) }
