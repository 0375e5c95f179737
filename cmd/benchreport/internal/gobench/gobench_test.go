package gobench_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/cmd/benchreport/internal/gobench"
)

// Benchmark lines are read with their package, their name without the
// GOMAXPROCS suffix, and every metric including custom ones; headers of
// sub-benchmarks and other output are skipped.
func TestParse(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: github.com/selfheal/selfheal/shared/rebalance
cpu: AMD EPYC
BenchmarkHandleHealth
BenchmarkHandleHealth/groups=1-2         	    1690	    700123 ns/op	         6.000 account-calls/op	         1.000 sns-calls/op	         9.000 state-calls/op	  301234 B/op	    4001 allocs/op
BenchmarkBuild/groups=1000-2   	     100	  10000000 ns/op	 1234567 B/op	   20000 allocs/op
PASS
ok  	github.com/selfheal/selfheal/shared/rebalance	12.3s
pkg: github.com/selfheal/selfheal/shared/sweep
BenchmarkSweep/10x-2 	       1	9876543210 ns/op	       123.4 sim-s/op	 3 B/op	 1 allocs/op
`
	got, err := gobench.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []gobench.Result{
		{Package: "github.com/selfheal/selfheal/shared/rebalance", Name: "HandleHealth/groups=1", Iterations: 1690, Metrics: map[string]float64{
			"ns/op": 700123, "account-calls/op": 6, "sns-calls/op": 1, "state-calls/op": 9, "B/op": 301234, "allocs/op": 4001}},
		{Package: "github.com/selfheal/selfheal/shared/rebalance", Name: "Build/groups=1000", Iterations: 100, Metrics: map[string]float64{
			"ns/op": 1e7, "B/op": 1234567, "allocs/op": 20000}},
		{Package: "github.com/selfheal/selfheal/shared/sweep", Name: "Sweep/10x", Iterations: 1, Metrics: map[string]float64{
			"ns/op": 9876543210, "sim-s/op": 123.4, "B/op": 3, "allocs/op": 1}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	if r, ok := gobench.Find(got, "github.com/selfheal/selfheal/shared/sweep", "Sweep/10x"); !ok || r.Iterations != 1 {
		t.Errorf("Find = %+v, %v", r, ok)
	}
}

// A metric value that is not a number is an error, not a silent zero.
func TestParseRejectsBadValue(t *testing.T) {
	if _, err := gobench.Parse(strings.NewReader("BenchmarkX-2 10 abc ns/op\n")); err == nil {
		t.Error("no error for a non-numeric value")
	}
}
