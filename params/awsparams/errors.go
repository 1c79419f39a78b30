package awsparams

import (
	"errors"
	"fmt"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/faasport/faasport/params"
)

// portable returns the params error an AWS error code stands for, or nil.
func portable(code string) error {
	switch code {
	case "ParameterNotFound", "ParameterVersionNotFound", "ResourceNotFoundException":
		return params.ErrNotFound
	case "AccessDeniedException", "AccessDenied", "DecryptionFailure",
		"UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException":
		return params.ErrAccessDenied
	case "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded":
		return params.ErrThrottled
	}
	return nil
}

// portableStatus returns the params error an HTTP status stands for, or nil.
func portableStatus(code int) error {
	switch code {
	case http.StatusNotFound:
		return params.ErrNotFound
	case http.StatusUnauthorized, http.StatusForbidden:
		return params.ErrAccessDenied
	case http.StatusTooManyRequests:
		return params.ErrThrottled
	}
	return nil
}

// wrap prefixes err with what was done and adds the portable error.
func wrap(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if p := portable(ae.ErrorCode()); p != nil {
			return fmt.Errorf("awsparams: %s: %w (%w)", what, p, err)
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		if p := portableStatus(re.HTTPStatusCode()); p != nil {
			return fmt.Errorf("awsparams: %s: %w (%w)", what, p, err)
		}
	}
	return fmt.Errorf("awsparams: %s: %w", what, err)
}
