package adapters_test

import (
	"fmt"

	"github.com/faasport/faasport/adapters"
)

// Detect tells which adapter Start would run in an environment.
func ExampleDetect() {
	lambdaEnv := map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}
	fmt.Println(adapters.Detect(func(k string) string { return lambdaEnv[k] }))
	fmt.Println(adapters.Detect(func(string) string { return "" }))
	// Output:
	// aws_lambda
	// http
}
