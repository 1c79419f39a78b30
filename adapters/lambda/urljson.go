package lambda

import "github.com/aws/aws-lambda-go/events"

// The JSON names of the Function URL request's fields at each level.
var (
	urlRequestFieldNames = [...]string{"version", "rawPath", "rawQueryString", "cookies", "headers",
		"queryStringParameters", "requestContext", "body", "isBase64Encoded"}
	urlContextFieldNames    = [...]string{"accountId", "requestId", "authorizer", "apiId", "domainName", "domainPrefix", "time", "timeEpoch", "http"}
	urlAuthorizerFieldNames = [...]string{"iam"}
	urlIAMFieldNames        = [...]string{"accessKey", "accountId", "callerId", "userArn", "userId"}
)

// urlRequest decodes raw, a Function URL request, into r (which must be
// zero); see jsonDecoder for what false means.
func (d *jsonDecoder) urlRequest(raw []byte, r *events.LambdaFunctionURLRequest) bool {
	c := jsonCursor{b: raw}
	d.strs.room = len(raw)
	var seen uint16
	ok := c.object(func(k []byte) (uint16, bool) {
		switch string(k) {
		case "version":
			return 1 << 0, d.string(&c, &r.Version)
		case "rawPath":
			return 1 << 1, d.string(&c, &r.RawPath)
		case "rawQueryString":
			return 1 << 2, d.string(&c, &r.RawQueryString)
		case "cookies":
			return 1 << 3, d.stringList(&c, &r.Cookies)
		case "headers":
			return 1 << 4, d.stringMap(&c, &r.Headers)
		case "queryStringParameters":
			return 1 << 5, d.stringMap(&c, &r.QueryStringParameters)
		case "requestContext":
			return 1 << 6, c.null() || d.urlContext(&c, &r.RequestContext)
		case "body":
			return 1 << 7, d.string(&c, &r.Body)
		case "isBase64Encoded":
			return 1 << 8, c.bool(&r.IsBase64Encoded)
		}
		return 0, !foldsToAny(k, urlRequestFieldNames[:]) && c.skip(0)
	}, &seen)
	c.space()
	return ok && c.i == len(c.b)
}

func (d *jsonDecoder) urlContext(c *jsonCursor, rc *events.LambdaFunctionURLRequestContext) bool {
	var seen uint16
	return c.object(func(k []byte) (uint16, bool) {
		switch string(k) {
		case "accountId":
			return 1 << 0, d.string(c, &rc.AccountID)
		case "requestId":
			return 1 << 1, d.string(c, &rc.RequestID)
		case "authorizer":
			if c.null() {
				return 1 << 2, true
			}
			rc.Authorizer = new(events.LambdaFunctionURLRequestContextAuthorizerDescription)
			return 1 << 2, d.urlAuthorizer(c, rc.Authorizer)
		case "apiId":
			return 1 << 3, d.string(c, &rc.APIID)
		case "domainName":
			return 1 << 4, d.string(c, &rc.DomainName)
		case "domainPrefix":
			return 1 << 5, d.string(c, &rc.DomainPrefix)
		case "time":
			return 1 << 6, d.string(c, &rc.Time)
		case "timeEpoch":
			return 1 << 7, c.int64(&rc.TimeEpoch)
		case "http":
			// The same fields, with the same JSON names, as the HTTP API's.
			return 1 << 8, c.null() || d.v2HTTP(c, (*events.APIGatewayV2HTTPRequestContextHTTPDescription)(&rc.HTTP))
		}
		return 0, !foldsToAny(k, urlContextFieldNames[:]) && c.skip(0)
	}, &seen)
}

func (d *jsonDecoder) urlAuthorizer(c *jsonCursor, a *events.LambdaFunctionURLRequestContextAuthorizerDescription) bool {
	var seen uint16
	return c.object(func(k []byte) (uint16, bool) {
		if string(k) == "iam" {
			if c.null() {
				return 1 << 0, true
			}
			a.IAM = new(events.LambdaFunctionURLRequestContextAuthorizerIAMDescription)
			return 1 << 0, d.urlIAM(c, a.IAM)
		}
		return 0, !foldsToAny(k, urlAuthorizerFieldNames[:]) && c.skip(0)
	}, &seen)
}

func (d *jsonDecoder) urlIAM(c *jsonCursor, iam *events.LambdaFunctionURLRequestContextAuthorizerIAMDescription) bool {
	var seen uint16
	return c.object(func(k []byte) (uint16, bool) {
		switch string(k) {
		case "accessKey":
			return 1 << 0, d.string(c, &iam.AccessKey)
		case "accountId":
			return 1 << 1, d.string(c, &iam.AccountID)
		case "callerId":
			return 1 << 2, d.string(c, &iam.CallerID)
		case "userArn":
			return 1 << 3, d.string(c, &iam.UserARN)
		case "userId":
			return 1 << 4, d.string(c, &iam.UserID)
		}
		return 0, !foldsToAny(k, urlIAMFieldNames[:]) && c.skip(0)
	}, &seen)
}
