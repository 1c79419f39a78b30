package main

import (
	"embed"
	"net/http"
	"sync"

	"github.com/faasport/faasport/validate"
)

//go:embed item.schema.json
var schemaFS embed.FS

// itemSchema is item.schema.json, compiled once, on first use.
var itemSchema = sync.OnceValue(func() *validate.Schema {
	return validate.MustCompile(validate.FS(schemaFS, "item.schema.json"))
})

// validItem checks a POST or PUT body against the item schema before h
// sees it: a body that breaks it is answered 422 application/problem+json
// naming every failing JSON pointer, one that is not JSON 400, and h never
// runs.
func validItem(h http.Handler) http.Handler {
	return validate.HTTP(itemSchema(), validate.WithMaxBytes(maxBody))(h)
}
