package function_test

import (
	"context"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"

	"github.com/faasport/faasport/function"
)

type finishCounter struct {
	function.Handler
	n *int
}

func (f *finishCounter) Finish(context.Context)   { *f.n++ }
func (f *finishCounter) Unwrap() function.Handler { return f.Handler }

func TestFinishers(t *testing.T) {
	noop := function.HandlerFunc(func(context.Context, event.Event) (*event.Event, error) { return nil, nil })
	tests := []struct {
		name      string
		build     func(n *int) []any
		wantCalls int
		wantMark  bool
	}{
		{name: "none: ctx unchanged", build: func(*int) []any { return []any{noop} }},
		{name: "one in a chain", wantCalls: 1, wantMark: true, build: func(n *int) []any {
			return []any{function.Chain(noop, func(h function.Handler) function.Handler { return &finishCounter{h, n} })}
		}},
		{name: "same hook twice runs once", wantCalls: 1, wantMark: true, build: func(n *int) []any {
			h := &finishCounter{noop, n}
			return []any{h, h}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			ctx, finish := function.FindFinishers(tt.build(&n)...).Begin(context.Background())
			assert.Equal(t, tt.wantMark, function.Finishing(ctx))
			assert.Zero(t, n, "nothing runs before the invocation ends")
			finish(ctx)
			assert.Equal(t, tt.wantCalls, n)
		})
	}
	assert.False(t, function.Finishing(context.Background()))
}
