package redisstate

import (
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary hash fields to the reply decoder: whatever is
// stored under a key, reading it must return an item or an error, never
// panic.
func FuzzDecode(f *testing.F) {
	f.Add("value", "v1", "0")
	f.Add("", "v1", "1800000000000")
	f.Add("\x00\xff", "", "-1")
	f.Add("x", "v", "not a number")
	now := time.UnixMilli(1_800_000_000_000)
	s := New(nil, WithClock(func() time.Time { return now }))
	f.Fuzz(func(t *testing.T, value, version, exp string) {
		it, ok, err := s.decode("k", []any{value, version, exp})
		if err != nil || !ok {
			return
		}
		if it.Version != version || string(it.Value) != value {
			t.Fatalf("decoded %+v from %q %q %q", it, value, version, exp)
		}
		if !it.ExpiresAt.IsZero() && !now.Before(it.ExpiresAt) {
			t.Fatalf("returned an expired item: %+v", it)
		}
		_ = s.conflict("k", []any{int64(0), value, version, exp}, "ours")
	})
}
