// Package validate checks input (and, optionally, output) against a JSON
// Schema, compiled once, so that a function rejects a malformed event or
// request with every reason at once instead of failing deep in its logic.
//
//	//go:embed order.schema.json
//	var schemas embed.FS
//	order := validate.MustCompile(validate.FS(schemas, "order.schema.json"))
//	h := function.Consume(reserve, validate.Input(order)) // a typed handler
//	http.Handle("/orders", validate.HTTP(order)(api))      // an HTTP handler
//
// A schema comes from a file ([File]), an fs.FS such as an embed.FS ([FS]),
// JSON bytes ([JSON]) or a Go value ([Value]). Drafts 4 to 2020-12 are
// supported through github.com/santhosh-tekuri/jsonschema; $ref between
// files of one fs.FS works, and nothing is fetched from the network.
//
// An invalid document is an [*Error] listing every failing JSON pointer
// ([Violation]). For events it is permanent (function.Permanent): the same
// bytes would fail again, so the platform must not redeliver them. Over
// HTTP, [HTTP] answers an RFC 9457 application/problem+json with status 422
// (400 for a body that is not JSON) carrying the same violations.
//
// Where it fits: [Input] is a function.TypedOption that validates the
// bytes function.Typed and function.Consume decode (the payload, not the
// platform's envelope); [Events] is a function.Middleware for untyped
// handlers that validates payload.Of(e).Data; [Output] validates replies.
package validate
