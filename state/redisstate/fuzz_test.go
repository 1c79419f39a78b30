package redisstate

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// FuzzDecode feeds arbitrary stored strings to the decoder: whatever is
// stored under a key, reading it must return an item, a miss or an error,
// never panic, and an item it accepts must pack back to the same bytes.
func FuzzDecode(f *testing.F) {
	now := time.UnixMilli(1_800_000_000_000)
	s := New(nil, WithClock(func() time.Time { return now }))
	f.Fuzz(func(t *testing.T, raw []byte) {
		it, live, err := s.decode("k", string(raw))
		exp, version, value, ok := unpack(string(raw))
		if !ok {
			if err == nil {
				t.Fatalf("decoded %+v from %q, which is not an item", it, raw)
			}
			return
		}
		if err != nil {
			t.Fatalf("decode %q: %v", raw, err)
		}
		if exp < 0 || version == "" || len(version) > 255 {
			t.Fatalf("unpacked expiry %d, version %q from %q", exp, version, raw)
		}
		repacked := append(append(bytes.Clone(raw[:headerSize]), version...), value...)
		if !bytes.Equal(repacked, raw) {
			t.Fatalf("unpack %q lost bytes: %q", raw, repacked)
		}
		if !live {
			if exp == 0 || now.Before(time.UnixMilli(exp)) {
				t.Fatalf("live item %q reported expired", raw)
			}
			return
		}
		if it.Version != version || string(it.Value) != value {
			t.Fatalf("decoded %+v from %q", it, raw)
		}
		if !it.ExpiresAt.IsZero() && !now.Before(it.ExpiresAt) {
			t.Fatalf("returned an expired item: %+v", it)
		}
	})
}

// TestEncodeRoundTrip checks that what encode packs, decode reads back,
// and that every write gets a version of its own.
func TestEncodeRoundTrip(t *testing.T) {
	now := time.UnixMilli(1_800_000_000_000)
	s := New(nil, WithClock(func() time.Time { return now }))
	tests := []struct {
		name  string
		exp   int64
		value []byte
		live  bool
	}{
		{"no expiry", 0, []byte("value"), true},
		{"future", now.UnixMilli() + 1, []byte{0, 0xff, 0xf5, 0x01}, true},
		{"now", now.UnixMilli(), []byte("x"), false},
		{"past", 1, []byte("x"), false},
		{"empty value", 0, []byte{}, true},
		{"looks like a header", 0, []byte("\xf5\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01v"), true},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			packed, version := encode(tc.exp, tc.value)
			require.Len(t, version, versionLen)
			require.False(t, seen[version], "version %q repeated", version)
			seen[version] = true
			it, live, err := s.decode("k", string(packed))
			require.NoError(t, err)
			require.Equal(t, tc.live, live)
			if !live {
				return
			}
			require.Equal(t, version, it.Version)
			require.Equal(t, string(tc.value), string(it.Value))
			if tc.exp == 0 {
				require.True(t, it.ExpiresAt.IsZero())
			} else {
				require.Equal(t, tc.exp, it.ExpiresAt.UnixMilli())
			}
		})
	}
}
