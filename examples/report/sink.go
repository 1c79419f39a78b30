package main

import (
	"context"
	"fmt"
	"log/slog"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"
)

// httpSink sends reports to a CloudEvents HTTP endpoint (a Knative broker,
// an Eventarc or EventBridge API destination, another function).
type httpSink struct {
	client cloudevents.Client
	target string
}

// newHTTPSink makes the client; it is what middleware.Lazy defers.
func newHTTPSink(target string) (Sink, error) {
	c, err := cloudevents.NewClientHTTP()
	if err != nil {
		return nil, fmt.Errorf("report: CloudEvents client for %s: %w", target, err)
	}
	return &httpSink{client: c, target: target}, nil
}

func (s *httpSink) Send(ctx context.Context, e event.Event) error {
	res := s.client.Send(cloudevents.ContextWithTarget(ctx, s.target), e)
	if !cloudevents.IsACK(res) {
		return fmt.Errorf("report: %s did not accept the report: %w", s.target, res)
	}
	return nil
}

// logSink writes reports to the log: the default when no sink is set.
type logSink struct{ logger *slog.Logger }

func (s logSink) Send(ctx context.Context, e event.Event) error {
	s.logger.InfoContext(ctx, "report", slog.Any("event", e))
	return nil
}

// sinkFromEnv picks the sink: REPORT_SINK, else K_SINK (set by a Knative
// SinkBinding), else the log.
func sinkFromEnv(getenv func(string) string, logger *slog.Logger) func(context.Context) (Sink, error) {
	return func(context.Context) (Sink, error) {
		for _, k := range []string{"REPORT_SINK", "K_SINK"} {
			if url := getenv(k); url != "" {
				return newHTTPSink(url)
			}
		}
		return logSink{logger: logger}, nil
	}
}
