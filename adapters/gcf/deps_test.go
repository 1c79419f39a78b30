package gcf_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Cloud Functions binary that does not trace should not carry a tracing
// library: the package links no OpenTelemetry package (its tests may).
func TestNoOpenTelemetryDependency(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command(gobin, "list", "-deps", "github.com/faasport/faasport/adapters/gcf").Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		t.Fatalf("go list: %v: %s", err, exit.Stderr)
	}
	require.NoError(t, err)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/faasport/faasport/function", "go list printed no dependency list")
	for _, d := range deps {
		assert.False(t, strings.HasPrefix(d, "go.opentelemetry.io/"),
			"adapters/gcf depends on %s; keep tracing libraries out of the adapter (see LogOptions.CurrentSpan)", d)
	}
}
