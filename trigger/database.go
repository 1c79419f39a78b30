package trigger

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/function"
)

// ChangeOp is the kind of a database change.
type ChangeOp string

// The database change kinds.
const (
	OpInsert ChangeOp = "insert"
	OpModify ChangeOp = "modify"
	OpRemove ChangeOp = "remove"
	// OpWrite is a change whose kind the source does not tell (Firestore's
	// "written" events).
	OpWrite ChangeOp = "write"
)

// Change is one changed item (a DynamoDB item, a Firestore document).
// Items are plain Go values: string, json.Number, bool, nil, []byte,
// []any, map[string]any, and time.Time for Firestore timestamps.
type Change struct {
	Op ChangeOp
	// Table is the table or collection path.
	Table string
	// Key identifies the item: DynamoDB key attributes, or for Firestore
	// {"name": document path}.
	Key map[string]any
	// New and Old are the item after and before the change; nil when the
	// source did not include that image.
	New, Old map[string]any
	Time     time.Time
	// Event is the CloudEvent the change arrived as.
	Event event.Event
}

// Database builds a Handler that passes each change to f.
func Database(f func(ctx context.Context, c Change) error) function.Handler {
	return view(ParseChange, f)
}

// ParseChange reads a Change from e. Firestore changes must carry JSON data
// (the Functions Framework's legacy conversion); protobuf data is reported
// as an unknown shape.
func ParseChange(e event.Event) (Change, error) {
	c := Change{Time: e.Time(), Event: e}
	t := e.Type()
	var err error
	switch {
	case strings.HasPrefix(t, typeDynamoPrefix):
		err = c.fromDynamoDB(e)
	case strings.HasPrefix(t, typeFirestore) && isJSON(e.DataContentType()):
		err = c.fromFirestore(e)
	case t == typeAzureCosmos:
		err = c.fromCosmos(e)
	default:
		return Change{}, unknown("database", e)
	}
	if err != nil {
		return Change{}, malformed("database", e, err)
	}
	return c, nil
}

func (c *Change) fromDynamoDB(e event.Event) error {
	var r events.DynamoDBEventRecord
	if err := json.Unmarshal(e.Data(), &r); err != nil {
		return err
	}
	switch r.EventName {
	case "INSERT":
		c.Op = OpInsert
	case "MODIFY":
		c.Op = OpModify
	case "REMOVE":
		c.Op = OpRemove
	default:
		return fmt.Errorf("unknown DynamoDB event name %q", r.EventName)
	}
	// eventSourceARN: arn:aws:dynamodb:region:account:table/NAME/stream/LABEL
	if _, rest, ok := strings.Cut(r.EventSourceArn, ":table/"); ok {
		c.Table, _, _ = strings.Cut(rest, "/")
	}
	var err error
	if c.Key, err = dynamoItem(r.Change.Keys); err != nil {
		return err
	}
	if c.New, err = dynamoItem(r.Change.NewImage); err != nil {
		return err
	}
	c.Old, err = dynamoItem(r.Change.OldImage)
	return err
}

func dynamoItem(item map[string]events.DynamoDBAttributeValue) (map[string]any, error) {
	if item == nil {
		return nil, nil
	}
	out := make(map[string]any, len(item))
	for k, v := range item {
		pv, err := dynamoValue(v, 0)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out[k] = pv
	}
	return out, nil
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 64

func dynamoValue(v events.DynamoDBAttributeValue, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", maxDepth)
	}
	switch v.DataType() {
	case events.DataTypeString:
		return v.String(), nil
	case events.DataTypeNumber:
		return json.Number(v.Number()), nil
	case events.DataTypeBoolean:
		return v.Boolean(), nil
	case events.DataTypeNull:
		return nil, nil
	case events.DataTypeBinary:
		return v.Binary(), nil
	case events.DataTypeStringSet:
		return toAny(v.StringSet()), nil
	case events.DataTypeNumberSet:
		ns := v.NumberSet()
		out := make([]any, len(ns))
		for i, n := range ns {
			out[i] = json.Number(n)
		}
		return out, nil
	case events.DataTypeBinarySet:
		return toAny(v.BinarySet()), nil
	case events.DataTypeList:
		l := v.List()
		out := make([]any, len(l))
		for i, item := range l {
			pv, err := dynamoValue(item, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = pv
		}
		return out, nil
	case events.DataTypeMap:
		m := v.Map()
		out := make(map[string]any, len(m))
		for k, item := range m {
			pv, err := dynamoValue(item, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = pv
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown attribute type %v", v.DataType())
}

func toAny[T any](in []T) []any {
	out := make([]any, len(in))
	for i, v := range in {
		out[i] = v
	}
	return out
}

// firestoreDocument is a document in Firestore's JSON mapping.
type firestoreDocument struct {
	Name   string                     `json:"name"`
	Fields map[string]json.RawMessage `json:"fields"`
}

func (c *Change) fromFirestore(e event.Event) error {
	var r struct {
		Value    *firestoreDocument `json:"value"`
		OldValue *firestoreDocument `json:"oldValue"`
	}
	if err := json.Unmarshal(e.Data(), &r); err != nil {
		return err
	}
	switch strings.TrimPrefix(e.Type(), typeFirestore) {
	case "created":
		c.Op = OpInsert
	case "updated":
		c.Op = OpModify
	case "deleted":
		c.Op = OpRemove
	default:
		c.Op = OpWrite
	}
	var err error
	name := ""
	if c.New, name, err = firestoreDoc(r.Value); err != nil {
		return err
	}
	var oldName string
	if c.Old, oldName, err = firestoreDoc(r.OldValue); err != nil {
		return err
	}
	if name == "" {
		name = oldName
	}
	if name == "" {
		name = e.Subject()
	}
	// name: projects/P/databases/D/documents/COLLECTION/.../DOC
	path := name
	if _, rest, ok := strings.Cut(name, "/documents/"); ok {
		path = rest
	}
	path = strings.TrimPrefix(path, "documents/")
	if i := strings.LastIndex(path, "/"); i > 0 {
		c.Table = path[:i]
	}
	c.Key = map[string]any{"name": name}
	return nil
}

func firestoreDoc(d *firestoreDocument) (map[string]any, string, error) {
	if d == nil || (d.Name == "" && d.Fields == nil) {
		return nil, "", nil
	}
	out, err := firestoreFields(d.Fields, 0)
	return out, d.Name, err
}

func firestoreFields(fields map[string]json.RawMessage, depth int) (map[string]any, error) {
	out := make(map[string]any, len(fields))
	for k, raw := range fields {
		v, err := firestoreValue(raw, depth)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

func firestoreValue(raw json.RawMessage, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", maxDepth)
	}
	var v map[string]json.RawMessage
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	for kind, val := range v {
		switch kind {
		case "nullValue":
			return nil, nil
		case "booleanValue":
			var b bool
			return b, json.Unmarshal(val, &b)
		case "integerValue", "doubleValue":
			s := unquote(val)
			if _, err := strconv.ParseFloat(s, 64); err != nil {
				return nil, fmt.Errorf("%s %q is not a number", kind, s)
			}
			return json.Number(s), nil
		case "stringValue", "referenceValue":
			var s string
			return s, json.Unmarshal(val, &s)
		case "timestampValue":
			var t time.Time
			return t, json.Unmarshal(val, &t)
		case "bytesValue":
			var s string
			if err := json.Unmarshal(val, &s); err != nil {
				return nil, err
			}
			return base64.StdEncoding.DecodeString(s)
		case "geoPointValue":
			var g map[string]any
			return g, json.Unmarshal(val, &g)
		case "arrayValue":
			var a struct {
				Values []json.RawMessage `json:"values"`
			}
			if err := json.Unmarshal(val, &a); err != nil {
				return nil, err
			}
			out := make([]any, len(a.Values))
			for i, item := range a.Values {
				pv, err := firestoreValue(item, depth+1)
				if err != nil {
					return nil, err
				}
				out[i] = pv
			}
			return out, nil
		case "mapValue":
			var m struct {
				Fields map[string]json.RawMessage `json:"fields"`
			}
			if err := json.Unmarshal(val, &m); err != nil {
				return nil, err
			}
			return firestoreFields(m.Fields, depth+1)
		}
	}
	return nil, fmt.Errorf("unknown Firestore value %s", truncate(raw))
}

func truncate(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}

func isJSON(ct string) bool {
	return ct == "" || strings.Contains(ct, "json")
}
