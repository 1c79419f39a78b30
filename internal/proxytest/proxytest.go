// Package proxytest puts an in-process toxiproxy on loopback in front of a
// server, as the statetest.Network the state backends' network checks
// drive, and the idempotency reliability tests use. It lives in a module of
// its own so toxiproxy never enters the root module.
package proxytest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

// Network is a toxiproxy in front of one server. It implements
// statetest.Network and stops when the test that started it ends.
type Network struct {
	p *toxiproxy.Proxy
	// Addr is what clients dial instead of the server (host:port).
	Addr string
}

// Start starts a proxy on a free loopback port in front of upstream
// (host:port) and stops it when t ends. It fails t if the proxy cannot
// listen.
func Start(t testing.TB, upstream string) *Network {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, strings.ReplaceAll(t.Name(), "/", "_"), "127.0.0.1:0", upstream)
	require.NoError(t, p.Start(), "proxytest: start toxiproxy in front of %s", upstream)
	t.Cleanup(p.Stop)
	return &Network{p: p, Addr: p.Listen}
}

func (n *Network) toxic(t testing.TB, typ string, share float64, attrs string) {
	t.Helper()
	_, err := n.p.Toxics.AddToxicJson(strings.NewReader(fmt.Sprintf(
		`{"name":%q,"type":%q,"stream":"downstream","toxicity":%g,"attributes":{%s}}`, typ, typ, share, attrs)))
	require.NoError(t, err, "proxytest: add toxic %s", typ)
}

// Delay delays everything the server sends back by d.
func (n *Network) Delay(t testing.TB, d time.Duration) {
	t.Helper()
	n.Slow(t, d, 1)
}

// Slow delays what the server sends back by d on a share (0 to 1) of the
// connections.
func (n *Network) Slow(t testing.TB, d time.Duration, share float64) {
	t.Helper()
	n.toxic(t, "latency", share, fmt.Sprintf(`"latency":%d`, d.Milliseconds()))
}

// Reset resets every connection as soon as data flows through it.
func (n *Network) Reset(t testing.TB) {
	t.Helper()
	n.toxic(t, "reset_peer", 1, `"timeout":0`)
}

// Heal removes delays and resets.
func (n *Network) Heal() { n.p.Toxics.ResetToxics(context.Background()) }

// Down closes every connection and refuses new ones.
func (n *Network) Down() { n.p.Stop() }

// Up accepts connections again, on the same address.
func (n *Network) Up(t testing.TB) {
	t.Helper()
	require.NoError(t, n.Reopen(), "proxytest: restart toxiproxy")
}

// Reopen is Up for goroutines other than the test's: it returns the error
// instead of failing the test.
func (n *Network) Reopen() error { return n.p.Start() }
