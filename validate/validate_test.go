package validate_test

import (
	"embed"
	"encoding/json"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/validate"
)

//go:embed testdata/schemas
var schemas embed.FS

const (
	validOrder   = `{"id":"o-1","qty":2,"items":[{"sku":"ABC-1"}]}`
	invalidOrder = `{"id":"","qty":0,"items":[{"sku":"abc"},{}],"extra":true,"a/b~c":"x"}`
)

var invalidPointers = []string{"", "/a~1b~0c", "/id", "/items/0/sku", "/items/1", "/qty"}

func orderSchema(t testing.TB) *validate.Schema {
	t.Helper()
	s, err := validate.Compile(validate.File("testdata/schemas/order.schema.json"))
	require.NoError(t, err)
	return s
}

func TestSources(t *testing.T) {
	inline := map[string]any{
		"type":     "object",
		"required": []string{"id"},
		"properties": map[string]any{
			"id": map[string]any{"type": "string"},
		},
	}
	inlineJSON, err := json.Marshal(inline)
	require.NoError(t, err)
	type schemaStruct struct {
		Type     string   `json:"type"`
		Required []string `json:"required"`
	}
	tests := []struct {
		name  string
		src   validate.Source
		valid string
		bad   string
		ptrs  []string
	}{
		{name: "file with $ref", src: validate.File("testdata/schemas/order.schema.json"), valid: validOrder, bad: invalidOrder, ptrs: invalidPointers},
		{name: "embed.FS with $ref", src: validate.FS(schemas, "testdata/schemas/order.schema.json"), valid: validOrder, bad: invalidOrder, ptrs: invalidPointers},
		{name: "MapFS", src: validate.FS(fstest.MapFS{"s.json": {Data: inlineJSON}}, "s.json"), valid: `{"id":"x"}`, bad: `{"id":1}`, ptrs: []string{"/id"}},
		{name: "JSON bytes", src: validate.JSON(inlineJSON), valid: `{"id":"x"}`, bad: `{}`, ptrs: []string{""}},
		{name: "Go map", src: validate.Value(inline), valid: `{"id":"x"}`, bad: `{"id":null}`, ptrs: []string{"/id"}},
		{name: "Go struct", src: validate.Value(schemaStruct{Type: "object", Required: []string{"id"}}), valid: `{"id":1}`, bad: `[]`, ptrs: []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := validate.Compile(tt.src)
			require.NoError(t, err)
			require.NoError(t, s.Validate([]byte(tt.valid)))
			err = s.Validate([]byte(tt.bad))
			var ve *validate.Error
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.ptrs, ve.Pointers())
		})
	}
}

func TestEveryViolationNamed(t *testing.T) {
	err := orderSchema(t).Validate([]byte(invalidOrder))
	var ve *validate.Error
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "order.schema.json", ve.Schema[len(ve.Schema)-len("order.schema.json"):])
	byPointer := map[string][]string{}
	for _, v := range ve.Violations {
		byPointer[v.Pointer] = append(byPointer[v.Pointer], v.Keyword)
		assert.NotEmpty(t, v.Message)
	}
	assert.Equal(t, map[string][]string{
		"":             {"additionalProperties"},
		"/a~1b~0c":     {"type"},
		"/id":          {"minLength"},
		"/items/0/sku": {"pattern"},
		"/items/1":     {"required"},
		"/qty":         {"minimum"},
	}, byPointer)
	for _, p := range []string{"/id", "/qty", "/items/0/sku", "/items/1", "/a~1b~0c", "(document)"} {
		assert.Contains(t, err.Error(), p+": ")
	}
	assert.Contains(t, err.Error(), "in 6 places")
}

func TestMalformed(t *testing.T) {
	s := orderSchema(t)
	for _, in := range []string{``, `{`, `{"id":"x"} {}`, `nul`} {
		err := s.Validate([]byte(in))
		require.ErrorIs(t, err, validate.ErrMalformed, "input %q", in)
		var ve *validate.Error
		assert.False(t, errors.As(err, &ve))
	}
}

func TestValidateValue(t *testing.T) {
	s := orderSchema(t)
	type item struct {
		SKU string `json:"sku"`
	}
	type order struct {
		ID    string `json:"id"`
		Qty   int    `json:"qty"`
		Items []item `json:"items"`
	}
	require.NoError(t, s.ValidateValue(order{ID: "o", Qty: 1, Items: []item{{"ABC-9"}}}))
	var ve *validate.Error
	require.ErrorAs(t, s.ValidateValue(order{ID: "o", Qty: 1}), &ve, "a nil slice is null")
	assert.Equal(t, []string{"/items"}, ve.Pointers())
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		src  validate.Source
		want string
	}{
		{"missing file", validate.File("testdata/none.json"), "none.json"},
		{"not a schema", validate.JSON([]byte(`{"type":12}`)), "compile schema"},
		{"not JSON", validate.JSON([]byte(`{`)), "compile schema"},
		{"network ref", validate.JSON([]byte(`{"$ref":"https://example.com/s.json"}`)), "compile schema"},
		{"escaping path", validate.FS(schemas, "../x.json"), "inside the file system"},
		{"unmarshalable value", validate.Value(func() {}), "marshal the schema value"},
		{"zero source", validate.Source{}, "empty Source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := validate.Compile(tt.src)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	assert.Panics(t, func() { validate.MustCompile(validate.JSON([]byte(`{"type":12}`))) })
}

func TestFormatAssertions(t *testing.T) {
	src := validate.JSON([]byte(`{"type":"string","format":"email"}`))
	lax, err := validate.Compile(src)
	require.NoError(t, err)
	require.NoError(t, lax.Validate([]byte(`"not-an-email"`)), "format is an annotation by default")
	strict, err := validate.Compile(src, validate.WithFormatAssertions())
	require.NoError(t, err)
	var ve *validate.Error
	require.ErrorAs(t, strict.Validate([]byte(`"not-an-email"`)), &ve)
	assert.Equal(t, "format", ve.Violations[0].Keyword)
}
