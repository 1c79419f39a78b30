package azureparams

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/faasport/faasport/params"
)

// Client is the part of *azsecrets.Client that [KeyVault] uses.
type Client interface {
	GetSecret(ctx context.Context, name string, version string, options *azsecrets.GetSecretOptions) (azsecrets.GetSecretResponse, error)
}

// KeyVault is a params.Provider over Azure Key Vault secrets.
type KeyVault struct {
	client Client
}

// New returns a provider that reads secrets with client (an
// *azsecrets.Client for one vault).
func New(client Client) *KeyVault { return &KeyVault{client: client} }

// Fetch reads the secret ref.Name, at version ref.Version (a version id)
// or the current one, and returns its value and version id.
func (k *KeyVault) Fetch(ctx context.Context, ref params.Ref) (string, string, error) {
	if ref.Label != "" {
		return "", "", fmt.Errorf("azureparams: secret %s: Key Vault has no version labels; use a version id: %w", ref, params.ErrUnsupported)
	}
	if ref.Name == "" {
		return "", "", fmt.Errorf("azureparams: empty secret name: %w", params.ErrNotFound)
	}
	resp, err := k.client.GetSecret(ctx, ref.Name, ref.Version, nil)
	if err != nil {
		return "", "", wrap(err, ref)
	}
	if resp.Value == nil {
		return "", "", fmt.Errorf("azureparams: get secret %s: the answer has no value", ref)
	}
	ver := ref.Version
	if resp.ID != nil {
		ver = resp.ID.Version()
	}
	return *resp.Value, ver, nil
}

// wrap adds the portable error for the status of err.
func wrap(err error, ref params.Ref) error {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		var p error
		switch re.StatusCode {
		case http.StatusNotFound:
			p = params.ErrNotFound
		case http.StatusUnauthorized, http.StatusForbidden:
			p = params.ErrAccessDenied
		case http.StatusTooManyRequests:
			p = params.ErrThrottled
		}
		if p != nil {
			return fmt.Errorf("azureparams: get secret %s: %w (%w)", ref, p, err)
		}
	}
	return fmt.Errorf("azureparams: get secret %s: %w", ref, err)
}
