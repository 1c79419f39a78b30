package lambda_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/faasport/faasport/adapters/lambda"
	"github.com/faasport/faasport/function"
)

func benchCtx(b *testing.B) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
	b.Cleanup(cancel)
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "req-1", InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:fn"})
}

func sqsBatchPayload(b *testing.B, n int) []byte {
	recs := make([]events.SQSMessage, n)
	for i := range recs {
		recs[i] = events.SQSMessage{
			MessageId:     fmt.Sprintf("059f36b4-87a3-44ab-83d2-66197%07d", i),
			ReceiptHandle: "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a/EXAMPLE/receipt/handle/that/is/fairly/long/" + fmt.Sprint(i),
			Body:          fmt.Sprintf(`{"orderId":"o-%d","items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}],"total":42.5}`, i),
			Md5OfBody:     "e4e68fb7bd0e697a0ae8f1bb342846b3",
			Attributes: map[string]string{
				"ApproximateReceiveCount":          "1",
				"SentTimestamp":                    "1700000000000",
				"SenderId":                         "AIDAIENQZJOLO23YVJ4VO",
				"ApproximateFirstReceiveTimestamp": "1700000000100",
			},
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSource:       "aws:sqs",
			EventSourceARN:    "arn:aws:sqs:us-east-1:123456789012:orders",
			AWSRegion:         "us-east-1",
		}
	}
	return mustJSON(b, events.SQSEvent{Records: recs})
}

func BenchmarkSQSBatch10(b *testing.B) {
	payload := sqsBatchPayload(b, 10)
	ctx := benchCtx(b)
	b.Run("faasport", func(b *testing.B) {
		h := lambda.New(lambda.Events(function.HandlerFunc(func(ctx context.Context, e event.Event) (*event.Event, error) {
			return nil, nil
		})))
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, err := h.Invoke(ctx, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bare", func(b *testing.B) {
		h := awslambda.NewHandler(func(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
			var resp events.SQSEventResponse
			for range e.Records {
			}
			return resp, nil
		})
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, err := h.Invoke(ctx, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// order is the body of the benchmark's SQS messages.
type order struct {
	OrderID string `json:"orderId"`
	Items   []struct {
		SKU string `json:"sku"`
		Qty int    `json:"qty"`
	} `json:"items"`
	Total float64 `json:"total"`
}

// BenchmarkSQSBatch10Typed is BenchmarkSQSBatch10 with the work a real
// consumer adds on each side: every body decoded into the same struct
// (function.Consume on faasport, json.Unmarshal of each Body on bare).
// BenchmarkSQSBatch10 measures the adapter alone.
func BenchmarkSQSBatch10Typed(b *testing.B) {
	payload := sqsBatchPayload(b, 10)
	ctx := benchCtx(b)
	b.Run("faasport", func(b *testing.B) {
		h := lambda.New(lambda.Events(function.Consume(func(ctx context.Context, o order) error {
			if o.OrderID == "" {
				return errors.New("no order id")
			}
			return nil
		})))
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			out, err := h.Invoke(ctx, payload)
			if err != nil || string(out) != `{"batchItemFailures":[]}` {
				b.Fatal(string(out), err)
			}
		}
	})
	b.Run("bare", func(b *testing.B) {
		h := awslambda.NewHandler(func(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
			var resp events.SQSEventResponse
			for _, r := range e.Records {
				var o order
				if err := json.Unmarshal([]byte(r.Body), &o); err != nil || o.OrderID == "" {
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
				}
			}
			return resp, nil
		})
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			out, err := h.Invoke(ctx, payload)
			if err != nil || string(out) != `{"batchItemFailures":null}` {
				b.Fatal(string(out), err)
			}
		}
	})
}

func apiGatewayV2Payload(b *testing.B) []byte {
	return mustJSON(b, events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /orders", RawPath: "/orders", RawQueryString: "source=web&debug=false",
		Cookies: []string{"session=abc123", "theme=dark"},
		Headers: map[string]string{
			"accept": "application/json", "accept-encoding": "gzip, deflate, br", "accept-language": "en-US,en;q=0.9",
			"content-length": "58", "content-type": "application/json", "host": "api.example.com",
			"user-agent":      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
			"x-amzn-trace-id": "Root=1-65a0f0f0-0123456789abcdef01234567", "x-forwarded-for": "198.51.100.7",
			"x-forwarded-port": "443", "x-forwarded-proto": "https",
		},
		QueryStringParameters: map[string]string{"source": "web", "debug": "false"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: "POST /orders", AccountID: "123456789012", Stage: "$default", RequestID: "JKJaXmPLvHcESHA=",
			APIID: "r3pmxmplak", DomainName: "api.example.com", DomainPrefix: "api", Time: "10/Mar/2025:19:03:58 +0000", TimeEpoch: 1741633438000,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/orders", Protocol: "HTTP/1.1", SourceIP: "198.51.100.7", UserAgent: "Mozilla/5.0"},
		},
		Body: `{"orderId":"o-1","items":[{"sku":"A-1","qty":2}],"total":42.5}`,
	})
}

func BenchmarkAPIGatewayV2(b *testing.B) {
	payload := apiGatewayV2Payload(b)
	ctx := benchCtx(b)
	b.Run("faasport", func(b *testing.B) {
		h := lambda.New(lambda.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"ok":true}`)
		})))
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, err := h.Invoke(ctx, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bare", func(b *testing.B) {
		h := awslambda.NewHandler(func(ctx context.Context, r events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"ok":true}`}, nil
		})
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, err := h.Invoke(ctx, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}
