package awsparams

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/faasport/faasport/params"
)

// SecretsManagerAPI is the part of *secretsmanager.Client that
// [SecretsManager] uses.
type SecretsManagerAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SecretsManager is a params.Provider over AWS Secrets Manager.
type SecretsManager struct {
	client SecretsManagerAPI
}

// NewSecretsManager returns a provider that reads secrets with client (a
// *secretsmanager.Client).
func NewSecretsManager(client SecretsManagerAPI) *SecretsManager {
	return &SecretsManager{client: client}
}

// Fetch reads the secret ref.Name (a name or ARN): its SecretString, or its
// SecretBinary's bytes. ref.Version selects a VersionId and ref.Label a
// staging label such as "AWSPREVIOUS"; with neither, Secrets Manager
// serves AWSCURRENT. The version returned is the VersionId served.
func (p *SecretsManager) Fetch(ctx context.Context, ref params.Ref) (string, string, error) {
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(ref.Name)}
	if ref.Version != "" {
		in.VersionId = aws.String(ref.Version)
	}
	if ref.Label != "" {
		in.VersionStage = aws.String(ref.Label)
	}
	out, err := p.client.GetSecretValue(ctx, in)
	if err != nil {
		return "", "", wrap(err, "get secret value %s", ref)
	}
	ver := aws.ToString(out.VersionId)
	switch {
	case out.SecretString != nil:
		return *out.SecretString, ver, nil
	case out.SecretBinary != nil:
		return string(out.SecretBinary), ver, nil
	}
	return "", "", fmt.Errorf("awsparams: get secret value %s: the answer has neither SecretString nor SecretBinary", ref)
}
