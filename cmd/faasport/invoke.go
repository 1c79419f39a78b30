package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/cejson"
	"github.com/faasport/faasport/testing/adaptertest"
	"github.com/faasport/faasport/testing/fntest"
	"github.com/faasport/faasport/testing/lambdatest"
)

// invocation is what one invoke run sends and how.
type invocation struct {
	platform function.Platform
	binary   string
	source   string
	flags    eventFlags
	payload  string // a file with a raw payload, "-" for stdin
	times    int
	timeout  time.Duration
	quiet    bool
}

func invokeCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("faasport invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var inv invocation
	platform := fs.String("platform", "lambda", "lambda (a bootstrap under a local Runtime API), cloudrun (K_SERVICE and PORT set), or http (PORT set)")
	fs.StringVar(&inv.payload, "payload", "", "send this file's bytes as they are (\"-\": stdin) instead of a built event: the Lambda payload, or the HTTP body")
	fs.IntVar(&inv.times, "times", 1, "send the event this many times to one process: a cold, then warm invocations, and redeliveries of the same event")
	fs.DurationVar(&inv.timeout, "timeout", 30*time.Second, "how long to wait for the function to start and to answer")
	fs.BoolVar(&inv.quiet, "quiet", false, "do not copy the function's own output to stderr")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: faasport invoke [flags] <binary or package dir> [<source> [event flags]]\n\n"+
			"The binary runs as the platform runs it; a package directory (./examples/echo) is built first.\n"+
			"The source and its flags are those of \"faasport event\" (default: queue, or http for -payload on HTTP platforms).\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	p, err := parsePlatform(*platform)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	inv.platform = p
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	inv.binary, inv.source = fs.Arg(0), "queue"
	rest := fs.Args()[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		inv.source, rest = rest[0], rest[1:]
	}
	efs := flag.NewFlagSet("faasport invoke "+inv.source, flag.ContinueOnError)
	efs.SetOutput(stderr)
	inv.flags.register(efs)
	if err := efs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := inv.run(ctx, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// run builds the binary if needed, starts it, sends the event and prints
// the outcome.
func (inv *invocation) run(ctx context.Context, stdout, stderr io.Writer) error {
	if inv.times < 1 {
		return fmt.Errorf("faasport: -times %d: send the event at least once", inv.times)
	}
	if err := inv.flags.check(); err != nil {
		return err
	}
	bin, cleanup, err := buildIfPackage(ctx, inv.binary)
	if err != nil {
		return err
	}
	defer cleanup()
	var logs io.Writer = stderr
	if inv.quiet {
		logs = io.Discard
	}
	if inv.platform == function.PlatformLambda {
		return inv.lambda(ctx, bin, stdout, logs)
	}
	return inv.web(ctx, bin, stdout, logs)
}

// buildIfPackage returns path itself for a file, or builds the package in
// directory path into a temporary binary.
func buildIfPackage(ctx context.Context, path string) (string, func(), error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", nil, fmt.Errorf("faasport: the function binary: %w", err)
	}
	if !st.IsDir() {
		abs, err := filepath.Abs(path)
		return abs, func() {}, err
	}
	dir, err := os.MkdirTemp("", "faasport-invoke-")
	if err != nil {
		return "", nil, fmt.Errorf("faasport: build %s: %w", path, err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = path
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("faasport: go build %s: %w\n%s", path, err, out)
	}
	return bin, cleanup, nil
}

// process is the running function.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func start(ctx context.Context, bin string, env []string, logs io.Writer) (*process, error) {
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), env...)
	w := &lockedWriter{w: logs}
	cmd.Stdout, cmd.Stderr = w, w
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("faasport: start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop ends the process as the platform does: SIGTERM, then a kill.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// lambdaPayload is what a Lambda invocation sends.
func (inv *invocation) lambdaPayload() ([]byte, string, error) {
	if inv.payload != "" {
		b, err := readPayload(inv.payload)
		return b, "payload " + inv.payload, err
	}
	src, ok := sources()[inv.source]
	if !ok {
		return nil, "", fmt.Errorf("faasport: unknown source %q; run \"faasport sources\" for the list", inv.source)
	}
	if src.build == nil { // plain HTTP reaches Lambda through an HTTP API
		src = sources()["apigw-v2"]
	}
	in, err := src.build(&inv.flags)
	if err != nil {
		return nil, "", err
	}
	b, err := in.Payload(function.PlatformLambda)
	if errors.Is(err, fntest.ErrNoShape) {
		return nil, "", fmt.Errorf("faasport: %s does not reach Lambda; pick a Lambda source (\"faasport sources\") or -platform cloudrun", in.Name())
	}
	return b, in.Name(), err
}

func readPayload(name string) ([]byte, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("faasport: read -payload: %w", err)
	}
	return b, nil
}

func (inv *invocation) lambda(ctx context.Context, bin string, stdout, logs io.Writer) error {
	payload, name, err := inv.lambdaPayload()
	if err != nil {
		return err
	}
	srv := lambdatest.New(lambdatest.WithTimeout(inv.timeout))
	defer srv.Close()
	proc, err := start(ctx, bin, srv.Env(), logs)
	if err != nil {
		return err
	}
	defer proc.stop()
	fmt.Fprintf(stdout, "platform: %s (Runtime API on %s)\nsent: %s\n", function.PlatformLambda, srv.Addr(), name)
	for i := range inv.times {
		ictx, cancel := context.WithTimeout(ctx, inv.timeout)
		resp, err := invokeOrExit(ictx, srv, payload, proc)
		cancel()
		if err != nil {
			return err
		}
		if inv.times > 1 {
			fmt.Fprintf(stdout, "\ninvocation %d (%s)\n", i+1, map[bool]string{true: "cold", false: "warm"}[i == 0])
		}
		if err := reportLambda(stdout, payload, resp, inv.isWeb()); err != nil {
			return err
		}
	}
	return nil
}

// invokeOrExit invokes, and fails early if the process ends first.
func invokeOrExit(ctx context.Context, srv *lambdatest.Server, payload []byte, proc *process) (*lambdatest.Response, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-proc.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	resp, err := srv.Invoke(ctx, payload)
	if err != nil {
		select {
		case <-proc.done:
			return nil, fmt.Errorf("faasport: the function exited before answering (%v); is it a Lambda bootstrap built with adapters.Start or lambda.Start?", proc.err)
		default:
		}
		return nil, fmt.Errorf("faasport: invoke: %w", err)
	}
	return resp, nil
}

// isWeb reports whether the invocation sends an HTTP request.
func (inv *invocation) isWeb() bool {
	return inv.payload == "" && sources()[inv.source].web
}

// reportLambda prints the answer and what Lambda does with it.
func reportLambda(w io.Writer, payload []byte, resp *lambdatest.Response, web bool) error {
	// The ids Lambda names the records by: the SQS messageId, the Kinesis
	// or DynamoDB sequence number, a Kafka record's topic-partition:offset.
	records := lambdatest.RecordIDs(payload)
	if resp.Error != nil {
		fmt.Fprintf(w, "answered: error %s: %s\n", resp.Error.Type, resp.Error.Message)
		if !web {
			fmt.Fprintf(w, "redelivered: all (%d record(s)): Lambda retries an asynchronous event and returns a batch to its source\n", max(len(records), 1))
		}
		return nil
	}
	if web {
		hr, err := fntest.LambdaResponse(resp.Payload)
		if err != nil {
			return err
		}
		dump, err := httputil.DumpResponse(hr, true)
		if err != nil {
			return fmt.Errorf("faasport: print the response: %w", err)
		}
		fmt.Fprintf(w, "answered: %s\n", strings.TrimRight(string(dump), "\r\n"))
		return nil
	}
	fmt.Fprintf(w, "answered: %s\n", indent(resp.Payload))
	if len(records) == 0 {
		fmt.Fprintln(w, "acknowledged: yes")
		return nil
	}
	acked, redelivered := lambdatest.Outcome(payload, resp.Payload)
	fmt.Fprintf(w, "acknowledged: %d of %d %s\n", len(acked), len(records), strings.Join(acked, " "))
	fmt.Fprintf(w, "redelivered: %d %s\n", len(redelivered), strings.Join(redelivered, " "))
	return nil
}

func indent(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}

// web runs the binary as a Cloud Run or net/http process and sends the
// event over HTTP.
func (inv *invocation) web(ctx context.Context, bin string, stdout, logs io.Writer) error {
	req, name, err := inv.webRequest()
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	env := []string{"PORT=" + port}
	if inv.platform == function.PlatformCloudRun {
		env = append(env, "K_SERVICE=faasport-local", "K_REVISION=faasport-local-00001", "K_CONFIGURATION=faasport-local")
	}
	if inv.platform == function.PlatformCloudFunctions {
		env = append(env, "K_SERVICE=faasport-local", "FUNCTION_TARGET=Function")
	}
	proc, err := start(ctx, bin, env, logs)
	if err != nil {
		return err
	}
	defer proc.stop()
	base := "http://127.0.0.1:" + port
	if err := waitListening(ctx, "127.0.0.1:"+port, inv.timeout, proc); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "platform: %s (PORT=%s)\nsent: %s\n", inv.platform, port, name)
	client := &http.Client{Timeout: inv.timeout}
	for i := range inv.times {
		r, err := req(base)
		if err != nil {
			return err
		}
		resp, err := client.Do(r.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("faasport: send the request: %w", err)
		}
		dump, err := httputil.DumpResponse(resp, true)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("faasport: read the response: %w", err)
		}
		if inv.times > 1 {
			fmt.Fprintf(stdout, "\nrequest %d\n", i+1)
		}
		fmt.Fprintf(stdout, "answered: %s\n", strings.TrimRight(string(dump), "\r\n"))
		if inv.isWeb() {
			continue
		}
		// The push senders' rule: 2xx acknowledges; statuses worth a
		// retry are redelivered; any other status is dropped or
		// dead-lettered.
		switch retry := function.IsRetryable(function.WithStatus(resp.StatusCode, nil)); {
		case resp.StatusCode < 300:
			fmt.Fprintln(stdout, "acknowledged: yes")
		case retry:
			fmt.Fprintln(stdout, "redelivered: yes (Pub/Sub, Eventarc and Knative retry this status)")
		default:
			fmt.Fprintln(stdout, "acknowledged: no, and not redelivered: a push sender drops or dead-letters this status")
		}
	}
	return nil
}

// webRequest returns a maker of the HTTP request to send (a fresh one per
// send) and its description.
func (inv *invocation) webRequest() (func(base string) (*http.Request, error), string, error) {
	if inv.payload != "" {
		b, err := readPayload(inv.payload)
		if err != nil {
			return nil, "", err
		}
		return func(base string) (*http.Request, error) {
			req, err := inv.flags.request()
			if err != nil {
				return nil, err
			}
			return rebase(req, base, b)
		}, "payload " + inv.payload, nil
	}
	src, ok := sources()[inv.source]
	if !ok {
		return nil, "", fmt.Errorf("faasport: unknown source %q; run \"faasport sources\" for the list", inv.source)
	}
	if src.build == nil {
		return func(base string) (*http.Request, error) {
			req, err := inv.flags.request()
			if err != nil {
				return nil, err
			}
			return rebase(req, base, []byte(inv.flags.body))
		}, "HTTP request " + inv.flags.method + " " + inv.flags.path, nil
	}
	if src.web {
		return nil, "", fmt.Errorf("faasport: %s reaches Lambda only; use source http on %s", inv.source, inv.platform)
	}
	in, err := src.build(&inv.flags)
	if err != nil {
		return nil, "", err
	}
	b, err := in.Payload(shapeFor(inv.platform))
	if errors.Is(err, fntest.ErrNoShape) {
		return nil, "", fmt.Errorf("faasport: %s does not reach %s; pick a Google source (\"faasport sources\") or -platform lambda", in.Name(), inv.platform)
	}
	if err != nil {
		return nil, "", err
	}
	var e event.Event
	if err := cejson.Unmarshal(b, &e); err != nil {
		return nil, "", fmt.Errorf("faasport: %s: %w", in.Name(), err)
	}
	return func(base string) (*http.Request, error) { return binaryRequest(base, e) }, in.Name() + " (binary-mode CloudEvent " + e.Type() + ")", nil
}

func rebase(req *http.Request, base string, body []byte) (*http.Request, error) {
	r, err := http.NewRequest(req.Method, base+req.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("faasport: build the HTTP request: %w", err)
	}
	r.Header = req.Header.Clone()
	return r, nil
}

// binaryRequest is e as Eventarc delivers it: a binary-mode CloudEvents
// HTTP request, built as the adapters' conformance suite builds it.
func binaryRequest(base string, e event.Event) (*http.Request, error) {
	req, err := adaptertest.BinaryRequest(context.Background(), base+"/", e)
	if err != nil {
		return nil, fmt.Errorf("faasport: build the CloudEvent request: %w", err)
	}
	return req, nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("faasport: find a free port: %w", err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

// waitListening waits until addr accepts connections, the process exits,
// or timeout passes.
func waitListening(ctx context.Context, addr string, timeout time.Duration, proc *process) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-proc.done:
			return fmt.Errorf("faasport: the function exited before listening on %s (%v); does it serve on PORT?", addr, proc.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("faasport: the function did not listen on %s within %s", addr, timeout)
		}
	}
}
