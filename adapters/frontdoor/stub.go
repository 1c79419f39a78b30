package frontdoor

import (
	"context"
	"errors"
	"net"
	"net/http"
)

type gate struct{}

// ListenAddr resolves the address to listen on from WithAddr's value and
// the PORT environment variable's.
func ListenAddr(addr, port string) (string, error) { return addr, nil }

func (d *Door) serve(ctx context.Context, l net.Listener) error { return errors.New("todo") }

// ServeHTTP serves one request.
func (d *Door) ServeHTTP(w http.ResponseWriter, r *http.Request) {}
