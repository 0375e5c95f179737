package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/selfheal/selfheal/cmd/benchreport/internal/builds"
	"github.com/selfheal/selfheal/cmd/benchreport/internal/coldstart"
	"github.com/selfheal/selfheal/cmd/benchreport/internal/gobench"
	"github.com/selfheal/selfheal/cmd/benchreport/internal/owncpu"
	"github.com/selfheal/selfheal/cmd/benchreport/internal/parts"
	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
	"github.com/selfheal/selfheal/cmd/selfheal/scenarios"
)

const region = "us-east-1"

// functionEnv is a deployment's environment with placeholders: a
// configuration config.Load accepts, fake credentials, and AWS endpoints
// pointed at a port that refuses at once. No variable of the caller's
// environment is passed on, so no real credential can reach a function.
func functionEnv() []string {
	return []string{
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_ENDPOINT_URL=http://127.0.0.1:1",
		"AWS_LAMBDA_FUNCTION_NAME=selfheal-bench",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"SELFHEAL_TOPIC_ARN=arn:aws:sns:us-east-1:123456789012:selfheal-notifications",
		"SELFHEAL_TABLE=selfheal-state",
		"SELFHEAL_DLQ_URL=https://sqs.us-east-1.amazonaws.com/123456789012/selfheal-dead-letter",
		"SELFHEAL_REGIONS=" + region,
		"PATH=/usr/bin:/bin",
		"LANG=C.UTF-8",
	}
}

// pingEvent is an EventBridge event of a kind no function handles: its
// invocation is a logged no-op that calls no AWS API, so its round trip
// is the function's own (a call would go to AWS_ENDPOINT_URL, which
// refuses at once).
var pingEvent = []byte(`{"version":"0","id":"5d1c7e2a-0000-4000-8000-00000000be01","detail-type":"Benchmark Ping",` +
	`"source":"selfheal.bench","account":"123456789012","time":"2026-11-02T03:00:00Z","region":"us-east-1","resources":[],"detail":{}}`)

// sizes reads the deployed binaries.
func (b *bench) sizes(ctx context.Context) error {
	fns, err := builds.Builder{Root: b.o.root}.Functions()
	if err != nil {
		return err
	}
	for _, fn := range fns {
		path := filepath.Join(b.o.root, "bin", fn, "bootstrap")
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%w (run make build first)", err)
		}
		zipped, err := zipSize(data)
		if err != nil {
			return err
		}
		row := sizeRow{Function: fn, Bytes: int64(len(data)), Zipped: zipped, Parts: map[string]int64{}}
		// Where the bytes go: the same build with its symbol table.
		bl := builds.Builder{Root: b.o.root, Out: filepath.Join(b.o.cache, "symbols"), Log: b.log}
		unstripped, err := bl.Unstripped(ctx, fn, "linux", "arm64")
		if err != nil {
			return err
		}
		syms, err := bl.Symbols(ctx, unstripped)
		if err != nil {
			return err
		}
		for _, s := range syms {
			row.Parts[parts.OfSymbol(s.Name)] += s.Size
			row.Symbols += s.Size
		}
		b.r.Sizes = append(b.r.Sizes, row)
	}
	// The least a Go Lambda weighs: aws-lambda-go and nothing else, built
	// the same way.
	bl := builds.Builder{Root: b.o.root, Out: filepath.Join(b.o.cache, "linux-arm64"), Log: b.log, GOOS: "linux", GOARCH: "arm64"}
	floor, err := bl.Floor(ctx, "lambda-only", nil)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(floor)
	if err != nil {
		return err
	}
	zipped, err := zipSize(data)
	if err != nil {
		return err
	}
	b.r.SizeFloor = sizeRow{Function: "aws-lambda-go alone", Bytes: int64(len(data)), Zipped: zipped}
	return nil
}

// zipSize is the deployment package's size: the bootstrap deflated in a
// zip, as the CDK app uploads it.
func zipSize(data []byte) (int64, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate})
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(data); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return int64(buf.Len()), nil
}

// subject is one program whose cold start is measured.
type subject struct {
	label    string
	function string // the function it stands for ("" for aws-lambda-go alone)
	kind     string // kindFunction, kindFloor, kindBoto
	name     string
	args     []string
	samples  []coldstart.Sample
}

const (
	kindFunction = "function"
	kindFloor    = "go-floor"
	kindLambda   = "lambda-only"
	kindBoto     = "boto3"
)

func (b *bench) coldStarts(ctx context.Context) error {
	out := filepath.Join(b.o.cache, "host")
	bl := builds.Builder{Root: b.o.root, Out: out, Log: b.log}
	fns, err := bl.Functions()
	if err != nil {
		return err
	}
	rie, err := coldstart.InstallRIE(ctx, filepath.Join(b.o.cache, "rie-"+coldstart.RIEVersion), b.log)
	if err != nil {
		return err
	}
	python, pythonNote := b.pythonWithBoto(ctx)
	b.r.BotoNote = pythonNote

	var subjects []*subject
	lambdaOnly, err := bl.Floor(ctx, "lambda-only", nil)
	if err != nil {
		return err
	}
	subjects = append(subjects, &subject{label: "aws-lambda-go alone", kind: kindLambda, name: lambdaOnly})
	for _, fn := range fns {
		b.progress("building %s and its floor for %s/%s", fn, b.r.OS, b.r.Arch)
		svcs, err := bl.Services(ctx, fn)
		if err != nil {
			return err
		}
		bin, err := bl.Function(ctx, fn)
		if err != nil {
			return err
		}
		floor, err := bl.Floor(ctx, fn, svcs)
		if err != nil {
			return err
		}
		b.r.Services = append(b.r.Services, servicesRow{Function: fn, Services: svcs})
		subjects = append(subjects,
			&subject{label: fn, function: fn, kind: kindFunction, name: bin},
			&subject{label: fn + " import floor", function: fn, kind: kindFloor, name: floor})
		if python != "" {
			subjects = append(subjects, &subject{label: fn + " boto3", function: fn, kind: kindBoto, name: python,
				args: []string{"-c", builds.BotoScript(svcs, region)}})
		}
	}

	// Round robin, so that a noisy moment on a shared machine spreads over
	// every subject instead of falling on one.
	env := functionEnv()
	for i := range b.o.runs {
		b.progress("cold starts, round %d of %d", i+1, b.o.runs)
		for _, s := range subjects {
			if s.kind == kindBoto && i >= b.o.botoRuns {
				continue
			}
			sample, err := coldstart.Launch(ctx, pingEvent, env, s.name, s.args...)
			if err != nil {
				return fmt.Errorf("%s: %w", s.label, err)
			}
			if s.kind == kindFunction && strings.TrimSpace(string(sample.Response)) != "null" {
				return fmt.Errorf("%s answered the ping with %q, want null (a no-op)", s.label, sample.Response)
			}
			s.samples = append(s.samples, sample)
		}
	}
	for _, s := range subjects {
		b.r.Starts = append(b.r.Starts, summarize(s))
	}

	// Where init goes.
	for _, s := range subjects {
		if s.kind != kindFunction && s.kind != kindLambda {
			continue
		}
		var traces [][]coldstart.InitEntry
		for range 5 {
			sample, err := coldstart.Launch(ctx, pingEvent, append(env, "GODEBUG=inittrace=1"), s.name)
			if err != nil {
				return fmt.Errorf("%s with inittrace: %w", s.label, err)
			}
			traces = append(traces, coldstart.ParseInitTrace(sample.Stderr))
		}
		b.r.InitTraces = append(b.r.InitTraces, medianTrace(s.label, traces))
	}

	// The emulator's own account of the same starts.
	for _, s := range subjects {
		if s.kind != kindFunction {
			continue
		}
		var rs []coldstart.RIESample
		for i := range b.o.rieRuns {
			b.progress("%s under the emulator, %d of %d", s.label, i+1, b.o.rieRuns)
			r, err := rie.Run(ctx, s.name, env, pingEvent, 5)
			if err != nil {
				return fmt.Errorf("%s under the emulator: %w", s.label, err)
			}
			rs = append(rs, r)
		}
		b.r.RIE = append(b.r.RIE, summarizeRIE(s.function, rs))
	}
	return nil
}

// pythonWithBoto returns the Python to run the boto3 floor with, or "" and
// why not.
func (b *bench) pythonWithBoto(ctx context.Context) (string, string) {
	v, err := exec.CommandContext(ctx, b.o.python, "-c", "import boto3, botocore, sys; print(boto3.__version__, botocore.__version__, sys.version.split()[0])").Output()
	if err != nil {
		return "", fmt.Sprintf("skipped: %s cannot import boto3 (install Debian's python3-boto3; `make bench` does where apt is available)", b.o.python)
	}
	f := strings.Fields(string(v))
	if len(f) == 3 {
		return b.o.python, fmt.Sprintf("boto3 %s, botocore %s, Python %s (%s)", f[0], f[1], f[2], b.o.python)
	}
	return b.o.python, strings.TrimSpace(string(v))
}

func summarize(s *subject) startRow {
	var inits, trips []time.Duration
	var rss []int64
	for _, x := range s.samples {
		inits = append(inits, x.Init)
		trips = append(trips, x.RoundTrip)
		rss = append(rss, x.PeakRSS)
	}
	slices.Sort(rss)
	return startRow{
		Label: s.label, Function: s.function, Kind: s.kind, Runs: len(s.samples),
		Init: coldstart.Median(inits), InitMin: slices.Min(inits), InitMax: slices.Max(inits),
		RoundTrip: coldstart.Median(trips), PeakRSS: rss[len(rss)/2],
	}
}

func summarizeRIE(fn string, rs []coldstart.RIESample) rieRow {
	var inits, firsts, warms []time.Duration
	var rss []int64
	for _, r := range rs {
		inits, firsts, warms = append(inits, r.InitReported), append(firsts, r.FirstInvoke), append(warms, r.WarmInvoke)
		rss = append(rss, r.PeakRSS)
	}
	slices.Sort(rss)
	return rieRow{Function: fn, Runs: len(rs), Init: coldstart.Median(inits), FirstInvoke: coldstart.Median(firsts),
		WarmInvoke: coldstart.Median(warms), PeakRSS: rss[len(rss)/2]}
}

// medianTrace sums each run's init per group and keeps each group's
// median over the runs.
func medianTrace(label string, traces [][]coldstart.InitEntry) initRow {
	byGroup := map[string][]coldstart.InitGroup{}
	var order []string
	var totals []time.Duration
	for _, tr := range traces {
		var total time.Duration
		for _, g := range coldstart.GroupInit(tr) {
			if _, ok := byGroup[g.Name]; !ok {
				order = append(order, g.Name)
			}
			byGroup[g.Name] = append(byGroup[g.Name], g)
			total += g.Clock
		}
		totals = append(totals, total)
	}
	row := initRow{Label: label, Total: coldstart.Median(totals)}
	for _, name := range order {
		gs := byGroup[name]
		var clocks []time.Duration
		for _, g := range gs {
			clocks = append(clocks, g.Clock)
		}
		row.Groups = append(row.Groups, coldstart.InitGroup{Name: name, Packages: gs[0].Packages, Clock: coldstart.Median(clocks),
			Bytes: gs[0].Bytes, Allocs: gs[0].Allocs})
	}
	slices.SortStableFunc(row.Groups, func(a, b coldstart.InitGroup) int { return int(b.Clock - a.Clock) })
	return row
}

// Benchmark packages.
const (
	pkgRebalance   = "github.com/selfheal/selfheal/shared/rebalance"
	pkgCompliance  = "github.com/selfheal/selfheal/shared/compliance"
	pkgSweep       = "github.com/selfheal/selfheal/shared/sweep"
	pkgEventBridge = "github.com/selfheal/selfheal/shared/eventbridge"
	pkgSimCost     = "github.com/selfheal/selfheal/cmd/benchreport/internal/simcost"
	pkgOrgTasks    = "github.com/selfheal/selfheal/shared/orgtasks"
)

// perEvent runs every benchmark of the handlers, the decoders and the
// sim's per-call cost. The rebalancer's account-size benchmark runs with
// them and is reported under scale.
func (b *bench) perEvent(ctx context.Context) error {
	if err := b.ownCPU(ctx); err != nil {
		return err
	}
	rs, err := b.goBench(ctx, gobench.Options{
		Packages:  []string{"./shared/eventbridge", "./shared/rebalance", "./shared/compliance", "./cmd/benchreport/internal/simcost"},
		Benchtime: b.o.benchtime,
	})
	if err != nil {
		return err
	}
	b.r.Events = rs
	return nil
}

// scale runs the sweep on accounts of growing size: one sweep is one op,
// and building the 10x account takes most of the time.
func (b *bench) scale(ctx context.Context) error {
	var rs []gobench.Result
	if b.o.skip["events"] {
		rb, err := b.goBench(ctx, gobench.Options{Packages: []string{"./shared/rebalance"}, Bench: "^BenchmarkHandleHealthAccount$", Benchtime: b.o.benchtime})
		if err != nil {
			return err
		}
		rs = append(rs, rb...)
	}
	sw, err := b.goBench(ctx, gobench.Options{Packages: []string{"./shared/sweep"}, Bench: "^BenchmarkSweep$", Benchtime: "1x"})
	if err != nil {
		return err
	}
	b.r.Scale = append(rs, sw...)
	return nil
}

// organization runs the organization sweep benchmark (3 and 100 member
// accounts × 3 regions): one sweep is one op, each member's workload
// built while the timer is stopped.
func (b *bench) organization(ctx context.Context) error {
	rs, err := b.goBench(ctx, gobench.Options{Packages: []string{"./shared/orgtasks"}, Bench: "^BenchmarkOrganizationSweep$", Benchtime: "1x", Timeout: "3h"})
	if err != nil {
		return err
	}
	b.r.Scale = append(b.r.Scale, rs...)
	return nil
}

func (b *bench) goBench(ctx context.Context, o gobench.Options) ([]gobench.Result, error) {
	o.Log, o.Dir = b.log, b.o.root
	return gobench.Run(ctx, o)
}

func output(ctx context.Context, dir, name string, args ...string) string {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return string(out)
}

// storyRuns is how many times the seed's day is played for own CPU.
const storyRuns = 10

// ownCPU plays the seed's day storyRuns times and keeps, per function and
// kind of event, the median and the worst of the function's own time.
func (b *bench) ownCPU(ctx context.Context) error {
	data, err := scenarios.Read(scenarios.Default)
	if err != nil {
		return err
	}
	sc, err := scenario.Parse(data, gameday.ParseOptions(scenarios.Default, scenarios.Default, ""))
	if err != nil {
		return err
	}
	// The same day for one group enrolled in ARC zonal shift: web of the
	// zonal-shift scenario alone, so that its Health events compare with
	// the seed's web, evacuated by subnets.
	zdata, err := scenarios.Read("zonal-shift")
	if err != nil {
		return err
	}
	zsc, err := scenario.Parse(zdata, gameday.ParseOptions("zonal-shift", "zonal-shift", ""))
	if err != nil {
		return err
	}
	zsc.State.Groups = slices.DeleteFunc(zsc.State.Groups, func(g scenario.Group) bool { return g.ZonalShift == "" })
	type key struct{ function, kind string }
	byKind := map[key][]owncpu.Sample{}
	var order []key
	for i := range storyRuns {
		b.progress("own CPU: the seed's day, %d of %d", i+1, storyRuns)
		for _, story := range []struct {
			sc     *scenario.Scenario
			suffix string
		}{{sc, ""}, {zsc, ", zonal shift"}} {
			samples, err := owncpu.Story(ctx, story.sc)
			if err != nil {
				return err
			}
			for _, s := range samples {
				if story.suffix != "" && !strings.HasPrefix(s.Kind, "AWS Health Event") {
					continue
				}
				k := key{s.Function, s.Kind + story.suffix}
				if _, ok := byKind[k]; !ok {
					order = append(order, k)
				}
				byKind[k] = append(byKind[k], s)
			}
		}
	}
	for _, k := range order {
		ss := byKind[k]
		var own, sim []time.Duration
		var calls []int
		for _, s := range ss {
			own, sim, calls = append(own, s.Own), append(sim, s.Sim), append(calls, s.Calls)
		}
		slices.Sort(calls)
		b.r.Own = append(b.r.Own, ownRow{Function: k.function, Kind: k.kind, Events: len(ss), Own: coldstart.Median(own),
			OwnMax: slices.Max(own), Sim: coldstart.Median(sim), Calls: calls[len(calls)/2]})
	}
	return nil
}
