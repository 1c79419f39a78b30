package payload_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/internal/testenv"
	"github.com/faasport/faasport/payload"
)

// decodedSQS is an SQS record as an adapter decodes it (aws-lambda-go's
// shape: the system attributes in a map), the SQSSource of a preset.
type decodedSQS struct {
	MessageID         string                          `json:"messageId"`
	Body              string                          `json:"body"`
	EventSourceARN    string                          `json:"eventSourceARN"`
	Attributes        map[string]string               `json:"attributes"`
	MessageAttributes map[string]payload.SQSAttribute `json:"messageAttributes"`
	calls             int
}

func (d *decodedSQS) SQSRecord(r *payload.SQSRecord) {
	d.calls++
	*r = payload.SQSRecord{MessageID: d.MessageID, Body: d.Body, EventSourceARN: d.EventSourceARN, Attributes: d.Attributes, MessageAttributes: d.MessageAttributes}
}

// presetSQS returns the SQS event of record and a context preset with the
// record as an adapter decoded it, or false where the adapter would make
// no event of it.
func presetSQS(t *testing.T, record string) (event.Event, context.Context, *decodedSQS, bool) {
	t.Helper()
	var d decodedSQS
	if json.Unmarshal([]byte(record), &d) != nil || d.MessageID == "" {
		return event.Event{}, nil, nil, false
	}
	e := ce(t, "com.amazonaws.sqs.message", record)
	c := new(payload.Carrier)
	c.PresetSQS(context.Background(), e, &d)
	return e, c, &d, true
}

// sqsFixtures are SQS records in every form payload unwraps: the fuzz
// corpus's, and ones built here.
func sqsFixtures(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{
		"plain":                      sqsRecord(order, ""),
		"attributes":                 sqsRecord(order, sqsAttrs(map[string]string{"traceparent": tp, "tracestate": "k=v", "content-type": "application/json", "bin": "hi", "raw": "\xff\xfe"}, "bin", "raw")),
		"binary-mode CloudEvent":     sqsRecord(order, sqsAttrs(binaryCE("ce_", map[string]string{"ce_tenant": "t-1", "ce_traceparent": tp, "origin": "web"}), "origin")),
		"binary-mode CloudEvent b64": sqsRecord(b64(order), sqsAttrs(binaryCE("cloudEvents_", map[string]string{"cloudEvents_datacontentencoding": "base64"}))),
		"binary-mode bad encoding":   sqsRecord(order, sqsAttrs(binaryCE("ce-", map[string]string{"ce-datacontentencoding": "gzip"}))),
		"SNS in SQS":                 sqsRecord(snsBody, ""),
		"binary CE in SNS in SQS":    sqsRecord(snsNotification("sns-2", order, snsAttrs(binaryCE("ce_", nil))), ""),
		"EventBridge in SQS":         sqsRecord(ebBody, ""),
		"no system attributes":       `{"messageId":"m-2","body":"x","eventSourceARN":"arn:aws:sqs:eu-west-1:1:q"}`,
		"case-folded system attr":    `{"messageId":"m-3","body":"x","attributes":{"approximatereceivecount":"4"}}`,
		"system attr null last":      `{"messageId":"m-4","body":"x","attributes":{"SentTimestamp":"1767225600000","SentTimestamp":null}}`,
	}
	for name, raw := range testenv.FuzzCorpus(t, filepath.Join("testdata", "fuzz", "FuzzOf")) {
		out["FuzzOf/"+name] = string(raw)
	}
	return out
}

// The Message a Carrier makes from a preset SQS record is the one Of reads
// from the event, errors included.
func TestPresetSQSIsWhatOfReads(t *testing.T) {
	t.Parallel()
	presets := 0
	for name, record := range sqsFixtures(t) {
		e, ctx, d, ok := presetSQS(t, record)
		if !ok {
			continue
		}
		presets++
		t.Run(name, func(t *testing.T) {
			want, wantErr := payload.Of(e)
			var c payload.Carrier
			data, ct, err := c.Bind(ctx, e, nil)
			if wantErr != nil {
				require.EqualError(t, err, wantErr.Error())
				return
			}
			require.NoError(t, err)
			got, ok := payload.FromContext(&c)
			require.True(t, ok)
			assert.Equal(t, want, got)
			assert.Equal(t, want.Data, data)
			assert.Equal(t, want.ContentType, ct)
			assert.Equal(t, 1, d.calls, "the record is asked for once")
		})
	}
	assert.GreaterOrEqual(t, presets, 12)
}

// A preset is used for its own event only, is made once for the readers
// bound to it, and is no Message for FromContext.
func TestPresetSQS(t *testing.T) {
	t.Parallel()
	record := sqsRecord(order, sqsAttrs(map[string]string{"k": "v"}))
	e, ctx, d, ok := presetSQS(t, record)
	require.True(t, ok)
	_, carried := payload.FromContext(ctx)
	assert.False(t, carried, "a preset carries no Message before a Carrier is bound to its event")

	// The preset gives the Message without the event's data being read.
	d.Body = `{"from":"the preset"}`
	var a, b payload.Carrier
	data, _, err := a.Bind(ctx, e, func(context.Context) int { return 9 })
	require.NoError(t, err)
	assert.JSONEq(t, d.Body, string(data))
	_, _, err = b.Bind(ctx, e, nil)
	require.NoError(t, err)
	ma, _ := payload.FromContext(&a)
	mb, _ := payload.FromContext(&b)
	assert.Same(t, ma, mb, "the readers share one Message")
	assert.Equal(t, 1, d.calls)
	assert.Equal(t, 3, ma.Attempt, "the record's attempt")
	_, carried = payload.FromContext(ctx)
	assert.False(t, carried, "the preset itself still carries none")

	// Other events are read from their data.
	other := map[string]event.Event{
		"a clone": e.Clone(),
		"the same context, as another type": func() event.Event {
			o := e.Clone()
			o.SetType("com.amazonaws.sns.Notification")
			o.DataEncoded = []byte(snsBody)
			return o
		}(),
	}
	for name, o := range other {
		var c payload.Carrier
		data, _, err := c.Bind(ctx, o, nil)
		require.NoError(t, err, name)
		want, err := payload.Of(o)
		require.NoError(t, err, name)
		assert.Equal(t, want.Data, data, name)
	}
	assert.Equal(t, 1, d.calls)

	// A preset whose event's type a middleware changed in place is not
	// used: the event is read as its type says.
	e2, ctx2, d2, ok := presetSQS(t, record)
	require.True(t, ok)
	e2.SetType("com.example.own")
	var c payload.Carrier
	data, _, err = c.Bind(ctx2, e2, nil)
	require.NoError(t, err)
	assert.Equal(t, record, string(data), "an own payload is the event's data")
	assert.Zero(t, d2.calls)
}
