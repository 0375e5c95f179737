package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/selfheal/selfheal/cmd/benchreport/internal/coldstart"
	"github.com/selfheal/selfheal/cmd/benchreport/internal/gobench"
)

// report is everything one run measured.
type report struct {
	Date      time.Time
	GoVersion string
	CPU       string
	Cores     int
	Kernel    string
	OS, Arch  string
	Runs      int
	Benchtime string
	Skipped   []string

	Sizes      []sizeRow
	SizeFloor  sizeRow
	Services   []servicesRow
	Starts     []startRow
	BotoNote   string
	InitTraces []initRow
	RIE        []rieRow
	Own        []ownRow
	Events     []gobench.Result
	Scale      []gobench.Result
}

type ownRow struct {
	Function, Kind string
	Events         int
	Own, OwnMax    time.Duration
	Sim            time.Duration
	Calls          int
}

type sizeRow struct {
	Function      string
	Bytes, Zipped int64
	// Parts sums the symbols stored in the file by part of the program;
	// Symbols is their total.
	Parts   map[string]int64
	Symbols int64
}

type servicesRow struct {
	Function string
	Services []string
}

type startRow struct {
	Label, Function, Kind  string
	Runs                   int
	Init, InitMin, InitMax time.Duration
	RoundTrip              time.Duration
	PeakRSS                int64
}

type rieRow struct {
	Function                      string
	Runs                          int
	Init, FirstInvoke, WarmInvoke time.Duration
	PeakRSS                       int64
}

type initRow struct {
	Label  string
	Total  time.Duration
	Groups []coldstart.InitGroup
}

// Goals of issue 10. Sizes are in MB of 10^6 bytes.
const (
	goalSize        = 10e6
	goalFloorMargin = 5 * time.Millisecond
	goalBotoFactor  = 10
	goalRSS         = 30e6
	goalOwnCPU      = time.Millisecond
	goalBackupCalls = 5
)

// verdict is one goal checked.
type verdict struct {
	Goal, Result string
	Met          bool
}

func (r *report) write(w io.Writer) error {
	p := &printer{w: w}
	p.f("## Run\n\n")
	p.f("- Date: %s\n", r.Date.Format("2006-01-02 15:04 MST"))
	p.f("- Go: %s, %s/%s\n", r.GoVersion, r.OS, r.Arch)
	p.f("- CPU: %s, %d cores (shared with other work: figures are medians)\n", r.CPU, r.Cores)
	p.f("- Kernel: Linux %s\n", r.Kernel)
	if len(r.Skipped) > 0 {
		p.f("- Left out with -skip: %s\n", strings.Join(r.Skipped, ", "))
	}
	p.f("\n")

	var verdicts []verdict
	if len(r.Sizes) > 0 {
		verdicts = append(verdicts, r.writeSizes(p)...)
	}
	if len(r.Starts) > 0 {
		verdicts = append(verdicts, r.writeStarts(p)...)
	}
	if len(r.Events) > 0 {
		verdicts = append(verdicts, r.writeEvents(p)...)
	}
	if len(r.Scale) > 0 || len(r.Events) > 0 {
		r.writeScale(p)
		r.writeOrganization(p)
	}
	p.f("## Goals\n\n")
	p.table([]string{"goal", "result", "met"}, func(add func(...string)) {
		for _, v := range verdicts {
			add(v.Goal, v.Result, yes(v.Met))
		}
	})
	return p.err
}

func (r *report) writeSizes(p *printer) []verdict {
	p.f("## Size\n\n`bin/<fn>/bootstrap` as `make build` makes it (linux/arm64, `-tags lambda.norpc -trimpath -ldflags \"-s -w\"`), and zipped as deployed.\n\n")
	var vs []verdict
	p.table([]string{"function", "bootstrap", "zipped", "≤ 10 MB"}, func(add func(...string)) {
		for _, s := range r.Sizes {
			ok := s.Bytes <= goalSize
			add(s.Function, mb2(s.Bytes), mb2(s.Zipped), yes(ok))
			vs = append(vs, verdict{Goal: "size of " + s.Function + " ≤ 10 MB", Result: mb2(s.Bytes), Met: ok})
		}
		if f := r.SizeFloor; f.Bytes > 0 {
			add(f.Function+" (floor)", mb2(f.Bytes), mb2(f.Zipped), "")
		}
	})
	if len(r.Sizes[0].Parts) == 0 {
		return vs
	}
	p.f("Where the bytes go: the symbols of the same build with its symbol table (`go tool nm -size`: code, read-only data, data), summed by part of the program. " +
		"The rest of the file has no symbol of its own: the runtime's per-function tables (pclntab: names, line and stack maps of every function, so they grow with the code " +
		"of every part) and string data.\n\n")
	totals := map[string]int64{}
	for _, s := range r.Sizes {
		for part, n := range s.Parts {
			totals[part] = max(totals[part], n)
		}
	}
	names := slices.SortedFunc(maps.Keys(totals), func(a, b string) int { return int(totals[b] - totals[a]) })
	header := []string{"part"}
	for _, s := range r.Sizes {
		header = append(header, s.Function)
	}
	p.table(header, func(add func(...string)) {
		for _, part := range names {
			if totals[part] < 50_000 {
				continue
			}
			row := []string{part}
			for _, s := range r.Sizes {
				cell := "—"
				if n, ok := s.Parts[part]; ok {
					cell = mb2(n)
				}
				row = append(row, cell)
			}
			add(row...)
		}
		row, share := []string{"all symbols"}, []string{"share of the bootstrap"}
		for _, s := range r.Sizes {
			row = append(row, mb2(s.Symbols))
			share = append(share, fmt.Sprintf("%.0f %%", 100*float64(s.Symbols)/float64(s.Bytes)))
		}
		add(row...)
		add(share...)
	})
	return vs
}

func (r *report) start(label string) (startRow, bool) {
	i := slices.IndexFunc(r.Starts, func(s startRow) bool { return s.Label == label })
	if i < 0 {
		return startRow{}, false
	}
	return r.Starts[i], true
}

func (r *report) writeStarts(p *printer) []verdict {
	p.f("## Cold start\n\n")
	p.f("Each function built for the host (%s/%s) with the Lambda build's flags, started %d times against a Runtime API served by the bench program, "+
		"which stamps each request as it arrives: **init** is exec → first `GET /runtime/invocation/next`, **round trip** is the first event handed out → its response posted "+
		"(an event of a kind no function handles: a logged no-op with no AWS call), **peak RSS** is the process's VmHWM (from /proc, before it is stopped) after that invocation. Medians; init min–max in brackets.\n\n",
		r.OS, r.Arch, r.Runs)
	p.f("Floors, measured in the same rounds: **import floor** is a generated program that imports only the function's SDK service packages and starts aws-lambda-go "+
		"with a handler that does nothing; **boto3** builds the same clients with Python boto3 at module level and serves the same Runtime API (%s).\n\n", r.BotoNote)
	var vs []verdict
	p.table([]string{"program", "SDK services", "init", "round trip", "peak RSS"}, func(add func(...string)) {
		for _, s := range r.Starts {
			svcs := "—"
			if i := slices.IndexFunc(r.Services, func(x servicesRow) bool { return x.Function == s.Function }); i >= 0 && s.Kind != kindLambda {
				svcs = strings.Join(r.Services[i].Services, ", ")
			}
			add(s.Label, svcs, fmt.Sprintf("%s (%s–%s)", msec(s.Init), msec(s.InitMin), msec(s.InitMax)), msec(s.RoundTrip), mb(s.PeakRSS))
		}
	})
	p.f("\n")
	p.table([]string{"function", "init − import floor (≤ 5 ms)", "boto3 ÷ Go init (≥ 10×)", "peak RSS (≤ 30 MB)"}, func(add func(...string)) {
		for _, s := range r.Starts {
			if s.Kind != kindFunction {
				continue
			}
			floor, _ := r.start(s.Label + " import floor")
			over := s.Init - floor.Init
			okFloor := over <= goalFloorMargin
			vs = append(vs, verdict{Goal: s.Label + " init within 5 ms of its import floor", Result: fmt.Sprintf("%s − %s = %s", msec(s.Init), msec(floor.Init), msec(over)), Met: okFloor})
			factor, okBoto := "not measured", false
			if boto, ok := r.start(s.Label + " boto3"); ok {
				f := float64(boto.Init) / float64(s.Init)
				factor, okBoto = fmt.Sprintf("%.1f× (%s)", f, msec(boto.Init)), f >= goalBotoFactor
				vs = append(vs, verdict{Goal: s.Label + " init ≥ 10× faster than boto3", Result: factor, Met: okBoto})
			}
			okRSS := float64(s.PeakRSS) <= goalRSS
			vs = append(vs, verdict{Goal: s.Label + " peak RSS ≤ 30 MB", Result: mb(s.PeakRSS), Met: okRSS})
			add(s.Label, fmt.Sprintf("%s %s", msec(over), yes(okFloor)), fmt.Sprintf("%s %s", factor, yes(okBoto)), fmt.Sprintf("%s %s", mb(s.PeakRSS), yes(okRSS)))
		}
	})
	p.f("\n")
	if len(r.RIE) > 0 {
		p.f("### Under the Runtime Interface Emulator\n\n")
		p.f("`%s@%s`, bound to 127.0.0.1, started fresh for each cold start. **INIT REPORT** is the emulator's own figure (its log line `INIT REPORT(durationMs: …)`: "+
			"bootstrap start → first /next, what Lambda reports as Init Duration); **first invoke** is the caller's POST → response, init included (the emulator starts the "+
			"bootstrap on the first invoke); **warm** is the median of the next 5; **VmHWM** is the bootstrap's peak RSS read from /proc. The emulator writes no per-request "+
			"timestamp for /next, so the table above, from the bench's own Runtime API, is the precise one.\n\n", coldstart.RIEPackage, coldstart.RIEVersion)
		p.table([]string{"function", "runs", "INIT REPORT", "first invoke", "warm invoke", "VmHWM"}, func(add func(...string)) {
			for _, x := range r.RIE {
				add(x.Function, strconv.Itoa(x.Runs), msec(x.Init), msec(x.FirstInvoke), msec(x.WarmInvoke), mb(x.PeakRSS))
			}
		})
		p.f("\n")
	}
	if len(r.InitTraces) > 0 {
		p.f("### Where init goes\n\n`GODEBUG=inittrace=1`, 5 runs each, median clock time of package initializers by part of the program (their sum is the total; the rest of init is " +
			"the Go runtime starting before them and `main` until the first poll).\n\n")
		for _, t := range r.InitTraces {
			p.f("**%s**: package init %s in total.\n\n", t.Label, msec(t.Total))
			p.table([]string{"part", "packages", "clock", "heap", "allocs"}, func(add func(...string)) {
				for _, g := range t.Groups {
					if g.Clock < 50*time.Microsecond && g.Allocs < 100 {
						continue
					}
					add(g.Name, strconv.Itoa(g.Packages), msec(g.Clock), kb(g.Bytes), strconv.FormatInt(g.Allocs, 10))
				}
			})
			p.f("\n")
		}
	}
	return vs
}

// calls is the AWS call attempts per op a benchmark reports.
func calls(e gobench.Result) (float64, bool) {
	if v, ok := e.Metric("calls/op"); ok {
		return v, true
	}
	a, ok1 := e.Metric("account-calls/op")
	s, ok2 := e.Metric("state-calls/op")
	n, ok3 := e.Metric("sns-calls/op")
	return a + s + n, ok1 || ok2 || ok3
}

var healthGroups = regexp.MustCompile(`^HandleHealth/groups=(\d+)$`)

func (r *report) writeEvents(p *printer) []verdict {
	p.f("## Per event\n\n")
	var vs []verdict
	if len(r.Own) > 0 {
		p.f("### Own CPU\n\nThe seed's day (scenario `default`: an AWS Health issue opened and closed an hour later, the nightly backup and its cross-region copy, the rebalancer's "+
			"schedule every 5 minutes) played %d times on the simulated account, every event delivered through the function's real boundary and SDK clients after a garbage "+
			"collection. **own** is the handler's time minus the time the sim took answering its calls (timed by a middleware around the sim's answer): the function's own "+
			"decoding, deciding, request building, signing, parsing, logging and metrics. One goroutine: wall time is CPU time.\n\n", storyRuns)
		worst := ownRow{}
		p.table([]string{"function", "event", "events", "own (median)", "own (worst)", "sim answering", "calls"}, func(add func(...string)) {
			for _, o := range r.Own {
				if o.Own > worst.Own {
					worst = o
				}
				add(o.Function, o.Kind, strconv.Itoa(o.Events), usec(o.Own), usec(o.OwnMax), usec(o.Sim), strconv.Itoa(o.Calls))
			}
		})
		p.f("\n")
		vs = append(vs, verdict{Goal: "≤ 1 ms own CPU per event", Result: fmt.Sprintf("worst median %s (%s %s)", usec(worst.Own), worst.Function, worst.Kind),
			Met: worst.Own <= goalOwnCPU})
	}
	if len(r.Events) == 0 {
		return vs
	}
	p.f("### Go benchmarks\n\n`-benchmem`, `-benchtime %s`: each handler benchmark of shared/rebalance and shared/compliance — the real boundary, processor and SDK clients on "+
		"the simulated account — on the sim's own events and the catalogue's samples, with the decoders' and the planner's. **calls** are the AWS call attempts per event "+
		"from the sim's call log, selfheal's state table and SNS included. ns/op includes the sim answering each call (`CallOnSim`: one call through the SDK on the sim) "+
		"and, in the rebalancer's, work left by the untimed steps that undo each event (garbage to collect, a growing simulated table): a CPU profile of "+
		"`HandleLaunchFailure` puts the handler itself at about a quarter of its ns/op. The table above is the function's own share.\n\n", r.Benchtime)
	p.table([]string{"benchmark", "ns/op", "B/op", "allocs/op", "calls", "other metrics"}, func(add func(...string)) {
		for _, e := range r.Events {
			if strings.HasPrefix(e.Name, "HandleHealthAccount") {
				continue // scale
			}
			callsCol := ""
			if c, ok := calls(e); ok {
				callsCol = num(c)
			}
			add(short(e.Package)+" "+e.Name, usec(time.Duration(e.Metrics["ns/op"])), num(e.Metrics["B/op"]), num(e.Metrics["allocs/op"]), callsCol, others(e))
		}
	})
	p.f("\n")
	for _, name := range []string{"HandleBackupJob/sim-completed", "HandleBackupJob/sample-completed"} {
		if e, ok := gobench.Find(r.Events, pkgCompliance, name); ok {
			c, _ := calls(e)
			reads := e.Metrics["reads/op"]
			vs = append(vs, verdict{Goal: "≤ 5 calls to the account for a completed backup job (" + name + ")",
				Result: fmt.Sprintf("%s reads (%s calls with the state table and SNS)", num(reads), num(c)), Met: reads <= goalBackupCalls})
		}
	}
	for _, e := range r.Events {
		m := healthGroups.FindStringSubmatch(e.Name)
		if e.Package != pkgRebalance || m == nil {
			continue
		}
		groups, _ := strconv.Atoi(m[1])
		// A per-op average: the first event also resolves what clients
		// cache (e.g. 4.001 calls); hundredths are noise.
		acct := math.Round(e.Metrics["account-calls/op"]*100) / 100
		limit := 2 + 2*float64(groups)
		total, _ := calls(e)
		vs = append(vs, verdict{Goal: fmt.Sprintf("Health event, %d group(s): ≤ 2 + 2 per group = %.0f calls to the account", groups, limit),
			Result: fmt.Sprintf("%s (%s with the state table and SNS)", num(acct), num(total)), Met: acct <= limit})
	}
	return vs
}

func (r *report) writeScale(p *printer) {
	p.f("## Scale\n\n")
	var rb []gobench.Result
	for _, e := range append(slices.Clone(r.Events), r.Scale...) {
		if e.Package == pkgRebalance && strings.HasPrefix(e.Name, "HandleHealthAccount/") {
			rb = append(rb, e)
		}
	}
	if len(rb) > 0 {
		p.f("**Rebalancer**: a Health issue in an account of N groups, one in ten opted in (`BenchmarkHandleHealthAccount`: 1× = 10 groups). Its calls are sequential, so its sim time " +
			"at 10 ms per call attempt — the sweep benchmark's latency — is calls × 10 ms.\n\n")
		base := rb[0]
		p.table([]string{"size", "groups", "calls", "account", "state", "SNS", "sim time @10 ms/call", "wall (ns/op)", "wall ÷ 1×"}, func(add func(...string)) {
			for i, e := range rb {
				c, _ := calls(e)
				add(fmt.Sprintf("%d×", int(math.Pow10(i))), strings.TrimPrefix(e.Name, "HandleHealthAccount/groups="), num(c), num(e.Metrics["account-calls/op"]),
					num(e.Metrics["state-calls/op"]), num(e.Metrics["sns-calls/op"]), secs(c*0.010), msec(time.Duration(e.Metrics["ns/op"])),
					fmt.Sprintf("%.1f", e.Metrics["ns/op"]/base.Metrics["ns/op"]))
			}
		})
		p.f("\n")
	}
	var sw []gobench.Result
	for _, e := range r.Scale {
		if e.Package == pkgSweep {
			sw = append(sw, e)
		}
	}
	if len(sw) > 0 {
		p.f("**Sweep**: the scheduled audit of one region (`BenchmarkSweep`: 1× = 10,000 recovery points, 1,000 groups, 500 tables, 200 vaults), every call attempt 10 ms of sim " +
			"time under AWS-like rate limits; sim time is the serial sum of the calls' latencies and throttling backoff, an upper bound for reads that overlap.\n\n")
		p.table([]string{"size", "calls", "audit reads", "state", "SNS", "throttled", "sim time", "audit sim time", "wall"}, func(add func(...string)) {
			for _, e := range sw {
				add(strings.TrimPrefix(e.Name, "Sweep/"), num(e.Metrics["calls/op"]), num(e.Metrics["audit-calls/op"]), num(e.Metrics["state-calls/op"]),
					num(e.Metrics["sns-calls/op"]), num(e.Metrics["throttled/op"]), secs(e.Metrics["sim-s/op"]), secs(e.Metrics["audit-sim-s/op"]),
					secs(e.Metrics["ns/op"]/1e9))
			}
		})
		p.f("\n")
	}
}

// writeOrganization is the organization sweep's table (issue 16).
func (r *report) writeOrganization(p *printer) {
	var org []gobench.Result
	for _, e := range r.Scale {
		if e.Package == pkgOrgTasks {
			org = append(org, e)
		}
	}
	if len(org) == 0 {
		return
	}
	p.f("**Organization sweep** (`BenchmarkOrganizationSweep`): N member accounts and the hub × 3 regions, each member-region the sweep's 1× account, every call attempt 10 ms of sim " +
		"time under the same per-account rate limits; one state machine per region (`orgsweep.Definition`, run by `orgsweep.Execute`), the three at once. **sweep** is the longest " +
		"execution, **map** its Distributed Map at MaxConcurrency 20, **child** its longest child (one account-region's sweep), **serial** the children end to end. Calls per member are " +
		"its account's (all regions, throttled attempts included); assume-role is the hub's sts:AssumeRole per member; state writes and reads are the hub's table. Peak heap: live heap " +
		"with one member's workload in the sim; peak RSS: the whole benchmark process.\n\n")
	p.table([]string{"members", "sweep", "map", "child", "serial", "transitions", "invocations", "calls/member", "throttled/member", "assume-role/member",
		"state writes", "state reads", "peak heap", "peak RSS", "wall"}, func(add func(...string)) {
		for _, e := range org {
			m := e.Metrics
			add(strings.TrimPrefix(e.Name, "OrganizationSweep/members="), secs(m["sweep-sim-s"]), secs(m["map-sim-s"]), secs(m["longest-child-sim-s"]), secs(m["serial-sim-s"]),
				num(m["transitions"]), num(m["invocations"]), num(m["calls/member"]), num(m["throttled/member"]), num(m["assume-role/member"]),
				num(m["state-writes"]), num(m["state-reads"]), fmt.Sprintf("%.0f MB", m["peak-heap-MB"]), fmt.Sprintf("%.0f MB", m["peak-rss-MB"]), secs(m["ns/op"]/1e9))
		}
	})
	p.f("\n")
}

// others lists a benchmark's custom metrics besides the calls.
func others(e gobench.Result) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(e.Metrics)) {
		switch k {
		case "ns/op", "B/op", "allocs/op", "calls/op", "account-calls/op", "state-calls/op", "sns-calls/op":
			continue
		}
		out = append(out, fmt.Sprintf("%s %s", num(e.Metrics[k]), strings.TrimSuffix(k, "/op")))
	}
	if _, ok := e.Metrics["account-calls/op"]; ok {
		out = append([]string{fmt.Sprintf("%s account, %s state, %s SNS", num(e.Metrics["account-calls/op"]), num(e.Metrics["state-calls/op"]), num(e.Metrics["sns-calls/op"]))}, out...)
	}
	return strings.Join(out, "; ")
}

func short(pkg string) string {
	return strings.TrimPrefix(strings.TrimPrefix(pkg, "github.com/selfheal/selfheal/"), "cmd/benchreport/internal/")
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func mb(b int64) string  { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }
func mb2(b int64) string { return fmt.Sprintf("%.2f MB", float64(b)/1e6) }
func kb(b int64) string  { return fmt.Sprintf("%.0f kB", float64(b)/1e3) }

func msec(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
func usec(d time.Duration) string {
	if d >= time.Millisecond {
		return msec(d)
	}
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}
func secs(s float64) string { return fmt.Sprintf("%.1f s", s) }

func num(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// printer writes markdown, keeping the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// table writes a markdown table with aligned columns.
func (p *printer) table(header []string, rows func(add func(...string))) {
	tw := tabwriter.NewWriter(p.w, 0, 0, 1, ' ', 0)
	line := func(cells []string) {
		if p.err == nil {
			_, p.err = fmt.Fprintf(tw, "| %s |\n", strings.Join(cells, "\t| "))
		}
	}
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	line(sep)
	rows(func(cells ...string) { line(cells) })
	if p.err == nil {
		p.err = tw.Flush()
	}
	p.f("\n")
}
