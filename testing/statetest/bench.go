package statetest

import (
	"context"
	"strconv"
	"testing"

	"github.com/faasport/faasport/state"
)

// Benchmark runs the store benchmarks as sub-benchmarks of b: Get, Put,
// PutIfVersion (a compare-and-set that succeeds), PutIfAbsent (a new key
// each time) and PutIfAbsentConflict (the duplicate case). Values are 256
// bytes. Name b after the backend, e.g. BenchmarkStore/redis.
func Benchmark(b *testing.B, st state.Store) {
	ctx := context.Background()
	value := make([]byte, 256)
	for i := range value {
		value[i] = byte(i)
	}
	prefix := "statetest-bench/" + randomToken() + "/"
	put := func(b *testing.B, key string) string {
		b.Helper()
		v, err := st.Put(ctx, key, value, state.PutOptions{})
		if err != nil {
			b.Fatal(err)
		}
		return v
	}
	b.Run("Get", func(b *testing.B) {
		k := prefix + "get"
		put(b, k)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.Get(ctx, k); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Put", func(b *testing.B) {
		k := prefix + "put"
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.Put(ctx, k, value, state.PutOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PutIfVersion", func(b *testing.B) {
		k := prefix + "cas"
		v := put(b, k)
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if v, err = st.Put(ctx, k, value, state.PutOptions{IfVersion: v}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PutIfAbsent", func(b *testing.B) {
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			i++
			if _, err := st.Put(ctx, prefix+"new/"+strconv.Itoa(i), value, state.PutOptions{IfAbsent: true}); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		for j := 1; j <= i; j++ {
			_ = st.Delete(ctx, prefix+"new/"+strconv.Itoa(j), "")
		}
	})
	b.Run("PutIfAbsentConflict", func(b *testing.B) {
		k := prefix + "taken"
		put(b, k)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.Put(ctx, k, value, state.PutOptions{IfAbsent: true}); err == nil {
				b.Fatal("IfAbsent write on a live key succeeded")
			}
		}
	})
}
