package gcf

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFrameworkVersion fails when go.mod moves the Functions Framework off
// the version whose internal signatures framework.go declares: check those
// signatures against the new version's source, then update frameworkVersion.
func TestFrameworkVersion(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^\s*github\.com/GoogleCloudPlatform/functions-framework-go (\S+)`).FindSubmatch(mod)
	require.NotNil(t, m, "go.mod should require functions-framework-go")
	require.Equal(t, frameworkVersion, string(m[1]),
		"framework.go links to internals of functions-framework-go %s; re-check them against %s", frameworkVersion, m[1])
}
