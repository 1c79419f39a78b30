package lambda

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkURLDecoder is checkDecoder for Function URL requests.
func checkURLDecoder(t *testing.T, d *jsonDecoder, raw []byte) bool {
	t.Helper()
	return checkDecoder(t, d.urlRequest, raw)
}

func TestURLDecoder(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		took bool
	}{
		{"typical", `{"version":"2.0","rawPath":"/p","rawQueryString":"a=1","cookies":["c=1"],"headers":{"h":"v"},"queryStringParameters":{"a":"1"},` +
			`"requestContext":{"accountId":"1","requestId":"r","authorizer":{"iam":{"accessKey":"k","userArn":"u"}},"apiId":"x","domainName":"x.lambda-url.us-east-1.on.aws",` +
			`"domainPrefix":"x","time":"t","timeEpoch":1,"http":{"method":"GET","path":"/p","protocol":"HTTP/1.1","sourceIp":"1.2.3.4","userAgent":"u"}},"body":"b","isBase64Encoded":false}`, true},
		{"HTTP API members unknown here", `{"routeKey":"$default","pathParameters":{"a":"b"},"stageVariables":null}`, true},
		{"null authorizer", `{"requestContext":{"authorizer":null,"http":null}}`, true},
		{"empty authorizer", `{"requestContext":{"authorizer":{"iam":null}}}`, true},
		{"case-folded field", `{"requestContext":{"Http":{}}}`, false},
		{"case-folded IAM field", `{"requestContext":{"authorizer":{"iam":{"UserId":"u"}}}}`, false},
		{"fractional epoch", `{"requestContext":{"timeEpoch":0.5}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d jsonDecoder
			assert.Equal(t, tc.took, checkURLDecoder(t, &d, []byte(tc.raw)))
		})
	}
}

// TestURLDecoderFixtureSweep holds the decoder to encoding/json on every
// object in aws-lambda-go's fixtures; the Function URL requests it must
// decode itself.
func TestURLDecoderFixtureSweep(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(awsFixtures(t), "*.json"))
	require.NoError(t, err)
	var d jsonDecoder
	requests := 0
	for _, path := range files {
		payload, err := os.ReadFile(path)
		require.NoError(t, err)
		eachObject(payload, func(obj []byte) {
			ok := checkURLDecoder(t, &d, obj)
			if isFunctionURL(obj) && member(obj, "rawPath") != nil {
				requests++
				assert.True(t, ok, "%s: the decoder left a Function URL request to encoding/json", filepath.Base(path))
			}
		})
	}
	require.NotZero(t, requests, "no Function URL request in the fixtures")
}

// FuzzURLRequest is the decoder against encoding/json on arbitrary bytes.
func FuzzURLRequest(f *testing.F) {
	f.Add([]byte(`{"version":"2.0","rawPath":"/","requestContext":{"authorizer":{"iam":{"userId":"u"}},"timeEpoch":1,"http":{"method":"GET"}},"body":"aGk=","isBase64Encoded":true}`))
	var d jsonDecoder
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkURLDecoder(t, &d, raw)
	})
}
