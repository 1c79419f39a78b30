// Command bare is the baseline of scripts/coldstart: the smallest
// aws-lambda-go function that answers an invocation.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		return in, nil
	})
}
