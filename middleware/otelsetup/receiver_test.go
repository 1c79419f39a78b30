package otelsetup_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	collectormetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
)

// receiver is an in-process OTLP/gRPC collector on loopback that keeps what
// it is sent.
type receiver struct {
	collectortrace.UnimplementedTraceServiceServer

	addr    string
	conns   atomic.Int32 // connections accepted
	exports atomic.Int32 // trace export calls received

	mu      sync.Mutex
	spans   []*tracepb.Span
	service []string // service.name of each span's resource
	metrics []string
}

// startReceiver starts a receiver on loopback; call stop when done.
func startReceiver() (r *receiver, stop func(), err error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	r = &receiver{addr: lis.Addr().String()}
	srv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(srv, r)
	collectormetrics.RegisterMetricsServiceServer(srv, metricsServer{r: r})
	go func() { _ = srv.Serve(&countingListener{Listener: lis, n: &r.conns}) }()
	return r, srv.Stop, nil
}

// newReceiver starts a receiver and stops it when the test ends.
func newReceiver(tb testing.TB) *receiver {
	tb.Helper()
	r, stop, err := startReceiver()
	if err != nil {
		tb.Fatalf("start an OTLP receiver on loopback: %v", err)
	}
	tb.Cleanup(stop)
	return r
}

func (r *receiver) Export(ctx context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	r.exports.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.spans = append(r.spans, s)
				r.service = append(r.service, service)
			}
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// metricsServer adapts the receiver to the metrics service, whose Export
// method has another signature.
type metricsServer struct {
	collectormetrics.UnimplementedMetricsServiceServer
	r *receiver
}

func (m metricsServer) Export(ctx context.Context, req *collectormetrics.ExportMetricsServiceRequest) (*collectormetrics.ExportMetricsServiceResponse, error) {
	m.r.mu.Lock()
	defer m.r.mu.Unlock()
	for _, rm := range req.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, mt := range sm.GetMetrics() {
				m.r.metrics = append(m.r.metrics, mt.GetName())
			}
		}
	}
	return &collectormetrics.ExportMetricsServiceResponse{}, nil
}

func (r *receiver) received() ([]*tracepb.Span, []string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...), append([]string(nil), r.service...), append([]string(nil), r.metrics...)
}

type countingListener struct {
	net.Listener
	n *atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}
