package lambda

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const v2Typical = `{"version":"2.0","routeKey":"POST /orders","rawPath":"/orders","rawQueryString":"a=1&b=%20","cookies":["s=1","t=2"],` +
	`"headers":{"content-type":"application/json","x-forwarded-for":"198.51.100.7"},"queryStringParameters":{"a":"1","b":" "},` +
	`"pathParameters":{"id":"7"},"stageVariables":null,"requestContext":{"routeKey":"POST /orders","accountId":"123456789012","stage":"$default",` +
	`"requestId":"JKJaXmPLvHcESHA=","apiId":"r3pmxmplak","domainName":"api.example.com","domainPrefix":"api","time":"10/Mar/2025:19:03:58 +0000",` +
	`"timeEpoch":1741633438000,"http":{"method":"POST","path":"/orders","protocol":"HTTP/1.1","sourceIp":"198.51.100.7","userAgent":"curl/8"}},` +
	`"body":"{\"orderId\":\"o-1\"}","isBase64Encoded":false}`

func TestV2Decoder(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		took bool
	}{
		{"typical", v2Typical, true},
		{"empty", `{}`, true},
		{"nulls", `{"cookies":null,"headers":null,"requestContext":null,"isBase64Encoded":null,"body":null}`, true},
		{"null context members", `{"requestContext":{"authorizer":null,"authentication":null,"http":null,"timeEpoch":null}}`, true},
		{"empty cookies", `{"cookies":[],"headers":{}}`, true},
		{"base64 body", `{"body":"aGk=","isBase64Encoded":true}`, true},
		{"negative epoch", `{"requestContext":{"timeEpoch":-5}}`, true},
		{"unknown members", `{"x":{"y":[1,2.5]},"requestContext":{"z":true,"http":{"w":null}}}`, true},

		{"JWT authorizer", `{"requestContext":{"authorizer":{"jwt":{"claims":{"sub":"1"},"scopes":["a"]},"lambda":null,"iam":null}}}`, true},
		{"IAM authorizer", `{"requestContext":{"authorizer":{"iam":{"accessKey":"k","cognitoIdentity":{"amr":["x"],"identityId":"i"},"userArn":"u"}}}}`, true},
		{"empty authorizer", `{"requestContext":{"authorizer":{}}}`, true},
		{"client certificate", `{"requestContext":{"authentication":{"clientCert":{"subjectDN":"x","validity":{"notAfter":"a","notBefore":"b"}}}}}`, true},
		{"Lambda authorizer", `{"requestContext":{"authorizer":{"lambda":{"user":"u","n":1}}}}`, false},
		{"case-folded authorizer field", `{"requestContext":{"authorizer":{"JWT":null}}}`, false},
		{"fractional epoch", `{"requestContext":{"timeEpoch":1.5}}`, false},
		{"exponent epoch", `{"requestContext":{"timeEpoch":1e3}}`, false},
		{"overflowing epoch", `{"requestContext":{"timeEpoch":99999999999999999999}}`, false},
		{"string epoch", `{"requestContext":{"timeEpoch":"1"}}`, false},
		{"string bool", `{"isBase64Encoded":"true"}`, false},
		{"number header", `{"headers":{"a":1}}`, false},
		{"case-folded field", `{"RawPath":"/"}`, false},
		{"case-folded context field", `{"requestContext":{"HTTP":{}}}`, false},
		{"repeated field", `{"body":"a","body":"b"}`, false},
		{"truncated", v2Typical[:len(v2Typical)-1], false},
		{"bad literal", `{"isBase64Encoded":tru}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d jsonDecoder
			assert.Equal(t, tc.took, checkV2Decoder(t, &d, []byte(tc.raw)))
		})
	}
}

// TestV2DecoderFixtureSweep holds the decoder to encoding/json on every
// object in aws-lambda-go's fixtures; the HTTP API requests (but those
// with a Lambda authorizer's context) it must decode itself.
func TestV2DecoderFixtureSweep(t *testing.T) {
	dir := awsFixtures(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	var d jsonDecoder
	objects, took, requests := 0, 0, 0
	for _, path := range files {
		payload, err := os.ReadFile(path)
		require.NoError(t, err)
		eachObject(payload, func(obj []byte) {
			objects++
			ok := checkV2Decoder(t, &d, obj)
			if ok {
				took++
			}
			rc := member(obj, "requestContext")
			if stringValue(member(obj, "version")) == "2.0" && rc != nil && member(obj, "rawPath") != nil &&
				!strings.Contains(string(rc), `"lambda"`) {
				requests++
				assert.True(t, ok, "%s: the decoder left an HTTP API request to encoding/json", filepath.Base(path))
			}
		})
	}
	require.NotZero(t, requests, "no HTTP API request without authorizer in the fixtures")
	t.Logf("%d fixtures, %d objects, %d decoded by the decoder (%d HTTP API requests)", len(files), objects, took, requests)
}

// FuzzV2Request is the decoder against encoding/json on arbitrary bytes.
func FuzzV2Request(f *testing.F) {
	f.Add([]byte(v2Typical))
	f.Add([]byte(`{"requestContext":{"timeEpoch":-0,"http":{"method":"GET"},"authorizer":null},"isBase64Encoded":true,"cookies":[]}`))
	var d jsonDecoder
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkV2Decoder(t, &d, raw)
	})
}
