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
// boto3's, RSS against 30 MB, the worst median own CPU of an event kind
// against 1 ms, the completed backup job's reads of the account against 5,
// and a Health event's calls to the account against 2 + 2 per group.
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
		Own: []ownRow{
			{Function: "asg-rebalancer", Kind: "AWS Health Event open", Events: 10, Own: 900 * time.Microsecond, OwnMax: 2 * ms},
			{Function: "backup-compliance", Kind: "Backup Job State Change COMPLETED", Events: 20, Own: 1100 * time.Microsecond, OwnMax: 3 * ms},
		},
		Events: []gobench.Result{
			{Package: pkgCompliance, Name: "HandleBackupJob/sim-completed", Metrics: map[string]float64{"ns/op": 1_300_000, "calls/op": 15, "reads/op": 4}},
			{Package: pkgCompliance, Name: "HandleBackupJob/sample-completed", Metrics: map[string]float64{"ns/op": 1_300_000, "calls/op": 15, "reads/op": 6}},
			{Package: pkgRebalance, Name: "HandleHealth/groups=1", Metrics: map[string]float64{"ns/op": 500_000,
				"account-calls/op": 4, "state-calls/op": 8, "sns-calls/op": 1}},
			{Package: pkgRebalance, Name: "HandleHealth/groups=4", Metrics: map[string]float64{"ns/op": 500_000,
				"account-calls/op": 13, "state-calls/op": 17, "sns-calls/op": 1}},
		},
	}
	var out bytes.Buffer
	if err := r.write(&out); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"size of small ≤ 10 MB":                     "yes",
		"size of big ≤ 10 MB":                       "**no**",
		"fast init within 5 ms of its import floor": "yes",
		"fast init ≥ 10× faster than boto3":         "yes",
		"fast peak RSS ≤ 30 MB":                     "yes",
		"slow init within 5 ms of its import floor": "**no**",
		"slow init ≥ 10× faster than boto3":         "**no**",
		"slow peak RSS ≤ 30 MB":                     "**no**",
		"≤ 1 ms own CPU per event":                  "**no**",
		"≤ 5 calls to the account for a completed backup job (HandleBackupJob/sim-completed)":    "yes",
		"≤ 5 calls to the account for a completed backup job (HandleBackupJob/sample-completed)": "**no**",
		"Health event, 1 group(s): ≤ 2 + 2 per group = 4 calls to the account":                   "yes",
		"Health event, 4 group(s): ≤ 2 + 2 per group = 10 calls to the account":                  "**no**",
	}
	if diff := cmp.Diff(want, goals(t, out.String())); diff != "" {
		t.Errorf("goals (-want +got):\n%s\n%s", diff, out.String())
	}
}

// The organization sweep's row shows each figure of the benchmark under
// its own column: a metric read under the wrong name would show 0.
func TestOrganizationTable(t *testing.T) {
	r := &report{Scale: []gobench.Result{{Package: pkgOrgTasks, Name: "OrganizationSweep/members=100", Iterations: 1, Metrics: map[string]float64{
		"ns/op": 1.2e12, "sweep-sim-s": 901, "map-sim-s": 899, "longest-child-sim-s": 151, "serial-sim-s": 15002,
		"transitions": 909, "invocations": 309, "calls/member": 2556, "throttled/member": 336, "assume-role/member": 3,
		"state-writes": 3.6e6, "state-reads": 42000, "peak-heap-MB": 612, "peak-rss-MB": 1404,
	}}}}
	var out bytes.Buffer
	if err := r.write(&out); err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| 100 .*$`).FindString(out.String())
	var cells []string
	for _, c := range strings.Split(strings.Trim(row, "|"), "|") {
		cells = append(cells, strings.TrimSpace(c))
	}
	want := []string{"100", "901.0 s", "899.0 s", "151.0 s", "15002.0 s", "909", "309", "2556", "336", "3", "3600000", "42000", "612 MB", "1404 MB", "1200.0 s"}
	if diff := cmp.Diff(want, cells); diff != "" {
		t.Errorf("organization row (-want +got):\n%s\n%s", diff, out.String())
	}
}
