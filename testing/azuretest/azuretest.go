// Package azuretest runs an Azure Functions custom handler as the Functions
// host does, so tests prove a function on Azure without Azure: it reads the
// function app's host.json and function.json files, starts the handler with
// the host's environment (FUNCTIONS_CUSTOMHANDLER_PORT and friends), waits
// for its readiness probe to be answered, and sends each trigger's
// invocations over real loopback HTTP with the host's headers, in the
// host's Data/Metadata protocol or, for HTTP-only functions of an app with
// enableForwardingHttpRequest, as the forwarded request itself. As on
// Azure, an HTTP request reaches a function only through its route under
// host.json's route prefix ("api" unless set) and with one of its methods;
// any other gets the host's 404 ([Host.HTTP]). It must also carry a key
// the function's authLevel takes ("function" unless function.json sets
// "anonymous" or "admin"), or get the host's 401: the test host makes
// fresh keys when it starts, [Host.FunctionKey], [Host.HostKey] and
// [Host.MasterKey], and [Host.WithKey] puts the function's key on a
// request.
//
//	h := azuretest.Start(t, "testdata/app", azure.Events(handler))
//	res, err := h.Trigger(ctx, "orders", `{"id":"o-1"}`, map[string]any{"MessageId": "m-1", "DeliveryCount": 1})
//	require.Equal(t, 200, res.Status)
//
// [StartProcess] does the same with a built binary, as the host starts a
// deployed handler. The requests follow Microsoft's documentation of custom
// handlers; [HostEncoded] reproduces how the real host encodes string
// values (twice), so tests can cover both.
package azuretest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faasport/faasport/adapters/azure"
)

// HostVersion is the host version the test host reports in its headers.
const HostVersion = "4.1036.1.23224"

// Host is a running custom handler and the host's side of the protocol.
type Host struct {
	// URL is the handler's base URL, http://127.0.0.1:<port>.
	URL string
	// App is the function app read from its files.
	App *azure.App
	// Env is the environment the handler was started with.
	Env map[string]string

	client *http.Client
	keys   keys
	done   chan error // the handler's end
	mu     sync.Mutex
	stdout bytes.Buffer
}

// Result is the handler's answer to one invocation.
type Result struct {
	// InvocationID is the id the host sent.
	InvocationID string
	// Status, Header and Body are the handler's HTTP response as received.
	Status int
	Header http.Header
	Body   []byte
	// Outputs, Logs and ReturnValue are the decoded response payload, for
	// a Data/Metadata invocation answered 2xx.
	Outputs     map[string]json.RawMessage
	Logs        []string
	ReturnValue json.RawMessage
}

// Failed reports whether the host counts the invocation as failed: any
// answer but 2xx, after which the trigger retries it (and finally moves a
// queue or Service Bus message to its poison or dead-letter queue).
func (r *Result) Failed() bool { return r.Status < 200 || r.Status > 299 }

// Start runs the handler in this process as the host would: it picks a free
// port, serves azure.ListenAndServe with the host's environment and the app
// at appDir, waits until the readiness probe is answered, and stops the
// handler when the test ends.
func Start(t testing.TB, appDir string, opts ...azure.Option) *Host {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h, err := Serve(ctx, appDir, opts...)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-h.done:
			if err != nil {
				t.Errorf("azuretest: the handler stopped with an error: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("azuretest: the handler did not stop within 30s of its context ending")
		}
	})
	return h
}

// Serve is [Start] for code that has no testing.TB: the handler runs until
// ctx ends; [Host.Wait] returns its error then.
func Serve(ctx context.Context, appDir string, opts ...azure.Option) (*Host, error) {
	h, err := newHost(appDir)
	if err != nil {
		return nil, err
	}
	getenv := func(k string) string { return h.Env[k] }
	all := append([]azure.Option{azure.WithGetenv(getenv), azure.WithScriptRoot(appDir)}, opts...)
	go func() { h.done <- azure.ListenAndServe(ctx, all...) }()
	if err := h.waitReady(); err != nil {
		return nil, err
	}
	return h, nil
}

// Wait waits for a handler started by [Serve] to stop, and returns its
// error.
func (h *Host) Wait() error { return <-h.done }

// StartProcess runs binary as the host runs a deployed custom handler: in
// the app's folder, with the host's environment added to this process's,
// its stdout collected ([Host.Stdout]). It waits until the readiness probe
// is answered and interrupts the process when the test ends.
func StartProcess(t testing.TB, appDir, binary string, env ...string) *Host {
	t.Helper()
	h, err := newHost(appDir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary)
	cmd.Dir = appDir
	cmd.Env = append(os.Environ(), env...)
	for k, v := range h.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout = &lockedWriter{h: h}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("azuretest: start %s: %v", binary, err)
	}
	go func() { h.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-h.done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-h.done
		}
	})
	if err := h.waitReady(); err != nil {
		t.Fatal(err)
	}
	return h
}

type lockedWriter struct{ h *Host }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.h.mu.Lock()
	defer w.h.mu.Unlock()
	return w.h.stdout.Write(p)
}

// Stdout returns what a process started with [StartProcess] has written so
// far.
func (h *Host) Stdout() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stdout.String()
}

func newHost(appDir string) (*Host, error) {
	app, err := azure.LoadApp(appDir)
	if err != nil {
		return nil, fmt.Errorf("azuretest: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("azuretest: find a free port: %w", err)
	}
	k, err := newKeys(app)
	if err != nil {
		return nil, err
	}
	return &Host{
		URL: "http://127.0.0.1:" + strconv.Itoa(port),
		App: app,
		Env: map[string]string{
			azure.EnvPort:              strconv.Itoa(port),
			azure.EnvScriptRoot:        appDir,
			azure.EnvSiteName:          "faasport-test",
			"FUNCTIONS_WORKER_RUNTIME": "custom",
		},
		client: &http.Client{Timeout: time.Minute},
		keys:   k,
		done:   make(chan error, 1),
	}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady probes the handler as the host does: GET / until any HTTP
// answer arrives (the host counts any response as ready), for at most 30s.
func (h *Host) waitReady() error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, h.URL+"/", nil)
		req.Header.Set("User-Agent", "Azure-Functions-Host/"+HostVersion)
		resp, err := h.client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		select {
		case err := <-h.done:
			h.done <- err
			return fmt.Errorf("azuretest: the handler stopped before it was ready: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("azuretest: the handler did not answer the readiness probe at %s within 30s: %w", h.URL, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// NewInvocationID returns a fresh invocation id, a GUID as the host's.
func NewInvocationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// headers sets what the host sets on every request to the handler.
func headers(r *http.Request, invocationID string) {
	r.Header.Set(azure.HeaderInvocationID, invocationID)
	r.Header.Set(azure.HeaderHostVersion, HostVersion)
	r.Header.Set("User-Agent", "Azure-Functions-Host/"+HostVersion)
}

// Invoke posts a Data/Metadata invocation of function, as the host does for
// every trigger it does not forward.
func (h *Host) Invoke(ctx context.Context, function string, req azure.Request) (*Result, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("azuretest: encode the invocation: %w", err)
	}
	return h.InvokeRaw(ctx, function, body)
}

// InvokeRaw posts body as the invocation of function.
func (h *Host) InvokeRaw(ctx context.Context, function string, body []byte) (*Result, error) {
	id := NewInvocationID()
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL+"/"+url.PathEscape(function), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	headers(r, id)
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	res, err := h.do(r, id)
	if err != nil {
		return nil, err
	}
	if !res.Failed() && len(res.Body) > 0 {
		var p struct {
			Outputs     map[string]json.RawMessage
			Logs        []string
			ReturnValue json.RawMessage
		}
		if err := json.Unmarshal(res.Body, &p); err != nil {
			return res, fmt.Errorf("azuretest: the handler's response is not the custom handler response payload: %w (body %q)", err, res.Body)
		}
		res.Outputs, res.Logs, res.ReturnValue = p.Outputs, p.Logs, p.ReturnValue
	}
	return res, nil
}

func (h *Host) do(r *http.Request, id string) (*Result, error) {
	resp, err := h.client.Do(r)
	if err != nil {
		return nil, fmt.Errorf("azuretest: %s %s: %w", r.Method, r.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("azuretest: read the answer to %s %s: %w", r.Method, r.URL.Path, err)
	}
	return &Result{InvocationID: id, Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// ErrNoFunction is wrapped by the error for a function the app does not have.
var ErrNoFunction = errors.New("azuretest: no such function in the app")

// Trigger invokes function with value as its trigger binding's value (under
// the binding's name from function.json) and metadata as the trigger's
// metadata; the host's sys metadata is added.
func (h *Host) Trigger(ctx context.Context, function string, value any, metadata map[string]any) (*Result, error) {
	fn := h.App.Functions[function]
	if fn == nil {
		return nil, fmt.Errorf("%w: %q (have %v)", ErrNoFunction, function, h.App.Names())
	}
	t, ok := fn.Trigger()
	if !ok {
		return nil, fmt.Errorf("azuretest: function %q has no trigger binding", function)
	}
	v, err := json.Marshal(value)
	if err != nil {
		return nil, err
	}
	if raw, ok := value.(json.RawMessage); ok {
		v = raw
	}
	md := map[string]json.RawMessage{}
	for k, x := range metadata {
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		md[k] = b
	}
	if _, ok := md["sys"]; !ok {
		md["sys"], _ = json.Marshal(map[string]string{
			"MethodName": function,
			"UtcNow":     time.Now().UTC().Format(time.RFC3339Nano),
			"RandGuid":   NewInvocationID(),
		})
	}
	return h.Invoke(ctx, function, azure.Request{Data: map[string]json.RawMessage{t.Name: v}, Metadata: md})
}

// HostEncoded returns s as the real host encodes a .NET string value: a
// JSON string holding the string's own JSON encoding.
func HostEncoded(s string) json.RawMessage {
	inner, _ := json.Marshal(s)
	outer, _ := json.Marshal(string(inner))
	return outer
}

// HTTP serves r through function's HTTP trigger as the host does. The
// host routes a request to the function only when r.URL.Path matches its
// route under host.json's extensions.http.routePrefix ("api" unless set):
// "/<prefix>/<route>", the route defaulting to the function's name, with
// {name} parameters and a {*rest} catch-all. It also checks r.Method
// against the trigger's "methods", when it lists any. A request the route
// or methods refuse, or one to a disabled function, gets the host's 404
// with an empty body, and the handler is not invoked. A method the route
// does not take is answered 404 too, not 405: the host's router makes the
// methods part of the route, so the route does not match (as the real host
// answers; see azure-functions-host issue 10098).
//
// A routed request must then carry a key its function's authLevel takes
// (function.json's "authLevel"; "function" when it is not set, as on
// Azure): none for "anonymous"; for "function" the function's own key
// ([Host.FunctionKey]), the host key ([Host.HostKey]) or the master key
// ([Host.MasterKey]); for "admin" the master key only. The key goes in the
// x-functions-key header ([Host.WithKey]) or the "code" query parameter,
// the header winning when both are sent. A request without such a key
// gets the host's 401 with an empty body, and the handler is not invoked.
// An authLevel other than these three is an error.
//
// An authorized request is forwarded as it is, its key included, to the
// handler (its path with the prefix) when host.json sets
// enableForwardingHttpRequest and the function is HTTP-only, else posted
// in the Data/Metadata form (the key again left in), with the route's
// parameters in Params, and the answer read back from the http output
// binding. The response is what the host would send the caller.
func (h *Host) HTTP(ctx context.Context, function string, r *http.Request) (*http.Response, error) {
	fn := h.App.Functions[function]
	if fn == nil {
		return nil, fmt.Errorf("%w: %q (have %v)", ErrNoFunction, function, h.App.Names())
	}
	t, ok := fn.Trigger()
	if !ok || !strings.EqualFold(t.Type, azure.KindHTTP) {
		return nil, fmt.Errorf("azuretest: function %q has no %s binding, so the host routes no request to it; send its trigger's invocations with Trigger or Send", function, azure.KindHTTP)
	}
	level, err := authLevel(function, t)
	if err != nil {
		return nil, err
	}
	params, routed := matchRoute(h.App.Host.RoutePrefix(), t.Prop("route"), function, r.URL.Path)
	refused := 0
	switch {
	case !routed || !methodAllowed(t, r.Method) || fn.Disabled:
		refused = http.StatusNotFound
	case !h.authorized(r, function, level):
		refused = http.StatusUnauthorized
	}
	if refused != 0 {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return emptyResponse(r, refused), nil
	}
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		body = b
	}
	id := NewInvocationID()
	ch := h.App.Host.CustomHandler
	if ch != nil && ch.EnableForwardingHTTPRequest && fn.HTTPOnly() {
		// The key travels on as the caller sent it: Microsoft's
		// documentation does not say that the host removes the code
		// parameter or the x-functions-key header, so neither is removed.
		fr, err := http.NewRequestWithContext(ctx, r.Method, h.URL+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		fr.Header = r.Header.Clone()
		headers(fr, id)
		return h.client.Do(fr)
	}
	req, err := requestJSON(r, body, params)
	if err != nil {
		return nil, err
	}
	res, err := h.Invoke(ctx, function, azure.Request{Data: map[string]json.RawMessage{t.Name: req}, Metadata: map[string]json.RawMessage{}})
	if err != nil {
		return nil, err
	}
	if res.Failed() {
		return emptyResponse(r, http.StatusInternalServerError), nil
	}
	out := "res"
	for _, b := range fn.Outputs() {
		if strings.EqualFold(b.Type, "http") {
			out = b.Name
		}
	}
	raw := res.Outputs[out]
	if out == "$return" {
		raw = res.ReturnValue
	}
	var hr struct {
		StatusCode json.RawMessage   `json:"statusCode"`
		Body       string            `json:"body"`
		Headers    map[string]string `json:"headers"`
	}
	if err := json.Unmarshal(raw, &hr); err != nil {
		return nil, fmt.Errorf("azuretest: the http output binding %q is not {statusCode, body, headers}: %w (%s)", out, err, raw)
	}
	status, _ := strconv.Atoi(strings.Trim(string(hr.StatusCode), `"`))
	if status == 0 {
		status = http.StatusOK
	}
	resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(hr.Body))}
	for k, v := range hr.Headers {
		resp.Header.Set(k, v)
	}
	return resp, nil
}

// requestJSON describes r as the host does in Data: Url, Method, Query (a
// JSON string of the query's map), Headers (each a list), Params, Body (a
// string; base64 for application/octet-stream and multipart bodies).
func requestJSON(r *http.Request, body []byte, params map[string]string) (json.RawMessage, error) {
	q := map[string]string{}
	for k, vs := range r.URL.Query() {
		q[k] = strings.Join(vs, ",")
	}
	qs, _ := json.Marshal(q)
	u := *r.URL
	if u.Host == "" {
		u.Scheme, u.Host = "http", "localhost:7071"
	}
	m := map[string]any{
		"Url":     u.String(),
		"Method":  r.Method,
		"Query":   string(qs),
		"Headers": r.Header,
		"Params":  params,
	}
	if len(body) > 0 {
		ct := r.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "application/octet-stream") || strings.HasPrefix(ct, "multipart/") {
			m["Body"] = body // encoding/json writes []byte as base64, as the host does
		} else {
			m["Body"] = string(body)
		}
	}
	return json.Marshal(m)
}
