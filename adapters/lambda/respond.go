package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

var nullResponse = []byte("null")

// handleEvents runs the event handler for an event invocation and builds
// its response.
func (h *Handler) handleEvents(ctx context.Context, base function.Invocation, s shape, payload []byte) ([]byte, error) {
	b := builder{ctx: ctx, base: &base, payload: payload, region: h.region, declared: h.trigger}
	p, err := b.plan(s)
	if err != nil {
		return nil, err
	}
	res := h.run(ctx, &base, p)
	switch p.reply {
	case replyItems:
		return batchResponse(p, res)
	case replyWhole:
		if err := retryableErrors(res); err != nil {
			return nil, &Error{Type: ErrorTypeRetryable, Err: fmt.Errorf("lambda: %s failed; the source has no partial batch response, so the whole batch is redelivered: %w", s.kind, err)}
		}
		return nullResponse, nil
	case replyFirehose:
		return h.firehoseResponse(ctx, p, res)
	case replyS3Batch:
		return s3BatchResponse(p, res)
	}
	if p.async {
		if err := retryableErrors(res); err != nil {
			return nil, &Error{Type: ErrorTypeRetryable, Err: err}
		}
	} else {
		for _, r := range res {
			if r.err != nil {
				t := ErrorTypeRetryable
				if function.IsPermanent(r.err) {
					t = ErrorTypePermanent
				}
				return nil, &Error{Type: t, Err: r.err}
			}
		}
	}
	if len(res) != 1 || res[0].reply == nil {
		if p.reply == replyVerbatim {
			return payload, nil
		}
		return nullResponse, nil
	}
	if p.reply == replyVerbatim {
		return res[0].reply.Data(), nil
	}
	if s.kind != kindCloudEvent {
		return ReplyPayload(res[0].reply), nil
	}
	out, err := json.Marshal(res[0].reply)
	if err != nil {
		return nil, &Error{Type: ErrorTypePermanent, Err: fmt.Errorf("lambda: encode reply event %q: %w", res[0].reply.ID(), err)}
	}
	return out, nil
}

// ReplyPayload is the response a caller that did not send a CloudEvent gets
// for reply: the reply's data as plain JSON. JSON data is returned as it
// is; text becomes a JSON string; other bytes are returned as they are when
// they are JSON, else as a JSON string of their base64 (as encoding/json
// encodes a []byte). No data is null.
func ReplyPayload(reply *event.Event) []byte {
	data := reply.Data()
	if len(data) == 0 {
		return nullResponse
	}
	media, _, _ := strings.Cut(strings.ToLower(reply.DataContentType()), ";")
	media = strings.TrimSpace(media)
	isJSON := media == "" || media == event.ApplicationJSON || media == "text/json" || strings.HasSuffix(media, "+json")
	if isJSON && json.Valid(data) {
		return data
	}
	var out []byte
	if strings.HasPrefix(media, "text/") {
		out, _ = json.Marshal(string(data))
		return out
	}
	if json.Valid(data) {
		return data
	}
	out, _ = json.Marshal(data)
	return out
}

// firehoseResponse answers a Firehose transformation: each record Ok (with
// the reply's data, or its own data when there is no reply) or
// ProcessingFailed.
func (h *Handler) firehoseResponse(ctx context.Context, p *plan, res []result) ([]byte, error) {
	out := events.KinesisFirehoseResponse{Records: make([]events.KinesisFirehoseResponseRecord, len(res))}
	for i, r := range res {
		rec, _ := p.units[i].native.(events.KinesisFirehoseEventRecord)
		o := events.KinesisFirehoseResponseRecord{RecordID: rec.RecordID, Result: events.KinesisFirehoseTransformedStateOk, Data: rec.Data}
		switch {
		case r.err != nil:
			o.Result = events.KinesisFirehoseTransformedStateProcessingFailed
		case r.reply != nil:
			o.Data = r.reply.Data()
		}
		out.Records[i] = o
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, &Error{Type: ErrorTypePermanent, Err: fmt.Errorf("lambda: encode Firehose response: %w", err)}
	}
	return b, nil
}

// s3BatchResponse answers an S3 Batch Operations task: the reply's data
// verbatim, else Succeeded, TemporaryFailure (retryable error) or
// PermanentFailure.
func s3BatchResponse(p *plan, res []result) ([]byte, error) {
	r := res[0]
	if r.err == nil && r.reply != nil {
		return r.reply.Data(), nil
	}
	var invocationID, version, taskID string
	switch e := p.units[0].native.(type) {
	case events.S3BatchJobEventV2:
		invocationID, version, taskID = e.InvocationID, e.InvocationSchemaVersion, e.Tasks[0].TaskID
	case events.S3BatchJobEvent:
		invocationID, version, taskID = e.InvocationID, e.InvocationSchemaVersion, e.Tasks[0].TaskID
	}
	result := events.S3BatchJobResult{TaskID: taskID, ResultCode: "Succeeded"}
	switch {
	case function.IsPermanent(r.err):
		result.ResultCode, result.ResultString = "PermanentFailure", r.err.Error()
	case r.err != nil:
		result.ResultCode, result.ResultString = "TemporaryFailure", r.err.Error()
	}
	b, err := json.Marshal(events.S3BatchJobResponse{
		InvocationSchemaVersion: version,
		TreatMissingKeysAs:      "PermanentFailure",
		InvocationID:            invocationID,
		Results:                 []events.S3BatchJobResult{result},
	})
	if err != nil {
		return nil, &Error{Type: ErrorTypePermanent, Err: fmt.Errorf("lambda: encode S3 Batch response: %w", err)}
	}
	return b, nil
}
