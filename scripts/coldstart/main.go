// Command coldstart measures what faasport costs a Lambda function at cold
// start, against a bare aws-lambda-go function doing the same work: the
// size of each binary, and the time from exec to the first response under
// the in-repository Runtime API server (testing/lambdatest), the median of
// n runs, interleaved in alternating order so that both see the same load
// and neither always runs first.
//
//	go run ./scripts/coldstart            # 21 runs each
//	go run ./scripts/coldstart -n 51 -tags lambda.norpc
//
// The two functions live in testdata/: bare calls lambda.Start, faasport
// calls adapters.Start with no build tags, as a user's main does. Both
// echo the event. The faasport function runs the adapter's own Runtime API
// loop, so -tags lambda.norpc shrinks only the bare one. The goals (issue "Production hygiene") are a size ratio
// of at most 1.3 and a start ratio of at most 1.15.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/faasport/faasport/testing/lambdatest"
)

// payload is a structured-mode CloudEvent, which both functions echo.
const payload = `{"specversion":"1.0","id":"e-1","source":"/coldstart","type":"com.example.ping","datacontenttype":"application/json","data":{"hello":"world"}}`

func main() {
	n := flag.Int("n", 21, "runs per function")
	tags := flag.String("tags", "", "build tags for both binaries")
	flag.Parse()
	if err := run(*n, *tags); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

type subject struct {
	name     string
	pkg      string
	bin      string
	size     int64
	stripped int64
	starts   []time.Duration
}

func run(n int, tags string) error {
	dir, err := os.MkdirTemp("", "faasport-coldstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	subjects := []*subject{
		{name: "bare aws-lambda-go", pkg: "./scripts/coldstart/testdata/bare"},
		{name: "faasport adapters.Start", pkg: "./scripts/coldstart/testdata/faasport"},
	}
	for _, s := range subjects {
		base := filepath.Join(dir, filepath.Base(s.pkg))
		if s.size, err = build(s.pkg, base, tags); err != nil {
			return err
		}
		if s.stripped, err = build(s.pkg, base+".stripped", tags, "-ldflags=-s -w"); err != nil {
			return err
		}
		s.bin = base
	}
	for i := range n {
		// Alternate the order: on a loaded machine the run that follows
		// another is not timed like the first one of a pair.
		order := subjects
		if i%2 == 1 {
			order = []*subject{subjects[1], subjects[0]}
		}
		for _, s := range order {
			d, err := start(s.bin)
			if err != nil {
				return fmt.Errorf("run %d of %s: %w", i+1, s.name, err)
			}
			s.starts = append(s.starts, d)
		}
	}
	bare, fp := subjects[0], subjects[1]
	fmt.Printf("%-26s %12s %12s %14s\n", "function", "size (B)", "stripped (B)", "start (median)")
	for _, s := range subjects {
		fmt.Printf("%-26s %12d %12d %14s\n", s.name, s.size, s.stripped, median(s.starts).Round(10*time.Microsecond))
	}
	fmt.Printf("%-26s %12.3f %12.3f %14.3f   (goals: size <= 1.3, start <= 1.15; n=%d, tags=%q)\n", "ratio",
		float64(fp.size)/float64(bare.size), float64(fp.stripped)/float64(bare.stripped),
		float64(median(fp.starts))/float64(median(bare.starts)), n, tags)
	fmt.Printf("%-26s %12s %12s %14.3f   (median of each pair's ratio: steadier when the load drifts)\n", "start ratio, paired", "", "",
		pairedRatio(bare.starts, fp.starts))
	return nil
}

// pairedRatio is the median of b[i]/a[i]: runs i of both functions ran one
// after the other, under much the same load.
func pairedRatio(a, b []time.Duration) float64 {
	r := make([]float64, len(a))
	for i := range a {
		r[i] = float64(b[i]) / float64(a[i])
	}
	slices.Sort(r)
	return r[len(r)/2]
}

// build compiles pkg from the repository's root module (whatever go.work
// says) and returns the binary's size.
func build(pkg, out, tags string, extra ...string) (int64, error) {
	args := append([]string{"build", "-o", out, "-tags", tags}, extra...)
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build %s: %w\n%s", pkg, err, msg)
	}
	fi, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// start execs bin against a fresh Runtime API with an invocation already
// queued, and returns the time from exec to its response.
func start(bin string) (time.Duration, error) {
	srv := lambdatest.New()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	type answer struct {
		r   *lambdatest.Response
		err error
		at  time.Time
	}
	got := make(chan answer, 1)
	go func() {
		r, err := srv.Invoke(ctx, []byte(payload))
		got <- answer{r: r, err: err, at: time.Now()}
	}()

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), srv.Env()...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	a := <-got
	if a.err != nil {
		return 0, fmt.Errorf("%w (stderr: %s)", a.err, stderr.String())
	}
	if a.r.Error != nil {
		return 0, errors.New("function answered with an error: " + a.r.Error.Error())
	}
	return a.at.Sub(began), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
