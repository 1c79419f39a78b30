// Command faasport runs faasport functions locally as each platform would,
// with the same native events the unit-test kit (testing/fntest) builds.
//
//	faasport event <source> [flags]
//	    print a native sample event: the Lambda invocation payload, the
//	    CloudEvent Google delivers, or the plain HTTP request
//	faasport invoke [-platform lambda|cloudrun|http] <binary or package dir> [<source> [flags]]
//	    run the function's real binary as a Lambda bootstrap under a local
//	    Runtime API, or as a Cloud Run / net/http process on a free PORT,
//	    send it the event, and print what it answered, what was
//	    acknowledged and what will be redelivered
//	faasport sources
//	    list the event sources
//
// For example:
//
//	faasport event sqs -body '{"id":"o-1"}' -batch 2
//	faasport invoke ./examples/echo sqs -bodies '{"ok":1}' -bodies '{"fail":true}'
//	faasport invoke -platform cloudrun ./examples/echo pubsub -body '{"poison":true}'
//	faasport invoke ./examples/echo apigw-v2 -method POST -path /hello -body hi
//
// Neighbours: testing/fntest builds the events and runs handlers in-process;
// testing/lambdatest is the Runtime API the Lambda mode runs under.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  faasport event <source> [flags]      print a native sample event
  faasport invoke [flags] <binary or package dir> [<source> [flags]]
                                       run a function binary as a platform would and send it the event
  faasport sources                     list the event sources

Run "faasport event -h" or "faasport invoke -h" for the flags.
`

// run is the command with its arguments and outputs; it returns the exit
// status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "event":
		return eventCmd(args[1:], stdout, stderr)
	case "invoke":
		return invokeCmd(args[1:], stdout, stderr)
	case "sources":
		listSources(stdout)
		return 0
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "faasport: unknown command %q\n%s", args[0], usage)
	return 2
}
