package lambda

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIsFunctionURL(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload string
		want    bool
	}{
		{"compact", `{"requestContext":{"domainName":"abc.lambda-url.us-east-1.on.aws"}}`, true},
		{"spaced", "{\"requestContext\": {\"domainName\" :\n \"abc.lambda-url.us-east-1.on.aws\"}}", true},
		{"name as a value first", `{"x":["domainName"],"requestContext":{"domainName":"abc.lambda-url.us-east-1.on.aws"}}`, true},
		{"HTTP API", `{"requestContext":{"domainName":"api.example.com"}}`, false},
		{"no domain", `{"requestContext":{}}`, false},
		{"not a string", `{"requestContext":{"domainName":null}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, isFunctionURL([]byte(tc.payload)))
		})
	}
}
