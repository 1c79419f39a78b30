package payload

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/internal/azjson"
)

// refEnvelope is the Azure envelope as encoding/json decodes it: the
// definition readEnvelope is held to.
type refEnvelope struct {
	Data     json.RawMessage            `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
	DataType string                     `json:"DataType"`
}

func decodeRefEnvelope(data []byte) (*refEnvelope, error) {
	var env refEnvelope
	if err := unmarshal(data, &env); err != nil {
		return nil, err
	}
	if !isObject(data) {
		return nil, errors.New("not an object")
	}
	return &env, nil
}

// refBody is azBody by encoding/json.
func refBody(raw json.RawMessage, binary bool) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '"' {
		return raw, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	if len(s) > 1 && s[0] == '"' {
		var inner string
		if json.Unmarshal([]byte(s), &inner) == nil {
			s = inner
		}
	}
	if binary {
		return base64.StdEncoding.DecodeString(s)
	}
	return []byte(s), nil
}

// refProperties is azureProperties' attributes by azjson.Object's map.
func refProperties(raw json.RawMessage) map[string]string {
	attrs := map[string]string{}
	for k, v := range azjson.Object(raw) {
		attrs[k] = azjson.String(v)
	}
	return attrs
}

// checkEnvelope holds readEnvelope, azBody and azureProperties to their
// encoding/json definitions on data.
func checkEnvelope(t *testing.T, data []byte) {
	t.Helper()
	var room [2]azjson.Member
	raw, md, binary, err := readEnvelope(data, room[:0])
	ref, refErr := decodeRefEnvelope(data)
	if (err == nil) != (refErr == nil) {
		t.Fatalf("readEnvelope(%q) error %v, encoding/json %v", data, err, refErr)
	}
	if err != nil {
		return
	}
	if !bytes.Equal(raw, ref.Data) || (raw == nil) != (ref.Data == nil) {
		t.Fatalf("readEnvelope(%q) Data %q, encoding/json %q", data, raw, ref.Data)
	}
	if binary != (ref.DataType == "binary") {
		t.Fatalf("readEnvelope(%q) binary %v, encoding/json DataType %q", data, binary, ref.DataType)
	}
	keys := map[string]bool{}
	for _, m := range md {
		keys[azjson.KeyString(m.Key)] = true
	}
	if len(keys) != len(ref.Metadata) {
		t.Fatalf("readEnvelope(%q) has %d metadata names, encoding/json %d", data, len(keys), len(ref.Metadata))
	}
	for k, v := range ref.Metadata {
		if got := md.Last(k); !bytes.Equal(got, v) {
			t.Fatalf("readEnvelope(%q) metadata %q = %q, encoding/json %q", data, k, got, v)
		}
		if k == "ApplicationProperties" || k == "Properties" {
			var m Message
			m.azureProperties(v)
			if want := refProperties(v); len(want) > 0 || len(m.Attributes) > 0 {
				if !maps.Equal(m.Attributes, want) {
					t.Fatalf("azureProperties(%q) = %v, by the map %v", v, m.Attributes, want)
				}
			}
		}
	}
	got, err := azBody(raw, binary)
	want, refErr := refBody(ref.Data, ref.DataType == "binary")
	if (err == nil) != (refErr == nil) || err == nil && !bytes.Equal(got, want) {
		t.Fatalf("azBody(%q) = %q, %v; by encoding/json %q, %v", raw, got, err, want, refErr)
	}
}

func TestAzureEnvelopeDiff(t *testing.T) {
	for _, s := range azureEnvelopeSeeds {
		checkEnvelope(t, []byte(s))
	}
	// The cases where encoding/json's semantics are easy to miss.
	var room [4]azjson.Member
	raw, md, binary, err := readEnvelope([]byte(`{"data":1,"DATA":2,"Metadata":{"Id":"a","Id":"b"},"metadata":{"X":1},"DataType":"binary","datatype":null}`), room[:0])
	require.NoError(t, err)
	assert.Equal(t, "2", string(raw), "the last key that folds to Data wins")
	assert.Equal(t, `"b"`, string(md.Last("Id")), "the last metadata member of a name wins")
	assert.Equal(t, "1", string(md.Last("X")), "a second Metadata object adds its members")
	assert.True(t, binary, "a null DataType changes nothing")
	_, md, _, err = readEnvelope([]byte(`{"Metadata":{"Id":"a"},"Metadata":null}`), room[:0])
	require.NoError(t, err)
	assert.Nil(t, md.Last("Id"), "a null Metadata drops the members before it")
	for _, bad := range []string{`{"Metadata":[]}`, `{"Metadata":"{}"}`, `{"DataType":1}`, `{"Data":1,}`, `[]`, `null`, ``, `{"Data":1} {}`} {
		_, _, _, err := readEnvelope([]byte(bad), room[:0])
		assert.Error(t, err, "%q", bad)
	}
}

var azureEnvelopeSeeds = []string{
	`{"Data":"{\"a\":1}","Metadata":{"MessageId":"m","DeliveryCount":"2","ApplicationProperties":{"k":"v","k":"w","\u006b2":1}}}`,
	`{"Data":"\"x\"","Metadata":{"Id":"\"q\"","DequeueCount":1}}`,
	`{"Data":"AAE=","Metadata":{"Properties":"{\"ContentType\":\"a/b\"}"},"DataType":"binary"}`,
	`{"Data":"\"AAE=\" ","Metadata":{},"DataType":"bin\u0061ry"}`,
	`{"Data":[1,2],"Metadata":{"RetryContext":"{\"RetryCount\":1}"}}`,
	`{"data":null,"METADATA":null,"dataType":null}`,
	`{"Metadata":{"a":1},"Metadata":{"b":2},"metadata":null,"Metadata":{"c":3}}`,
	`{"Metadata":5}`, `{"DataType":{}}`, `{}`, ` {"Data" : "" } `, `{"Data":"\ud800"}`,
}

// FuzzAzureEnvelopeDiff holds the in-place envelope reader to encoding/json
// on arbitrary envelopes.
func FuzzAzureEnvelopeDiff(f *testing.F) {
	for _, s := range azureEnvelopeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkEnvelope(t, data)
	})
}
