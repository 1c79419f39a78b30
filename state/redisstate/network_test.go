package redisstate_test

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

// network is a toxiproxy, in-process on loopback, in front of a server:
// the statetest.Network the network checks drive. It stops when the test
// ends.
type network struct {
	p    *toxiproxy.Proxy
	addr string // what clients dial instead of the server
}

func startNetwork(t testing.TB, upstream string) *network {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, strings.ReplaceAll(t.Name(), "/", "_"), "127.0.0.1:0", upstream)
	require.NoError(t, p.Start(), "start toxiproxy in front of %s", upstream)
	t.Cleanup(p.Stop)
	return &network{p: p, addr: p.Listen}
}

func (n *network) toxic(t testing.TB, typ, attrs string) {
	t.Helper()
	_, err := n.p.Toxics.AddToxicJson(strings.NewReader(fmt.Sprintf(
		`{"name":%q,"type":%q,"stream":"downstream","toxicity":1,"attributes":{%s}}`, typ, typ, attrs)))
	require.NoError(t, err, "add toxic %s", typ)
}

func (n *network) Delay(t testing.TB, d time.Duration) {
	n.toxic(t, "latency", fmt.Sprintf(`"latency":%d`, d.Milliseconds()))
}

func (n *network) Reset(t testing.TB) { n.toxic(t, "reset_peer", `"timeout":0`) }

func (n *network) Heal() { n.p.Toxics.ResetToxics(context.Background()) }

func (n *network) Down() { n.p.Stop() }

func (n *network) Up(t testing.TB) {
	t.Helper()
	require.NoError(t, n.p.Start(), "restart toxiproxy")
}
