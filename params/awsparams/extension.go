package awsparams

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/faasport/faasport/params"
)

// DefaultExtensionPort is the port the AWS Parameters and Secrets Lambda
// Extension listens on unless PARAMETERS_SECRETS_EXTENSION_HTTP_PORT says
// otherwise.
const DefaultExtensionPort = 2773

// maxExtensionAnswer bounds the bytes read from the extension: a Secrets
// Manager secret is at most 64 KiB, base64 and the JSON around it add less
// than half again.
const maxExtensionAnswer = 256 << 10

// Extension reads parameters and secrets through the AWS Parameters and
// Secrets Lambda Extension, a layer that runs beside the function, answers
// on localhost and keeps its own cache, so that the function's package
// needs no AWS SDK client. [Extension.Parameters] and [Extension.Secrets]
// are the two params.Providers it offers.
//
// The extension has its own TTL (SSM_PARAMETER_STORE_TTL,
// SECRETS_MANAGER_TTL); a params.Cache in front avoids even the local HTTP
// call.
type Extension struct {
	endpoint string
	client   *http.Client
	token    func() string
}

// ExtensionOption configures an [Extension].
type ExtensionOption func(*Extension)

// WithEndpoint sets the extension's base URL (default
// http://localhost:$PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, port 2773
// when unset).
func WithEndpoint(u string) ExtensionOption {
	return func(e *Extension) { e.endpoint = strings.TrimSuffix(u, "/") }
}

// WithHTTPClient sets the HTTP client (default: a client of its own with no
// timeout; the fetch's context bounds each call).
func WithHTTPClient(c *http.Client) ExtensionOption { return func(e *Extension) { e.client = c } }

// WithToken sets where the X-Aws-Parameters-Secrets-Token header comes
// from (default: the AWS_SESSION_TOKEN environment variable, read at each
// call, as Lambda sets it).
func WithToken(token func() string) ExtensionOption { return func(e *Extension) { e.token = token } }

// NewExtension returns an [Extension]. It reads no environment and makes no
// call until the first fetch.
func NewExtension(opts ...ExtensionOption) *Extension {
	e := &Extension{
		client: &http.Client{},
		token:  func() string { return os.Getenv("AWS_SESSION_TOKEN") },
	}
	for _, opt := range opts {
		opt(e)
	}
	return e
}

func (e *Extension) base() string {
	if e.endpoint != "" {
		return e.endpoint
	}
	port := os.Getenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT")
	if _, err := strconv.Atoi(port); err != nil {
		port = strconv.Itoa(DefaultExtensionPort)
	}
	return "http://localhost:" + port
}

// Parameters returns a params.Provider for Parameter Store parameters,
// decrypted, with the version and label selection of [ParameterStore].
func (e *Extension) Parameters() params.Provider {
	return params.ProviderFunc(func(ctx context.Context, ref params.Ref) (string, string, error) {
		q := url.Values{"name": {ref.Name}, "withDecryption": {"true"}}
		if ref.Version != "" {
			q.Set("version", ref.Version)
		}
		if ref.Label != "" {
			q.Set("label", ref.Label)
		}
		body, err := e.get(ctx, "/systemsmanager/parameters/get", q, ref)
		if err != nil {
			return "", "", err
		}
		v, ver, err := DecodeParameterAnswer(body)
		if err != nil {
			return "", "", fmt.Errorf("awsparams: extension: parameter %s: %w", ref, err)
		}
		return v, ver, nil
	})
}

// Secrets returns a params.Provider for Secrets Manager secrets, with the
// VersionId and staging label selection of [SecretsManager].
func (e *Extension) Secrets() params.Provider {
	return params.ProviderFunc(func(ctx context.Context, ref params.Ref) (string, string, error) {
		q := url.Values{"secretId": {ref.Name}}
		if ref.Version != "" {
			q.Set("versionId", ref.Version)
		}
		if ref.Label != "" {
			q.Set("versionStage", ref.Label)
		}
		body, err := e.get(ctx, "/secretsmanager/get", q, ref)
		if err != nil {
			return "", "", err
		}
		v, ver, err := DecodeSecretAnswer(body)
		if err != nil {
			return "", "", fmt.Errorf("awsparams: extension: secret %s: %w", ref, err)
		}
		return v, ver, nil
	})
}

func (e *Extension) get(ctx context.Context, path string, q url.Values, ref params.Ref) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base()+path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("awsparams: extension: %s: %w", ref, err)
	}
	req.Header.Set("X-Aws-Parameters-Secrets-Token", e.token())
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("awsparams: extension: get %s: %w; is the AWS Parameters and Secrets Lambda Extension layer added to the function?", ref, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxExtensionAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("awsparams: extension: read answer for %s: %w", ref, err)
	}
	if len(body) > maxExtensionAnswer {
		return nil, fmt.Errorf("awsparams: extension: answer for %s is larger than %d bytes", ref, maxExtensionAnswer)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, extensionError(resp.StatusCode, body, ref)
	}
	return body, nil
}

// extensionError maps a failed answer. The extension relays the service's
// error code in its body text (its shape is not documented), so the code is
// looked for there, then the status.
func extensionError(status int, body []byte, ref params.Ref) error {
	cause := fmt.Errorf("HTTP %d: %.200s", status, strings.TrimSpace(string(body)))
	for _, code := range []string{
		"ParameterVersionNotFound", "ParameterNotFound", "ResourceNotFoundException",
		"AccessDeniedException", "DecryptionFailure", "UnrecognizedClientException", "ExpiredTokenException",
		"ThrottlingException", "TooManyRequestsException",
	} {
		if strings.Contains(string(body), code) {
			return fmt.Errorf("awsparams: extension: get %s: %w (%w)", ref, portable(code), cause)
		}
	}
	if p := portableStatus(status); p != nil {
		return fmt.Errorf("awsparams: extension: get %s: %w (%w)", ref, p, cause)
	}
	return fmt.Errorf("awsparams: extension: get %s: %w", ref, cause)
}

// DecodeParameterAnswer reads the value and version out of a GetParameter
// answer as the extension relays it ({"Parameter":{"Value":…,"Version":…}}).
func DecodeParameterAnswer(body []byte) (value, version string, err error) {
	var a struct {
		Parameter *struct {
			Value   *string
			Version json.Number
		}
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return "", "", fmt.Errorf("decode the GetParameter answer: %s", jsonReason(err))
	}
	if a.Parameter == nil || a.Parameter.Value == nil {
		return "", "", fmt.Errorf("the GetParameter answer has no Parameter.Value")
	}
	return *a.Parameter.Value, a.Parameter.Version.String(), nil
}

// DecodeSecretAnswer reads the value and VersionId out of a GetSecretValue
// answer as the extension relays it: SecretString, else SecretBinary
// (base64).
func DecodeSecretAnswer(body []byte) (value, version string, err error) {
	var a struct {
		SecretString *string
		SecretBinary *string
		VersionID    string `json:"VersionId"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return "", "", fmt.Errorf("decode the GetSecretValue answer: %s", jsonReason(err))
	}
	switch {
	case a.SecretString != nil:
		return *a.SecretString, a.VersionID, nil
	case a.SecretBinary != nil:
		b, err := base64.StdEncoding.DecodeString(*a.SecretBinary)
		if err != nil {
			return "", "", fmt.Errorf("the GetSecretValue answer's SecretBinary is not base64")
		}
		return string(b), a.VersionID, nil
	}
	return "", "", fmt.Errorf("the GetSecretValue answer has neither SecretString nor SecretBinary")
}

// jsonReason describes a JSON error without quoting the answer, which holds
// the secret.
func jsonReason(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("invalid JSON at byte offset %d", e.Offset)
	case *json.UnmarshalTypeError:
		kind, _, _ := strings.Cut(e.Value, " ")
		return fmt.Sprintf("a JSON %s at %q", kind, e.Field)
	}
	return "malformed answer"
}
