package params

import (
	"context"
	"errors"
)

// Provider fetches values from one backing store. It is the one thing a
// backend implements; a [Cache] adds caching, request collapsing, stale
// values on failure and error wrapping on top.
//
// Fetch returns the value ref names and the version the store served ("" if
// the store has no versions). It must be safe for concurrent use. Errors
// should wrap [ErrNotFound], [ErrAccessDenied] or [ErrThrottled] where the
// store says so, and the store's own error, so callers can reach it with
// errors.As. A provider that cannot honour ref.Version or ref.Label returns
// an error wrapping [ErrUnsupported]. ctx carries the deadline of the fetch.
type Provider interface {
	Fetch(ctx context.Context, ref Ref) (value string, version string, err error)
}

// ProviderFunc adapts a function to [Provider].
type ProviderFunc func(ctx context.Context, ref Ref) (value string, version string, err error)

// Fetch calls f.
func (f ProviderFunc) Fetch(ctx context.Context, ref Ref) (string, string, error) {
	return f(ctx, ref)
}

// Ref names one value, and optionally one version of it. The zero Version
// and Label mean the current value.
type Ref struct {
	// Name is the parameter or secret name as the store knows it: an SSM
	// parameter path, a Secrets Manager name or ARN, a Secret Manager secret
	// id or full resource name, a Key Vault secret name, an environment
	// variable, a file path.
	Name string
	// Version selects a version by its id: an SSM parameter version number,
	// a Secrets Manager VersionId, a Secret Manager version number, a Key
	// Vault version id.
	Version string
	// Label selects a version by a movable name: an SSM parameter label, a
	// Secrets Manager staging label (AWSCURRENT, AWSPREVIOUS, AWSPENDING or
	// your own), a Secret Manager version alias. Key Vault has none.
	Label string
}

// String returns the name, with "@version" or "#label" when set. It is
// used in errors and logs; a Ref holds no secret.
func (r Ref) String() string {
	s := r.Name
	if r.Version != "" {
		s += "@" + r.Version
	}
	if r.Label != "" {
		s += "#" + r.Label
	}
	return s
}

// Portable errors. Providers wrap them so that errors.Is works whatever the
// store.
var (
	// ErrNotFound: no such parameter, secret or version. Check the name,
	// the region or project, and that the version exists.
	ErrNotFound = errors.New("params: not found")
	// ErrAccessDenied: the function's identity may not read the value (or
	// its encryption key). Grant it read access.
	ErrAccessDenied = errors.New("params: access denied")
	// ErrThrottled: the store refused the call for its rate. The cache
	// serves the last good value where it has one; raise the TTL to call less.
	ErrThrottled = errors.New("params: throttled")
	// ErrUnsupported: the provider cannot honour part of the [Ref] (a label
	// where the store has none).
	ErrUnsupported = errors.New("params: unsupported")
	// ErrDecode: a value could not be decoded into the Go type asked for.
	ErrDecode = errors.New("params: decode")
)
