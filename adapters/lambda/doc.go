// Package lambda runs faasport handlers on AWS Lambda, with its own client
// of the Lambda Runtime API (wire-compatible with aws-lambda-go's, without
// the RPC mode that links net/rpc, encoding/gob and html/template into every
// binary) and aws-lambda-go's events and lambdacontext types. No build tag
// is needed for a small binary.
//
// One binary can serve HTTP and events at once: the adapter recognises each
// invocation by its payload's shape. API Gateway (REST and HTTP API), ALB
// and Function URL invocations reach the [net/http.Handler] as a real
// *http.Request, and the response goes back in the shape the service
// expects. Every other invocation (S3, SNS, SQS, Kinesis, DynamoDB Streams,
// EventBridge, CloudWatch Logs, Firehose, Kafka, MQ, SES, Cognito, Config,
// S3 Batch, IoT, Secrets Manager, direct invokes) reaches the
// [function.Handler] as CloudEvents; docs/aws-events.md has the mapping.
// Batches run one handler call per record and answer with
// batchItemFailures, keeping order within FIFO groups, shards and
// partitions. A single event's reply goes back in the caller's shape: the
// reply's data as plain JSON (a Step Functions task, another function,
// AppSync, Cognito, Lex), a CloudEvent only to a caller that sent one
// ([ReplyPayload]). A function that EventBridge Scheduler invokes declares
// it with [WithTrigger].
//
// Typical use (adapters.Start does this when AWS_LAMBDA_RUNTIME_API is set):
//
//	func main() {
//		err := lambda.Start(context.Background(),
//			lambda.Events(h), lambda.HTTP(mux), lambda.WithConcurrency(8))
//		log.Println(err)
//	}
//
// [New] builds the [Handler] that the runtime calls, so tests and
// benchmarks can invoke it with a payload directly.
//
// Neighbours: function holds the handler types and invocation metadata,
// adapters picks the platform, testing/lambdatest runs a Runtime API server
// for end-to-end tests.
package lambda
