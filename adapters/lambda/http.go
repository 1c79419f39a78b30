package lambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/invoke"
)

// httpRequest is an HTTP invocation read from its payload.
type httpRequest struct {
	req        *http.Request
	native     any
	multiValue bool // ALB with multi-value headers on: answer with them
}

// serveHTTP runs the HTTP handler for an HTTP invocation and returns the
// response shape of the invoking service.
func (h *Handler) serveHTTP(ctx context.Context, base function.Invocation, k kind, payload []byte) ([]byte, error) {
	inv := &base
	inv.Trigger = function.TriggerHTTP
	hr, err := readHTTP(function.NewContext(ctx, inv), k, payload)
	if err != nil {
		return nil, err
	}
	inv.Native = hr.native
	w := &responseWriter{header: make(http.Header, 4)}
	h.dispatchHTTP(hr.req, w)
	return encodeHTTP(k, hr, w)
}

// httpWriter is a response writer the adapter can reset after a panic.
type httpWriter interface {
	http.ResponseWriter
	panicked()
}

// dispatchHTTP calls the HTTP handler. A panic becomes a 500 with no
// detail; its stack is logged.
func (h *Handler) dispatchHTTP(req *http.Request, w httpWriter) {
	if h.web == nil {
		http.Error(w, "no HTTP handler is configured for this function", http.StatusNotImplemented)
		return
	}
	defer func() {
		if p := recover(); p != nil {
			if !errors.Is(asError(p), http.ErrAbortHandler) {
				invoke.LogOutcome(req.Context(), h.log, nil, invoke.OutcomePanic, nil, 0, slog.Any(invoke.KeyPanic, p), slog.String(invoke.KeyStack, string(debug.Stack())),
					slog.String("method", req.Method), slog.String("path", req.URL.Path))
			}
			w.panicked()
		}
	}()
	h.web.ServeHTTP(w, req)
}

func asError(p any) error {
	if err, ok := p.(error); ok {
		return err
	}
	return nil
}

// v2Fields are what payload format 2.0 (HTTP API, Function URL) requests
// share; their Go types differ only in the request context.
type v2Fields struct {
	method, rawPath, rawQuery, body string
	base64                          bool
	headers                         map[string]string
	cookies                         []string
	sourceIP                        string
}

func readV2(ctx context.Context, k kind, native any, f v2Fields) (httpRequest, error) {
	req, err := newRequest(ctx, k, f.method, f.rawPath, f.rawQuery, f.body, f.base64)
	if err != nil {
		return httpRequest{}, err
	}
	singleHeaders(req, f.headers)
	v2Cookies(req, f.cookies)
	req.RemoteAddr = f.sourceIP
	return httpRequest{req: req, native: native}, nil
}

// readHTTP decodes an HTTP invocation into a *http.Request. HTTP API and
// Function URL requests, the common ones, go through jsonDecoder first;
// what it does not take on goes to json.Unmarshal, which has the last word.
func readHTTP(ctx context.Context, k kind, payload []byte) (httpRequest, error) {
	switch k {
	case kindAPIGatewayV2:
		r := new(events.APIGatewayV2HTTPRequest)
		d := jsonDecoder{strs: strArena{room: len(payload)}}
		if err := decodeWith(d.v2Request, payload, r); err != nil {
			return httpRequest{}, invalid(k, err)
		}
		h := r.RequestContext.HTTP
		return readV2(ctx, k, r, v2Fields{h.Method, r.RawPath, r.RawQueryString, r.Body, r.IsBase64Encoded, r.Headers, r.Cookies, h.SourceIP})
	case kindFunctionURL:
		r := new(events.LambdaFunctionURLRequest)
		d := jsonDecoder{strs: strArena{room: len(payload)}}
		if err := decodeWith(d.urlRequest, payload, r); err != nil {
			return httpRequest{}, invalid(k, err)
		}
		h := r.RequestContext.HTTP
		return readV2(ctx, k, r, v2Fields{h.Method, r.RawPath, r.RawQueryString, r.Body, r.IsBase64Encoded, r.Headers, r.Cookies, h.SourceIP})
	case kindAPIGatewayV1:
		r := new(events.APIGatewayProxyRequest)
		if err := json.Unmarshal(payload, r); err != nil {
			return httpRequest{}, invalid(k, err)
		}
		// API Gateway REST decodes the path and query; encode them again.
		query := encodeQuery(r.MultiValueQueryStringParameters, r.QueryStringParameters)
		req, err := newRequest(ctx, k, r.HTTPMethod, (&url.URL{Path: r.Path}).EscapedPath(), query, r.Body, r.IsBase64Encoded)
		if err != nil {
			return httpRequest{}, err
		}
		if r.MultiValueHeaders != nil {
			multiHeaders(req, r.MultiValueHeaders)
		} else {
			singleHeaders(req, r.Headers)
		}
		req.RemoteAddr = r.RequestContext.Identity.SourceIP
		return httpRequest{req: req, native: r}, nil
	case kindALB:
		r := new(events.ALBTargetGroupRequest)
		if err := json.Unmarshal(payload, r); err != nil {
			return httpRequest{}, invalid(k, err)
		}
		// ALB passes the query as the client sent it, still encoded.
		query := rawQuery(r.MultiValueQueryStringParameters, r.QueryStringParameters)
		req, err := newRequest(ctx, k, r.HTTPMethod, r.Path, query, r.Body, r.IsBase64Encoded)
		if err != nil {
			return httpRequest{}, err
		}
		multi := r.MultiValueHeaders != nil || r.MultiValueQueryStringParameters != nil
		if multi {
			multiHeaders(req, r.MultiValueHeaders)
		} else {
			singleHeaders(req, r.Headers)
		}
		if xff := req.Header.Get("X-Forwarded-For"); xff != "" {
			ip, _, _ := strings.Cut(xff, ",")
			req.RemoteAddr = strings.TrimSpace(ip)
		}
		return httpRequest{req: req, native: r, multiValue: multi}, nil
	}
	return httpRequest{}, invalid(k, errors.New("not an HTTP invocation"))
}

func newRequest(ctx context.Context, k kind, method, path, query, body string, b64 bool) (*http.Request, error) {
	if method == "" {
		return nil, invalid(k, errors.New("the request has no HTTP method"))
	}
	if path == "" {
		path = "/"
	}
	uri := path
	if query != "" {
		uri += "?" + query
	}
	// The body is set here rather than by NewRequest, which would also
	// prepare GetBody, something only client requests use.
	req, err := http.NewRequestWithContext(ctx, method, uri, nil)
	if err != nil {
		return nil, invalid(k, fmt.Errorf("build request for %s %q: %w", method, uri, err))
	}
	req.RequestURI = uri
	req.Body = http.NoBody // a server request always has a body
	if b64 {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, invalid(k, fmt.Errorf("the request body is marked base64 but is not: %w", err))
		}
		if len(b) > 0 {
			req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}
	} else if body != "" {
		req.Body, req.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
	}
	return req, nil
}

func singleHeaders(req *http.Request, hs map[string]string) {
	req.Header = make(http.Header, len(hs)+1)
	vals := make([]string, len(hs))
	i := 0
	for k, v := range hs {
		vals[i] = v
		req.Header[http.CanonicalHeaderKey(k)] = vals[i : i+1 : i+1]
		i++
	}
	req.Host = req.Header.Get("Host")
}

func multiHeaders(req *http.Request, hs map[string][]string) {
	req.Header = make(http.Header, len(hs))
	for k, vs := range hs {
		ck := http.CanonicalHeaderKey(k)
		req.Header[ck] = append(req.Header[ck], vs...)
	}
	req.Host = req.Header.Get("Host")
}

func v2Cookies(req *http.Request, cookies []string) {
	if len(cookies) > 0 {
		req.Header["Cookie"] = []string{strings.Join(cookies, "; ")}
	}
}

func encodeQuery(multi map[string][]string, single map[string]string) string {
	if len(multi) > 0 {
		return url.Values(multi).Encode()
	}
	if len(single) == 0 {
		return ""
	}
	v := make(url.Values, len(single))
	for k, s := range single {
		v[k] = []string{s}
	}
	return v.Encode()
}

func rawQuery(multi map[string][]string, single map[string]string) string {
	var sb strings.Builder
	add := func(k, v string) {
		if sb.Len() > 0 {
			sb.WriteByte('&')
		}
		sb.WriteString(k)
		sb.WriteByte('=')
		sb.WriteString(v)
	}
	if len(multi) > 0 {
		for _, k := range sortedKeys(multi) {
			for _, v := range multi[k] {
				add(k, v)
			}
		}
		return sb.String()
	}
	for _, k := range sortedKeys(single) {
		add(k, single[k])
	}
	return sb.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// responseWriter buffers a response for the invoking service's response
// shape.
type responseWriter struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader || code < 100 || code > 999 {
		return
	}
	if code >= 200 { // 1xx informational responses are not forwarded
		w.status, w.wroteHeader = code, true
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.body.Write(p)
}

// Flush implements http.Flusher; a buffered response is sent whole.
func (w *responseWriter) Flush() {}

func (w *responseWriter) reset() {
	w.header = make(http.Header)
	w.status, w.wroteHeader = 0, false
	w.body.Reset()
}

func (w *responseWriter) panicked() {
	w.reset()
	http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
}

// finish applies net/http's defaults: status 200 and a sniffed
// Content-Type for a non-empty body without one.
func (w *responseWriter) finish() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if _, ok := w.header["Content-Type"]; !ok && w.body.Len() > 0 {
		w.header.Set("Content-Type", http.DetectContentType(w.body.Bytes()))
	}
}

// isText reports whether a body of content type ct can travel as a JSON
// string; any other body is sent base64-encoded.
func isText(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	switch {
	case mt == "", strings.HasPrefix(mt, "text/"), strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript", "application/x-www-form-urlencoded",
		"application/graphql", "application/x-ndjson", "application/yaml", "application/x-yaml":
		return true
	}
	return false
}

func (w *responseWriter) encodedBody() (string, bool) {
	if w.body.Len() == 0 {
		return "", false
	}
	// A body that is not valid UTF-8 travels base64 whatever its type says:
	// as a JSON string it would reach the client with U+FFFD in its place.
	if isText(w.header.Get("Content-Type")) && utf8.Valid(w.body.Bytes()) {
		return w.body.String(), false
	}
	return base64.StdEncoding.EncodeToString(w.body.Bytes()), true
}

// encodeHTTP builds the response shape of the invoking service.
func encodeHTTP(k kind, hr httpRequest, w *responseWriter) ([]byte, error) {
	w.finish()
	body, b64 := w.encodedBody()
	var v any
	switch k {
	case kindAPIGatewayV2, kindFunctionURL:
		headers, cookies := joinHeaders(w.header)
		return appendV2Response(make([]byte, 0, 128+len(body)), w.status, headers, cookies, body, b64), nil
	case kindAPIGatewayV1:
		v = &events.APIGatewayProxyResponse{StatusCode: w.status, MultiValueHeaders: w.header, Body: body, IsBase64Encoded: b64}
	case kindALB:
		r := &events.ALBTargetGroupResponse{StatusCode: w.status, StatusDescription: fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)), Body: body, IsBase64Encoded: b64}
		if hr.multiValue {
			r.MultiValueHeaders = w.header
		} else {
			r.Headers = make(map[string]string, len(w.header))
			for key, vs := range w.header {
				if len(vs) == 0 {
					continue
				}
				if key == "Set-Cookie" {
					// Without multi-value headers ALB takes one cookie.
					r.Headers[key] = vs[len(vs)-1]
					continue
				}
				r.Headers[key] = strings.Join(vs, ", ")
			}
		}
		v = r
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, &Error{Type: ErrorTypePermanent, Err: fmt.Errorf("lambda: encode %s response: %w", k, err)}
	}
	return out, nil
}

// joinHeaders folds a header into the single-value form of HTTP API and
// Function URL responses, with cookies apart.
func joinHeaders(h http.Header) (map[string]string, []string) {
	headers := make(map[string]string, len(h))
	var cookies []string
	for key, vs := range h {
		if len(vs) == 0 {
			continue
		}
		if key == "Set-Cookie" {
			cookies = vs
			continue
		}
		if len(vs) == 1 {
			headers[key] = vs[0]
		} else {
			headers[key] = strings.Join(vs, ",")
		}
	}
	return headers, cookies
}
