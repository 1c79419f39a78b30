package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/internal/testenv"
	"github.com/faasport/faasport/payload"
)

const presetARN = "arn:aws:sqs:us-east-1:123456789012:orders"

// presetRecords are SQS records in the forms payload unwraps, and in the
// forms where the adapter's decoded record cannot tell what decoding the
// record's JSON gives.
var presetRecords = map[string]string{
	"typical": `{"messageId":"m-1","receiptHandle":"rh","body":"{\"orderId\":\"o-1\"}","attributes":{"ApproximateReceiveCount":"2","SentTimestamp":"1700000000000","SenderId":"x","ApproximateFirstReceiveTimestamp":"1700000000100"},"messageAttributes":{},"md5OfBody":"x","eventSource":"aws:sqs","eventSourceARN":"` + presetARN + `","awsRegion":"us-east-1"}`,
	"fifo with trace": `{"messageId":"m-2","body":"plain text","attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1700000000000","MessageGroupId":"g-1","AWSTraceHeader":"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"},` +
		`"messageAttributes":{"traceparent":{"stringValue":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","dataType":"String"},"content-type":{"stringValue":"text/plain","dataType":"String"}},"eventSource":"aws:sqs","eventSourceARN":"` + presetARN + `.fifo"}`,
	"binary attributes": `{"messageId":"m-3","body":"{}","attributes":{"ApproximateReceiveCount":"1"},"messageAttributes":{"utf8":{"binaryValue":"aGk=","dataType":"Binary"},"raw":{"binaryValue":"/+7d","dataType":"Binary"},"empty":{"binaryValue":"","dataType":"Binary"},"both":{"stringValue":"s","binaryValue":"aGk=","dataType":"String"},"none":{"dataType":"String"},"null":null,"list":{"stringListValues":["a"],"dataType":"String"}},"eventSource":"aws:sqs","eventSourceARN":"` + presetARN + `"}`,
	"binary-mode CloudEvent": `{"messageId":"m-4","body":"{\"orderId\":\"o-4\"}","attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1700000000000"},"messageAttributes":{` +
		`"ce_specversion":{"stringValue":"1.0","dataType":"String"},"ce_id":{"stringValue":"e-4","dataType":"String"},"ce_source":{"stringValue":"/shop","dataType":"String"},"ce_type":{"stringValue":"order.placed","dataType":"String"},` +
		`"ce_time":{"stringValue":"2026-03-04T05:06:07Z","dataType":"String"},"ce_datacontenttype":{"stringValue":"application/json","dataType":"String"},"ce_tenant":{"stringValue":"t-9","dataType":"String"},"origin":{"binaryValue":"d2Vi","dataType":"Binary"}},"eventSource":"aws:sqs","eventSourceARN":"` + presetARN + `"}`,
	"binary-mode CloudEvent, base64 data": `{"messageId":"m-5","body":"eyJvcmRlcklkIjoiby01In0=","attributes":{"ApproximateReceiveCount":"1"},"messageAttributes":{` +
		`"cloudEvents_specversion":{"stringValue":"1.0","dataType":"String"},"cloudEvents_id":{"stringValue":"e-5","dataType":"String"},"cloudEvents_source":{"stringValue":"/shop","dataType":"String"},"cloudEvents_type":{"stringValue":"order.placed","dataType":"String"},` +
		`"cloudEvents_datacontentencoding":{"binaryValue":"YmFzZTY0","dataType":"Binary"}},"eventSource":"aws:sqs","eventSourceARN":"` + presetARN + `"}`,
	"binary-mode CloudEvent, bad encoding": `{"messageId":"m-6","body":"x","attributes":{},"messageAttributes":{` +
		`"ce-specversion":{"stringValue":"1.0","dataType":"String"},"ce-id":{"stringValue":"e-6","dataType":"String"},"ce-source":{"stringValue":"/shop","dataType":"String"},"ce-type":{"stringValue":"t","dataType":"String"},` +
		`"ce-datacontentencoding":{"stringValue":"gzip","dataType":"String"}},"eventSource":"aws:sqs","eventSourceARN":"` + presetARN + `"}`,
	"SNS in SQS":                              `{"messageId":"m-7","body":"{\"Type\":\"Notification\",\"MessageId\":\"n-7\",\"TopicArn\":\"arn:aws:sns:us-east-1:1:t\",\"Message\":\"{\\\"orderId\\\":\\\"o-7\\\"}\",\"Timestamp\":\"2026-01-01T00:00:00Z\",\"MessageAttributes\":{\"traceparent\":{\"Type\":\"String\",\"Value\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"},\"bin\":{\"Type\":\"Binary\",\"Value\":\"aGk=\"}}}","attributes":{"ApproximateReceiveCount":"4","SentTimestamp":"1700000000000"},"eventSource":"aws:sqs","eventSourceARN":"` + presetARN + `"}`,
	"binary-mode CloudEvent in SNS in SQS":    `{"messageId":"m-8","body":"{\"Type\":\"Notification\",\"MessageId\":\"n-8\",\"TopicArn\":\"arn:aws:sns:us-east-1:1:t\",\"Message\":\"eA==\",\"MessageAttributes\":{\"ce_specversion\":{\"Type\":\"String\",\"Value\":\"1.0\"},\"ce_id\":{\"Type\":\"String\",\"Value\":\"e-8\"},\"ce_source\":{\"Type\":\"String\",\"Value\":\"/s\"},\"ce_type\":{\"Type\":\"String\",\"Value\":\"t.x\"},\"ce_datacontentencoding\":{\"Type\":\"String\",\"Value\":\"base64\"}}}","attributes":{"ApproximateReceiveCount":"1"},"eventSource":"aws:sqs","eventSourceARN":"` + presetARN + `"}`,
	"EventBridge in SQS":                      `{"messageId":"m-9","body":"{\"version\":\"0\",\"id\":\"eb-9\",\"detail-type\":\"OrderPlaced\",\"source\":\"shop.orders\",\"account\":\"1\",\"time\":\"2026-01-01T00:00:02Z\",\"region\":\"us-east-1\",\"resources\":[],\"detail\":{\"orderId\":\"o-9\"}}","attributes":{"ApproximateReceiveCount":"1"},"eventSource":"aws:sqs","eventSourceARN":"` + presetARN + `"}`,
	"case-folded system attribute":            `{"messageId":"m-10","body":"{}","attributes":{"approximateReceiveCount":"5","SENTTIMESTAMP":"1700000000000","meſſageGroupId":"g"},"eventSource":"aws:sqs","eventSourceARN":"` + presetARN + `"}`,
	"system attribute given twice, null last": `{"messageId":"m-11","body":"{}","attributes":{"ApproximateReceiveCount":"5","ApproximateReceiveCount":null,"MessageGroupId":"g","MessageGroupId":""},"eventSource":"aws:sqs","eventSourceARN":"` + presetARN + `"}`,
	"escaped system attribute name":           `{"messageId":"m-12","body":"{}","attributes":{"Approximate\u0052eceiveCount":"6"},"eventSource":"aws:sqs","eventSourceARN":"` + presetARN + `"}`,
	"case-folded record fields":               `{"MessageId":"m-13","Body":"{}","Attributes":{"ApproximateReceiveCount":"7"},"eventSource":"aws:sqs","EventSourceArn":"` + presetARN + `"}`,
	"structured CloudEvent body":              `{"messageId":"m-14","body":"{\"specversion\":\"1.0\",\"id\":\"c-1\",\"source\":\"/s\",\"type\":\"t\"}","attributes":{},"eventSource":"aws:sqs","eventSourceARN":"` + presetARN + `"}`,
	"no message id":                           `{"body":"{}","eventSource":"aws:sqs","eventSourceARN":"` + presetARN + `"}`,
}

// runKey marks the context a record is run with.
type runKey struct{}

// checkPresets builds the events of an SQS Records array as the adapter
// does and holds each record's preset Message to the one payload reads
// from the event itself. It returns how many records had a preset.
func checkPresets(t *testing.T, records []byte) int {
	t.Helper()
	b := builder{ctx: context.Background(), base: &function.Invocation{}}
	p, err := b.sqs(shape{kind: kindSQS, records: records})
	if err != nil {
		return 0
	}
	n := 0
	for i := range p.units {
		u := &p.units[i]
		if u.err != nil || u.preset == nil {
			continue
		}
		n++
		var h Handler
		var inv function.Invocation
		// The record runs below the context it is run with, not the one
		// its batch was built with.
		rctx := h.unitContext(context.WithValue(b.ctx, runKey{}, i), b.base, p, i, &inv)
		require.Equal(t, i, rctx.Value(runKey{}), "the record's context lost the one it ran under")
		_, carried := payload.FromContext(rctx)
		require.False(t, carried, "the preset context carries a Message of its own")
		want, wantErr := payload.Of(u.ev)
		var c payload.Carrier
		data, ct, err := c.Bind(rctx, u.ev, nil)
		if wantErr != nil {
			require.EqualError(t, err, wantErr.Error(), "record %s", u.ev.Data())
			continue
		}
		require.NoError(t, err, "record %s", u.ev.Data())
		got, ok := payload.FromContext(&c)
		require.True(t, ok)
		require.Equal(t, want, got, "record %s", u.ev.Data())
		require.Equal(t, want.Data, data)
		require.Equal(t, want.ContentType, ct)
	}
	return n
}

// withIDs returns an object record with a messageId and eventSourceARN
// put first, so a corpus record that has none becomes an event (a record
// that has them gets them twice, which encoding/json takes, the last
// winning).
func withIDs(raw []byte) []byte {
	r := trimValue(raw)
	if len(r) < 2 || r[0] != '{' {
		return raw
	}
	rest := bytes.TrimLeft(r[1:], " \t\r\n")
	sep := ","
	if len(rest) > 0 && rest[0] == '}' {
		sep = ""
	}
	return []byte(`{"messageId":"m-c","eventSourceARN":"` + presetARN + `"` + sep + string(r[1:]))
}

// The Message an SQS record's preset gives equals the one payload reads
// from the record's event, for every SQS record in the fixtures and fuzz
// corpora of this package and payload, and aws-lambda-go's fixtures.
func TestSQSPresetIsWhatPayloadReads(t *testing.T) {
	presets := 0
	for name, raw := range presetRecords {
		t.Run(name, func(t *testing.T) {
			presets += checkPresets(t, []byte("["+raw+"]"))
		})
	}
	records := map[string][]byte{}
	for name, raw := range testenv.FuzzCorpus(t, filepath.Join("testdata", "fuzz", "FuzzSQSRecord")) {
		records["FuzzSQSRecord/"+name] = raw
	}
	for name, raw := range testenv.FuzzCorpus(t, filepath.Join("..", "..", "payload", "testdata", "fuzz", "FuzzOf")) {
		records["FuzzOf/"+name] = raw
	}
	for name, raw := range records {
		t.Run(name, func(t *testing.T) {
			presets += checkPresets(t, []byte("["+string(raw)+"]"))
			presets += checkPresets(t, []byte("["+string(withIDs(raw))+"]"))
		})
	}
	for name, raw := range testenv.FuzzCorpus(t, filepath.Join("testdata", "fuzz", "FuzzInvoke")) {
		t.Run("FuzzInvoke/"+name, func(t *testing.T) {
			if s, err := detect(raw); err == nil && s.kind == kindSQS {
				presets += checkPresets(t, s.records)
			}
		})
	}
	files, err := filepath.Glob(filepath.Join(awsFixtures(t), "*.json"))
	require.NoError(t, err)
	for _, path := range files {
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		eachObject(raw, func(obj []byte) {
			if stringValue(member(obj, "eventSource")) == "aws:sqs" {
				t.Run(filepath.Base(path), func(t *testing.T) {
					presets += checkPresets(t, []byte("["+string(obj)+"]"))
				})
			}
		})
	}
	t.Logf("%d presets compared", presets)
	assert.GreaterOrEqual(t, presets, 40, "too few records had a preset to compare")
}

// The typed path finds the preset through the contexts the adapter and
// function.Typed put around it: a handler that overwrites its record's
// bytes before reading its Message still gets the record's Message, which
// only the preset can give. A handler given another event reads that one.
func TestSQSPresetReachesTheHandler(t *testing.T) {
	payloadJSON := []byte(`{"Records":[` + presetRecords["binary-mode CloudEvent"] + `,` + presetRecords["SNS in SQS"] + `]}`)
	want := map[string]*payload.Message{}
	b := builder{ctx: context.Background(), base: &function.Invocation{}}
	s, err := detect(payloadJSON)
	require.NoError(t, err)
	p, err := b.sqs(s)
	require.NoError(t, err)
	for i := range p.units {
		m, err := payload.Of(p.units[i].ev)
		require.NoError(t, err)
		want[p.units[i].ev.ID()] = m
	}
	got := map[string]*payload.Message{}
	other := map[string]error{}
	h := New(Events(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
		// Another event is read from its own data (which is not a record).
		o := e.Clone()
		var oc payload.Carrier
		_, _, other[e.ID()] = oc.Bind(ctx, o, nil)

		for i := range e.DataEncoded {
			e.DataEncoded[i] = ' '
		}
		var c payload.Carrier
		if _, _, err := c.Bind(ctx, e, nil); err != nil {
			return nil, err
		}
		got[e.ID()], _ = payload.FromContext(&c)
		return nil, nil
	})), WithConcurrency(1))
	out, err := h.Invoke(context.Background(), payloadJSON)
	require.NoError(t, err)
	assert.JSONEq(t, `{"batchItemFailures":[]}`, string(out))
	require.Len(t, got, 2)
	for id, m := range want {
		assert.Equal(t, m, got[id], id)
		assert.NoError(t, other[id], "the clone is read from its data, still intact then")
	}
}

// FuzzSQSPreset holds the preset Message of arbitrary SQS records to the
// one payload reads from their events.
func FuzzSQSPreset(f *testing.F) {
	for _, raw := range presetRecords {
		f.Add([]byte(raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		checkPresets(t, []byte("["+string(raw)+"]"))
		checkPresets(t, []byte("["+string(withIDs(raw))+"]"))
	})
}
