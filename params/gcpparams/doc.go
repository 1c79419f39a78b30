// Package gcpparams reads secrets from Google Cloud Secret Manager as a
// params.Provider, through cloud.google.com/go/secretmanager over gRPC:
//
//	client, err := secretmanager.NewClient(ctx)
//	secrets := params.New(gcpparams.New(client, "my-project"))
//	key, err := secrets.Get(ctx, "webhook-key")
//
// This is a module of its own, so that only functions that read Secret
// Manager link its client and gRPC.
//
// A params.Ref names a secret by its id (the project comes from [New]) or
// by its full resource name ("projects/p/secrets/s", also regional
// "projects/p/locations/l/secrets/s"). Ref.Version selects a version number,
// Ref.Label a version alias; with neither, "latest" is read. The version
// returned is the number of the version served, so a rotation shows.
// Payloads carrying a CRC32C checksum are verified.
//
// Errors map to the portable ones of params: NOT_FOUND (and a disabled or
// destroyed version, FAILED_PRECONDITION) to params.ErrNotFound;
// PERMISSION_DENIED and UNAUTHENTICATED to params.ErrAccessDenied;
// RESOURCE_EXHAUSTED to params.ErrThrottled. The gRPC status stays reachable
// (status.Code(err)).
package gcpparams
