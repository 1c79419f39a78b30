package awsparams_test

import (
	"context"
	"encoding/base64"
	"errors"
	"github.com/faasport/faasport/params/paramstest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/params"
	"github.com/faasport/faasport/params/awsparams"
)

func ssmParameter(name, value string, version int) answer {
	return answer{200, map[string]any{"Parameter": map[string]any{
		"Name": name, "Type": "SecureString", "Value": value, "Version": version,
		"ARN": "arn:aws:ssm:eu-west-1:123456789012:parameter" + name, "DataType": "text",
		"LastModifiedDate": 1.7e9,
	}}}
}

func TestParameterStore(t *testing.T) {
	tests := []struct {
		name     string
		ref      params.Ref
		answer   answer
		wantName string
		want     string
		wantVer  string
		wantErr  error
		wantCode string
	}{
		{name: "current", ref: params.Ref{Name: "/prod/db/url"}, answer: ssmParameter("/prod/db/url", "postgres://x", 3), wantName: "/prod/db/url", want: "postgres://x", wantVer: "3"},
		{name: "version", ref: params.Ref{Name: "/p", Version: "2"}, answer: ssmParameter("/p", "old", 2), wantName: "/p:2", want: "old", wantVer: "2"},
		{name: "label", ref: params.Ref{Name: "/p", Label: "stable"}, answer: ssmParameter("/p", "lab", 5), wantName: "/p:stable", want: "lab", wantVer: "5"},
		{name: "not found", ref: params.Ref{Name: "/nope"}, answer: awsError(400, "ParameterNotFound", ""), wantName: "/nope", wantErr: params.ErrNotFound, wantCode: "ParameterNotFound"},
		{name: "version not found", ref: params.Ref{Name: "/p", Version: "9"}, answer: awsError(400, "ParameterVersionNotFound", "no v9"), wantName: "/p:9", wantErr: params.ErrNotFound, wantCode: "ParameterVersionNotFound"},
		{name: "access denied", ref: params.Ref{Name: "/p"}, answer: awsError(400, "AccessDeniedException", "User is not authorized to perform: ssm:GetParameter"), wantName: "/p", wantErr: params.ErrAccessDenied, wantCode: "AccessDeniedException"},
		{name: "throttled", ref: params.Ref{Name: "/p"}, answer: awsError(400, "ThrottlingException", "Rate exceeded"), wantName: "/p", wantErr: params.ErrThrottled, wantCode: "ThrottlingException"},
		{name: "bad credentials", ref: params.Ref{Name: "/p"}, answer: awsError(400, "UnrecognizedClientException", "The security token included in the request is invalid."), wantName: "/p", wantErr: params.ErrAccessDenied, wantCode: "UnrecognizedClientException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newAWSFake(t, func(target string, in map[string]any) answer {
				if target != "AmazonSSM.GetParameter" {
					return awsError(400, "UnknownOperationException", target)
				}
				return tt.answer
			})
			v, ver, err := awsparams.NewParameterStore(f.ssmClient()).Fetch(context.Background(), tt.ref)
			req := f.lastRequest()
			assert.Equal(t, tt.wantName, req["Name"])
			assert.Equal(t, true, req["WithDecryption"])
			if tt.wantErr != nil {
				paramstest.CheckMapped(t, err, tt.wantErr)
				var ae smithy.APIError
				require.ErrorAs(t, err, &ae, "the SDK's error stays reachable")
				assert.Equal(t, tt.wantCode, ae.ErrorCode())
				assert.Contains(t, err.Error(), "awsparams: get parameter "+tt.ref.String())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, v)
			assert.Equal(t, tt.wantVer, ver)
		})
	}
}

func TestParameterStoreVersionAndLabel(t *testing.T) {
	f := newAWSFake(t, func(string, map[string]any) answer { return ssmParameter("/p", "v", 1) })
	_, _, err := awsparams.NewParameterStore(f.ssmClient()).Fetch(context.Background(), params.Ref{Name: "/p", Version: "1", Label: "x"})
	paramstest.CheckMapped(t, err, params.ErrUnsupported)
	assert.Zero(t, f.calls.Load())
}

func TestParameterStoreServerError(t *testing.T) {
	f := newAWSFake(t, func(string, map[string]any) answer { return awsError(500, "InternalServerError", "oops") })
	_, _, err := awsparams.NewParameterStore(f.ssmClient()).Fetch(context.Background(), params.Ref{Name: "/p"})
	paramstest.CheckMapped(t, err, nil)
}

func secretAnswer(fields map[string]any) answer {
	out := map[string]any{
		"ARN":           "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/key-AbCdEf",
		"Name":          "prod/key",
		"VersionStages": []string{"AWSCURRENT"},
		"CreatedDate":   1.7e9,
	}
	for k, v := range fields {
		out[k] = v
	}
	return answer{200, out}
}

func TestSecretsManager(t *testing.T) {
	const current, previous = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", "a1b2c3d4-5678-90ab-cdef-EXAMPLE22222"
	respond := func(target string, in map[string]any) answer {
		if target != "secretsmanager.GetSecretValue" {
			return awsError(400, "UnknownOperationException", target)
		}
		switch in["SecretId"] {
		case "prod/key":
		case "prod/binary":
			return secretAnswer(map[string]any{"SecretBinary": base64.StdEncoding.EncodeToString([]byte{0, 1, 0xff}), "VersionId": current})
		case "denied":
			return awsError(400, "AccessDeniedException", "not authorized to perform: secretsmanager:GetSecretValue")
		case "kms":
			return awsError(400, "DecryptionFailure", "KMS cannot decrypt")
		case "busy":
			return awsError(400, "ThrottlingException", "Rate exceeded")
		default:
			return awsError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		}
		switch {
		case in["VersionStage"] == "AWSPREVIOUS" || in["VersionId"] == previous:
			return secretAnswer(map[string]any{"SecretString": "old", "VersionId": previous, "VersionStages": []string{"AWSPREVIOUS"}})
		case in["VersionStage"] == nil && in["VersionId"] == nil:
			return secretAnswer(map[string]any{"SecretString": "new", "VersionId": current})
		}
		return awsError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label")
	}
	tests := []struct {
		name    string
		ref     params.Ref
		want    string
		wantVer string
		wantErr error
	}{
		{name: "current", ref: params.Ref{Name: "prod/key"}, want: "new", wantVer: current},
		{name: "previous stage", ref: params.Ref{Name: "prod/key", Label: "AWSPREVIOUS"}, want: "old", wantVer: previous},
		{name: "version id", ref: params.Ref{Name: "prod/key", Version: previous}, want: "old", wantVer: previous},
		{name: "missing stage", ref: params.Ref{Name: "prod/key", Label: "AWSPENDING"}, wantErr: params.ErrNotFound},
		{name: "binary", ref: params.Ref{Name: "prod/binary"}, want: "\x00\x01\xff", wantVer: current},
		{name: "not found", ref: params.Ref{Name: "nope"}, wantErr: params.ErrNotFound},
		{name: "access denied", ref: params.Ref{Name: "denied"}, wantErr: params.ErrAccessDenied},
		{name: "kms decryption", ref: params.Ref{Name: "kms"}, wantErr: params.ErrAccessDenied},
		{name: "throttled", ref: params.Ref{Name: "busy"}, wantErr: params.ErrThrottled},
	}
	f := newAWSFake(t, respond)
	p := awsparams.NewSecretsManager(f.secretsClient())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ver, err := p.Fetch(context.Background(), tt.ref)
			req := f.lastRequest()
			assert.Equal(t, tt.ref.Name, req["SecretId"])
			if tt.wantErr != nil {
				paramstest.CheckMapped(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, v)
			assert.Equal(t, tt.wantVer, ver)
		})
	}
}

// A cold start under load: 100 concurrent callers, one GetSecretValue.
func TestCacheOneCallForConcurrentColdStart(t *testing.T) {
	f := newAWSFake(t, func(string, map[string]any) answer {
		return secretAnswer(map[string]any{"SecretString": "s", "VersionId": "v1"})
	})
	f.gate = make(chan struct{})
	c := params.New(awsparams.NewSecretsManager(f.secretsClient()))
	paramstest.CheckConcurrentColdStart(t, paramstest.ColdStart{
		Cache: c, Ref: params.Ref{Name: "prod/key"}, Secret: "s", Version: "v1",
		Release: func() { close(f.gate) }, Calls: f.calls.Load,
	})
}

// The SDK's own retry loop absorbs a short burst of throttling.
func TestThrottlingRetriedBySDK(t *testing.T) {
	var n int
	var mu sync.Mutex
	f := newAWSFake(t, func(string, map[string]any) answer {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n <= 2 {
			return awsError(400, "ThrottlingException", "Rate exceeded")
		}
		return ssmParameter("/p", "v", 1)
	})
	client := f.ssmClient(func(o *ssm.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 3
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	})
	v, _, err := awsparams.NewParameterStore(client).Fetch(context.Background(), params.Ref{Name: "/p"})
	require.NoError(t, err)
	assert.Equal(t, "v", v)
	assert.EqualValues(t, 3, f.calls.Load())
}

// When the service throttles after the TTL, the cache serves the last good
// value and does not call again within its back-off.
func TestCacheServesStaleWhenThrottled(t *testing.T) {
	var throttle bool
	var mu sync.Mutex
	f := newAWSFake(t, func(string, map[string]any) answer {
		mu.Lock()
		defer mu.Unlock()
		if throttle {
			return awsError(400, "ThrottlingException", "Rate exceeded")
		}
		return ssmParameter("/p", "good", 1)
	})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := params.New(awsparams.NewParameterStore(f.ssmClient()),
		params.WithTTL(time.Minute), params.WithErrorBackoff(10*time.Second),
		params.WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now }))
	_, err := c.Get(context.Background(), "/p")
	require.NoError(t, err)

	mu.Lock()
	throttle = true
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	for range 3 {
		v, err := c.Value(context.Background(), params.Ref{Name: "/p"})
		require.NoError(t, err)
		assert.Equal(t, "good", v.Secret.Reveal())
		assert.True(t, v.Stale)
	}
	assert.EqualValues(t, 2, f.calls.Load())
}

func TestCanceledContext(t *testing.T) {
	f := newAWSFake(t, func(string, map[string]any) answer { return ssmParameter("/p", "v", 1) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := awsparams.NewParameterStore(f.ssmClient()).Fetch(ctx, params.Ref{Name: "/p"})
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled))
}
