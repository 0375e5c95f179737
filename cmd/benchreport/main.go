// Command benchreport measures selfheal and prints the tables of
// BENCHMARKS.md: what `make bench` runs (after `make build`).
//
//   - Size: each bin/<fn>/bootstrap (linux/arm64, stripped), raw and zipped.
//   - Cold start: each function built for the host with the same flags,
//     started against a Runtime API this program serves (exec → first
//     /next, first invocation's round trip, peak RSS), next to its floors
//     (a Go program importing only the same SDK service packages, and the
//     same clients built by Debian's python3-boto3) and, as a cross-check,
//     under the AWS Lambda Runtime Interface Emulator (its own INIT
//     REPORT). GODEBUG=inittrace=1 says where init time goes.
//   - Per event: each function's own CPU on every kind of event of the
//     seed's day, the sim's answering taken out (internal/owncpu); the
//     handler benchmarks of shared/rebalance and shared/compliance on the
//     simulated account, the decoders' and the planner's, and what one SDK
//     call on the sim costs (internal/simcost).
//   - Scale: the rebalancer and the sweep on accounts of growing size.
//   - Organization: the organization sweep on Step Functions (issue 16),
//     100 member accounts × 3 regions of the 1× sweep's size each, run
//     through orgsweep.Execute on the deployed definition (about half an
//     hour on 2 cores).
//
// Then it checks the goals of issue 10 and says which are met.
//
// Usage:
//
//	benchreport [-runs 15] [-benchtime 1s] [-o file] [-skip coldstart,events,scale,organization]
//
// It installs the pinned emulator into its cache directory
// ($SELFHEAL_BENCH_CACHE, else the user cache dir) and writes nothing
// into the checkout; progress goes to stderr, the report to stdout or -o.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

type options struct {
	runs      int
	rieRuns   int
	botoRuns  int
	benchtime string
	out       string
	skip      map[string]bool
	root      string
	cache     string
	python    string
}

func run() error {
	var o options
	var skip string
	flag.IntVar(&o.runs, "runs", 15, "cold starts per Go binary (the median is reported)")
	flag.IntVar(&o.rieRuns, "rie-runs", 5, "cold starts per function under the emulator")
	flag.IntVar(&o.botoRuns, "boto-runs", 5, "cold starts per boto3 floor")
	flag.StringVar(&o.benchtime, "benchtime", "1s", "go test -benchtime of the per-event benchmarks")
	flag.StringVar(&o.out, "o", "", "write the report to this file instead of stdout")
	flag.StringVar(&skip, "skip", "", "comma-separated parts to leave out: size, coldstart, events, scale, organization")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python with boto3 for the boto3 floor (Debian's python3-boto3)")
	flag.Parse()
	o.skip = map[string]bool{}
	for _, s := range strings.Split(skip, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.skip[s] = true
		}
	}
	var err error
	if o.root, err = moduleRoot(); err != nil {
		return err
	}
	if o.cache, err = cacheDir(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	b := &bench{o: o, log: os.Stderr, r: &report{Date: time.Now().UTC(), Runs: o.runs, Benchtime: o.benchtime}}
	if err := b.environment(ctx); err != nil {
		return err
	}
	steps := []struct {
		name string
		do   func(context.Context) error
	}{
		{"size", b.sizes},
		{"coldstart", b.coldStarts},
		{"events", b.perEvent},
		{"scale", b.scale},
		{"organization", b.organization},
	}
	for _, s := range steps {
		if o.skip[s.name] {
			b.r.Skipped = append(b.r.Skipped, s.name)
			continue
		}
		b.progress("== %s", s.name)
		if err := s.do(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	var w io.Writer = os.Stdout
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return b.r.write(w)
}

// bench holds a run's options and what it measured.
type bench struct {
	o   options
	log io.Writer
	r   *report
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.log, format+"\n", args...)
}

// moduleRoot is the directory of the go.mod of the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory: run from the selfheal checkout")
		}
		dir = parent
	}
}

func cacheDir() (string, error) {
	dir := os.Getenv("SELFHEAL_BENCH_CACHE")
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no cache directory (set SELFHEAL_BENCH_CACHE): %w", err)
		}
		dir = filepath.Join(base, "selfheal-bench")
	}
	return dir, os.MkdirAll(dir, 0o755)
}

// environment records what the figures were measured on.
func (b *bench) environment(ctx context.Context) error {
	r := b.r
	r.GoVersion = strings.TrimSpace(output(ctx, b.o.root, "go", "env", "GOVERSION"))
	r.CPU, r.Cores = cpuModel(), runtime.NumCPU()
	r.Kernel = strings.TrimSpace(readFile("/proc/sys/kernel/osrelease"))
	r.OS, r.Arch = runtime.GOOS, runtime.GOARCH
	return nil
}

func cpuModel() string {
	for line := range strings.Lines(readFile("/proc/cpuinfo")) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
