package validate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/payload"
)

// ErrNotJSON is wrapped by the error for a payload whose content type is
// not JSON: a JSON Schema cannot check it.
var ErrNotJSON = errors.New("validate: content type is not JSON")

// Input is a function.TypedOption that validates the bytes a typed handler
// decodes (the payload: an SQS body, a Pub/Sub message's data, an HTTP
// request's body) before decoding them:
//
//	h := function.Consume(reserve, validate.Input(orderSchema))
//
// An invalid payload never reaches the handler; the typed handler reports
// it as a permanent function.DecodeError wrapping the [*Error], so
// errors.As finds every violation. It replaces the decoder; to keep one of
// your own, use function.WithDecoder(schema.Decoder(yours)) instead.
func Input(s *Schema) function.TypedOption {
	return function.WithDecoder(s.Decoder(nil))
}

// Decoder returns a function.Decoder that validates data against s and then
// decodes it with next (function.DecodeData when nil).
func (s *Schema) Decoder(next function.Decoder) function.Decoder {
	if next == nil {
		next = function.DecodeData
	}
	return func(contentType string, data []byte, v any) error {
		if err := s.checkPayload(contentType, data); err != nil {
			return err
		}
		return next(contentType, data, v)
	}
}

func (s *Schema) checkPayload(contentType string, data []byte) error {
	if !isJSON(contentType) {
		return fmt.Errorf("%w: %q; schema %s checks JSON documents only", ErrNotJSON, contentType, s.name)
	}
	return s.Validate(data)
}

// Events is a function.Middleware that validates each event's payload
// (payload.Of(e).Data, not the platform's envelope) against s before the
// handler runs, for handlers that are not typed. An invalid payload is a
// permanent error (function.Permanent) wrapping the [*Error]: it is logged
// and acknowledged, not redelivered.
func Events(s *Schema) function.Middleware {
	return func(next function.Handler) function.Handler {
		return function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
			// The context passed on carries the Message, so a typed
			// handler below does not read the envelope again.
			mctx, data, ct, err := payload.Attach(ctx, e, function.AttemptFromContext)
			if err != nil {
				return nil, function.Permanent(fmt.Errorf("validate: event %q: %w", e.ID(), err))
			}
			if err := s.checkPayload(ct, data); err != nil {
				return nil, function.Permanent(fmt.Errorf("validate: payload of event %q (type %q): %w", e.ID(), e.Type(), err))
			}
			return next.Handle(mctx, e)
		})
	}
}

// Output is a function.Middleware that validates the data of each reply
// event against s. A reply that violates it is not sent: the invocation
// fails with a permanent error wrapping the [*Error] (a handler that breaks
// its contract would break it again on a retry).
func Output(s *Schema) function.Middleware {
	return func(next function.Handler) function.Handler {
		return function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
			r, err := next.Handle(ctx, e)
			if err != nil || r == nil {
				return r, err
			}
			if err := s.checkPayload(r.DataContentType(), r.Data()); err != nil {
				return nil, function.Permanent(fmt.Errorf("validate: reply to event %q breaks the output schema: %w", e.ID(), err))
			}
			return r, nil
		})
	}
}

// isJSON reports whether a content type is JSON, or unstated.
func isJSON(ct string) bool {
	m, _, _ := strings.Cut(ct, ";")
	m = strings.ToLower(strings.TrimSpace(m))
	return m == "" || m == "application/json" || m == "text/json" || strings.HasSuffix(m, "+json")
}
