package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSecretSources(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, secretName), []byte("from-file\n"), 0o600))
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"environment", map[string]string{"WEBHOOK_SECRET": "from-env", "WEBHOOK_SECRET_DIR": dir}, "from-env"},
		{"mounted file", map[string]string{"WEBHOOK_SECRET_DIR": dir}, "from-file"},
		{"development default", nil, devSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("WEBHOOK_SECRET", tt.env["WEBHOOK_SECRET"])
			if tt.env["WEBHOOK_SECRET"] == "" {
				require.NoError(t, os.Unsetenv("WEBHOOK_SECRET"))
			}
			getenv := func(k string) string { return tt.env[k] }
			got, err := cachedSecret(newSecrets(getenv))(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}
