package lambda

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
)

func TestAppendV2Response(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		headers map[string]string
		cookies []string
		body    string
		b64     bool
	}{
		{name: "empty", status: 200},
		{name: "headers sorted", status: 201, headers: map[string]string{"X-B": "2", "Content-Type": "application/json", "A": "1"}, body: `{"ok":true}`},
		{name: "cookies and base64", status: 200, headers: map[string]string{}, cookies: []string{"a=1", "b=<2>"}, body: "aGk=", b64: true},
		{name: "escapes", status: 500, headers: map[string]string{"k\"\\": "<&>\u2028\u2029\b\f\n\r\t\x01\x7f"}, body: "caf\xe9 \xff ok é 😀"},
		{name: "empty cookies", status: 204, cookies: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(&events.APIGatewayV2HTTPResponse{StatusCode: tt.status, Headers: tt.headers, Cookies: tt.cookies, Body: tt.body, IsBase64Encoded: tt.b64})
			require.NoError(t, err)
			require.Equal(t, string(want), string(appendV2Response(nil, tt.status, tt.headers, tt.cookies, tt.body, tt.b64)))
		})
	}
}

// FuzzV2Response holds appendV2Response to encoding/json's bytes for the
// same response.
func FuzzV2Response(f *testing.F) {
	f.Add(200, "Content-Type", "application/json", "a=1", `{"ok":true}`, false)
	f.Add(302, "Location", "/x?a=<b>&c", "", "caf\xe9\u2028", true)
	f.Fuzz(func(t *testing.T, status int, key, value, cookie, body string, b64 bool) {
		headers := map[string]string{key: value, "z" + value: key}
		cookies := []string{cookie, body}
		want, err := json.Marshal(&events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers, Cookies: cookies, Body: body, IsBase64Encoded: b64})
		require.NoError(t, err)
		require.Equal(t, string(want), string(appendV2Response(nil, status, headers, cookies, body, b64)))
	})
}
