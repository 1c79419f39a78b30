package state_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/state/memstate"
)

type cart struct {
	Items []string `json:"items"`
	Total int      `json:"total"`
}

func TestTypedRoundTrip(t *testing.T) {
	ctx := context.Background()
	carts := state.NewTyped[cart](memstate.New())

	_, _, err := carts.Get(ctx, "cart/1")
	require.ErrorIs(t, err, state.ErrNotFound)

	v1, err := carts.Put(ctx, "cart/1", cart{Items: []string{"tea"}, Total: 3}, state.PutOptions{IfAbsent: true})
	require.NoError(t, err)
	got, ver, err := carts.Get(ctx, "cart/1")
	require.NoError(t, err)
	assert.Equal(t, v1, ver)
	assert.Equal(t, cart{Items: []string{"tea"}, Total: 3}, got)

	raw, err := carts.Store().Get(ctx, "cart/1")
	require.NoError(t, err)
	assert.JSONEq(t, `{"items":["tea"],"total":3}`, string(raw.Value))

	_, err = carts.Put(ctx, "cart/1", cart{}, state.PutOptions{IfAbsent: true})
	var ce *state.ConflictError
	require.ErrorAs(t, err, &ce)
	cur, err := carts.Decode(ce.Key, ce.Current.Value)
	require.NoError(t, err)
	assert.Equal(t, 3, cur.Total)

	require.NoError(t, carts.Delete(ctx, "cart/1", v1))
	_, _, err = carts.Get(ctx, "cart/1")
	require.ErrorIs(t, err, state.ErrNotFound)
}

// upperCodec is a codec that is not JSON, to prove the codec is used.
type upperCodec struct{}

func (upperCodec) Marshal(v any) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		return nil, errors.New("upperCodec: strings only")
	}
	return []byte("S:" + s), nil
}

func (upperCodec) Unmarshal(data []byte, v any) error {
	p, ok := v.(*string)
	if !ok || len(data) < 2 || string(data[:2]) != "S:" {
		return errors.New("upperCodec: not mine")
	}
	*p = string(data[2:])
	return nil
}

func TestTypedCodec(t *testing.T) {
	ctx := context.Background()
	store := memstate.New()
	names := state.NewTyped[string](store, state.WithCodec(upperCodec{}))
	_, err := names.Put(ctx, "n", "ada", state.PutOptions{})
	require.NoError(t, err)
	raw, err := store.Get(ctx, "n")
	require.NoError(t, err)
	assert.Equal(t, "S:ada", string(raw.Value))
	got, _, err := names.Get(ctx, "n")
	require.NoError(t, err)
	assert.Equal(t, "ada", got)

	tests := []struct {
		name  string
		value []byte
	}{
		{"foreign bytes", []byte{0xff, 0x00}},
		{"json", []byte(`"ada"`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := store.Put(ctx, "bad", tc.value, state.PutOptions{})
			require.NoError(t, err)
			_, _, err = names.Get(ctx, "bad")
			require.Error(t, err)
			assert.Contains(t, err.Error(), `"bad"`)
		})
	}
}

func TestTypedEncodeError(t *testing.T) {
	type bad struct{ C chan int }
	s := state.NewTyped[bad](memstate.New())
	_, err := s.Put(context.Background(), "k", bad{C: make(chan int)}, state.PutOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "encode value for key")
}

func TestTypedUpdateConcurrent(t *testing.T) {
	ctx := context.Background()
	counters := state.NewTyped[int](memstate.New(), state.WithMaxRetries(1000))
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := counters.Update(ctx, "hits", state.PutOptions{}, func(n int, _ bool) (int, error) { return n + 1, nil })
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	n, _, err := counters.Get(ctx, "hits")
	require.NoError(t, err)
	assert.Equal(t, 50, n, "no increment may be lost")
}

func TestTypedUpdateGivesUp(t *testing.T) {
	ctx := context.Background()
	store := memstate.New()
	counters := state.NewTyped[int](store, state.WithMaxRetries(2))
	calls := 0
	_, _, err := counters.Update(ctx, "k", state.PutOptions{}, func(n int, _ bool) (int, error) {
		calls++
		// Someone else writes between our read and our write, every time.
		_, err := store.Put(ctx, "k", []byte("100"), state.PutOptions{})
		require.NoError(t, err)
		return n + 1, nil
	})
	require.ErrorIs(t, err, state.ErrConflict)
	assert.Equal(t, 3, calls)

	wantErr := errors.New("refuse")
	_, _, err = counters.Update(ctx, "k", state.PutOptions{}, func(int, bool) (int, error) { return 0, wantErr })
	require.ErrorIs(t, err, wantErr)
}
