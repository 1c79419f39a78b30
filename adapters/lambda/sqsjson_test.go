package lambda

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkDecoder fails t when decode, one of jsonDecoder's methods, takes
// raw but does not produce what json.Unmarshal does into a T, or takes
// what json.Unmarshal rejects. It returns whether decode took raw.
func checkDecoder[T any](t *testing.T, decode func([]byte, *T) bool, raw []byte) bool {
	t.Helper()
	var got T
	ok := decode(raw, &got)
	var want T
	err := json.Unmarshal(raw, &want)
	if ok {
		require.NoError(t, err, "the decoder took %q, which encoding/json rejects", raw)
		require.Equal(t, want, got, "decoding %q", raw)
	}
	return ok
}

// checkSQSDecoder is checkDecoder for SQS records.
func checkSQSDecoder(t *testing.T, d *jsonDecoder, raw []byte) bool {
	t.Helper()
	return checkDecoder(t, d.sqsMessage, raw)
}

func TestSQSDecoder(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		took bool // whether the decoder itself decodes it
	}{
		{"typical", `{"messageId":"m1","receiptHandle":"rh","body":"{\"a\":[1,2]}","md5OfBody":"x","md5OfMessageAttributes":null,"attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1700000000000"},"messageAttributes":{},"eventSourceARN":"arn:aws:sqs:us-east-1:1:q","eventSource":"aws:sqs","awsRegion":"us-east-1"}`, true},
		{"space everywhere", " {\n\t\"messageId\" : \"m1\" ,\r\n \"attributes\" : { \"a\" : \"b\" } } \n", true},
		{"empty object", `{}`, true},
		{"nulls", `{"messageId":null,"attributes":null,"messageAttributes":null}`, true},
		{"null attribute value", `{"attributes":{"a":null}}`, true},
		{"repeated map key, last wins", `{"attributes":{"a":"1","a":"2"}}`, true},
		{"escaped map key", `{"attributes":{"\u0041\n":"x"}}`, true},
		{"escapes", `{"body":"q\" b\\ s\/ \b\f\n\r\t \u00e9 \u20AC \ud83d\ude00"}`, true},
		{"lone surrogates", `{"body":"\ud83d x \ude00 \ud83d\u0041 \ud83d\ud83d\ude00"}`, true},
		{"invalid UTF-8", "{\"body\":\"a\xff\xfeb \xed\xa0\x80 \xe2\x82\"}", true},
		{"valid UTF-8", `{"body":"héllo wörld €"}`, true},
		{"long body", `{"body":"` + strings.Repeat("x", 5000) + `"}`, true},
		{"unknown members", `{"x":[1,-2.5e+3,0.0,true,false,null,{"y":{}},[]],"messageId":"m"}`, true},
		{"message attributes", `{"messageAttributes":{"a":{"stringValue":"s","dataType":"String"},"b":{"binaryValue":"aGk=","dataType":"Binary"},"c":{"stringListValues":["x",null],"binaryListValues":["aGk=",null,""]},"d":null,"e":{},"f":{"stringValue":null,"binaryValue":null,"stringListValues":[],"binaryListValues":[],"other":1}}}`, true},
		{"base64 with an escaped newline", `{"messageAttributes":{"a":{"binaryValue":"aG\nk="}}}`, true},

		{"not an object", `[]`, false},
		{"null record", `null`, false},
		{"number for a string", `{"messageId":1}`, false},
		{"object for a string", `{"body":{}}`, false},
		{"bad base64", `{"messageAttributes":{"a":{"binaryValue":"!!"}}}`, false},
		{"repeated field", `{"messageId":"a","messageId":"b"}`, false},
		{"case-folded field", `{"MessageId":"a"}`, false},
		{"Unicode-folded field", `{"meſſageId":"a"}`, false},
		{"escaped key", `{"message\u0049d":"a"}`, false},
		{"case-folded attribute field", `{"messageAttributes":{"a":{"DataType":"x"}}}`, false},
		{"bytes as an array", `{"messageAttributes":{"a":{"binaryValue":[104,105]}}}`, false},
		{"deep unknown", `{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, false},

		{"trailing garbage", `{"messageId":"a"}x`, false},
		{"two values", `{} {}`, false},
		{"trailing comma", `{"messageId":"a",}`, false},
		{"missing colon", `{"messageId" "a"}`, false},
		{"control character", "{\"body\":\"a\tb\"}", false},
		{"bad escape", `{"body":"\x"}`, false},
		{"single-quote escape", `{"body":"\'"}`, false},
		{"short unicode escape", `{"body":"\u12"}`, false},
		{"unterminated string", `{"body":"abc`, false},
		{"bad literal", `{"x":nul}`, false},
		{"bad number", `{"x":01}`, false},
		{"bare minus", `{"x":-}`, false},
		{"bare dot", `{"x":1.}`, false},
		{"bare exponent", `{"x":1e}`, false},
		{"plus sign", `{"x":+1}`, false},
		{"single quotes", `{'x':1}`, false},
		{"unclosed", `{"attributes":{"a":"b"}`, false},
		{"truncated", `{"messageId":`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d jsonDecoder
			assert.Equal(t, tc.took, checkSQSDecoder(t, &d, []byte(tc.raw)))
		})
	}
}

// TestSQSDecoderSharesNoBytes checks that decoded strings and byte slices
// do not alias the payload, which the runtime reuses.
func TestSQSDecoderSharesNoBytes(t *testing.T) {
	raw := []byte(`{"messageId":"m1","body":"b\"","attributes":{"k":"v"},"messageAttributes":{"a":{"stringValue":"s","binaryValue":"aGk="}}}`)
	var d jsonDecoder
	var m events.SQSMessage
	require.True(t, d.sqsMessage(raw, &m))
	for i := range raw {
		raw[i] = 'X'
	}
	assert.Equal(t, "m1", m.MessageId)
	assert.Equal(t, `b"`, m.Body)
	assert.Equal(t, map[string]string{"k": "v"}, m.Attributes)
	assert.Equal(t, "s", *m.MessageAttributes["a"].StringValue)
	assert.Equal(t, []byte("hi"), m.MessageAttributes["a"].BinaryValue)
}

// TestSQSDecoderFixtureSweep runs the decoder against encoding/json on
// every object in aws-lambda-go's event fixtures: the SQS records, which
// it must take itself, and every other object, which must decode the same
// or be left to encoding/json.
func TestSQSDecoderFixtureSweep(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(awsFixtures(t), "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var d jsonDecoder
	objects, took, sqsRecords := 0, 0, 0
	for _, path := range files {
		payload, err := os.ReadFile(path)
		require.NoError(t, err)
		eachObject(payload, func(obj []byte) {
			objects++
			ok := checkSQSDecoder(t, &d, obj)
			if ok {
				took++
			}
			if stringValue(member(obj, "eventSource")) == "aws:sqs" {
				sqsRecords++
				assert.True(t, ok, "%s: the decoder left an SQS record to encoding/json: %s", filepath.Base(path), obj)
			}
		})
	}
	require.NotZero(t, sqsRecords, "no SQS record in the fixtures")
	t.Logf("%d fixtures, %d objects, %d decoded by the decoder (%d SQS records)", len(files), objects, took, sqsRecords)
}

// awsFixtures returns aws-lambda-go's events/testdata directory.
func awsFixtures(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("go list cannot locate aws-lambda-go (%v); run go mod download", err)
	}
	return filepath.Join(dir, "events", "testdata")
}

// eachObject calls fn with the span of every object in the valid JSON v,
// nested ones included.
func eachObject(v []byte, fn func(obj []byte)) {
	v = trimValue(v)
	if len(v) == 0 {
		return
	}
	switch v[0] {
	case '{':
		fn(v)
		_ = eachMember(v, func(_, val []byte) bool { eachObject(val, fn); return true })
	case '[':
		_ = eachElement(v, func(val []byte) bool { eachObject(val, fn); return true })
	}
}

// FuzzSQSRecord is the decoder against encoding/json on arbitrary bytes:
// whatever the decoder takes, encoding/json must take and decode the same.
func FuzzSQSRecord(f *testing.F) {
	f.Add([]byte(`{"messageId":"m1","receiptHandle":"rh","body":"{\"a\":1}","attributes":{"ApproximateReceiveCount":"1"},"messageAttributes":{},"eventSourceARN":"arn:aws:sqs:us-east-1:1:q","eventSource":"aws:sqs","awsRegion":"us-east-1"}`))
	f.Add([]byte(`{"messageAttributes":{"a":{"stringValue":"s","binaryValue":"aGk=","stringListValues":["x",null],"binaryListValues":["aGk=",null],"dataType":"String"}}}`))
	f.Add([]byte(`{"body":"\ud83d\ude00 \ud83d \u00e9\n","x":[1,-2.5e+3,true,null,{}]}`))
	var d jsonDecoder
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkSQSDecoder(t, &d, raw)
	})
}

// checkV2Decoder is checkDecoder for HTTP API requests.
func checkV2Decoder(t *testing.T, d *jsonDecoder, raw []byte) bool {
	t.Helper()
	return checkDecoder(t, d.v2Request, raw)
}
