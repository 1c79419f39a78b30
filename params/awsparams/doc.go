// Package awsparams reads parameters and secrets from AWS: Systems Manager
// Parameter Store ([ParameterStore]), Secrets Manager ([SecretsManager]) and
// the AWS Parameters and Secrets Lambda Extension's local HTTP endpoint
// ([Extension]). Each is a params.Provider; put a params.Cache in front:
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	secrets := params.New(awsparams.NewSecretsManager(secretsmanager.NewFromConfig(cfg)))
//	key, err := secrets.Get(ctx, "prod/webhook-key")
//
// This is a module of its own, so that only functions that read AWS
// configuration link the SDK clients.
//
// Versions: for Parameter Store, params.Ref.Version is a parameter version
// number and Label a parameter label (sent as the "name:selector" form);
// for Secrets Manager, Version is a VersionId and Label a staging label
// (AWSCURRENT, AWSPREVIOUS, AWSPENDING or your own).
//
// Errors map to the portable ones of params: ParameterNotFound,
// ParameterVersionNotFound and ResourceNotFoundException to
// params.ErrNotFound; AccessDeniedException, DecryptionFailure and rejected
// credentials to params.ErrAccessDenied; ThrottlingException and HTTP 429 to
// params.ErrThrottled. The SDK's error stays reachable with errors.As.
package awsparams
