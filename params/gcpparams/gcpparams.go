package gcpparams

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/faasport/faasport/params"
)

// ErrCorrupt is wrapped by the error for a payload whose CRC32C checksum
// does not match its data.
var ErrCorrupt = errors.New("gcpparams: payload checksum mismatch")

// Client is the part of *secretmanager.Client that [SecretManager] uses.
type Client interface {
	AccessSecretVersion(ctx context.Context, req *secretmanagerpb.AccessSecretVersionRequest, opts ...gax.CallOption) (*secretmanagerpb.AccessSecretVersionResponse, error)
}

// Option configures a [SecretManager].
type Option func(*SecretManager)

// WithCallOptions adds gax call options to every AccessSecretVersion call,
// such as a retry policy of your own (the client retries UNAVAILABLE and
// RESOURCE_EXHAUSTED with back-off by default).
func WithCallOptions(opts ...gax.CallOption) Option {
	return func(s *SecretManager) { s.callOpts = append(s.callOpts, opts...) }
}

// SecretManager is a params.Provider over Google Cloud Secret Manager.
type SecretManager struct {
	client   Client
	project  string
	callOpts []gax.CallOption
}

// New returns a provider that reads the secrets of project (an id or
// number) with client (a *secretmanager.Client). project may be empty if
// every name is a full resource name.
func New(client Client, project string, opts ...Option) *SecretManager {
	s := &SecretManager{client: client, project: project}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// Fetch accesses the secret version ref names and returns its payload and
// version number.
func (s *SecretManager) Fetch(ctx context.Context, ref params.Ref) (string, string, error) {
	name, err := s.resource(ref)
	if err != nil {
		return "", "", err
	}
	resp, err := s.client.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: name}, s.callOpts...)
	if err != nil {
		return "", "", wrap(err, name)
	}
	p := resp.GetPayload()
	if p == nil {
		return "", "", fmt.Errorf("gcpparams: access %s: the answer has no payload", name)
	}
	if p.DataCrc32C != nil && int64(crc32.Checksum(p.Data, crc32.MakeTable(crc32.Castagnoli))) != *p.DataCrc32C {
		return "", "", fmt.Errorf("gcpparams: access %s: %w; the payload was damaged in transit, try again", name, ErrCorrupt)
	}
	ver := resp.GetName()
	if i := strings.LastIndex(ver, "/versions/"); i >= 0 {
		ver = ver[i+len("/versions/"):]
	}
	return string(p.Data), ver, nil
}

// resource builds the secret version's resource name.
func (s *SecretManager) resource(ref params.Ref) (string, error) {
	if ref.Version != "" && ref.Label != "" {
		return "", fmt.Errorf("gcpparams: secret %s: select a version or an alias, not both: %w", ref, params.ErrUnsupported)
	}
	name := ref.Name
	if !strings.HasPrefix(name, "projects/") {
		if s.project == "" {
			return "", fmt.Errorf("gcpparams: secret %s: no project; pass one to gcpparams.New or use a full resource name", ref)
		}
		if name == "" || strings.Contains(name, "/") {
			return "", fmt.Errorf("gcpparams: secret id %q must be a plain id or a full resource name: %w", name, params.ErrNotFound)
		}
		name = "projects/" + s.project + "/secrets/" + name
	}
	if strings.Contains(name, "/versions/") {
		if ref.Version != "" || ref.Label != "" {
			return "", fmt.Errorf("gcpparams: secret %s names a version already: %w", ref, params.ErrUnsupported)
		}
		return name, nil
	}
	version := "latest"
	switch {
	case ref.Version != "":
		version = ref.Version
	case ref.Label != "":
		version = ref.Label
	}
	return name + "/versions/" + version, nil
}

// wrap adds the portable error for the gRPC status of err.
func wrap(err error, name string) error {
	var p error
	switch status.Code(err) {
	case codes.NotFound, codes.FailedPrecondition:
		p = params.ErrNotFound
	case codes.PermissionDenied, codes.Unauthenticated:
		p = params.ErrAccessDenied
	case codes.ResourceExhausted:
		p = params.ErrThrottled
	}
	if p != nil {
		return fmt.Errorf("gcpparams: access %s: %w (%w)", name, p, err)
	}
	return fmt.Errorf("gcpparams: access %s: %w", name, err)
}
