package paramstest_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/faasport/faasport/params"
	"github.com/faasport/faasport/params/paramstest"
)

// gated is a provider that holds every fetch until its gate closes.
type gated struct {
	gate  chan struct{}
	calls atomic.Int64
}

func (g *gated) Fetch(ctx context.Context, ref params.Ref) (string, string, error) {
	<-g.gate
	g.calls.Add(1)
	return "s-" + ref.Name, "v1", nil
}

func TestCheckConcurrentColdStart(t *testing.T) {
	g := &gated{gate: make(chan struct{})}
	paramstest.CheckConcurrentColdStart(t, paramstest.ColdStart{
		Cache: params.New(g), Ref: params.Ref{Name: "k"},
		Secret: "s-k", Version: "v1",
		Release: func() { close(g.gate) }, Calls: g.calls.Load,
	})
}

func Example() {
	g := &gated{gate: make(chan struct{})}
	t := &testing.T{}
	paramstest.CheckConcurrentColdStart(t, paramstest.ColdStart{
		Cache: params.New(g), Ref: params.Ref{Name: "k"},
		Secret: "s-k", Version: "v1",
		Release: func() { close(g.gate) }, Calls: g.calls.Load,
	})
	fmt.Println("fetches:", g.calls.Load())
	// Output: fetches: 1
}

func TestCheckMapped(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{name: "not found", err: fmt.Errorf("p: get x: %w", params.ErrNotFound), want: params.ErrNotFound},
		{name: "throttled", err: fmt.Errorf("p: get x: %w", params.ErrThrottled), want: params.ErrThrottled},
		{name: "server fault", err: fmt.Errorf("p: get x: 500")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			paramstest.CheckMapped(t, tt.err, tt.want)
		})
	}
}
