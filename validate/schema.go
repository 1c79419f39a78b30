package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// ErrMalformed is wrapped by errors for a document that is not JSON at all
// (as opposed to JSON that violates the schema).
var ErrMalformed = errors.New("validate: not JSON")

// Source is where a schema comes from: [File], [FS], [JSON] or [Value].
type Source struct {
	name string
	// load returns the compiler's location of the schema and the loader
	// that resolves it and its $refs.
	load func() (loc string, loader jsonschema.URLLoader, err error)
}

// File is a schema in a file. $refs resolve to files of the same directory
// and below.
func File(name string) Source {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	s := FS(os.DirFS(dir), base)
	s.name = name
	return s
}

// FS is a schema at the slash-separated path name of fsys, typically an
// embed.FS. $refs resolve to other files of fsys and to the drafts'
// meta-schemas, never to the network or the rest of the file system.
func FS(fsys fs.FS, name string) Source {
	return Source{name: name, load: func() (string, jsonschema.URLLoader, error) {
		if !fs.ValidPath(name) {
			return "", nil, fmt.Errorf("validate: schema path %q must be a slash-separated path inside the file system", name)
		}
		return "file:///" + name, jsonschema.SchemeURLLoader{"file": fsLoader{fsys}}, nil
	}}
}

// JSON is a schema given as JSON text. It may $ref only itself and the
// drafts' meta-schemas.
func JSON(doc []byte) Source {
	return Source{name: "schema.json", load: func() (string, jsonschema.URLLoader, error) {
		return "file:///schema.json", jsonschema.SchemeURLLoader{"file": docLoader(doc)}, nil
	}}
}

// Value is a schema given as a Go value that marshals to it with
// encoding/json: a map[string]any, a struct of your own, a json.RawMessage.
func Value(v any) Source {
	return Source{name: "schema.json", load: func() (string, jsonschema.URLLoader, error) {
		doc, err := json.Marshal(v)
		if err != nil {
			return "", nil, fmt.Errorf("validate: marshal the schema value %T: %w", v, err)
		}
		return "file:///schema.json", jsonschema.SchemeURLLoader{"file": docLoader(doc)}, nil
	}}
}

type fsLoader struct{ fsys fs.FS }

func (l fsLoader) Load(loc string) (any, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return nil, err
	}
	name := strings.TrimPrefix(path.Clean(u.Path), "/")
	f, err := l.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return jsonschema.UnmarshalJSON(f)
}

type docLoader []byte

func (d docLoader) Load(loc string) (any, error) {
	if loc != "file:///schema.json" {
		return nil, fmt.Errorf("no schema %s: a schema given as a value can only refer to itself", loc)
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(d))
}

// Option configures [Compile].
type Option func(*jsonschema.Compiler)

// WithFormatAssertions makes "format" a check ("email", "date-time",
// "uuid", …) instead of the annotation it is by default since draft
// 2019-09.
func WithFormatAssertions() Option { return func(c *jsonschema.Compiler) { c.AssertFormat() } }

// Schema is a compiled JSON Schema. Compile it once (at start-up or lazily)
// and share it; it is safe for concurrent use.
type Schema struct {
	name string
	s    *jsonschema.Schema
}

// Compile compiles the schema src. A schema without "$schema" is read as
// draft 2020-12.
func Compile(src Source, opts ...Option) (*Schema, error) {
	if src.load == nil {
		return nil, errors.New("validate: empty Source; use File, FS, JSON or Value")
	}
	loc, loader, err := src.load()
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(loader)
	for _, opt := range opts {
		opt(c)
	}
	s, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("validate: compile schema %s: %w", src.name, err)
	}
	return &Schema{name: src.name, s: s}, nil
}

// MustCompile is [Compile] that panics on error, for schemas fixed at build
// time (embedded files) compiled in main or a test.
func MustCompile(src Source, opts ...Option) *Schema {
	s, err := Compile(src, opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// Name returns the schema's file name, as errors name it.
func (s *Schema) Name() string { return s.name }

// Validate checks the JSON document data. It returns nil, an error wrapping
// [ErrMalformed] if data is not one JSON value, or an [*Error] listing every
// violation.
func (s *Schema) Validate(data []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%w: %s", ErrMalformed, syntaxReason(err))
	}
	return s.check(doc)
}

// ValidateValue checks a Go value as the JSON encoding/json makes of it.
func (s *Schema) ValidateValue(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("validate: marshal %T: %w", v, err)
	}
	return s.Validate(b)
}

func (s *Schema) check(doc any) error {
	err := s.s.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("validate: schema %s: %w", s.name, err)
	}
	e := &Error{Schema: s.name}
	p := message.NewPrinter(language.English)
	collect(ve, p, &e.Violations)
	slices.SortStableFunc(e.Violations, func(a, b Violation) int {
		if c := strings.Compare(a.Pointer, b.Pointer); c != 0 {
			return c
		}
		return strings.Compare(a.Keyword, b.Keyword)
	})
	e.Violations = slices.Compact(e.Violations)
	return e
}

// collect appends the leaves of ve's tree: the failures themselves, not the
// "allOf failed" or "$ref failed" summaries above them.
func collect(ve *jsonschema.ValidationError, p *message.Printer, out *[]Violation) {
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			collect(c, p, out)
		}
		return
	}
	*out = append(*out, Violation{
		Pointer: pointer(ve.InstanceLocation),
		Keyword: strings.Join(ve.ErrorKind.KeywordPath(), "/"),
		Message: ve.ErrorKind.LocalizedString(p),
	})
}

// pointer builds an RFC 6901 JSON pointer.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}

// syntaxReason describes a JSON syntax error by position.
func syntaxReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte offset %d)", se.Error(), se.Offset)
	}
	return err.Error()
}

// Violation is one way a document fails its schema.
type Violation struct {
	// Pointer is the RFC 6901 JSON pointer of the failing value in the
	// document: "" for the document itself, "/items/0/qty".
	Pointer string `json:"pointer"`
	// Keyword is the schema keyword that failed, as a path within its
	// schema object: "minimum", "required", "properties/qty/type".
	Keyword string `json:"keyword,omitempty"`
	// Message says what is wrong, in English.
	Message string `json:"detail"`
}

// Error reports a document that violates its schema, with every violation.
type Error struct {
	// Schema names the schema.
	Schema string
	// Violations lists every failure, sorted by pointer.
	Violations []Violation
}

// Error lists the violations.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "validate: the document violates schema %s in %d place", e.Schema, len(e.Violations))
	if len(e.Violations) != 1 {
		b.WriteByte('s')
	}
	for i, v := range e.Violations {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		ptr := v.Pointer
		if ptr == "" {
			ptr = "(document)"
		}
		b.WriteString(ptr + ": " + v.Message)
	}
	b.WriteString("; fix the sender or the schema")
	return b.String()
}

// Pointers returns the failing JSON pointers, sorted, each once.
func (e *Error) Pointers() []string {
	ps := make([]string, 0, len(e.Violations))
	for _, v := range e.Violations {
		ps = append(ps, v.Pointer)
	}
	return slices.Compact(ps)
}
