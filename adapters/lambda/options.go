package lambda

import (
	"log/slog"
	"net/http"

	"github.com/faasport/faasport/function"
)

// Option configures the adapter.
type Option func(*options)

type options struct {
	events       function.Handler
	http         http.Handler
	logger       *slog.Logger
	concurrency  int
	streaming    bool
	functionName string
	region       string
	trigger      function.Trigger
	getenv       func(string) string
}

// Events serves h for every invocation that carries an event.
func Events(h function.Handler) Option { return func(o *options) { o.events = h } }

// HTTP serves h for every HTTP invocation that carries no event.
func HTTP(h http.Handler) Option { return func(o *options) { o.http = h } }

// WithLogger sets the logger for the adapter's own messages (acknowledged
// permanent errors, recovered panics). The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// DefaultConcurrency is how many records of a batch run at once unless
// [WithConcurrency] says otherwise.
const DefaultConcurrency = 10

// WithConcurrency sets how many records of one batch (SQS, Kinesis, DynamoDB
// Streams, Kafka, MQ, Firehose) the event handler sees at once. Records of
// one ordered group (an SQS FIFO message group, a stream shard, a Kafka
// partition) always run one after another. n < 1 means 1: the records run
// one by one on the invocation's goroutine. The default is
// [DefaultConcurrency].
func WithConcurrency(n int) Option {
	return func(o *options) {
		if n < 1 {
			n = 1
		}
		o.concurrency = n
	}
}

// WithResponseStreaming streams the HTTP handler's response to Function URL
// invocations as it is written (and flushed), for functions whose URL is
// configured with InvokeMode RESPONSE_STREAM. It takes effect under [Start];
// [Handler.Invoke] always answers with a buffered response.
func WithResponseStreaming() Option { return func(o *options) { o.streaming = true } }

// WithFunctionName sets the function name reported in the invocation
// metadata. The default is the AWS_LAMBDA_FUNCTION_NAME environment
// variable, read once by [New].
func WithFunctionName(name string) Option { return func(o *options) { o.functionName = name } }

// WithRegion sets the AWS region used where an event source's ARN must be
// built from parts (CloudWatch Logs). The default is the AWS_REGION
// environment variable, read once by [New].
func WithRegion(region string) Option { return func(o *options) { o.region = region } }

// WithGetenv replaces os.Getenv for the variables [New] and [Start] read
// (for tests).
func WithGetenv(getenv func(string) string) Option { return func(o *options) { o.getenv = getenv } }

// WithTrigger declares what invokes the function directly, for the
// invocations whose payload has no event shape of its own (a direct
// invoke): they report t as the invocation's trigger. With
// function.TriggerTimer — a function that EventBridge Scheduler invokes,
// which sends the schedule's target input as it is — such an invocation is
// a schedule tick: an event of type [TypeSchedule] (trigger.Schedule reads
// it), handled as an asynchronous invocation, whose payload is the input.
func WithTrigger(t function.Trigger) Option { return func(o *options) { o.trigger = t } }
