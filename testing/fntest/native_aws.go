package fntest

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// lambdaOnly is an input with a Lambda shape only.
func lambdaOnly(name string, build func() (any, error)) Input {
	return Input{name: name, lambda: func() ([]byte, error) {
		v, err := build()
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	}}
}

func arn(service, resource string) string {
	return "arn:aws:" + service + ":" + testRegion + ":" + testAccount + ":" + resource
}

// SQS is an SQS event (Lambda only) with one message of body from queue
// "fntest", or a batch with [Batch] or [Bodies]. [Group] makes the queue
// FIFO; [Attempt] sets ApproximateReceiveCount (default 1); [Attribute]
// adds String message attributes.
func SQS(body string, opts ...InputOption) Input {
	o := buildOptions(opts)
	return lambdaOnly("SQS message", func() (any, error) {
		queue := testTopic
		if o.group != "" {
			queue += ".fifo"
		}
		attempt := max(o.attempt, 1)
		ev := events.SQSEvent{Records: make([]events.SQSMessage, o.n)}
		for i := range ev.Records {
			m := events.SQSMessage{
				MessageId:      o.idOf(i),
				ReceiptHandle:  "fntest-receipt-" + strconv.Itoa(i+1),
				Body:           o.body(body, i),
				Md5OfBody:      fmt.Sprintf("%x", md5.Sum([]byte(o.body(body, i)))),
				EventSource:    "aws:sqs",
				EventSourceARN: arn("sqs", queue),
				AWSRegion:      testRegion,
				Attributes: map[string]string{
					"ApproximateReceiveCount":          strconv.Itoa(attempt),
					"SentTimestamp":                    strconv.FormatInt(o.at.UnixMilli(), 10),
					"SenderId":                         "AIDAFNTEST",
					"ApproximateFirstReceiveTimestamp": strconv.FormatInt(o.at.UnixMilli(), 10),
				},
			}
			if o.group != "" {
				m.Attributes["MessageGroupId"] = o.group
				m.Attributes["MessageDeduplicationId"] = m.MessageId
				m.Attributes["SequenceNumber"] = fmt.Sprintf("188494964604676961%02d", i+1)
			}
			for _, k := range o.attrNames() {
				v := o.attrs[k]
				if m.MessageAttributes == nil {
					m.MessageAttributes = map[string]events.SQSMessageAttribute{}
				}
				m.MessageAttributes[k] = events.SQSMessageAttribute{DataType: "String", StringValue: &v}
			}
			ev.Records[i] = m
		}
		return ev, nil
	})
}

// SNS is an SNS notification (Lambda only) of message on topic "fntest",
// one record per message ([Batch], [Bodies]); [Attribute] adds String
// message attributes.
func SNS(message string, opts ...InputOption) Input {
	o := buildOptions(opts)
	return lambdaOnly("SNS notification", func() (any, error) {
		topic := arn("sns", testTopic)
		ev := events.SNSEvent{Records: make([]events.SNSEventRecord, o.n)}
		for i := range ev.Records {
			e := events.SNSEntity{
				Type:             "Notification",
				MessageID:        o.idOf(i),
				TopicArn:         topic,
				Message:          o.body(message, i),
				Timestamp:        o.at,
				SignatureVersion: "1",
				Signature:        "fntest",
				SigningCertURL:   "https://sns." + testRegion + ".amazonaws.com/fntest.pem",
				UnsubscribeURL:   "https://sns." + testRegion + ".amazonaws.com/?Action=Unsubscribe",
			}
			for _, k := range o.attrNames() {
				if e.MessageAttributes == nil {
					e.MessageAttributes = map[string]any{}
				}
				e.MessageAttributes[k] = map[string]any{"Type": "String", "Value": o.attrs[k]}
			}
			ev.Records[i] = events.SNSEventRecord{
				EventVersion:         "1.0",
				EventSubscriptionArn: topic + ":fntest-subscription",
				EventSource:          "aws:sns",
				SNS:                  e,
			}
		}
		return ev, nil
	})
}

// Kinesis is a Kinesis Data Streams event (Lambda only) with records of
// data on stream "fntest". [Group] sets the partition key (default
// "fntest"); [ID] sets the sequence number.
func Kinesis(data string, opts ...InputOption) Input {
	o := buildOptions(opts)
	return lambdaOnly("Kinesis record", func() (any, error) {
		key := o.group
		if key == "" {
			key = testTopic
		}
		ev := events.KinesisEvent{Records: make([]events.KinesisEventRecord, o.n)}
		for i := range ev.Records {
			seq := fmt.Sprintf("49590338271490256608559692538361571095921575989136%06d", i+1)
			if o.id != "" {
				seq = o.idOf(i)
			}
			ev.Records[i] = events.KinesisEventRecord{
				AwsRegion:         testRegion,
				EventID:           "shardId-000000000000:" + seq,
				EventName:         "aws:kinesis:record",
				EventSource:       "aws:kinesis",
				EventSourceArn:    arn("kinesis", "stream/"+testTopic),
				EventVersion:      "1.0",
				InvokeIdentityArn: arn("iam", "role/fntest"),
				Kinesis: events.KinesisRecord{
					ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: o.at},
					Data:                        []byte(o.body(data, i)),
					EncryptionType:              "NONE",
					PartitionKey:                key,
					SequenceNumber:              seq,
					KinesisSchemaVersion:        "1.0",
				},
			}
		}
		return ev, nil
	})
}

// Kafka is an MSK event (Lambda only) with records of value on topic
// "fntest", partition 0, offsets from 0. [Group] sets the record key;
// [Attribute] adds headers. Kafka records are named by topic, partition and
// offset, so [ID] does not apply.
func Kafka(value string, opts ...InputOption) Input {
	o := buildOptions(opts)
	return lambdaOnly("Kafka record", func() (any, error) {
		recs := make([]events.KafkaRecord, o.n)
		for i := range recs {
			r := events.KafkaRecord{
				Topic:         testTopic,
				Partition:     0,
				Offset:        int64(i),
				Timestamp:     events.MilliSecondsEpochTime{Time: o.at},
				TimestampType: "CREATE_TIME",
				Value:         base64.StdEncoding.EncodeToString([]byte(o.body(value, i))),
				Headers:       []map[string]events.JSONNumberBytes{},
			}
			if o.group != "" {
				r.Key = base64.StdEncoding.EncodeToString([]byte(o.group))
			}
			for _, k := range o.attrNames() {
				r.Headers = append(r.Headers, map[string]events.JSONNumberBytes{k: events.JSONNumberBytes(o.attrs[k])})
			}
			recs[i] = r
		}
		return events.KafkaEvent{
			EventSource:      "aws:kafka",
			EventSourceARN:   arn("kafka", "cluster/fntest/00000000-0000-0000-0000-000000000000-1"),
			BootstrapServers: "b-1.fntest.kafka." + testRegion + ".amazonaws.com:9092",
			Records:          map[string][]events.KafkaRecord{testTopic + "-0": recs},
		}, nil
	})
}

// S3 is an S3 event notification (Lambda only): an object of size bytes
// created at bucket/key. [ID] sets the x-amz-request-id, [Version] the
// versionId; [Batch] repeats the record.
func S3(bucket, key string, size int64, opts ...InputOption) Input {
	o := buildOptions(opts)
	return lambdaOnly("S3 object", func() (any, error) {
		ev := events.S3Event{Records: make([]events.S3EventRecord, o.n)}
		for i := range ev.Records {
			ev.Records[i] = events.S3EventRecord{
				EventVersion: "2.1",
				EventSource:  "aws:s3",
				AWSRegion:    testRegion,
				EventTime:    o.at,
				EventName:    "ObjectCreated:Put",
				PrincipalID:  events.S3UserIdentity{PrincipalID: "AWS:AIDAFNTEST"},
				RequestParameters: events.S3RequestParameters{
					SourceIPAddress: "127.0.0.1",
				},
				ResponseElements: map[string]string{
					"x-amz-request-id": o.idOf(i),
					"x-amz-id-2":       "fntest-host",
				},
				S3: events.S3Entity{
					SchemaVersion:   "1.0",
					ConfigurationID: "fntest",
					Bucket: events.S3Bucket{
						Name:          bucket,
						OwnerIdentity: events.S3UserIdentity{PrincipalID: "AFNTEST"},
						Arn:           "arn:aws:s3:::" + bucket,
					},
					Object: events.S3Object{
						// S3 sends keys form-encoded: a space is "+".
						Key:       url.QueryEscape(key),
						Size:      size,
						ETag:      "fntest",
						VersionID: o.version,
						Sequencer: "0066E1F4A4D43E6C1C",
					},
				},
			}
		}
		return ev, nil
	})
}

// DynamoDB is a DynamoDB Streams event (Lambda only) for the item with key
// in table, with NEW_AND_OLD_IMAGES. Items are Go values: string, bool,
// nil, integers, floats, json.Number, []byte, []any, map[string]any. A nil
// oldItem is an INSERT, a nil newItem a REMOVE, both a MODIFY.
func DynamoDB(table string, key, newItem, oldItem map[string]any, opts ...InputOption) Input {
	o := buildOptions(opts)
	return lambdaOnly("DynamoDB change", func() (any, error) {
		keys, err := dynamoItem(key)
		if err != nil {
			return nil, fmt.Errorf("fntest: DynamoDB key: %w", err)
		}
		newImage, err := dynamoItem(newItem)
		if err != nil {
			return nil, fmt.Errorf("fntest: DynamoDB new item: %w", err)
		}
		oldImage, err := dynamoItem(oldItem)
		if err != nil {
			return nil, fmt.Errorf("fntest: DynamoDB old item: %w", err)
		}
		name := "MODIFY"
		switch {
		case oldItem == nil:
			name = "INSERT"
		case newItem == nil:
			name = "REMOVE"
		}
		stream := o.at.Format("2006-01-02T15:04:05.000")
		ev := events.DynamoDBEvent{Records: make([]events.DynamoDBEventRecord, o.n)}
		for i := range ev.Records {
			ev.Records[i] = events.DynamoDBEventRecord{
				AWSRegion:      testRegion,
				EventID:        o.idOf(i),
				EventName:      name,
				EventSource:    "aws:dynamodb",
				EventVersion:   "1.1",
				EventSourceArn: arn("dynamodb", "table/"+table+"/stream/"+stream),
				Change: events.DynamoDBStreamRecord{
					ApproximateCreationDateTime: events.SecondsEpochTime{Time: o.at},
					Keys:                        keys,
					NewImage:                    newImage,
					OldImage:                    oldImage,
					SequenceNumber:              strconv.Itoa(111000000000000000 + i + 1),
					SizeBytes:                   64,
					StreamViewType:              "NEW_AND_OLD_IMAGES",
				},
			}
		}
		return ev, nil
	})
}

func dynamoItem(item map[string]any) (map[string]events.DynamoDBAttributeValue, error) {
	if item == nil {
		return nil, nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(item))
	for k, v := range item {
		av, err := dynamoValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func dynamoValue(v any) (events.DynamoDBAttributeValue, error) {
	switch v := v.(type) {
	case nil:
		return events.NewNullAttribute(), nil
	case string:
		return events.NewStringAttribute(v), nil
	case bool:
		return events.NewBooleanAttribute(v), nil
	case []byte:
		return events.NewBinaryAttribute(v), nil
	case json.Number:
		return events.NewNumberAttribute(v.String()), nil
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return events.NewNumberAttribute(fmt.Sprint(v)), nil
	case float32, float64:
		return events.NewNumberAttribute(strconv.FormatFloat(toFloat(v), 'f', -1, 64)), nil
	case []any:
		l := make([]events.DynamoDBAttributeValue, len(v))
		for i, item := range v {
			av, err := dynamoValue(item)
			if err != nil {
				return events.DynamoDBAttributeValue{}, fmt.Errorf("element %d: %w", i, err)
			}
			l[i] = av
		}
		return events.NewListAttribute(l), nil
	case map[string]any:
		m, err := dynamoItem(v)
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		return events.NewMapAttribute(m), nil
	}
	return events.DynamoDBAttributeValue{}, fmt.Errorf("a %T has no DynamoDB type; use string, bool, nil, a number, []byte, []any or map[string]any", v)
}

func toFloat(v any) float64 {
	if f, ok := v.(float32); ok {
		return float64(f)
	}
	f := v.(float64)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0
	}
	return f
}

// EventBridge is an EventBridge event (Lambda only) on the default bus,
// with detail-type typ, source and JSON detail.
func EventBridge(typ, source, detail string, opts ...InputOption) Input {
	o := buildOptions(opts)
	return lambdaOnly("EventBridge event", func() (any, error) {
		if !json.Valid([]byte(detail)) {
			return nil, fmt.Errorf("fntest: EventBridge detail %q is not JSON; EventBridge details are JSON objects", detail)
		}
		return events.EventBridgeEvent{
			Version:    "0",
			ID:         o.idOf(0),
			DetailType: typ,
			Source:     source,
			AccountID:  testAccount,
			Time:       o.at,
			Region:     testRegion,
			Resources:  []string{},
			Detail:     json.RawMessage(detail),
		}, nil
	})
}

// EventBridgeSchedule is the "Scheduled Event" an EventBridge rule (or
// EventBridge Scheduler) named name sends (Lambda only).
func EventBridgeSchedule(name string, opts ...InputOption) Input {
	o := buildOptions(opts)
	return lambdaOnly("EventBridge schedule", func() (any, error) {
		return events.EventBridgeEvent{
			Version:    "0",
			ID:         o.idOf(0),
			DetailType: "Scheduled Event",
			Source:     "aws.events",
			AccountID:  testAccount,
			Time:       o.at,
			Region:     testRegion,
			Resources:  []string{arn("events", "rule/"+name)},
			Detail:     json.RawMessage(`{}`),
		}, nil
	})
}

// httpParts is what every Lambda HTTP shape takes from a request.
type httpParts struct {
	method, path, rawPath, rawQuery string
	query                           url.Values
	headers                         http.Header
	body                            string
	base64                          bool
	userAgent                       string
}

// readRequest reads req's body once, puts it back for other uses, and
// returns the parts.
func readRequest(req *http.Request) (httpParts, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return httpParts{}, fmt.Errorf("fntest: read the request body: %w", err)
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	p := httpParts{
		method: req.Method, path: req.URL.Path, rawPath: req.URL.EscapedPath(), rawQuery: req.URL.RawQuery,
		query: req.URL.Query(), headers: req.Header.Clone(), userAgent: req.UserAgent(),
	}
	if p.method == "" {
		p.method = http.MethodGet
	}
	if p.path == "" {
		p.path, p.rawPath = "/", "/"
	}
	if p.headers == nil {
		p.headers = http.Header{}
	}
	if req.Host != "" && p.headers.Get("Host") == "" {
		p.headers.Set("Host", req.Host)
	}
	if utf8.Valid(body) {
		p.body = string(body)
	} else {
		p.body, p.base64 = base64.StdEncoding.EncodeToString(body), true
	}
	return p, nil
}

// httpInput builds a Lambda-only input from req, read once when the
// builder is called.
func httpInput(name string, req *http.Request, o inputOptions, build func(p httpParts, o inputOptions) any) Input {
	p, err := readRequest(req)
	return lambdaOnly(name, func() (any, error) {
		if err != nil {
			return nil, err
		}
		return build(p, o), nil
	})
}

func singleValues(vs map[string][]string, lower bool) map[string]string {
	if len(vs) == 0 {
		return nil
	}
	out := make(map[string]string, len(vs))
	for k, v := range vs {
		if lower {
			k = strings.ToLower(k)
		}
		out[k] = v[len(v)-1]
	}
	return out
}

func multiValues(vs map[string][]string, lower bool) map[string][]string {
	if len(vs) == 0 {
		return nil
	}
	out := make(map[string][]string, len(vs))
	for k, v := range vs {
		if lower {
			k = strings.ToLower(k)
		}
		out[k] = append([]string(nil), v...)
	}
	return out
}

// v2Headers joins repeated headers with commas, as payload format 2.0 does,
// and moves cookies to their own list.
func v2Headers(h http.Header) (map[string]string, []string) {
	out := map[string]string{}
	var cookies []string
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.EqualFold(k, "Cookie") {
			for _, c := range h[k] {
				for _, part := range strings.Split(c, ";") {
					if part = strings.TrimSpace(part); part != "" {
						cookies = append(cookies, part)
					}
				}
			}
			continue
		}
		out[strings.ToLower(k)] = strings.Join(h[k], ",")
	}
	return out, cookies
}

// APIGatewayV1 is req as an API Gateway REST API (payload format 1.0)
// proxy request on stage "test" (Lambda only). The request body is read
// now and put back. [ID] sets the request id.
func APIGatewayV1(req *http.Request, opts ...InputOption) Input {
	return httpInput("API Gateway REST request", req, buildOptions(opts), func(p httpParts, o inputOptions) any {
		return events.APIGatewayProxyRequest{
			Resource:                        "/{proxy+}",
			Path:                            p.path,
			HTTPMethod:                      p.method,
			Headers:                         singleValues(p.headers, false),
			MultiValueHeaders:               multiValues(p.headers, false),
			QueryStringParameters:           singleValues(p.query, false),
			MultiValueQueryStringParameters: multiValues(p.query, false),
			PathParameters:                  map[string]string{"proxy": strings.TrimPrefix(p.path, "/")},
			RequestContext: events.APIGatewayProxyRequestContext{
				AccountID:        testAccount,
				ResourceID:       "fntest",
				Stage:            "test",
				RequestID:        o.idOf(0),
				Identity:         events.APIGatewayRequestIdentity{SourceIP: "127.0.0.1", UserAgent: p.userAgent},
				ResourcePath:     "/{proxy+}",
				HTTPMethod:       p.method,
				RequestTime:      o.at.Format("02/Jan/2006:15:04:05 -0700"),
				RequestTimeEpoch: o.at.UnixMilli(),
				APIID:            "fntest",
				Protocol:         "HTTP/1.1",
				Path:             "/test" + p.path,
				DomainName:       "fntest.execute-api." + testRegion + ".amazonaws.com",
				DomainPrefix:     "fntest",
			},
			Body:            p.body,
			IsBase64Encoded: p.base64,
		}
	})
}

func v2Context(p httpParts, o inputOptions, domain string) events.APIGatewayV2HTTPRequestContext {
	return events.APIGatewayV2HTTPRequestContext{
		RouteKey:     "$default",
		AccountID:    testAccount,
		Stage:        "$default",
		RequestID:    o.idOf(0),
		APIID:        "fntest",
		DomainName:   domain,
		DomainPrefix: "fntest",
		Time:         o.at.Format("02/Jan/2006:15:04:05 -0700"),
		TimeEpoch:    o.at.UnixMilli(),
		HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
			Method: p.method, Path: p.path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: p.userAgent,
		},
	}
}

// APIGatewayV2 is req as an API Gateway HTTP API (payload format 2.0)
// request on the $default route and stage (Lambda only). The request body
// is read now and put back. [ID] sets the request id.
func APIGatewayV2(req *http.Request, opts ...InputOption) Input {
	return httpInput("API Gateway HTTP API request", req, buildOptions(opts), func(p httpParts, o inputOptions) any {
		headers, cookies := v2Headers(p.headers)
		return events.APIGatewayV2HTTPRequest{
			Version:               "2.0",
			RouteKey:              "$default",
			RawPath:               p.rawPath,
			RawQueryString:        p.rawQuery,
			Cookies:               cookies,
			Headers:               headers,
			QueryStringParameters: singleValues(p.query, false),
			RequestContext:        v2Context(p, o, "fntest.execute-api."+testRegion+".amazonaws.com"),
			Body:                  p.body,
			IsBase64Encoded:       p.base64,
		}
	})
}

// FunctionURL is req as a Lambda Function URL request (Lambda only). The
// request body is read now and put back. [ID] sets the request id.
func FunctionURL(req *http.Request, opts ...InputOption) Input {
	return httpInput("Function URL request", req, buildOptions(opts), func(p httpParts, o inputOptions) any {
		headers, cookies := v2Headers(p.headers)
		c := v2Context(p, o, "fntest.lambda-url."+testRegion+".on.aws")
		return events.LambdaFunctionURLRequest{
			Version:               "2.0",
			RawPath:               p.rawPath,
			RawQueryString:        p.rawQuery,
			Cookies:               cookies,
			Headers:               headers,
			QueryStringParameters: singleValues(p.query, false),
			RequestContext: events.LambdaFunctionURLRequestContext{
				AccountID: c.AccountID, RequestID: c.RequestID, APIID: c.APIID, DomainName: c.DomainName,
				DomainPrefix: c.DomainPrefix, Time: c.Time, TimeEpoch: c.TimeEpoch,
				HTTP: events.LambdaFunctionURLRequestContextHTTPDescription(c.HTTP),
			},
			Body:            p.body,
			IsBase64Encoded: p.base64,
		}
	})
}

// ALB is req as an Application Load Balancer target group request with
// multi-value headers enabled (Lambda only). The request body is read now
// and put back.
func ALB(req *http.Request, opts ...InputOption) Input {
	return httpInput("ALB request", req, buildOptions(opts), func(p httpParts, _ inputOptions) any {
		return events.ALBTargetGroupRequest{
			HTTPMethod:                      p.method,
			Path:                            p.path,
			MultiValueQueryStringParameters: multiValues(p.query, false),
			MultiValueHeaders:               multiValues(p.headers, true),
			RequestContext: events.ALBTargetGroupRequestContext{ELB: events.ELBContext{
				TargetGroupArn: arn("elasticloadbalancing", "targetgroup/fntest/0123456789abcdef"),
			}},
			Body:            p.body,
			IsBase64Encoded: p.base64,
		}
	})
}

// LambdaResponse reads the answer of a Lambda HTTP invocation (API Gateway
// REST or HTTP API, ALB, Function URL) as an *http.Response with the body
// decoded.
func LambdaResponse(payload []byte) (*http.Response, error) {
	var r struct {
		StatusCode        int                 `json:"statusCode"`
		Headers           map[string]string   `json:"headers"`
		MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
		Cookies           []string            `json:"cookies"`
		Body              string              `json:"body"`
		IsBase64Encoded   bool                `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(payload, &r); err != nil {
		return nil, fmt.Errorf("fntest: read the Lambda HTTP response %.200q: %w", payload, err)
	}
	if r.StatusCode == 0 {
		return nil, fmt.Errorf("fntest: the Lambda HTTP response %.200q has no statusCode; is the function an HTTP handler?", payload)
	}
	resp := &http.Response{
		StatusCode: r.StatusCode, Status: strconv.Itoa(r.StatusCode) + " " + http.StatusText(r.StatusCode),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{},
	}
	for k, v := range r.Headers {
		resp.Header.Set(k, v)
	}
	for k, vs := range r.MultiValueHeaders {
		resp.Header.Del(k)
		for _, v := range vs {
			resp.Header.Add(k, v)
		}
	}
	for _, c := range r.Cookies {
		resp.Header.Add("Set-Cookie", c)
	}
	body := []byte(r.Body)
	if r.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(r.Body); err != nil {
			return nil, fmt.Errorf("fntest: the Lambda HTTP response body is marked base64 but is not: %w", err)
		}
	}
	resp.ContentLength = int64(len(body))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
