package main

import (
	"context"

	"github.com/faasport/faasport/params"
)

// secretName names the signing secret for params: the WEBHOOK_SECRET
// environment variable, or a file of that name in the directory
// WEBHOOK_SECRET_DIR names (a Cloud Run or Kubernetes secret volume).
const secretName = "WEBHOOK_SECRET"

// newSecrets returns the cache the signing secret is read through: an
// environment variable first, then a mounted file, then, for local runs
// only, devSecret. A cloud secret store (params/awsparams,
// params/gcpparams, params/azureparams) slots in here the same way. The
// cache keeps the value for five minutes, so a rotated secret is picked up
// without a restart, and one read serves every concurrent request.
func newSecrets(getenv func(string) string) *params.Cache {
	providers := []params.Provider{params.Env("")}
	if dir := getenv("WEBHOOK_SECRET_DIR"); dir != "" {
		providers = append(providers, params.Dir(dir, params.TrimTrailingNewline()))
	}
	providers = append(providers, params.Static(map[string]string{secretName: devSecret}))
	return params.New(params.Fallback(providers...))
}

// cachedSecret is the Secret the handler verifies signatures with.
func cachedSecret(c *params.Cache) Secret {
	return func(ctx context.Context) ([]byte, error) {
		s, err := c.Get(ctx, secretName)
		if err != nil {
			return nil, err
		}
		return []byte(s.Reveal()), nil
	}
}
