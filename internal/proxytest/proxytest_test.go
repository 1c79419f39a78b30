package proxytest_test

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/faasport/faasport/internal/proxytest"
	"github.com/faasport/faasport/testing/statetest"
	"github.com/stretchr/testify/require"
)

var _ statetest.Network = (*proxytest.Network)(nil)

// echo starts a line echo server on loopback and returns its address.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

func TestNetwork(t *testing.T) {
	n := proxytest.Start(t, echo(t))

	got, err := roundTrip(n.Addr)
	require.NoError(t, err, "through a healthy proxy")
	require.Equal(t, "ping\n", got)

	n.Reset(t)
	_, err = roundTrip(n.Addr)
	require.Error(t, err, "a reset proxy must fail the round trip")

	n.Heal()
	got, err = roundTrip(n.Addr)
	require.NoError(t, err, "after Heal")
	require.Equal(t, "ping\n", got)

	n.Down()
	_, err = roundTrip(n.Addr)
	require.Error(t, err, "a proxy that is down must refuse")

	n.Up(t)
	got, err = roundTrip(n.Addr)
	require.NoError(t, err, "after Up")
	require.Equal(t, "ping\n", got)
}
