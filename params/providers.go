package params

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Env returns a [Provider] that reads environment variables: the value of
// name is the variable prefix+name. An unset variable is [ErrNotFound]; a
// set but empty one is an empty value. Versions and labels are
// [ErrUnsupported].
//
// Plain environment variables suit configuration; platforms that inject
// secrets as variables (Cloud Run's secret env vars, Azure Key Vault
// references in app settings) resolve them before start-up, so they are
// read here too.
func Env(prefix string) Provider {
	return ProviderFunc(func(_ context.Context, ref Ref) (string, string, error) {
		if err := noVersion("environment variable", ref); err != nil {
			return "", "", err
		}
		v, ok := os.LookupEnv(prefix + ref.Name)
		if !ok {
			return "", "", fmt.Errorf("environment variable %s is not set: %w", prefix+ref.Name, ErrNotFound)
		}
		return v, "", nil
	})
}

// FileOption configures [Files] and [Dir].
type FileOption func(*fileOptions)

type fileOptions struct{ trim bool }

// TrimTrailingNewline removes one trailing "\n" or "\r\n" from each file's
// content, as left by editors and `echo`. Secrets that are exact bytes
// (Kubernetes and Cloud Run mounts write them unchanged) do not need it.
func TrimTrailingNewline() FileOption { return func(o *fileOptions) { o.trim = true } }

// Files returns a [Provider] that reads files of fsys: the value of name is
// the content of the file at that slash-separated path. It serves secrets
// mounted as files (Cloud Run secret volumes, Kubernetes secret volumes,
// Docker and Compose secrets). A missing file is [ErrNotFound], an
// unreadable one [ErrAccessDenied], a path that leaves fsys (.., absolute) an
// error. Versions and labels are [ErrUnsupported]: a mount shows one
// version, refreshed in place by the platform, which the cache's TTL picks up.
func Files(fsys fs.FS, opts ...FileOption) Provider {
	var o fileOptions
	for _, opt := range opts {
		opt(&o)
	}
	return ProviderFunc(func(_ context.Context, ref Ref) (string, string, error) {
		if err := noVersion("mounted file", ref); err != nil {
			return "", "", err
		}
		name := strings.TrimPrefix(ref.Name, "./")
		if !fs.ValidPath(name) {
			return "", "", fmt.Errorf("file name %q must be a relative slash-separated path inside the mount: %w", ref.Name, ErrNotFound)
		}
		b, err := fs.ReadFile(fsys, name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", "", fmt.Errorf("read %s: %w (%w)", name, ErrNotFound, err)
		case errors.Is(err, fs.ErrPermission):
			return "", "", fmt.Errorf("read %s: %w (%w)", name, ErrAccessDenied, err)
		case err != nil:
			return "", "", fmt.Errorf("read %s: %w", name, err)
		}
		s := string(b)
		if o.trim && strings.HasSuffix(s, "\n") {
			s = strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
		}
		return s, "", nil
	})
}

// Dir is [Files] over the directory dir of the operating system, such as
// the mount path of a Cloud Run secret volume.
func Dir(dir string, opts ...FileOption) Provider { return Files(os.DirFS(dir), opts...) }

// Static returns a [Provider] that serves values from m, for tests and
// local runs. A missing name is [ErrNotFound]. m must not change afterwards.
func Static(m map[string]string) Provider {
	return ProviderFunc(func(_ context.Context, ref Ref) (string, string, error) {
		if err := noVersion("static value", ref); err != nil {
			return "", "", err
		}
		v, ok := m[ref.Name]
		if !ok {
			return "", "", fmt.Errorf("no static value %q: %w", ref.Name, ErrNotFound)
		}
		return v, "", nil
	})
}

func noVersion(kind string, ref Ref) error {
	if ref.Version != "" || ref.Label != "" {
		return fmt.Errorf("a %s has no versions or labels (asked for %s): %w", kind, ref, ErrUnsupported)
	}
	return nil
}

// Fallback returns a [Provider] that asks each of ps in turn and answers
// with the first that has the value: an error wrapping [ErrNotFound] moves
// on to the next, any other error is returned. Use it to let an
// environment variable override a mounted file, or a development default
// stand in for both:
//
//	params.Fallback(params.Env(""), params.Dir("/secrets"), params.Static(devDefaults))
func Fallback(ps ...Provider) Provider {
	return ProviderFunc(func(ctx context.Context, ref Ref) (string, string, error) {
		var errs []error
		for _, p := range ps {
			v, ver, err := p.Fetch(ctx, ref)
			if err == nil {
				return v, ver, nil
			}
			if !errors.Is(err, ErrNotFound) {
				return "", "", err
			}
			errs = append(errs, err)
		}
		return "", "", fmt.Errorf("no provider has %s: %w", ref, errors.Join(append(errs, ErrNotFound)...))
	})
}
