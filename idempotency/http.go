package idempotency

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/state"
)

// HTTP returns middleware that runs an [http.Handler] at most once per
// Idempotency-Key: the first request with a key runs and its response
// (status, headers, body) is recorded; a later request with the same key
// and body gets that response again, marked with the header
// "Idempotent-Replayed: true"; the same key with a different body gets 422;
// a request arriving while the first still runs gets 409 with Retry-After.
// Only POST, PUT, PATCH and DELETE are guarded (see [WithMethods]); requests
// without a key pass through unless [WithRequireKey] is set (then 400).
func HTTP(store state.Store, opts ...Option) func(http.Handler) http.Handler {
	return NewGuard(store, opts...).HTTP
}

// HTTP wraps next with the HTTP middleware of g (see the function [HTTP]).
func (g *Guard) HTTP(next http.Handler) http.Handler {
	if g.o.disabled {
		return next
	}
	return &httpHandler{g: g, next: next}
}

type httpHandler struct {
	g    *Guard
	next http.Handler
}

func (h *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := h.g
	if !g.o.protectMethods[r.Method] {
		h.next.ServeHTTP(w, r)
		return
	}
	ctx := r.Context()
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			writeProblem(w, http.StatusBadRequest, "Unreadable request body", "The request body could not be read.", 0)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	k, err := g.requestKey(r, body)
	if err != nil {
		writeError(w, err)
		return
	}
	if k == "" {
		if g.o.requireKey {
			writeProblem(w, http.StatusBadRequest, "Idempotency-Key missing",
				"This request must carry an "+HeaderKey+" header; send a unique key (a UUID) and reuse it only to retry the same request.", 0)
			return
		}
		h.next.ServeHTTP(w, r)
		return
	}
	material := appendPart([]byte("h"), r.Method)
	material = appendPart(material, r.URL.Path)
	material = appendPart(material, k)
	key := g.o.storeKey(ctx, material)

	ex, final, err := g.acquire(ctx, key, g.o.payloadHash(body))
	if err != nil {
		writeError(w, err)
		return
	}
	if final != nil {
		g.replayHTTP(ctx, w, key, final)
		return
	}
	defer ex.cancel()

	cw := &captureWriter{ResponseWriter: w, limit: state.MaxValueSize}
	func() {
		defer g.releaseOnPanic(ctx, ex.lease)
		h.next.ServeHTTP(cw, r.WithContext(ex.ctx))
	}()
	code := cw.code
	if code == 0 {
		code = http.StatusOK
	}
	switch {
	case code < http.StatusBadRequest,
		g.o.permanent && function.IsPermanent(function.WithStatus(code, nil)):
		rec := &record{status: statusCompleted, kind: kindHTTP, code: code, header: cw.header, body: cw.body.Bytes()}
		if cw.header == nil {
			rec.header = cleanHeader(w.Header())
		}
		if cw.overflow {
			rec.body, rec.flags = nil, flagTruncated
		}
		// The response is already on its way: a lost lease or a store
		// failure can only be logged (finish does).
		_ = g.finish(ctx, ex.lease, rec)
	default:
		g.release(ctx, ex.lease)
	}
}

// requestKey returns the request's idempotency key material source: the
// custom function's, the body field's, or the Idempotency-Key header.
func (g *Guard) requestKey(r *http.Request, body []byte) (string, error) {
	switch {
	case g.o.requestKey != nil:
		return g.o.requestKey(r)
	case g.o.keyField != "":
		k, _ := fieldKey(body, g.o.keyField)
		return k, nil
	}
	return r.Header.Get(HeaderKey), nil
}

func (g *Guard) replayHTTP(ctx context.Context, w http.ResponseWriter, key string, r *record) {
	if r.status == statusFailed || r.kind != kindHTTP {
		writeProblem(w, http.StatusUnprocessableEntity, "Idempotency-Key reused",
			"This Idempotency-Key was used for a different kind of request.", 0)
		g.o.logger.WarnContext(ctx, "idempotency: HTTP request hit a record of another kind", slog.String("key", key))
		return
	}
	hdr := w.Header()
	for name, vals := range r.header {
		hdr[name] = append([]string(nil), vals...)
	}
	if r.flags&flagTruncated != 0 {
		hdr.Del("Content-Length")
	}
	hdr.Set(g.o.replayHeader, "true")
	w.WriteHeader(r.code)
	if len(r.body) > 0 {
		_, _ = w.Write(r.body)
	}
}

// writeError answers err as a problem: 409 + Retry-After for ErrInProgress,
// 422 for ErrPayloadMismatch, 503 + Retry-After for ErrStore, else the
// error's HTTP status.
func writeError(w http.ResponseWriter, err error) {
	code := function.HTTPStatus(err)
	var retry time.Duration
	title, detail := http.StatusText(code), "The request could not be processed."
	switch {
	case errors.Is(err, ErrInProgress):
		retry, _ = function.RetryDelay(err)
		title, detail = "Request in progress", "A request with the same Idempotency-Key is still being processed; retry after the delay in Retry-After."
	case errors.Is(err, ErrPayloadMismatch):
		title, detail = "Idempotency-Key reused", "This Idempotency-Key was already used with a different request body; use a new key for a new request."
	case errors.Is(err, ErrStore):
		retry = time.Second
		title, detail = "Service unavailable", "Idempotency cannot be guaranteed right now; retry later."
	}
	writeProblem(w, code, title, detail, retry)
}

type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// writeProblem writes an RFC 9457 problem+json answer.
func writeProblem(w http.ResponseWriter, code int, title, detail string, retry time.Duration) {
	body, _ := json.Marshal(problem{Type: "about:blank", Title: title, Status: code, Detail: detail})
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if retry > 0 {
		secs := int64((retry + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// captureWriter passes the response through and keeps a copy to record.
type captureWriter struct {
	http.ResponseWriter
	code     int
	header   http.Header
	body     bytes.Buffer
	limit    int
	overflow bool
}

func (c *captureWriter) WriteHeader(code int) {
	if c.code == 0 && code >= 200 {
		c.code = code
		c.header = cleanHeader(c.ResponseWriter.Header())
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.code == 0 {
		c.WriteHeader(http.StatusOK)
	}
	if !c.overflow {
		if c.body.Len()+len(b) > c.limit {
			c.overflow = true
			c.body = bytes.Buffer{}
		} else {
			c.body.Write(b)
		}
	}
	return c.ResponseWriter.Write(b)
}

// Flush passes a flush through, so streaming handlers keep working.
func (c *captureWriter) Flush() {
	if c.code == 0 {
		c.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(c.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer for http.ResponseController.
func (c *captureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// cleanHeader copies h without the hop-by-hop headers, which describe one
// connection, not the response.
func cleanHeader(h http.Header) http.Header {
	c := h.Clone()
	if c == nil {
		c = http.Header{}
	}
	for _, name := range [...]string{"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "Trailer", "Te"} {
		delete(c, name)
	}
	return c
}
