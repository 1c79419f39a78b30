package lambdatest

import (
	"encoding/json"
	"slices"
	"strconv"
)

// This file reads what Lambda makes of a batch: which records a payload
// holds, by the ids a partial batch response names them with, and which of
// them a function's response reports as failed (batchItemFailures). Lambda
// deletes the others from their source and delivers the failed ones again.

// record is what the readers need of one record of a Records array.
type record struct {
	MessageID string `json:"messageId"`
	Kinesis   *struct {
		SequenceNumber string `json:"sequenceNumber"`
	} `json:"kinesis"`
	DynamoDB *struct {
		SequenceNumber string `json:"SequenceNumber"`
	} `json:"dynamodb"`
	SNS *struct {
		MessageID string `json:"MessageId"`
	} `json:"Sns"`
	EventID string `json:"eventID"`
}

// id is the record's itemIdentifier, or for a source without partial batch
// responses its own id.
func (r record) id() string {
	switch {
	case r.MessageID != "":
		return r.MessageID
	case r.Kinesis != nil:
		return r.Kinesis.SequenceNumber
	case r.DynamoDB != nil:
		return r.DynamoDB.SequenceNumber
	case r.SNS != nil:
		return r.SNS.MessageID
	}
	return r.EventID
}

// RecordID returns the id of one element of a Lambda event's Records
// array: the itemIdentifier a partial batch response names it by (the SQS
// messageId, the Kinesis or DynamoDB Streams sequence number) or, for a
// source without partial batch responses, its own id (the SNS MessageId,
// else its eventID); "" if it has none or is not a record.
func RecordID(rec []byte) string {
	var r record
	if json.Unmarshal(rec, &r) != nil {
		return ""
	}
	return r.id()
}

// KafkaRecordID names a Kafka (Amazon MSK, self-managed Apache Kafka)
// record as faasport does, in its CloudEvent id and here: the batch's
// "<topic>-<partition>" key, a colon, the offset.
func KafkaRecordID(partition string, offset int64) string {
	return partition + ":" + strconv.FormatInt(offset, 10)
}

// RecordIDs lists the records of a Lambda event payload by [RecordID], in
// order, then a Kafka batch's by [KafkaRecordID], partitions in sorted
// order. It returns nil for a payload that is not a batch (a single event,
// an HTTP request) or not JSON.
func RecordIDs(payload []byte) []string {
	var b struct {
		Records []record `json:"Records"`
		Kafka   map[string][]struct {
			Offset int64 `json:"offset"`
		} `json:"records"`
	}
	if json.Unmarshal(payload, &b) != nil {
		return nil
	}
	var ids []string
	for _, r := range b.Records {
		if id := r.id(); id != "" {
			ids = append(ids, id)
		}
	}
	parts := make([]string, 0, len(b.Kafka))
	for p := range b.Kafka {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	for _, p := range parts {
		for _, r := range b.Kafka[p] {
			ids = append(ids, KafkaRecordID(p, r.Offset))
		}
	}
	return ids
}

// FailedRecordIDs lists the records a function's response reports in
// batchItemFailures, in its order: each itemIdentifier as a string, a
// Kafka one ({"partition", "offset"}) named by [KafkaRecordID]. It returns
// nil for a response without failures or that is not JSON.
func FailedRecordIDs(response []byte) []string {
	var resp struct {
		BatchItemFailures []struct {
			ItemIdentifier json.RawMessage `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if json.Unmarshal(response, &resp) != nil {
		return nil
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, itemID(f.ItemIdentifier))
	}
	return ids
}

// itemID reads one itemIdentifier: a string, or Kafka's object.
func itemID(raw json.RawMessage) string {
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id
	}
	var k struct {
		Partition string `json:"partition"`
		Offset    int64  `json:"offset"`
	}
	if json.Unmarshal(raw, &k) == nil && k.Partition != "" {
		return KafkaRecordID(k.Partition, k.Offset)
	}
	return string(raw)
}

// Outcome splits the records of payload ([RecordIDs]) by a successful
// response to it: acknowledged are those Lambda deletes from their
// source, failed those its batchItemFailures name ([FailedRecordIDs]),
// which Lambda delivers again.
func Outcome(payload, response []byte) (acknowledged, failed []string) {
	failed = FailedRecordIDs(response)
	for _, id := range RecordIDs(payload) {
		if !slices.Contains(failed, id) {
			acknowledged = append(acknowledged, id)
		}
	}
	return acknowledged, failed
}
