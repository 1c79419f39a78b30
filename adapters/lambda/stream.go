package lambda

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/invoke"
)

// errPanicMidStream ends a streamed response whose handler panicked after
// the status line was sent; the runtime reports it as a function error.
var errPanicMidStream = errors.New("lambda: HTTP handler panicked after the response started streaming")

// invokeStreaming is Invoke for the runtime loop with response streaming
// on: a Function URL invocation answers with a body the handler writes as
// the runtime reads it; every other invocation is buffered as usual.
func (h *Handler) invokeStreaming(ctx context.Context, payload []byte) (io.Reader, error) {
	s, err := detect(payload)
	if err != nil || s.kind != kindFunctionURL {
		out, err := h.Invoke(ctx, payload)
		if err != nil {
			return nil, err
		}
		return bytes.NewReader(out), nil
	}
	h.inflight.Add(1)
	if err := h.life.Start(ctx); err != nil {
		h.inflight.Done()
		return nil, &Error{Type: ErrorTypeStart, Err: err}
	}
	base := h.invocation(ctx)
	inv := &base
	inv.Trigger = function.TriggerHTTP
	ctx, finish := h.finish.Begin(ctx)
	hr, err := readHTTP(function.NewContext(ctx, inv), s.kind, payload)
	if err != nil {
		invoke.LogOutcome(function.NewContext(ctx, inv), h.log, nil, invoke.OutcomeRefused, err, 0)
		h.inflight.Done()
		return nil, err
	}
	inv.Native = hr.native
	pr, pw := io.Pipe()
	w := &streamWriter{header: make(http.Header), pw: pw, ready: make(chan struct{})}
	go func() {
		defer h.inflight.Done()
		defer pw.Close()
		// The Finish hooks run once the handler is done and the status
		// line is out, before the body ends and Lambda may freeze us.
		defer finish(function.NewContext(ctx, inv))
		defer w.commit(http.StatusOK, nil)
		h.dispatchHTTP(hr.req, w)
	}()
	<-w.ready
	headers, cookies := joinHeaders(w.sent)
	return &events.LambdaFunctionURLStreamingResponse{StatusCode: w.status, Headers: headers, Cookies: cookies, Body: pr}, nil
}

// streamWriter writes a response through a pipe the runtime reads: each
// Write reaches the client as the runtime forwards it, so Flush has
// nothing left to do but commit the status line.
type streamWriter struct {
	header http.Header
	sent   http.Header // the header as committed
	status int
	pw     *io.PipeWriter
	once   sync.Once
	ready  chan struct{}
}

func (w *streamWriter) Header() http.Header { return w.header }

func (w *streamWriter) commit(code int, first []byte) {
	w.once.Do(func() {
		if _, ok := w.header["Content-Type"]; !ok && len(first) > 0 {
			w.header.Set("Content-Type", http.DetectContentType(first))
		}
		w.status, w.sent = code, w.header.Clone()
		close(w.ready)
	})
}

func (w *streamWriter) WriteHeader(code int) {
	if code >= 200 && code <= 999 {
		w.commit(code, nil)
	}
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.commit(http.StatusOK, p)
	return w.pw.Write(p)
}

// Flush commits the status line and headers.
func (w *streamWriter) Flush() { w.commit(http.StatusOK, nil) }

func (w *streamWriter) panicked() {
	committed := true
	w.once.Do(func() { committed = false })
	if committed {
		w.pw.CloseWithError(errPanicMidStream)
		return
	}
	// The once was used up above without committing: commit by hand.
	w.header = http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "X-Content-Type-Options": {"nosniff"}}
	w.status, w.sent = http.StatusInternalServerError, w.header
	close(w.ready)
	_, _ = io.WriteString(w.pw, http.StatusText(http.StatusInternalServerError)+"\n")
}
