package fntest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"

	"github.com/faasport/faasport/adapters/azure"
	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/testing/azuretest"
)

// azureTarget is one Azure Functions custom handler, run by the test host
// of testing/azuretest over loopback. The function app it serves is
// written when it starts: at its first invocation, so that the app has the
// function that invocation is for (a timer named by its schedule, a Cosmos
// DB trigger by its container) as well as fntest's fixed ones. Its
// host.json sets an empty route prefix, so the HTTP function's route
// ({*path}) takes the same paths as on the other platforms. An
// invocation of a function the app lacks still reaches the adapter, which
// then recognises its trigger by its shape.
type azureTarget struct {
	opts []azure.Option

	mu     sync.Mutex
	host   *azuretest.Host
	cancel context.CancelFunc
	dir    string
}

func (tg *target) startAzure(log *slog.Logger, h function.Handler, web http.Handler) error {
	opts := []azure.Option{azure.WithLogger(log), azure.WithTimeout(tg.cfg.timeout)}
	if h != nil {
		opts = append(opts, azure.Events(h))
	}
	if web != nil {
		opts = append(opts, azure.HTTP(web))
	}
	tg.az = &azureTarget{opts: opts}
	if web != nil {
		// An HTTP instance needs no trigger's function: start it now.
		if _, err := tg.az.started(nil); err != nil {
			return err
		}
	}
	return nil
}

// started returns the running host, starting it with an app that has
// first's function if it is not running yet.
func (a *azureTarget) started(first *azuretest.Invocation) (*azuretest.Host, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.host != nil {
		return a.host, nil
	}
	dir, err := os.MkdirTemp("", "fntest-azure-")
	if err != nil {
		return nil, fmt.Errorf("fntest: make the Azure function app's folder: %w", err)
	}
	var extra []azuretest.Invocation
	if first != nil {
		extra = append(extra, *first)
	}
	if err := azuretest.WriteAppWithPrefix(dir, "", azureApp(extra...)...); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("fntest: write the Azure function app: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	host, err := azuretest.Serve(ctx, dir, a.opts...)
	if err != nil {
		cancel()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("fntest: build the %s adapter: %w", function.PlatformAzureFunctions, err)
	}
	a.host, a.cancel, a.dir = host, cancel, dir
	return host, nil
}

// close stops the handler as the host does at shutdown (its context
// ends: invocations in flight drain, stop hooks run) and removes the app.
func (a *azureTarget) close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.host == nil {
		return nil
	}
	a.cancel()
	err := a.host.Wait()
	_ = os.RemoveAll(a.dir)
	a.host = nil
	return err
}

// deliverAzure posts c as the Functions host does and reads the answer by
// the front door's table: the host retries the whole invocation after any
// answer but 2xx, so every event of it is failed or acknowledged alike.
func (tg *target) deliverAzure(c *azureCall) (Result, error) {
	host, err := tg.az.started(&c.inv)
	if err != nil {
		return Result{}, err
	}
	res, err := host.Invoke(context.Background(), c.inv.Function, c.inv.Request)
	r := tg.rec.take()
	if err != nil {
		return r, err
	}
	r.Status, r.Header, r.Response = res.Status, res.Header, res.Body
	r.Redelivered = frontdoor.Redelivered(res.Status)
	ids := c.ids
	if len(ids) == 0 {
		for _, e := range r.Events {
			ids = append(ids, e.ID())
		}
	}
	if r.Redelivered {
		r.Failed = ids
	} else {
		r.Acknowledged = ids
	}
	return r, nil
}

// serve forwards req to the app's HTTP-only function, as the host does
// with enableForwardingHttpRequest, and returns the answer, its body read.
func (a *azureTarget) serve(req *http.Request) (*http.Response, error) {
	host, err := a.started(nil)
	if err != nil {
		return nil, err
	}
	resp, err := host.HTTP(context.Background(), azureHTTPFn, req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.Request = req
	return resp, err
}
