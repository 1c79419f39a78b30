package lambda_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
)

// seen is what the HTTP handler observed.
type seen struct {
	method, uri, path, rawPath, query, host, remote string
	header                                          http.Header
	body                                            []byte
	cookies                                         []*http.Cookie
	inv                                             function.Invocation
}

// capture answers with a binary body, two cookies and a repeated header.
func capture(s *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.method, s.uri, s.path, s.rawPath, s.query = r.Method, r.RequestURI, r.URL.Path, r.URL.RawPath, r.URL.RawQuery
		s.host, s.remote, s.header, s.cookies = r.Host, r.RemoteAddr, r.Header, r.Cookies()
		s.body, _ = io.ReadAll(r.Body)
		s.inv = *function.FromContext(r.Context())
		w.Header().Set("Content-Type", "image/png")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		http.SetCookie(w, &http.Cookie{Name: "s", Value: "1"})
		http.SetCookie(w, &http.Cookie{Name: "t", Value: "2"})
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte{0x89, 'P', 'N', 'G'})
	})
}

func TestHTTPRequests(t *testing.T) {
	v2 := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: "/files/a%2Fb", RawQueryString: "x=1&x=2&y=%20",
		Cookies: []string{"c1=v1", "c2=v2"},
		Headers: map[string]string{"host": "api.example.com", "content-type": "application/octet-stream"},
		Body:    base64.StdEncoding.EncodeToString([]byte{0, 1, 2}), IsBase64Encoded: true,
		RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: "api.example.com",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "PUT", SourceIP: "198.51.100.7"}},
	}
	url := v2
	url.RequestContext.DomainName = "abc.lambda-url.us-east-1.on.aws"
	v1 := events.APIGatewayProxyRequest{
		HTTPMethod: "POST", Path: "/items/a b", Body: "plain",
		MultiValueHeaders:               map[string][]string{"Host": {"rest.example.com"}, "Accept": {"a", "b"}, "Cookie": {"c1=v1"}},
		MultiValueQueryStringParameters: map[string][]string{"q": {"1 2", "3"}},
		RequestContext:                  events.APIGatewayProxyRequestContext{Identity: events.APIGatewayRequestIdentity{SourceIP: "192.0.2.1"}},
	}
	albSingle := events.ALBTargetGroupRequest{
		HTTPMethod: "GET", Path: "/alb", QueryStringParameters: map[string]string{"q": "a%20b"},
		Headers:        map[string]string{"host": "alb.example.com", "x-forwarded-for": "203.0.113.5, 10.0.0.1", "cookie": "c1=v1"},
		RequestContext: events.ALBTargetGroupRequestContext{ELB: events.ELBContext{TargetGroupArn: "arn:tg"}},
	}
	albMulti := albSingle
	albMulti.Headers, albMulti.QueryStringParameters = nil, nil
	albMulti.MultiValueHeaders = map[string][]string{"host": {"alb.example.com"}, "accept": {"a", "b"}, "cookie": {"c1=v1"}}
	albMulti.MultiValueQueryStringParameters = map[string][]string{"q": {"a%20b", "c"}}

	tests := []struct {
		name    string
		payload any
		check   func(t *testing.T, s *seen, out []byte)
	}{
		{"API Gateway v2", v2, func(t *testing.T, s *seen, out []byte) {
			assert.Equal(t, "PUT", s.method)
			assert.Equal(t, "/files/a%2Fb?x=1&x=2&y=%20", s.uri)
			assert.Equal(t, "/files/a/b", s.path)
			assert.Equal(t, "/files/a%2Fb", s.rawPath)
			assert.Equal(t, "api.example.com", s.host)
			assert.Equal(t, "198.51.100.7", s.remote)
			assert.Equal(t, []byte{0, 1, 2}, s.body)
			require.Len(t, s.cookies, 2)
			assert.Equal(t, "v2", s.cookies[1].Value)
			_, ok := s.inv.Native.(*events.APIGatewayV2HTTPRequest)
			assert.True(t, ok, "Native is %T", s.inv.Native)
			var r events.APIGatewayV2HTTPResponse
			require.NoError(t, json.Unmarshal(out, &r))
			assert.Equal(t, 201, r.StatusCode)
			assert.True(t, r.IsBase64Encoded)
			assert.Equal(t, base64.StdEncoding.EncodeToString([]byte{0x89, 'P', 'N', 'G'}), r.Body)
			assert.Equal(t, []string{"s=1", "t=2"}, r.Cookies)
			assert.Equal(t, "a,b", r.Headers["X-Multi"])
		}},
		{"Function URL", url, func(t *testing.T, s *seen, out []byte) {
			_, ok := s.inv.Native.(*events.LambdaFunctionURLRequest)
			assert.True(t, ok, "Native is %T", s.inv.Native)
			var r events.LambdaFunctionURLResponse
			require.NoError(t, json.Unmarshal(out, &r))
			assert.Equal(t, 201, r.StatusCode)
			assert.Equal(t, []string{"s=1", "t=2"}, r.Cookies)
		}},
		{"API Gateway v1 multi-value", v1, func(t *testing.T, s *seen, out []byte) {
			assert.Equal(t, "POST", s.method)
			assert.Equal(t, "/items/a b", s.path)
			assert.Equal(t, "/items/a%20b?q=1+2&q=3", s.uri)
			assert.Equal(t, []string{"a", "b"}, s.header["Accept"])
			assert.Equal(t, "rest.example.com", s.host)
			assert.Equal(t, "192.0.2.1", s.remote)
			assert.Equal(t, "plain", string(s.body))
			require.Len(t, s.cookies, 1)
			_, ok := s.inv.Native.(*events.APIGatewayProxyRequest)
			assert.True(t, ok)
			var r events.APIGatewayProxyResponse
			require.NoError(t, json.Unmarshal(out, &r))
			assert.Equal(t, []string{"a", "b"}, r.MultiValueHeaders["X-Multi"])
			assert.Equal(t, []string{"s=1", "t=2"}, r.MultiValueHeaders["Set-Cookie"])
			assert.True(t, r.IsBase64Encoded)
		}},
		{"ALB single-value", albSingle, func(t *testing.T, s *seen, out []byte) {
			assert.Equal(t, "/alb?q=a%20b", s.uri)
			assert.Equal(t, "203.0.113.5", s.remote)
			assert.Equal(t, "alb.example.com", s.host)
			var r events.ALBTargetGroupResponse
			require.NoError(t, json.Unmarshal(out, &r))
			assert.Equal(t, "201 Created", r.StatusDescription)
			assert.Nil(t, r.MultiValueHeaders)
			assert.Equal(t, "a, b", r.Headers["X-Multi"])
		}},
		{"ALB multi-value", albMulti, func(t *testing.T, s *seen, out []byte) {
			assert.Equal(t, "/alb?q=a%20b&q=c", s.uri)
			assert.Equal(t, []string{"a", "b"}, s.header["Accept"])
			var r events.ALBTargetGroupResponse
			require.NoError(t, json.Unmarshal(out, &r))
			assert.Equal(t, []string{"s=1", "t=2"}, r.MultiValueHeaders["Set-Cookie"])
			assert.Nil(t, r.Headers)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &seen{}
			h := lambda.New(lambda.HTTP(capture(s)), lambda.WithLogger(quietLogger()))
			out, err := h.Invoke(lambdaCtx(t), mustJSON(t, tc.payload))
			require.NoError(t, err)
			assert.Equal(t, function.TriggerHTTP, s.inv.Trigger)
			assert.Equal(t, "req-1", s.inv.RequestID)
			tc.check(t, s, out)
		})
	}
}

func TestHTTPResponseDefaults(t *testing.T) {
	req := mustJSON(t, events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/",
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}}})
	tests := []struct {
		name    string
		handler http.Handler
		status  int
		body    string
		b64     bool
		ctype   string
	}{
		{"text is sniffed and sent as is", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hello") }), 200, "hello", false, "text/plain; charset=utf-8"},
		{"JSON stays text", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"a":1}`)
		}), 404, `{"a":1}`, false, "application/problem+json"},
		{"bytes that are not UTF-8 travel base64 whatever the type says", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte{'o', 'k', 0xff, 0xfe, 0})
		}), 200, "b2v//gA=", true, "text/plain"},
		{"empty body", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }), 204, "", false, ""},
		{"panic is a bare 500", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "partial secret")
			panic("boom")
		}), 500, "Internal Server Error\n", false, "text/plain; charset=utf-8"},
		{"no HTTP handler", nil, 501, "no HTTP handler is configured for this function\n", false, "text/plain; charset=utf-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := []lambda.Option{lambda.WithLogger(quietLogger()), lambda.Events(&recorder{})}
			if tc.handler != nil {
				opts = append(opts, lambda.HTTP(tc.handler))
			}
			out, err := lambda.New(opts...).Invoke(lambdaCtx(t), req)
			require.NoError(t, err)
			var r events.APIGatewayV2HTTPResponse
			require.NoError(t, json.Unmarshal(out, &r))
			assert.Equal(t, tc.status, r.StatusCode)
			assert.Equal(t, tc.body, r.Body)
			assert.Equal(t, tc.b64, r.IsBase64Encoded)
			assert.Equal(t, tc.ctype, r.Headers["Content-Type"])
		})
	}
}
