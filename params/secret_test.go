package params_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/params"
)

const hidden = "hunter2-s3cr3t"

type creds struct {
	User     string
	Password params.Secret
}

type private struct {
	name  string
	token params.Secret
}

func TestSecretRedactedEverywhere(t *testing.T) {
	s := params.NewSecret(hidden)
	c := creds{User: "app", Password: s}
	p := private{name: "x", token: s}
	tests := []struct {
		name string
		got  string
	}{
		{"String", s.String()},
		{"GoString", s.GoString()},
		{"%v", fmt.Sprintf("%v", s)},
		{"%+v", fmt.Sprintf("%+v", s)},
		{"%#v", fmt.Sprintf("%#v", s)},
		{"%s", fmt.Sprintf("%s", s)},
		{"%q", fmt.Sprintf("%q", s)},
		{"%x", fmt.Sprintf("%x", s)},
		{"%X", fmt.Sprintf("%X", s)},
		{"%d", fmt.Sprintf("%d", s)},
		{"%10.3s", fmt.Sprintf("%10.3s", s)},
		{"Sprint", fmt.Sprint(s)},
		{"Sprintln", fmt.Sprintln(s)},
		{"pointer %v", fmt.Sprintf("%v", &s)},
		{"struct %v", fmt.Sprintf("%v", c)},
		{"struct %+v", fmt.Sprintf("%+v", c)},
		{"struct %#v", fmt.Sprintf("%#v", c)},
		{"unexported field %+v", fmt.Sprintf("%+v", p)},
		{"unexported field %#v", fmt.Sprintf("%#v", p)},
		{"slice", fmt.Sprintf("%v", []params.Secret{s})},
		{"map", fmt.Sprintf("%v", map[string]params.Secret{"k": s})},
		{"error wrap", fmt.Errorf("login with %v failed", s).Error()},
		{"slog text", logText(slog.Any("password", s))},
		{"slog json", logJSON(slog.Any("password", s))},
		{"slog struct text", logText(slog.Any("creds", c))},
		{"slog struct json", logJSON(slog.Any("creds", c))},
		{"slog group", logJSON(slog.Group("g", slog.Any("p", s)))},
		{"json", mustJSON(t, s)},
		{"json struct", mustJSON(t, c)},
		{"json map", mustJSON(t, map[string]params.Secret{"k": s})},
		{"xml", mustXML(t, c)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NotContains(t, tt.got, hidden)
			assert.NotContains(t, tt.got, "hunter")
			if tt.name != "unexported field %+v" && tt.name != "unexported field %#v" {
				assert.Contains(t, tt.got, params.Redacted)
			}
		})
	}
	assert.Equal(t, hidden, s.Reveal())
	assert.Equal(t, `"[REDACTED]"`, fmt.Sprintf("%q", s))
	assert.Equal(t, "params.Secret{[REDACTED]}", fmt.Sprintf("%#v", s))
}

func logText(a slog.Attr) string {
	var b bytes.Buffer
	slog.New(slog.NewTextHandler(&b, nil)).LogAttrs(context.Background(), slog.LevelInfo, "m", a)
	return b.String()
}

func logJSON(a slog.Attr) string {
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, nil)).LogAttrs(context.Background(), slog.LevelInfo, "m", a)
	return b.String()
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func mustXML(t *testing.T, v any) string {
	t.Helper()
	b, err := xml.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestSecretUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"string", `{"User":"u","Password":"p\u00e4ss"}`, "päss"},
		{"number", `{"User":"u","Password":1234}`, "1234"},
		{"object", `{"User":"u","Password":{"k":1}}`, `{"k":1}`},
		{"null", `{"User":"u","Password":null}`, ""},
		{"absent", `{"User":"u"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c creds
			require.NoError(t, json.Unmarshal([]byte(tt.in), &c))
			assert.Equal(t, "u", c.User)
			assert.Equal(t, tt.want, c.Password.Reveal())
			assert.Equal(t, tt.want == "", c.Password.IsZero())
			assert.Equal(t, len(tt.want), c.Password.Len())
		})
	}
	var zero params.Secret
	assert.Equal(t, "", zero.Reveal())
	assert.Equal(t, params.Redacted, zero.String())
}
