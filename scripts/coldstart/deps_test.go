package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFaasportLinksNoRPC: the function built with no build tags links
// none of the packages aws-lambda-go's RPC mode brings in, which made the
// binary 1.3x a bare aws-lambda-go one and slowed its cold start.
func TestFaasportLinksNoRPC(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go tool")
	}
	cmd := exec.Command("go", "list", "-deps", "./testdata/faasport")
	cmd.Env = append(cmd.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	out, err := cmd.Output()
	require.NoError(t, err, "go list -deps ./testdata/faasport")
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/faasport/faasport/adapters/lambda", "the list is the function's")
	for _, pkg := range []string{"net/rpc", "encoding/gob", "html/template", "github.com/aws/aws-lambda-go/lambda"} {
		assert.NotContains(t, deps, pkg)
	}
}
