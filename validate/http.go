package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// MediaTypeProblem is the media type of RFC 9457 problem details.
const MediaTypeProblem = "application/problem+json"

// DefaultMaxBytes is the largest request body [HTTP] reads by default.
const DefaultMaxBytes = 1 << 20

// HTTPOption configures [HTTP].
type HTTPOption func(*httpOptions)

type httpOptions struct {
	maxBytes int64
	methods  map[string]bool
}

// WithMaxBytes sets the largest body read ([DefaultMaxBytes] by default); a
// larger one is answered 413.
func WithMaxBytes(n int64) HTTPOption { return func(o *httpOptions) { o.maxBytes = n } }

// WithMethods sets the methods whose bodies are validated (POST, PUT and
// PATCH by default); requests with other methods pass unchecked.
func WithMethods(methods ...string) HTTPOption {
	return func(o *httpOptions) {
		o.methods = make(map[string]bool, len(methods))
		for _, m := range methods {
			o.methods[m] = true
		}
	}
}

// Problem is the RFC 9457 problem details document [HTTP] answers with.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	// Errors lists every violation, for status 422.
	Errors []Violation `json:"errors,omitempty"`
}

// HTTP returns a middleware that validates request bodies against s before
// next sees them, and gives next the same bytes to read. It answers with an
// application/problem+json document: 422 Unprocessable Content naming every
// failing JSON pointer in "errors", 400 for a body that is not JSON, 415 for
// a content type that is not JSON, 413 for a body over the limit.
func HTTP(s *Schema, opts ...HTTPOption) func(http.Handler) http.Handler {
	o := httpOptions{maxBytes: DefaultMaxBytes, methods: map[string]bool{
		http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true,
	}}
	for _, opt := range opts {
		opt(&o)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !o.methods[r.Method] {
				next.ServeHTTP(w, r)
				return
			}
			if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
				writeProblem(w, http.StatusUnsupportedMediaType, fmt.Sprintf("the body must be JSON (application/json), not %q", ct), nil)
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, o.maxBytes))
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				writeProblem(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", o.maxBytes), nil)
				return
			case err != nil:
				writeProblem(w, http.StatusBadRequest, "the body could not be read", nil)
				return
			}
			err = s.Validate(body)
			var ve *Error
			switch {
			case errors.As(err, &ve):
				writeProblem(w, http.StatusUnprocessableEntity, fmt.Sprintf("the body violates schema %s in %d place(s); see errors", s.name, len(ve.Violations)), ve.Violations)
				return
			case err != nil:
				writeProblem(w, http.StatusBadRequest, err.Error(), nil)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			r.Header.Set("Content-Length", strconv.Itoa(len(body)))
			next.ServeHTTP(w, r)
		})
	}
}

func writeProblem(w http.ResponseWriter, status int, detail string, errs []Violation) {
	b, _ := json.Marshal(Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Errors: errs})
	w.Header().Set("Content-Type", MediaTypeProblem)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
