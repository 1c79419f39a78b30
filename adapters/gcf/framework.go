package gcf

// This file is the adapter's only contact with the Functions Framework's
// internals.
//
// functions-framework-go v1.9.2 builds the http.Handler of a function only
// from its process-wide registry (functions.CloudEvent,
// funcframework.RegisterCloudEventFunctionContext), and the only exported way
// to obtain that handler is funcframework.Start, which listens on a port with
// no way to stop it, serves one function per process and reads
// FUNCTION_TARGET from the process environment. That contradicts what the
// adapter must offer: several functions per binary, in-process tests and a
// graceful shutdown. The registry package is internal, so no private registry
// can be built either.
//
// The handler constructor itself, though, takes the user's function as an
// argument and touches no registry. The adapter links to it, and to the
// event-conversion helpers, by name, so events are converted by the
// framework's own code (its legacy-event table, Pub/Sub, Storage, Firestore,
// Firebase Auth, Realtime Database and Analytics rules) rather than by a copy
// of it. The symbols are pinned to the version in go.mod; a framework upgrade
// that renames one fails to link, loudly, and TestFrameworkVersion names the
// version these signatures were checked against.

import (
	"context"
	"net/http"
	_ "unsafe" // go:linkname

	"cloud.google.com/go/functions/metadata"
	_ "github.com/GoogleCloudPlatform/functions-framework-go/funcframework" // provides the linked symbols
	cloudevents "github.com/cloudevents/sdk-go/v2"
)

// frameworkVersion is the functions-framework-go version whose internal
// signatures the declarations below match.
const frameworkVersion = "v1.9.2"

// ffWrapCloudEventFunction builds the framework's handler for a CloudEvent
// function: the CloudEvents SDK receiver behind the legacy-event converter.
//
//go:linkname ffWrapCloudEventFunction github.com/GoogleCloudPlatform/functions-framework-go/funcframework.wrapCloudEventFunction
func ffWrapCloudEventFunction(ctx context.Context, fn func(context.Context, cloudevents.Event) error) (http.Handler, error)

// ffGetBackgroundEvent parses a legacy event body (or a legacy Pub/Sub push
// body, whose topic comes from path) as the framework does.
//
//go:linkname ffGetBackgroundEvent github.com/GoogleCloudPlatform/functions-framework-go/funcframework.getBackgroundEvent
func ffGetBackgroundEvent(body []byte, path string) (*metadata.Metadata, any, error)

// ffShouldConvertCloudEventToBackgroundRequest reports whether a binary-mode
// CloudEvent request has a legacy equivalent.
//
//go:linkname ffShouldConvertCloudEventToBackgroundRequest github.com/GoogleCloudPlatform/functions-framework-go/funcframework.shouldConvertCloudEventToBackgroundRequest
func ffShouldConvertCloudEventToBackgroundRequest(r *http.Request) bool

// ffConvertCloudEventToBackgroundRequest rewrites a binary-mode CloudEvent
// request into the legacy event the framework gives a background function.
//
//go:linkname ffConvertCloudEventToBackgroundRequest github.com/GoogleCloudPlatform/functions-framework-go/funcframework.convertCloudEventToBackgroundRequest
func ffConvertCloudEventToBackgroundRequest(r *http.Request) error

// ffEncodeData encodes legacy event data as the framework does before handing
// it to a background function.
//
//go:linkname ffEncodeData github.com/GoogleCloudPlatform/functions-framework-go/funcframework.encodeData
func ffEncodeData(d any) ([]byte, error)
