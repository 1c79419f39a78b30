// Package azureparams reads secrets from Azure Key Vault as a
// params.Provider, through azsecrets over Key Vault's REST API:
//
//	cred, err := azidentity.NewDefaultAzureCredential(nil)
//	client, err := azsecrets.NewClient("https://my-vault.vault.azure.net/", cred, nil)
//	secrets := params.New(azureparams.New(client))
//	key, err := secrets.Get(ctx, "webhook-key")
//
// This is a module of its own, so that only functions that read Key Vault
// link the Azure SDK.
//
// A params.Ref names a secret; Ref.Version selects a version id, else the
// current version is read. Key Vault has no labels: a Ref with a Label is
// params.ErrUnsupported. The version returned is the id of the version
// served, so a rotation shows.
//
// Errors map to the portable ones of params: 404 (SecretNotFound) to
// params.ErrNotFound, 401 and 403 (including a disabled secret) to
// params.ErrAccessDenied, 429 to params.ErrThrottled. The
// *azcore.ResponseError stays reachable with errors.As.
package azureparams
