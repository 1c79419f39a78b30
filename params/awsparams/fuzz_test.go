package awsparams_test

import (
	"testing"

	"github.com/faasport/faasport/params/awsparams"
)

// FuzzDecodeParameterAnswer: any answer decodes or fails; never a panic.
func FuzzDecodeParameterAnswer(f *testing.F) {
	f.Add([]byte(`{"Parameter":{"Name":"/p","Value":"v","Version":3}}`))
	f.Add([]byte(`{"Parameter":{"Value":"v","Version":"3"}}`))
	f.Add([]byte(`{"Parameter":null}`))
	f.Add([]byte(`{"Parameter":{"Version":1e999}}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, ver, err := awsparams.DecodeParameterAnswer(b)
		if err != nil && (v != "" || ver != "") {
			t.Fatalf("error %v with a value", err)
		}
	})
}

// FuzzDecodeSecretAnswer: any answer decodes or fails; never a panic.
func FuzzDecodeSecretAnswer(f *testing.F) {
	f.Add([]byte(`{"SecretString":"s","VersionId":"v"}`))
	f.Add([]byte(`{"SecretBinary":"AAH/","VersionId":"v"}`))
	f.Add([]byte(`{"SecretBinary":"!!"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, ver, err := awsparams.DecodeSecretAnswer(b)
		if err != nil && (v != "" || ver != "") {
			t.Fatalf("error %v with a value", err)
		}
	})
}
