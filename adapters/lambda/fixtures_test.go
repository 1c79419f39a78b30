package lambda_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/lambda"
)

// awsTestdata finds aws-lambda-go's events/testdata in the module cache.
func awsTestdata(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-json", "github.com/aws/aws-lambda-go").Output()
	if err != nil {
		t.Skipf("go list cannot locate aws-lambda-go (%v); run go mod download", err)
	}
	var m struct{ Dir string }
	require.NoError(t, json.Unmarshal(out, &m))
	if m.Dir == "" {
		t.Skip("aws-lambda-go is not in the module cache; run go mod download")
	}
	return filepath.Join(m.Dir, "events", "testdata")
}

// documentedTypes reads the type column of docs/aws-events.md: every code
// span in it that starts with com.amazonaws., with <placeholders> turned
// into wildcards.
func documentedTypes(t *testing.T) []*regexp.Regexp {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "aws-events.md"))
	require.NoError(t, err)
	defer f.Close()
	span := regexp.MustCompile("`(com\\.amazonaws\\.[^`]*)`")
	var out []*regexp.Regexp
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		for _, m := range span.FindAllStringSubmatch(sc.Text(), -1) {
			parts := regexp.MustCompile(`<[^>]*>`).Split(m[1], -1)
			for i := range parts {
				parts[i] = regexp.QuoteMeta(parts[i])
			}
			out = append(out, regexp.MustCompile("^"+strings.Join(parts, ".+")+"$"))
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out, "docs/aws-events.md lists no types")
	return out
}

// expectedType maps fixture name prefixes to the CloudEvent type prefix the
// mapping table gives them. Fixtures not listed go to the direct-invoke
// fallback.
var expectedType = []struct{ prefix, typ string }{
	{"s3-batch-job", "com.amazonaws.s3batch.task"},
	{"s3-object-lambda", lambda.TypeInvoke},
	{"s3-", lambda.TypeS3Prefix},
	{"sns-", lambda.TypeSNSPrefix},
	{"cloudwatch-alarm-sns", lambda.TypeSNSPrefix},
	{"sqs-", lambda.TypeSQSMessage},
	{"kinesis-firehose", lambda.TypeFirehoseRecord},
	{"kinesis-analytics", lambda.TypeInvoke},
	{"kinesis-", lambda.TypeKinesisPrefix},
	{"dynamodb-", lambda.TypeDynamoDBPrefix},
	{"autoscaling-", lambda.TypeEventsPrefix},
	{"codebuild-", lambda.TypeEventsPrefix},
	{"codedeploy-", lambda.TypeEventsPrefix},
	{"codepipeline-job", "com.amazonaws.codepipeline.job"},
	{"codepipeline-", lambda.TypeEventsPrefix},
	{"ecr-", lambda.TypeEventsPrefix},
	{"ecs-", lambda.TypeEventsPrefix},
	{"cloudwatch-logs", "com.amazonaws.logs."},
	{"kafka-", lambda.TypeKafkaRecord},
	{"activemq-", lambda.TypeMQMessage},
	{"rabbitmq-", lambda.TypeMQMessage},
	{"ses-", "com.amazonaws.ses.email"},
	{"cognito-event-userpools", "com.amazonaws.cognito-idp."},
	{"cognito-event", "com.amazonaws.cognito-sync."},
	{"code-commit", "com.amazonaws.codecommit."},
	{"config-", "com.amazonaws.config."},
	{"iot-button", "com.amazonaws.iot.button"},
	{"iot-1-click", "com.amazonaws.iot1click."},
	{"iot-custom-auth", "com.amazonaws.iot.customauth"},
	{"iot-preprovision", "com.amazonaws.iot.preprovision"},
	{"secretsmanager-", "com.amazonaws.secretsmanager."},
}

func typeFor(name string) string {
	for _, e := range expectedType {
		if strings.HasPrefix(name, e.prefix) {
			return e.typ
		}
	}
	return lambda.TypeInvoke
}

// skipped are fixtures that are not invocation payloads.
func skipReason(name string) string {
	switch {
	case strings.Contains(name, "-response"):
		return "a function's response, not an invocation"
	case strings.HasPrefix(name, "appsync-identity"):
		return "a fragment of an AppSync event, not an invocation"
	}
	return ""
}

func TestFixtureSweep(t *testing.T) {
	dir := awsTestdata(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	docTypes := documentedTypes(t)
	counts := map[string][]string{}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			payload, err := os.ReadFile(path)
			require.NoError(t, err)
			if r := skipReason(name); r != "" {
				counts["skipped: "+r] = append(counts["skipped: "+r], name)
				return
			}
			rec := &recorder{}
			s := &seen{}
			h := lambda.New(lambda.Events(rec), lambda.HTTP(capture(s)), lambda.WithLogger(quietLogger()), lambda.WithRegion("us-east-1"))
			out, err := h.Invoke(lambdaCtx(t), payload)
			if !json.Valid(payload) {
				var le *lambda.Error
				require.ErrorAs(t, err, &le, "malformed fixture")
				assert.Equal(t, lambda.ErrorTypeInvalidEvent, le.Type)
				counts["malformed: rejected with faasport.InvalidEventError"] = append(counts["malformed: rejected with faasport.InvalidEventError"], name)
				return
			}
			if s.method != "" {
				require.NoError(t, err)
				assert.NotEmpty(t, out)
				assert.Equal(t, http.StatusCreated, statusOf(t, out))
				counts["HTTP: served by the http.Handler"] = append(counts["HTTP: served by the http.Handler"], name)
				return
			}
			require.NoError(t, err, "handler output %s", out)
			require.NotEmpty(t, rec.events)
			want := typeFor(name)
			for i, e := range rec.events {
				require.NoError(t, e.Validate(), "event %d", i)
				assert.True(t, strings.HasPrefix(e.Type(), want), "type %q, want prefix %q", e.Type(), want)
				assert.NotNil(t, rec.invs[i].Native)
				documented := false
				for _, re := range docTypes {
					documented = documented || re.MatchString(e.Type())
				}
				assert.True(t, documented, "type %q is not in docs/aws-events.md", e.Type())
			}
			if want == lambda.TypeInvoke {
				counts["events: no dedicated mapping, delivered as "+lambda.TypeInvoke] = append(counts["events: no dedicated mapping, delivered as "+lambda.TypeInvoke], name)
			} else {
				counts["events: dedicated mapping"] = append(counts["events: dedicated mapping"], name)
			}
		})
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%-75s %3d  %s", k, len(counts[k]), strings.Join(counts[k], " "))
	}
	t.Logf("%d fixtures: %d dedicated event mappings, %d HTTP", len(files), len(counts["events: dedicated mapping"]), len(counts["HTTP: served by the http.Handler"]))
}

func statusOf(t *testing.T, out []byte) int {
	t.Helper()
	var r struct {
		StatusCode int `json:"statusCode"`
	}
	require.NoError(t, json.Unmarshal(out, &r))
	return r.StatusCode
}
