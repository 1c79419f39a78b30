package frontdoor

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// gate is the response writer of one request. It records whether the
// response has begun, so that a panic can still be answered 500 and a
// shutdown past its budget can answer 503, and it serialises the handler's
// writes with that 503, which comes from the shutdown's goroutine. Until
// the response begins, the handler's headers are kept apart (h), so that
// the 503 never shares a map with a handler still setting headers.
type gate struct {
	w      http.ResponseWriter
	mu     sync.Mutex
	h      http.Header // the handler's headers until the response begins
	wrote  bool        // the status line is out (or decided)
	closed bool        // the door answered for the handler; drop its writes
	done   bool        // ServeHTTP returned; w must not be touched

	prev, next *gate // the door's ring of requests in flight, under Door.mu
}

func (g *gate) Header() http.Header {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.wrote {
		if g.closed {
			return http.Header{} // the door answered; nothing the handler sets matters
		}
		return g.w.Header() // trailers are set after the response begins
	}
	if g.h == nil {
		g.h = make(http.Header, 4)
	}
	return g.h
}

// commit moves the handler's headers to the response; g.mu is held.
func (g *gate) commit() {
	if g.h != nil {
		dst := g.w.Header()
		for k, v := range g.h {
			dst[k] = v
		}
		g.h = nil
	}
}

func (g *gate) WriteHeader(code int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || g.done {
		return
	}
	if !g.wrote {
		g.commit()
	}
	if code >= 200 || code == http.StatusSwitchingProtocols {
		g.wrote = true
	}
	g.w.WriteHeader(code)
}

func (g *gate) Write(b []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || g.done {
		return 0, http.ErrHandlerTimeout
	}
	if !g.wrote {
		g.commit()
	}
	g.wrote = true
	return g.w.Write(b)
}

// send writes a whole response under one lock: the handler's headers so
// far, then Content-Type ct and, when set, Content-Length cl straight into
// the response's own header, the status and b. Answers the door writes in
// one piece go this way, sparing the handler-side header map.
func (g *gate) send(status int, ct, cl []string, b []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || g.done {
		return
	}
	if !g.wrote {
		g.commit()
	}
	h := g.w.Header()
	if ct != nil {
		h["Content-Type"] = ct
	}
	if cl != nil {
		h["Content-Length"] = cl
	}
	if status >= 200 || status == http.StatusSwitchingProtocols || len(b) > 0 {
		g.wrote = true
	}
	g.w.WriteHeader(status)
	if len(b) > 0 {
		_, _ = g.w.Write(b)
	}
}

// ReadFrom keeps io.Copy's sendfile path.
func (g *gate) ReadFrom(src io.Reader) (int64, error) {
	return io.Copy(struct{ io.Writer }{g}, src)
}

// Flush implements http.Flusher.
func (g *gate) Flush() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || g.done {
		return
	}
	if !g.wrote {
		g.commit()
	}
	g.wrote = true
	_ = http.NewResponseController(g.w).Flush()
}

// Hijack implements http.Hijacker: the handler takes the connection over,
// so the door no longer answers for it.
func (g *gate) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || g.done {
		return nil, nil, http.ErrHandlerTimeout
	}
	g.commit()
	g.wrote = true
	return http.NewResponseController(g.w).Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (g *gate) Unwrap() http.ResponseWriter { return g.w }

// answer writes the door's own answer unless the response has begun;
// afterwards the handler's writes are dropped. It reports whether it wrote.
func (g *gate) answer(p *Problem) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.wrote || g.closed || g.done {
		return false
	}
	g.h = nil // headers the handler set are not part of the door's answer
	WriteProblem(g.w, p)
	_ = http.NewResponseController(g.w).Flush()
	g.wrote, g.closed = true, true
	return true
}

// request is what serving one request needs, allocated at once: its
// gate, room for the outcome of a single event, the invocation of the
// first (or only) handler call and, on doors without a codec (whose
// deliveries bring their own), room for the delivery of a single event.
type request struct {
	g   gate
	out [1]Outcome
	inv function.Invocation
	one *oneEvent
}

// oneEvent is the delivery of a single event.
type oneEvent struct {
	dl Delivery
	ev [1]event.Event
}

// requestOne is a request with its room for a single event's delivery.
type requestOne struct {
	request
	one oneEvent
}

// single returns the request's delivery of one event.
func (rq *request) single() *Delivery {
	if rq.one == nil {
		rq.one = new(oneEvent)
	}
	rq.one.dl.Events = rq.one.ev[:]
	return &rq.one.dl
}

// enter registers a request with the door, for the shutdown's 503.
func (d *Door) enter(w http.ResponseWriter) *request {
	var rq *request
	if d.p.Codec == nil {
		ro := &requestOne{}
		ro.request.one = &ro.one
		rq = &ro.request
	} else {
		rq = &request{}
	}
	g := &rq.g
	g.w = w
	d.mu.Lock()
	expired := d.expired
	if !expired {
		g.prev, g.next = d.pending.prev, &d.pending
		d.pending.prev.next = g
		d.pending.prev = g
	}
	d.mu.Unlock()
	if expired {
		g.answer(shuttingDown())
	}
	return rq
}

// leave unregisters a request when ServeHTTP returns.
func (d *Door) leave(g *gate) {
	g.mu.Lock()
	g.done = true
	g.mu.Unlock()
	d.mu.Lock()
	if g.next != nil {
		g.prev.next, g.next.prev = g.next, g.prev
		g.prev, g.next = nil, nil
	}
	d.mu.Unlock()
}

// expire answers 503 to every request in flight that has written nothing:
// the shutdown budget is spent.
func (d *Door) expire() int {
	d.mu.Lock()
	d.expired = true
	var gates []*gate
	for g := d.pending.next; g != &d.pending; g = g.next {
		gates = append(gates, g)
	}
	d.mu.Unlock()
	n := 0
	for _, g := range gates {
		if g.answer(shuttingDown()) {
			n++
		}
	}
	return n
}

func shuttingDown() *Problem {
	p := newProblem(http.StatusServiceUnavailable, ErrShuttingDown,
		"the function is shutting down and did not finish this request within its shutdown budget; send it again")
	p.retryAfter = time.Second
	return p
}
