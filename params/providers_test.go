package params_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/params"
)

func TestEnv(t *testing.T) {
	t.Setenv("APP_TOKEN", "t0k")
	t.Setenv("APP_EMPTY", "")
	p := params.Env("APP_")
	tests := []struct {
		name    string
		ref     params.Ref
		want    string
		wantErr error
	}{
		{"set", params.Ref{Name: "TOKEN"}, "t0k", nil},
		{"empty", params.Ref{Name: "EMPTY"}, "", nil},
		{"unset", params.Ref{Name: "NOPE"}, "", params.ErrNotFound},
		{"version", params.Ref{Name: "TOKEN", Version: "2"}, "", params.ErrUnsupported},
		{"label", params.Ref{Name: "TOKEN", Label: "x"}, "", params.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ver, err := p.Fetch(context.Background(), tt.ref)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, v)
			assert.Empty(t, ver)
		})
	}
}

func TestFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"api-key":        {Data: []byte("k3y")},
		"db/password":    {Data: []byte("pw\n")},
		"crlf":           {Data: []byte("pw\r\n")},
		"only-cr":        {Data: []byte("pw\r")},
		"binary":         {Data: []byte{0, 1, 2, '\n'}},
		"..data/ignored": {Data: []byte("x")},
	}
	tests := []struct {
		name    string
		opts    []params.FileOption
		ref     string
		want    string
		wantErr error
	}{
		{"file", nil, "api-key", "k3y", nil},
		{"nested", nil, "db/password", "pw\n", nil},
		{"dot slash", nil, "./api-key", "k3y", nil},
		{"trim newline", []params.FileOption{params.TrimTrailingNewline()}, "db/password", "pw", nil},
		{"trim crlf", []params.FileOption{params.TrimTrailingNewline()}, "crlf", "pw", nil},
		{"lone cr kept", []params.FileOption{params.TrimTrailingNewline()}, "only-cr", "pw\r", nil},
		{"binary exact", nil, "binary", "\x00\x01\x02\n", nil},
		{"missing", nil, "nope", "", params.ErrNotFound},
		{"escape", nil, "../etc/passwd", "", params.ErrNotFound},
		{"absolute", nil, "/etc/passwd", "", params.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _, err := params.Files(fsys, tt.opts...).Fetch(context.Background(), params.Ref{Name: tt.ref})
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, v)
		})
	}
	_, _, err := params.Files(fsys).Fetch(context.Background(), params.Ref{Name: "api-key", Version: "1"})
	require.ErrorIs(t, err, params.ErrUnsupported)
}

func TestDirFollowsRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(path, []byte("one"), 0o600))
	c := params.New(params.Dir(dir), params.WithTTL(0))
	s, err := c.Get(context.Background(), "token")
	require.NoError(t, err)
	assert.Equal(t, "one", s.Reveal())
	require.NoError(t, os.WriteFile(path, []byte("two"), 0o600))
	s, err = c.Get(context.Background(), "token")
	require.NoError(t, err)
	assert.Equal(t, "two", s.Reveal())
}

func TestStatic(t *testing.T) {
	p := params.Static(map[string]string{"a": "1"})
	v, _, err := p.Fetch(context.Background(), params.Ref{Name: "a"})
	require.NoError(t, err)
	assert.Equal(t, "1", v)
	_, _, err = p.Fetch(context.Background(), params.Ref{Name: "b"})
	require.ErrorIs(t, err, params.ErrNotFound)
}

func TestFallback(t *testing.T) {
	t.Setenv("ONLY_ENV", "from-env")
	boom := errors.New("store down")
	failing := params.ProviderFunc(func(context.Context, params.Ref) (string, string, error) { return "", "", boom })
	p := params.Fallback(params.Env(""), params.Files(fstest.MapFS{"only-file": {Data: []byte("from-file")}, "ONLY_ENV": {Data: []byte("shadowed")}}), params.Static(map[string]string{"dev": "default"}))
	tests := []struct {
		name    string
		p       params.Provider
		ref     string
		want    string
		wantErr error
	}{
		{"first wins", p, "ONLY_ENV", "from-env", nil},
		{"second", p, "only-file", "from-file", nil},
		{"last", p, "dev", "default", nil},
		{"none", p, "nope", "", params.ErrNotFound},
		{"other errors stop", params.Fallback(failing, params.Static(map[string]string{"k": "v"})), "k", "", boom},
		{"empty", params.Fallback(), "k", "", params.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _, err := tt.p.Fetch(context.Background(), params.Ref{Name: tt.ref})
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, v)
		})
	}
}
