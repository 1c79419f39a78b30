// Package sourcedeploy registers a faasport function with the Functions
// Framework for Go, for source deploys (gcloud functions deploy
// --entry-point NAME, or Cloud Run's source deploys with the Go buildpack),
// whose build generates a main that serves the function registered under
// the entry point:
//
//	func init() {
//		if err := sourcedeploy.Register("Orders", gcf.Events(h)); err != nil {
//			panic(err)
//		}
//	}
//
// It lives apart from adapters/gcf so that only source deploys link the
// Functions Framework and the CloudEvents SDK's HTTP client: a program with
// its own main (adapters.Start, gcf.ListenAndServe) does not pay for them.
//
// Prefer a main of your own where you can: the framework's server has no
// graceful shutdown, so stop hooks do not run, and registering one name
// twice makes the framework end the process.
package sourcedeploy

import (
	"fmt"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"github.com/faasport/faasport/adapters/gcf"
)

// Register builds a gcf.Server from opts and registers it, under name,
// with the Functions Framework's process-wide registry, through its public
// API. The framework serves it as an HTTP function, and the Server handles
// events itself exactly as under gcf.ListenAndServe.
func Register(name string, opts ...gcf.Option) error {
	s, err := gcf.New(opts...)
	if err != nil {
		return fmt.Errorf("sourcedeploy: register function %q: %w", name, err)
	}
	functions.HTTP(name, s.ServeHTTP)
	return nil
}
