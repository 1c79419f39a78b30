package fntest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/frontdoor"
	"github.com/faasport/faasport/testing/lambdatest"
)

// Events is a batch of CloudEvents delivered in one invocation: a
// CloudEvents batch-mode request (application/cloudevents-batch+json) on
// Cloud Functions and net/http, an SQS batch whose bodies are the events
// in structured mode on Lambda (message ids are the event ids), an Event
// Grid trigger's array of events in the CloudEvents schema on Azure
// Functions. Use it to see how each platform redelivers a batch with
// failures: Lambda only the failed records, HTTP and Azure the whole batch
// (Azure stops at the first retryable failure). [Input.Payload] shows the
// first event on the HTTP platforms.
func Events(es ...event.Event) Input {
	es = slices.Clone(es)
	check := func() error {
		if len(es) == 0 {
			return fmt.Errorf("fntest: Events needs at least one event")
		}
		for _, e := range es {
			if err := e.Validate(); err != nil {
				return fmt.Errorf("fntest: event %q: %w", e.ID(), err)
			}
		}
		return nil
	}
	first := func() (event.Event, error) {
		if err := check(); err != nil {
			return event.Event{}, err
		}
		return es[0], nil
	}
	return Input{
		name: fmt.Sprintf("batch of %d events", len(es)),
		lambda: func() ([]byte, error) {
			if err := check(); err != nil {
				return nil, err
			}
			var sqs events.SQSEvent
			for _, e := range es {
				body, err := json.Marshal(e)
				if err != nil {
					return nil, fmt.Errorf("fntest: event %q: %w", e.ID(), err)
				}
				sqs.Records = append(sqs.Records, events.SQSMessage{
					MessageId: e.ID(), ReceiptHandle: "fntest-receipt-" + e.ID(), Body: string(body),
					Attributes:     map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": strconv.FormatInt(testTime().UnixMilli(), 10)},
					EventSource:    "aws:sqs",
					EventSourceARN: arn("sqs", testTopic),
					AWSRegion:      testRegion,
				})
			}
			return json.Marshal(sqs)
		},
		google: first,
		http:   first,
		batch: func() ([]event.Event, error) {
			if err := check(); err != nil {
				return nil, err
			}
			return slices.Clone(es), nil
		},
		azure: func() (azureCall, error) {
			if err := check(); err != nil {
				return azureCall{}, err
			}
			return eventGridCloudEvents(es)
		},
	}
}

// lambdaRecord is what fntest reads of a batch record to deliver it
// again: its attempt (its id is lambdatest.RecordID's).
type lambdaRecord struct {
	Attributes map[string]string `json:"attributes"`
}

// kafkaRecord is what fntest reads of a Kafka (MSK, self-managed) record.
type kafkaRecord struct {
	Offset int64 `json:"offset"`
}

// lambdaAttempt is the ApproximateReceiveCount of the first SQS record; 1
// for anything else (and for no payload).
func lambdaAttempt(payload []byte) int {
	var b struct {
		Records []lambdaRecord `json:"Records"`
	}
	if json.Unmarshal(payload, &b) == nil && len(b.Records) > 0 {
		if n, err := strconv.Atoi(b.Records[0].Attributes["ApproximateReceiveCount"]); err == nil && n > 0 {
			return n
		}
	}
	return 1
}

// pubsubAttempt is a Pub/Sub event's deliveryAttempt; 1 if it says none.
func pubsubAttempt(e event.Event) int {
	if e.Type() != frontdoor.TypePubSubMessagePublished {
		return 1
	}
	var d struct {
		DeliveryAttempt int `json:"deliveryAttempt"`
	}
	if json.Unmarshal(e.Data(), &d) == nil && d.DeliveryAttempt > 0 {
		return d.DeliveryAttempt
	}
	return 1
}

// again is s delivered once more, as attempt: on Lambda only the records
// in only (all if only is nil, or if none of the records has such an id:
// a source without partial batch responses), their
// ApproximateReceiveCount set; over HTTP every event, a Pub/Sub message's
// deliveryAttempt set; on Azure Functions the whole invocation, its
// delivery count or retry context set.
func again(s *sent, attempt int, only []string) (*sent, error) {
	out := &sent{batch: s.batch, attempt: attempt}
	if s.azure != nil {
		out.azure = azureAgain(s.azure, attempt)
		return out, nil
	}
	if s.lambda != nil {
		b, err := lambdaAgain(s.lambda, attempt, only)
		if err != nil {
			return nil, fmt.Errorf("fntest: deliver the Lambda payload again: %w", err)
		}
		out.lambda = b
		return out, nil
	}
	for _, e := range s.events {
		e = e.Clone()
		if e.Type() == frontdoor.TypePubSubMessagePublished {
			var d map[string]json.RawMessage
			if err := json.Unmarshal(e.Data(), &d); err != nil {
				return nil, fmt.Errorf("fntest: deliver Pub/Sub message %q again: %w", e.ID(), err)
			}
			d["deliveryAttempt"] = json.RawMessage(strconv.Itoa(attempt))
			b, err := json.Marshal(d)
			if err != nil {
				return nil, err
			}
			e.DataEncoded = b
		}
		out.events = append(out.events, e)
	}
	return out, nil
}

func lambdaAgain(payload []byte, attempt int, only []string) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(payload, &doc); err != nil {
		return nil, err
	}
	if raw, ok := doc["records"]; ok && only != nil {
		return kafkaAgain(doc, raw, only)
	}
	raw, ok := doc["Records"]
	if !ok {
		return payload, nil // a single event, or all of a Kafka batch: as it was
	}
	var recs []json.RawMessage
	if err := json.Unmarshal(raw, &recs); err != nil {
		return nil, err
	}
	var keep []json.RawMessage
	for _, rec := range recs {
		var r lambdaRecord
		if err := json.Unmarshal(rec, &r); err != nil {
			return nil, err
		}
		if only != nil && !slices.Contains(only, lambdatest.RecordID(rec)) {
			continue
		}
		if r.Attributes["ApproximateReceiveCount"] != "" {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(rec, &m); err != nil {
				return nil, err
			}
			r.Attributes["ApproximateReceiveCount"] = strconv.Itoa(attempt)
			b, err := json.Marshal(r.Attributes)
			if err != nil {
				return nil, err
			}
			m["attributes"] = b
			if rec, err = json.Marshal(m); err != nil {
				return nil, err
			}
		}
		keep = append(keep, rec)
	}
	if len(keep) == 0 {
		// No record carries such an id: the source redelivers the batch.
		return lambdaAgain(payload, attempt, nil)
	}
	b, err := json.Marshal(keep)
	if err != nil {
		return nil, err
	}
	doc["Records"] = b
	return encode(doc)
}

// kafkaAgain keeps the Kafka records named in only (all if none is).
func kafkaAgain(doc map[string]json.RawMessage, raw json.RawMessage, only []string) ([]byte, error) {
	var parts map[string][]json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, err
	}
	keep := map[string][]json.RawMessage{}
	for p, recs := range parts {
		for _, rec := range recs {
			var r kafkaRecord
			if err := json.Unmarshal(rec, &r); err != nil {
				return nil, err
			}
			if slices.Contains(only, lambdatest.KafkaRecordID(p, r.Offset)) {
				keep[p] = append(keep[p], rec)
			}
		}
	}
	if len(keep) == 0 {
		return encode(doc)
	}
	b, err := json.Marshal(keep)
	if err != nil {
		return nil, err
	}
	doc["records"] = b
	return encode(doc)
}

// encode writes doc back as JSON, leaving < > & as they were.
func encode(doc map[string]json.RawMessage) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(buf.Bytes()), nil
}
