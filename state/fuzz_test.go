package state_test

import (
	"testing"
	"time"

	"github.com/faasport/faasport/state"
)

// FuzzTypedDecode decodes arbitrary stored bytes into a typed value: bad
// data is an error, never a panic.
func FuzzTypedDecode(f *testing.F) {
	f.Add([]byte(`{"items":["tea"],"total":3}`))
	f.Add([]byte(`{"items":null}`))
	f.Add([]byte(`[1,2`))
	f.Add([]byte{0xff})
	carts := state.NewTyped[cart](nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = carts.Decode("k", data)
	})
}

// FuzzCheck runs the shared input checks on arbitrary keys and values.
func FuzzCheck(f *testing.F) {
	f.Add("k", []byte("v"), int64(0), false, "")
	f.Add("", []byte{}, int64(-1), true, "v")
	f.Fuzz(func(t *testing.T, key string, value []byte, ttl int64, ifAbsent bool, ifVersion string) {
		kerr := state.CheckKey(key)
		if (kerr == nil) != (key != "" && len(key) <= state.MaxKeySize) {
			t.Fatalf("CheckKey(%d bytes) = %v", len(key), kerr)
		}
		_ = state.CheckValue(value, state.PutOptions{TTL: time.Duration(ttl), IfAbsent: ifAbsent, IfVersion: ifVersion})
	})
}
