package lambda

import (
	"bytes"
	"fmt"
)

// kind is the shape of an invocation payload.
type kind uint8

const (
	kindInvoke kind = iota // any other JSON: a direct invoke
	kindCloudEvent
	kindAPIGatewayV1
	kindAPIGatewayV2
	kindFunctionURL
	kindALB
	kindS3
	kindSNS
	kindSQS
	kindKinesis
	kindDynamoDB
	kindSES
	kindCodeCommit
	kindEventBridge
	kindCloudWatchLogs
	kindFirehose
	kindKafka
	kindActiveMQ
	kindRabbitMQ
	kindCognitoUserPool
	kindCognitoSync
	kindConfig
	kindS3Batch
	kindSecretsManager
	kindIoTButton
	kindIoT1Click
	kindIoTCustomAuth
	kindIoTPreProvision
	kindCodePipelineJob
)

var kindNames = [...]string{
	kindInvoke:          "direct invoke",
	kindCloudEvent:      "CloudEvent",
	kindAPIGatewayV1:    "API Gateway REST request",
	kindAPIGatewayV2:    "API Gateway HTTP API request",
	kindFunctionURL:     "Function URL request",
	kindALB:             "ALB request",
	kindS3:              "S3 event",
	kindSNS:             "SNS event",
	kindSQS:             "SQS event",
	kindKinesis:         "Kinesis event",
	kindDynamoDB:        "DynamoDB Streams event",
	kindSES:             "SES event",
	kindCodeCommit:      "CodeCommit event",
	kindEventBridge:     "EventBridge event",
	kindCloudWatchLogs:  "CloudWatch Logs event",
	kindFirehose:        "Kinesis Firehose event",
	kindKafka:           "Kafka event",
	kindActiveMQ:        "ActiveMQ event",
	kindRabbitMQ:        "RabbitMQ event",
	kindCognitoUserPool: "Cognito user pool trigger",
	kindCognitoSync:     "Cognito sync trigger",
	kindConfig:          "Config rule event",
	kindS3Batch:         "S3 Batch Operations event",
	kindSecretsManager:  "Secrets Manager rotation event",
	kindIoTButton:       "IoT button event",
	kindIoT1Click:       "IoT 1-Click event",
	kindIoTCustomAuth:   "IoT custom authorizer request",
	kindIoTPreProvision: "IoT pre-provisioning hook request",
	kindCodePipelineJob: "CodePipeline job event",
}

func (k kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

func (k kind) isHTTP() bool {
	return k == kindAPIGatewayV1 || k == kindAPIGatewayV2 || k == kindFunctionURL || k == kindALB
}

// Top-level keys the detector looks for, as bits.
const (
	kRecords uint64 = 1 << iota
	kRequestContext
	kHTTPMethod
	kRawPath
	kDetailType
	kSource
	kDetail
	kAwslogs
	kDeliveryStreamArn
	kLowerRecords
	kMessages
	kRmqMessagesByQueue
	kTriggerSource
	kUserPoolID
	kSpecversion
	kConfigRuleArn
	kInvokingEvent
	kInvocationSchemaVersion
	kTasks
	kSecretID
	kStep
	kClientRequestToken
	kSerialNumber
	kClickType
	kDeviceEvent
	kDeviceInfo
	kProtocolData
	kSignatureVerified
	kClaimCertificateID
	kTemplateArn
	kDatasetName
	kIdentityPoolID
	kCodePipelineJob
	kID
	kEventSource
	kAuthorizer
)

// shape is what one scan of a payload tells about it.
type shape struct {
	kind    kind
	records []byte // the span of the record array or map, where there is one
	version string
}

// detect recognises the payload's shape in one pass over its top-level
// members, looking into nested values only where the top level is ambiguous.
func detect(payload []byte) (shape, error) {
	if s, ok := detectRecords(payload); ok {
		return s, nil
	}
	var (
		seen                            uint64
		records, reqCtx, lower, version []byte
		eventSource, messages, rmq      []byte
	)
	var early bool // decided before the end: an HTTP API request
	err := eachMember(payload, func(key, val []byte) bool {
		switch string(key) {
		case "routeKey", "rawQueryString":
			// HTTP API and Function URL payloads start with version,
			// routeKey, rawPath: decide there, skipping the headers and
			// body. Authorizer requests name their routeArn before.
			if string(version) == `"2.0"` && seen&(kAuthorizer|kSpecversion) == 0 {
				early = true
				return false
			}
		case "Records":
			seen |= kRecords
			records = val
		case "requestContext":
			seen |= kRequestContext
			reqCtx = val
		case "httpMethod":
			seen |= kHTTPMethod
		case "rawPath":
			seen |= kRawPath
		case "version":
			version = val
		case "detail-type":
			seen |= kDetailType
		case "source":
			seen |= kSource
		case "detail":
			seen |= kDetail
		case "id":
			seen |= kID
		case "awslogs":
			seen |= kAwslogs
		case "deliveryStreamArn":
			seen |= kDeliveryStreamArn
		case "records":
			seen |= kLowerRecords
			lower = val
		case "messages":
			seen |= kMessages
			messages = val
		case "rmqMessagesByQueue":
			seen |= kRmqMessagesByQueue
			rmq = val
		case "eventSource":
			seen |= kEventSource
			eventSource = val
		case "triggerSource":
			seen |= kTriggerSource
		case "userPoolId":
			seen |= kUserPoolID
		case "specversion":
			seen |= kSpecversion
		case "configRuleArn":
			seen |= kConfigRuleArn
		case "invokingEvent":
			seen |= kInvokingEvent
		case "invocationSchemaVersion":
			seen |= kInvocationSchemaVersion
		case "tasks":
			seen |= kTasks
		case "SecretId":
			seen |= kSecretID
		case "Step":
			seen |= kStep
		case "ClientRequestToken":
			seen |= kClientRequestToken
		case "serialNumber":
			seen |= kSerialNumber
		case "clickType":
			seen |= kClickType
		case "deviceEvent":
			seen |= kDeviceEvent
		case "deviceInfo":
			seen |= kDeviceInfo
		case "protocolData":
			seen |= kProtocolData
		case "signatureVerified":
			seen |= kSignatureVerified
		case "claimCertificateId":
			seen |= kClaimCertificateID
		case "templateArn":
			seen |= kTemplateArn
		case "datasetName":
			seen |= kDatasetName
		case "identityPoolId":
			seen |= kIdentityPoolID
		case "methodArn", "routeArn":
			seen |= kAuthorizer
		case "CodePipeline.job":
			seen |= kCodePipelineJob
		}
		return true
	})
	if err != nil {
		return shape{}, syntaxError("invocation payload", err)
	}
	has := func(bits uint64) bool { return seen&bits == bits }
	s := shape{version: stringValue(version)}
	if early {
		s.kind = kindAPIGatewayV2
		if isFunctionURL(payload) {
			s.kind = kindFunctionURL
		}
		return s, nil
	}
	switch {
	case has(kSpecversion):
		s.kind = kindCloudEvent
	case has(kRecords):
		s.records = records
		s.kind = kindInvoke
		empty := true
		_ = eachElement(records, func(first []byte) bool {
			empty = false
			s.kind = recordKind(first)
			return false
		})
		if empty {
			return shape{}, fmt.Errorf("lambda: read invocation payload: Records is empty or not an array; an event source sends at least one record")
		}
	case has(kRequestContext) && !has(kAuthorizer):
		// API Gateway authorizer requests look like HTTP requests but want
		// a policy back: they are direct invokes.
		switch {
		case member(reqCtx, "elb") != nil:
			s.kind = kindALB
		case s.version == "2.0" || has(kRawPath):
			s.kind = kindAPIGatewayV2
			if bytes.Contains(member(reqCtx, "domainName"), []byte(".lambda-url.")) {
				s.kind = kindFunctionURL
			}
		case has(kHTTPMethod):
			s.kind = kindAPIGatewayV1
		}
	case has(kDetailType | kSource | kDetail | kID):
		s.kind = kindEventBridge
	case has(kAwslogs):
		s.kind = kindCloudWatchLogs
	case has(kDeliveryStreamArn | kLowerRecords):
		s.kind, s.records = kindFirehose, lower
	case has(kEventSource | kLowerRecords):
		switch stringValue(eventSource) {
		case "aws:kafka", "SelfManagedKafka":
			s.kind, s.records = kindKafka, lower
		}
	case has(kEventSource | kMessages):
		switch stringValue(eventSource) {
		case "aws:mq", "aws:amq":
			s.kind, s.records = kindActiveMQ, messages
		}
	case has(kEventSource | kRmqMessagesByQueue):
		s.kind, s.records = kindRabbitMQ, rmq
	case has(kTriggerSource | kUserPoolID):
		s.kind = kindCognitoUserPool
	case has(kDatasetName | kIdentityPoolID):
		s.kind = kindCognitoSync
	case has(kConfigRuleArn | kInvokingEvent):
		s.kind = kindConfig
	case has(kInvocationSchemaVersion | kTasks):
		s.kind = kindS3Batch
	case has(kSecretID | kStep | kClientRequestToken):
		s.kind = kindSecretsManager
	case has(kSerialNumber | kClickType):
		s.kind = kindIoTButton
	case has(kDeviceEvent | kDeviceInfo):
		s.kind = kindIoT1Click
	case has(kProtocolData | kSignatureVerified):
		s.kind = kindIoTCustomAuth
	case has(kClaimCertificateID | kTemplateArn):
		s.kind = kindIoTPreProvision
	case has(kCodePipelineJob):
		s.kind = kindCodePipelineJob
	}
	return s, nil
}

// recordKinds maps a first record's eventSource to its kind.
func recordKind(first []byte) kind {
	src := member(first, "eventSource")
	if src == nil {
		src = member(first, "EventSource")
	}
	switch stringValue(src) {
	case "aws:s3":
		return kindS3
	case "aws:sns":
		return kindSNS
	case "aws:sqs":
		return kindSQS
	case "aws:kinesis":
		return kindKinesis
	case "aws:dynamodb":
		return kindDynamoDB
	case "aws:ses":
		return kindSES
	case "aws:codecommit":
		return kindCodeCommit
	}
	return kindInvoke
}

// detectRecords is the fast path for the most common payload: an object
// whose first member is a Records array from a known source. It looks at
// the first record only and leaves the rest of the payload unscanned.
func detectRecords(payload []byte) (shape, bool) {
	i := skipSpace(payload, 0)
	const prefix = `"Records"`
	if i >= len(payload) || payload[i] != '{' {
		return shape{}, false
	}
	i = skipSpace(payload, i+1)
	if !bytes.HasPrefix(payload[i:], []byte(prefix)) {
		return shape{}, false
	}
	i = skipSpace(payload, i+len(prefix))
	if i >= len(payload) || payload[i] != ':' {
		return shape{}, false
	}
	arr := skipSpace(payload, i+1)
	if arr >= len(payload) || payload[arr] != '[' {
		return shape{}, false
	}
	first := skipSpace(payload, arr+1)
	end, err := skipValue(payload, first)
	if err != nil {
		return shape{}, false
	}
	k := recordKind(payload[first:end])
	if k == kindInvoke {
		return shape{}, false
	}
	// eachElement stops at the array's closing bracket, so the span may run
	// on to the end of the payload.
	return shape{kind: k, records: payload[arr:]}, true
}

// isFunctionURL reports whether an HTTP API-shaped payload came from a
// Function URL, whose requestContext.domainName is <id>.lambda-url.<region>.on.aws.
// A quoted name followed by a colon is a key (inside a string its quotes
// would be escaped), so the first "domainName" key is the real member (of
// requestContext, in these payloads), however the JSON is spaced.
func isFunctionURL(payload []byte) bool {
	const key = `"domainName"`
	for rest := payload; ; {
		i := bytes.Index(rest, []byte(key))
		if i < 0 {
			return false
		}
		rest = rest[i+len(key):]
		j := skipSpace(rest, 0)
		if j >= len(rest) || rest[j] != ':' {
			continue // the name as a value, not a key
		}
		j = skipSpace(rest, j+1)
		if j >= len(rest) || rest[j] != '"' {
			return false
		}
		v := rest[j+1:]
		if k := bytes.IndexByte(v, '"'); k >= 0 {
			v = v[:k]
		}
		return bytes.Contains(v, []byte(".lambda-url."))
	}
}
