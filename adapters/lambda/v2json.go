package lambda

import (
	"strconv"

	"github.com/aws/aws-lambda-go/events"
)

// The JSON names of the HTTP API request's fields at each level, for the
// case-insensitive match encoding/json also makes.
var (
	v2RequestFieldNames = [...]string{"version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers",
		"queryStringParameters", "pathParameters", "requestContext", "stageVariables", "body", "isBase64Encoded"}
	v2ContextFieldNames = [...]string{"routeKey", "accountId", "stage", "requestId", "authorizer", "apiId",
		"domainName", "domainPrefix", "time", "timeEpoch", "http", "authentication"}
	v2HTTPFieldNames       = [...]string{"method", "path", "protocol", "sourceIp", "userAgent"}
	v2AuthorizerFieldNames = [...]string{"jwt", "lambda", "iam"}
	v2JWTFieldNames        = [...]string{"claims", "scopes"}
	v2IAMFieldNames        = [...]string{"accessKey", "accountId", "callerId", "cognitoIdentity", "principalOrgId", "userArn", "userId"}
	v2CognitoFieldNames    = [...]string{"amr", "identityId", "identityPoolId"}
	v2AuthnFieldNames      = [...]string{"clientCert"}
	v2CertFieldNames       = [...]string{"clientCertPem", "issuerDN", "serialNumber", "subjectDN", "validity"}
	v2ValidityFieldNames   = [...]string{"notAfter", "notBefore"}
)

// v2Request decodes raw, an API Gateway HTTP API request, into r (which must
// be zero); see jsonDecoder for what false means. Requests with a Lambda
// authorizer's context (arbitrary JSON) are left to json.Unmarshal.
func (d *jsonDecoder) v2Request(raw []byte, r *events.APIGatewayV2HTTPRequest) bool {
	c := jsonCursor{b: raw}
	d.strs.room = len(raw)
	var seen uint16
	ok := c.object(func(k []byte) (uint16, bool) {
		switch string(k) {
		case "version":
			return 1 << 0, d.string(&c, &r.Version)
		case "routeKey":
			return 1 << 1, d.string(&c, &r.RouteKey)
		case "rawPath":
			return 1 << 2, d.string(&c, &r.RawPath)
		case "rawQueryString":
			return 1 << 3, d.string(&c, &r.RawQueryString)
		case "cookies":
			return 1 << 4, d.stringList(&c, &r.Cookies)
		case "headers":
			return 1 << 5, d.stringMap(&c, &r.Headers)
		case "queryStringParameters":
			return 1 << 6, d.stringMap(&c, &r.QueryStringParameters)
		case "pathParameters":
			return 1 << 7, d.stringMap(&c, &r.PathParameters)
		case "requestContext":
			return 1 << 8, c.null() || d.v2Context(&c, &r.RequestContext)
		case "stageVariables":
			return 1 << 9, d.stringMap(&c, &r.StageVariables)
		case "body":
			return 1 << 10, d.string(&c, &r.Body)
		case "isBase64Encoded":
			return 1 << 11, c.bool(&r.IsBase64Encoded)
		}
		return 0, !foldsToAny(k, v2RequestFieldNames[:]) && c.skip(0)
	}, &seen)
	c.space()
	return ok && c.i == len(c.b)
}

func (d *jsonDecoder) v2Context(c *jsonCursor, rc *events.APIGatewayV2HTTPRequestContext) bool {
	var seen uint16
	return c.object(func(k []byte) (uint16, bool) {
		switch string(k) {
		case "routeKey":
			return 1 << 0, d.string(c, &rc.RouteKey)
		case "accountId":
			return 1 << 1, d.string(c, &rc.AccountID)
		case "stage":
			return 1 << 2, d.string(c, &rc.Stage)
		case "requestId":
			return 1 << 3, d.string(c, &rc.RequestID)
		case "authorizer":
			if c.null() {
				return 1 << 4, true
			}
			rc.Authorizer = new(events.APIGatewayV2HTTPRequestContextAuthorizerDescription)
			return 1 << 4, d.v2Authorizer(c, rc.Authorizer)
		case "authentication":
			return 1 << 11, c.null() || d.v2Authentication(c, &rc.Authentication)
		case "apiId":
			return 1 << 5, d.string(c, &rc.APIID)
		case "domainName":
			return 1 << 6, d.string(c, &rc.DomainName)
		case "domainPrefix":
			return 1 << 7, d.string(c, &rc.DomainPrefix)
		case "time":
			return 1 << 8, d.string(c, &rc.Time)
		case "timeEpoch":
			return 1 << 9, c.int64(&rc.TimeEpoch)
		case "http":
			return 1 << 10, c.null() || d.v2HTTP(c, &rc.HTTP)
		}
		return 0, !foldsToAny(k, v2ContextFieldNames[:]) && c.skip(0)
	}, &seen)
}

func (d *jsonDecoder) v2HTTP(c *jsonCursor, h *events.APIGatewayV2HTTPRequestContextHTTPDescription) bool {
	var seen uint16
	return c.object(func(k []byte) (uint16, bool) {
		switch string(k) {
		case "method":
			return 1 << 0, d.string(c, &h.Method)
		case "path":
			return 1 << 1, d.string(c, &h.Path)
		case "protocol":
			return 1 << 2, d.string(c, &h.Protocol)
		case "sourceIp":
			return 1 << 3, d.string(c, &h.SourceIP)
		case "userAgent":
			return 1 << 4, d.string(c, &h.UserAgent)
		}
		return 0, !foldsToAny(k, v2HTTPFieldNames[:]) && c.skip(0)
	}, &seen)
}

func (d *jsonDecoder) v2Authorizer(c *jsonCursor, a *events.APIGatewayV2HTTPRequestContextAuthorizerDescription) bool {
	var seen uint16
	return c.object(func(k []byte) (uint16, bool) {
		switch string(k) {
		case "jwt":
			if c.null() {
				return 1 << 0, true
			}
			a.JWT = new(events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription)
			return 1 << 0, d.v2JWT(c, a.JWT)
		case "lambda":
			return 1 << 1, c.null() // a Lambda authorizer's context: left to encoding/json
		case "iam":
			if c.null() {
				return 1 << 2, true
			}
			a.IAM = new(events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription)
			return 1 << 2, d.v2IAM(c, a.IAM)
		}
		return 0, !foldsToAny(k, v2AuthorizerFieldNames[:]) && c.skip(0)
	}, &seen)
}

func (d *jsonDecoder) v2JWT(c *jsonCursor, j *events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription) bool {
	var seen uint16
	return c.object(func(k []byte) (uint16, bool) {
		switch string(k) {
		case "claims":
			return 1 << 0, d.stringMap(c, &j.Claims)
		case "scopes":
			return 1 << 1, d.stringList(c, &j.Scopes)
		}
		return 0, !foldsToAny(k, v2JWTFieldNames[:]) && c.skip(0)
	}, &seen)
}

func (d *jsonDecoder) v2IAM(c *jsonCursor, iam *events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription) bool {
	var seen uint16
	return c.object(func(k []byte) (uint16, bool) {
		switch string(k) {
		case "accessKey":
			return 1 << 0, d.string(c, &iam.AccessKey)
		case "accountId":
			return 1 << 1, d.string(c, &iam.AccountID)
		case "callerId":
			return 1 << 2, d.string(c, &iam.CallerID)
		case "cognitoIdentity":
			return 1 << 3, c.null() || d.v2Cognito(c, &iam.CognitoIdentity)
		case "principalOrgId":
			return 1 << 4, d.string(c, &iam.PrincipalOrgID)
		case "userArn":
			return 1 << 5, d.string(c, &iam.UserARN)
		case "userId":
			return 1 << 6, d.string(c, &iam.UserID)
		}
		return 0, !foldsToAny(k, v2IAMFieldNames[:]) && c.skip(0)
	}, &seen)
}

func (d *jsonDecoder) v2Cognito(c *jsonCursor, ci *events.APIGatewayV2HTTPRequestContextAuthorizerCognitoIdentity) bool {
	var seen uint16
	return c.object(func(k []byte) (uint16, bool) {
		switch string(k) {
		case "amr":
			return 1 << 0, d.stringList(c, &ci.AMR)
		case "identityId":
			return 1 << 1, d.string(c, &ci.IdentityID)
		case "identityPoolId":
			return 1 << 2, d.string(c, &ci.IdentityPoolID)
		}
		return 0, !foldsToAny(k, v2CognitoFieldNames[:]) && c.skip(0)
	}, &seen)
}

func (d *jsonDecoder) v2Authentication(c *jsonCursor, a *events.APIGatewayV2HTTPRequestContextAuthentication) bool {
	var seen uint16
	return c.object(func(k []byte) (uint16, bool) {
		if string(k) == "clientCert" {
			return 1 << 0, c.null() || d.v2ClientCert(c, &a.ClientCert)
		}
		return 0, !foldsToAny(k, v2AuthnFieldNames[:]) && c.skip(0)
	}, &seen)
}

func (d *jsonDecoder) v2ClientCert(c *jsonCursor, cert *events.APIGatewayV2HTTPRequestContextAuthenticationClientCert) bool {
	var seen uint16
	return c.object(func(k []byte) (uint16, bool) {
		switch string(k) {
		case "clientCertPem":
			return 1 << 0, d.string(c, &cert.ClientCertPem)
		case "issuerDN":
			return 1 << 1, d.string(c, &cert.IssuerDN)
		case "serialNumber":
			return 1 << 2, d.string(c, &cert.SerialNumber)
		case "subjectDN":
			return 1 << 3, d.string(c, &cert.SubjectDN)
		case "validity":
			return 1 << 4, c.null() || d.v2Validity(c, &cert.Validity)
		}
		return 0, !foldsToAny(k, v2CertFieldNames[:]) && c.skip(0)
	}, &seen)
}

func (d *jsonDecoder) v2Validity(c *jsonCursor, v *events.APIGatewayV2HTTPRequestContextAuthenticationClientCertValidity) bool {
	var seen uint16
	return c.object(func(k []byte) (uint16, bool) {
		switch string(k) {
		case "notAfter":
			return 1 << 0, d.string(c, &v.NotAfter)
		case "notBefore":
			return 1 << 1, d.string(c, &v.NotBefore)
		}
		return 0, !foldsToAny(k, v2ValidityFieldNames[:]) && c.skip(0)
	}, &seen)
}

// object consumes an object whose keys are printable ASCII, calling member
// for each with the cursor at the value; member consumes the value and
// returns the field's bit (0 for an unknown key) and whether it could.
// A field given twice fails, as every refusal here does: encoding/json
// merges repeated fields in ways not worth copying.
func (c *jsonCursor) object(member func(k []byte) (uint16, bool), seen *uint16) bool {
	if !c.take('{') {
		return false
	}
	if c.take('}') {
		return true
	}
	for {
		k, ok := c.key()
		if !ok {
			return false
		}
		f, ok := member(k)
		if !ok || *seen&f != 0 {
			return false
		}
		*seen |= f
		more, ok := c.next('}')
		if !ok || !more {
			return ok
		}
	}
}

// bool decodes true, false or null (no change) into *b.
func (c *jsonCursor) bool(b *bool) bool {
	switch c.peek() {
	case 't':
		*b = true
		return c.literal("true")
	case 'f':
		*b = false
		return c.literal("false")
	}
	return c.null()
}

// int64 decodes an integer that fits, or null (no change), into *n, as
// encoding/json does: a fraction or an exponent is an error there too.
func (c *jsonCursor) int64(n *int64) bool {
	if c.null() {
		return true
	}
	start := c.i
	if !c.number() {
		return false
	}
	v, err := strconv.ParseInt(string(c.b[start:c.i]), 10, 64)
	*n = v
	return err == nil
}
