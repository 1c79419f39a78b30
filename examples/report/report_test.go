package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/middleware"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/testing/fntest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// sinkServer is a CloudEvents HTTP endpoint that records the ids it accepts
// and fails while failing is set.
type sinkServer struct {
	*httptest.Server
	mu      sync.Mutex
	ids     []string
	failing atomic.Bool
}

func newSinkServer(t *testing.T) *sinkServer {
	s := &sinkServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.failing.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		s.mu.Lock()
		s.ids = append(s.ids, r.Header.Get("Ce-Id"))
		s.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sinkServer) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ids...)
}

func reportOf(t *testing.T, r fntest.Result) Report {
	t.Helper()
	require.NoError(t, r.Err)
	require.NotNil(t, r.Reply)
	assert.Equal(t, ReportType, r.Reply.Type())
	var rep Report
	require.NoError(t, json.Unmarshal(r.Reply.Data(), &rep))
	return rep
}

// Each platform gets its own store and sink, then the same ticks as that
// platform's scheduler sends them: an EventBridge rule, a Cloud Scheduler
// job, an Azure Functions timer.
func TestReportOnEveryPlatform(t *testing.T) {
	for _, p := range []function.Platform{function.PlatformLambda, function.PlatformCloudFunctions, function.PlatformHTTP, function.PlatformAzureFunctions} {
		t.Run(string(p), func(t *testing.T) {
			store := memstate.New()
			require.NoError(t, seed(context.Background(), store, sampleSales))
			sinkSrv := newSinkServer(t)
			var made atomic.Int32
			sink := middleware.NewLazy("sink", func(context.Context) (Sink, error) {
				made.Add(1)
				return newHTTPSink(sinkSrv.URL)
			})
			h := newHandler(store, sink, quiet())
			// A tick's id is the one given, but on Azure Functions, where a
			// timer's tick is named by its function and the next occurrence
			// (fntest.Timer; every five minutes there).
			tickID := func(id string, at time.Time) string {
				if p == function.PlatformAzureFunctions {
					return "nightly@" + at.Add(5*time.Minute).Format(time.RFC3339)
				}
				return id
			}
			tick := func(id string, at time.Time) fntest.Result {
				t.Helper()
				r, err := fntest.Invoke(p, h, fntest.ScheduleTick("nightly", fntest.ID(id), fntest.At(at)))
				require.NoError(t, err)
				require.Equal(t, tickID(id, at), r.Event.ID())
				return r
			}
			day1 := time.Date(2026, 1, 2, 23, 0, 0, 0, time.UTC)
			report1 := "report-" + tickID("t-1", day1)

			r := tick("t-1", day1)
			rep := reportOf(t, r)
			assert.Equal(t, Report{Day: "2026-01-02", Orders: 19, Qty: 43, RevenueCents: 218462, TopSKU: "sku-2", SKUs: 3, Number: 1}, rep)
			assert.Equal(t, report1, r.Reply.ID())
			assert.Equal(t, "2026-01-02", r.Reply.Subject())
			assert.Equal(t, "/reports/nightly", r.Reply.Source())
			assert.False(t, r.Redelivered)
			assert.Equal(t, []string{report1}, sinkSrv.received())

			r = tick("t-1", day1)
			assert.Equal(t, 1, reportOf(t, r).Number, "a redelivered tick gets the same report")
			assert.Equal(t, []string{report1}, sinkSrv.received(), "and sends nothing again")

			sinkSrv.failing.Store(true)
			r = tick("t-2", day1.Add(24*time.Hour))
			require.Error(t, r.Err)
			assert.True(t, r.Redelivered, "a sink that is down is retried")
			sinkSrv.failing.Store(false)
			r = tick("t-2", day1.Add(24*time.Hour))
			rep = reportOf(t, r)
			assert.Equal(t, Report{Day: "2026-01-03", Orders: 3, Qty: 4, RevenueCents: 11996, TopSKU: "sku-1", SKUs: 1, Number: 2}, rep)

			rep = reportOf(t, tick("t-3", day1.Add(48*time.Hour)))
			assert.Equal(t, Report{Day: "2026-01-04", Number: 3}, rep, "a day without sales reports zeros")
			assert.Equal(t, []string{report1, "report-" + tickID("t-2", day1.Add(24*time.Hour)), "report-" + tickID("t-3", day1.Add(48*time.Hour))}, sinkSrv.received())
			assert.EqualValues(t, 1, made.Load(), "the client is made once, lazily")
		})
	}
}

func TestReportSinkUnavailable(t *testing.T) {
	var tries atomic.Int32
	sink := middleware.NewLazy("sink", func(context.Context) (Sink, error) {
		tries.Add(1)
		return nil, errors.New("no route to sink")
	})
	h := newHandler(memstate.New(), sink, quiet())
	fntest.OnEveryPlatform(t, h, fntest.ScheduleTick("nightly"), func(t *testing.T, r fntest.Result) {
		require.Error(t, r.Err)
		assert.True(t, r.Redelivered, "a sink that cannot be made is retried by the platform")
		assert.False(t, function.IsPermanent(r.Err))
	})
	assert.GreaterOrEqual(t, tries.Load(), int32(3), "a failed initialization is not remembered")
}

func TestReportSinkRecovers(t *testing.T) {
	var tries atomic.Int32
	sink := middleware.NewLazy("sink", func(context.Context) (Sink, error) {
		if tries.Add(1) == 1 {
			return nil, errors.New("no route to sink")
		}
		return logSink{logger: quiet()}, nil
	})
	h := newHandler(memstate.New(), sink, quiet())
	fntest.OnEveryPlatform(t, h, fntest.ScheduleTick("nightly"), func(t *testing.T, r fntest.Result) {
		assert.Equal(t, "2026-01-02", reportOf(t, r).Day, "the retry middleware tries again within the invocation")
	})
	assert.EqualValues(t, 2, tries.Load(), "made once it succeeds")
}

func TestScheduleName(t *testing.T) {
	for schedule, want := range map[string]string{
		"arn:aws:events:us-east-1:123456789012:rule/nightly-report":                  "nightly-report",
		"projects/my-project/locations/europe-west1/jobs/nightly-report":             "nightly-report",
		"//cloudscheduler.googleapis.com/projects/p/locations/l/jobs/nightly-report": "nightly-report",
		"/timers/nightly-report 0 0 23 * * *":                                        "nightly-report",
		"/timers/nightly-report":                                                     "nightly-report",
		"nightly-report":                                                             "nightly-report",
	} {
		assert.Equal(t, want, scheduleName(schedule), schedule)
	}
}

func TestSinkFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		http bool
	}{
		{"none: the log", nil, false},
		{"REPORT_SINK", map[string]string{"REPORT_SINK": "http://127.0.0.1:1"}, true},
		{"K_SINK", map[string]string{"K_SINK": "http://127.0.0.1:1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sinkFromEnv(func(k string) string { return tt.env[k] }, quiet())(context.Background())
			require.NoError(t, err)
			_, isHTTP := s.(*httpSink)
			assert.Equal(t, tt.http, isHTTP)
		})
	}
}

func TestSeedRejectsBadData(t *testing.T) {
	require.Error(t, seed(context.Background(), memstate.New(), []byte(`{"2026-01-02": [1]}`)))
}
