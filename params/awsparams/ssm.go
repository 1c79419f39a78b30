package awsparams

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/faasport/faasport/params"
)

// SSMAPI is the part of *ssm.Client that [ParameterStore] uses.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// ParameterStore is a params.Provider over Systems Manager Parameter Store.
// SecureString parameters are decrypted.
type ParameterStore struct {
	client SSMAPI
}

// NewParameterStore returns a provider that reads parameters with client
// (an *ssm.Client).
func NewParameterStore(client SSMAPI) *ParameterStore { return &ParameterStore{client: client} }

// Fetch reads the parameter ref.Name (a name or path such as
// "/prod/db/url", or an ARN), selecting ref.Version (a version number) or
// ref.Label (a parameter label); not both. The version returned is the
// parameter's version number.
func (p *ParameterStore) Fetch(ctx context.Context, ref params.Ref) (string, string, error) {
	name := ref.Name
	switch {
	case ref.Version != "" && ref.Label != "":
		return "", "", fmt.Errorf("awsparams: parameter %s: select a version or a label, not both: %w", ref, params.ErrUnsupported)
	case ref.Version != "":
		name += ":" + ref.Version
	case ref.Label != "":
		name += ":" + ref.Label
	}
	out, err := p.client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return "", "", wrap(err, "get parameter %s", ref)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", "", fmt.Errorf("awsparams: get parameter %s: the answer has no value", ref)
	}
	return *out.Parameter.Value, strconv.FormatInt(out.Parameter.Version, 10), nil
}
