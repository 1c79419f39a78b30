package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/faasport/faasport/function"
)

func TestStoreKey(t *testing.T) {
	sum := sha256.Sum256([]byte("m"))
	hash := base64.RawURLEncoding.EncodeToString(sum[:])
	withFn := function.NewContext(context.Background(), &function.Invocation{FunctionName: "orders"})
	tests := []struct {
		name string
		opts []Option
		ctx  context.Context
		want string
	}{
		{name: "function name", ctx: withFn, want: "idempotency/orders/" + hash},
		{name: "no function name", ctx: context.Background(), want: "idempotency/-/" + hash},
		{name: "prefix", opts: []Option{WithKeyPrefix("p:")}, ctx: withFn, want: "p:" + hash},
		{name: "empty prefix", opts: []Option{WithKeyPrefix("")}, ctx: withFn, want: hash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o options
			for _, opt := range tt.opts {
				opt(&o)
			}
			assert.Equal(t, tt.want, o.storeKey(tt.ctx, []byte("m")))
		})
	}
}
