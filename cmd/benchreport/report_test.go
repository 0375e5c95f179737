// A main package cannot be imported, so its test is internal.
package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/cmd/benchreport/internal/gobench"
)

// goals reads the Goals table back: goal → met.
func goals(t *testing.T, out string) map[string]string {
	t.Helper()
	_, table, ok := strings.Cut(out, "## Goals")
	if !ok {
		t.Fatalf("no Goals section:\n%s", out)
	}
	row := regexp.MustCompile(`(?m)^\| (.+?)[ \t]+\| .+?\| (yes|\*\*no\*\*)[ \t]*\|$`)
	got := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		got[strings.TrimSpace(m[1])] = m[2]
	}
	return got
}

// Each goal of the issue is judged on the right figure: sizes against
// 10 MB, init against the import floor plus 5 ms and against a tenth of
// boto3's, RSS against 30 MB, own CPU after the sim's per-call cost, the
// completed backup job's calls, and a Health event's account calls against
// 2 + 2 per group.
func TestGoals(t *testing.T) {
	ms := time.Millisecond
	r := &report{
		Sizes: []sizeRow{{Function: "small", Bytes: 9_999_999}, {Function: "big", Bytes: 10_000_001}},
		Starts: []startRow{
			{Label: "fast", Function: "fast", Kind: kindFunction, Init: 10 * ms, PeakRSS: 29e6},
			{Label: "fast import floor", Function: "fast", Kind: kindFloor, Init: 6 * ms},
			{Label: "fast boto3", Function: "fast", Kind: kindBoto, Init: 100 * ms},
			{Label: "slow", Function: "slow", Kind: kindFunction, Init: 12 * ms, PeakRSS: 31e6},
			{Label: "slow import floor", Function: "slow", Kind: kindFloor, Init: 6 * ms},
			{Label: "slow boto3", Function: "slow", Kind: kindBoto, Init: 119 * ms},
		},
		Events: []gobench.Result{
			{Package: pkgSimCost, Name: "CallOnSim/dynamodb-GetItem", Metrics: map[string]float64{"ns/op": 40_000}},
			{Package: pkgSimCost, Name: "CallOnSim/sns-Publish", Metrics: map[string]float64{"ns/op": 60_000}},
			// 1.3 ms with 5 calls of 50 µs: 1.05 ms of its own.
			{Package: pkgCompliance, Name: "HandleBackupJob/sim-completed", Metrics: map[string]float64{"ns/op": 1_300_000, "calls/op": 5, "reads/op": 3}},
			{Package: pkgRebalance, Name: "HandleHealth/groups=4", Metrics: map[string]float64{"ns/op": 500_000,
				"account-calls/op": 11, "state-calls/op": 9, "sns-calls/op": 1}},
		},
	}
	var out bytes.Buffer
	if err := r.write(&out); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"size of small ≤ 10 MB":                                                "yes",
		"size of big ≤ 10 MB":                                                  "**no**",
		"fast init within 5 ms of its import floor":                            "yes",
		"fast init ≥ 10× faster than boto3":                                    "yes",
		"fast peak RSS ≤ 30 MB":                                                "yes",
		"slow init within 5 ms of its import floor":                            "**no**",
		"slow init ≥ 10× faster than boto3":                                    "**no**",
		"slow peak RSS ≤ 30 MB":                                                "**no**",
		"≤ 1 ms own CPU per event":                                             "**no**",
		"≤ 5 calls for a completed backup job (HandleBackupJob/sim-completed)": "yes",
		"Health event, 4 group(s): ≤ 2 + 2 per group = 10 account calls":       "**no**",
	}
	if diff := cmp.Diff(want, goals(t, out.String())); diff != "" {
		t.Errorf("goals (-want +got):\n%s\n%s", diff, out.String())
	}
}
