package gobench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Result is one benchmark line.
type Result struct {
	// Package is the import path the benchmark ran in.
	Package string
	// Name without the "Benchmark" prefix and the GOMAXPROCS suffix, e.g.
	// "HandleHealth/groups=4".
	Name string
	// Iterations is b.N of the measured run.
	Iterations int64
	// Metrics by unit: "ns/op", "B/op", "allocs/op" and the custom ones.
	Metrics map[string]float64
}

// Metric returns the value of unit, and whether the benchmark reported it.
func (r Result) Metric(unit string) (float64, bool) {
	v, ok := r.Metrics[unit]
	return v, ok
}

// Options of one `go test -bench` run.
type Options struct {
	Dir       string // the module's root
	Packages  []string
	Bench     string // regexp; "." when empty
	Benchtime string // e.g. "1s", "2x"; go test's default when empty
	Timeout   string // go test -timeout, e.g. "2h"; go test's 10m when empty
	// Log receives go test's output as it comes (progress for people).
	Log io.Writer
}

// Run runs the benchmarks of the packages and returns their results, in
// output order.
func Run(ctx context.Context, o Options) ([]Result, error) {
	bench := o.Bench
	if bench == "" {
		bench = "."
	}
	args := []string{"test", "-run", "^$", "-bench", bench, "-benchmem", "-count", "1"}
	if o.Benchtime != "" {
		args = append(args, "-benchtime", o.Benchtime)
	}
	if o.Timeout != "" {
		args = append(args, "-timeout", o.Timeout)
	}
	args = append(args, o.Packages...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = o.Dir
	var out bytes.Buffer
	w := io.Writer(&out)
	if o.Log != nil {
		w = io.MultiWriter(&out, o.Log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	cmd.Env = os.Environ()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, tail(out.String(), 40))
	}
	return Parse(&out)
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// Parse reads `go test -bench` output: "pkg:" lines name the package of
// the benchmark lines that follow.
func Parse(r io.Reader) ([]Result, error) {
	var out []Result
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		// Name, N, then value-unit pairs; a line with only a name is the
		// header of a benchmark with sub-benchmarks.
		if len(f) < 4 || len(f)%2 != 0 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		res := Result{
			Package:    pkg,
			Name:       procSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), ""),
			Iterations: n,
			Metrics:    map[string]float64{},
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: value %q: %w", line, f[i], err)
			}
			res.Metrics[f[i+1]] = v
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// Find returns the result of a benchmark by package and name.
func Find(rs []Result, pkg, name string) (Result, bool) {
	for _, r := range rs {
		if r.Package == pkg && r.Name == name {
			return r, true
		}
	}
	return Result{}, false
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
