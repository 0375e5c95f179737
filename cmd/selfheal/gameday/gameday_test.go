package gameday_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
	"github.com/selfheal/selfheal/cmd/selfheal/scenarios"
	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/notify"
)

func builtin(t testing.TB, name string) *scenario.Scenario {
	t.Helper()
	data, err := scenarios.Read(name)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse(data, gameday.ParseOptions(name, name, ""))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func parse(t *testing.T, doc string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse([]byte(doc), gameday.ParseOptions("test", "test", ""))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func run(t *testing.T, sc *scenario.Scenario, opts gameday.Options) *gameday.Report {
	t.Helper()
	rep, err := gameday.Run(context.Background(), sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func failures(rep *gameday.Report) []string {
	var out []string
	for _, f := range rep.Failures() {
		out = append(out, f.Path+": "+f.Detail)
	}
	return out
}

// Every game day shipped in the binary holds what it expects.
func TestShippedScenariosPass(t *testing.T) {
	names := scenarios.Names()
	for _, want := range []string{"default", "az-failure", "vault-without-lock", "cross-region-dr", "pitr-off"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("no built-in scenario %q (have %v)", want, names)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			rep := run(t, builtin(t, name), gameday.Options{})
			if !rep.Passed {
				t.Errorf("expectations failed:\n%s", strings.Join(failures(rep), "\n"))
			}
			if len(rep.Expectations) == 0 {
				t.Error("the scenario expects nothing")
			}
		})
	}
}

// The seed's story, checked beyond its own expectations: the AZ failure is
// remediated with launches before terminations and undone, and the
// group's missing headroom and the three backup problems are failing.
func TestDefaultStory(t *testing.T) {
	rep := run(t, builtin(t, "default"), gameday.Options{})
	var kinds []string
	for _, a := range rep.Actions {
		kinds = append(kinds, string(a.Kind)+" "+string(a.Outcome)+" "+a.AZ)
	}
	if diff := cmp.Diff([]string{"EVACUATE DONE us-east-1a", "RESTORE DONE us-east-1a"}, kinds); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	var failing []string
	for _, f := range rep.Findings {
		if f.Status == notify.StatusFail {
			failing = append(failing, f.Check)
		}
	}
	want := []string{"ASG_MAX_ABOVE_DESIRED", "COPY_JOB_FAILED", "CROSS_REGION_COPY_COMPLETED", "PITR_ENABLED", "VAULT_LOCK_PRESENT"}
	if diff := cmp.Diff(want, failing); diff != "" {
		t.Errorf("failing checks (-want +got):\n%s", diff)
	}
	web := rep.Final.Groups[0]
	if web.MinInService < 6 || !web.OriginalSubnets || web.Max != 6 {
		t.Errorf("web at the end: %+v", web)
	}
	// The group went over its original MaxSize while it moved: capacity
	// was added before any was taken away.
	peak := 0
	for _, s := range rep.Capacity[0].Samples {
		peak = max(peak, s.Max)
	}
	if peak <= 6 {
		t.Errorf("MaxSize never rose above 6 during the evacuation (peak %d)", peak)
	}
	if rep.Calls.Total == 0 || rep.Bus.Deliveries == 0 {
		t.Errorf("calls %d, deliveries %d", rep.Calls.Total, rep.Bus.Deliveries)
	}
}

// Same scenario, same seed: the same report, byte for byte.
func TestRunIsDeterministic(t *testing.T) {
	a, _ := json.Marshal(run(t, builtin(t, "default"), gameday.Options{}))
	b, _ := json.Marshal(run(t, builtin(t, "default"), gameday.Options{}))
	if string(a) != string(b) {
		t.Error("two runs of the default scenario with the same seed differ")
	}
}

// Every event delivered three times, interleaved with the others: the
// story ends the same, each problem is notified once and each action
// happens once; the extra deliveries are no-ops.
func TestDuplicateDelivery(t *testing.T) {
	once := run(t, builtin(t, "default"), gameday.Options{})
	thrice := run(t, builtin(t, "default"), gameday.Options{Duplicates: 3})
	if !thrice.Passed {
		t.Fatalf("expectations failed with duplicates:\n%s", strings.Join(failures(thrice), "\n"))
	}
	if thrice.Bus.Deliveries != 3*once.Bus.Deliveries {
		t.Errorf("deliveries %d, want 3 × %d", thrice.Bus.Deliveries, once.Bus.Deliveries)
	}
	if len(thrice.Actions) != len(once.Actions) || len(thrice.Notifications) != len(once.Notifications) {
		t.Errorf("actions %d and notifications %d, want %d and %d as with single delivery",
			len(thrice.Actions), len(thrice.Notifications), len(once.Actions), len(once.Notifications))
	}
	duplicates := 0
	for _, e := range thrice.Timeline {
		if e.Invocation != nil && e.Invocation.Status == "duplicate" {
			duplicates++
		}
	}
	if want := 2 * once.Bus.Deliveries; duplicates != want {
		t.Errorf("%d invocations were recognised as duplicates, want %d", duplicates, want)
	}
}

const backupNight = `{
  "state": {
    "vaults": [{"name": "nightly"}],
    "tables": [{"name": "orders", "pitr": true}],
    "plans": [{"name": "nightly", "tables": ["orders"], "rules": [{"vault": "nightly"}]}]
  },
  "duration": "2h10m",
  "expect": {"deadLetters": 2}
}`

// A handler that keeps failing is retried as Lambda retries asynchronous
// invocations — one minute, then two minutes after the failed attempt —
// and the event then lands in the dead-letter queue with the last error:
// never lost. Here every read of the vault fails, so both the recovery
// point's and the backup job's events end there.
func TestFailingInvocationIsRetriedThenDeadLettered(t *testing.T) {
	rep := run(t, parse(t, backupNight), gameday.Options{Faults: []awssim.Fault{
		{Service: awssim.ServiceBackup, Operation: "DescribeBackupVault", Code: "InternalFailure", Probability: 1},
	}})
	attempts := map[string][]time.Duration{}
	for _, e := range rep.Timeline {
		if e.Invocation != nil && e.Invocation.Failed() {
			attempts[e.EventID] = append(attempts[e.EventID], time.Duration(e.Offset))
		}
	}
	if len(attempts) != 2 {
		t.Fatalf("failed events %v, want the recovery point's and the backup job's", attempts)
	}
	for id, at := range attempts {
		if len(at) != 3 {
			t.Errorf("event %s: attempts at %v, want 3", id, at)
			continue
		}
		// Offsets are when each attempt ended; an attempt itself takes a
		// few seconds of SDK retries on the sim clock.
		for i, wait := range []time.Duration{time.Minute, 2 * time.Minute} {
			if gap := at[i+1] - at[i]; gap < wait || gap > wait+30*time.Second {
				t.Errorf("event %s: attempt %d came %s after attempt %d, want %s plus the attempt's own time", id, i+2, gap, i+1, wait)
			}
		}
	}
	if len(rep.Final.DeadLetters) != 2 {
		t.Fatalf("dead letters %+v, want 2", rep.Final.DeadLetters)
	}
	for _, dl := range rep.Final.DeadLetters {
		if _, failed := attempts[dl.EventID]; dl.Kind != "RetriesExhausted" || dl.Function != "backup-compliance" || !failed ||
			!strings.Contains(dl.Reason, "InternalFailure") {
			t.Errorf("dead letter %+v, want a failed event of backup-compliance with the InternalFailure", dl)
		}
	}
	if !rep.Passed {
		t.Errorf("expectations failed:\n%s", strings.Join(failures(rep), "\n"))
	}
}

// Wrong expectations fail, each named by its path in the scenario.
func TestWrongExpectationsAreNamed(t *testing.T) {
	sc := builtin(t, "az-failure")
	six, seven := 6, 7
	sc.Expect = scenario.Expect{
		Groups: []scenario.GroupExpect{
			{Path: "expect.groups[0]", Name: "web", Region: "us-east-1", MinInService: &seven},
			{Path: "expect.groups[1]", Name: "web", Region: "us-east-1", AZCounts: map[string]int{"us-east-1a": 3}, MaxSize: &six},
		},
		Findings:    []scenario.FindingExpect{{Path: "expect.findings[0]", Check: "VAULT_LOCK_PRESENT", Resource: "*"}},
		DeadLetters: new(int),
	}
	rep := run(t, sc, gameday.Options{})
	var got []string
	for _, f := range rep.Failures() {
		got = append(got, f.Path)
	}
	want := []string{"expect.groups[0].minInService", "expect.groups[1].azCounts", "expect.findings[0]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failed expectations (-want +got):\n%s", diff)
	}
	if rep.Passed {
		t.Error("report passed")
	}
}

// In dry-run the rebalancer plans the evacuation and says so, and the
// account sees no write outside selfheal's own state.
func TestDryRunWritesNothing(t *testing.T) {
	sc := parse(t, `{
	  "policy": {"dryRun": true},
	  "state": {"groups": [{"name": "web", "min": 6, "max": 6, "desired": 6,
	    "azs": ["us-east-1a", "us-east-1b", "us-east-1c"], "tags": {"selfheal:managed": "true"}}]},
	  "timeline": [{"at": "5m", "raiseHealthIssue": {"id": "a", "az": "us-east-1a"}}],
	  "duration": "20m",
	  "expect": {"noWrites": true, "groups": [{"name": "web", "maxSize": 6, "originalSubnets": true}]}
	}`)
	rep := run(t, sc, gameday.Options{})
	if !rep.Passed {
		t.Errorf("expectations failed:\n%s", strings.Join(failures(rep), "\n"))
	}
	if len(rep.Actions) == 0 {
		t.Fatal("no action reported")
	}
	for _, a := range rep.Actions {
		if a.Outcome != notify.OutcomePlanned || !a.DryRun {
			t.Errorf("action %s %s in dry run (dryRun %t), want PLANNED", a.Kind, a.Outcome, a.DryRun)
		}
	}
}

// An event given by the scenario goes through the same rules; one sent
// straight to a function bypasses them, and the boundary quarantines a
// malformed one with its reason.
func TestScenarioEvents(t *testing.T) {
	sc := parse(t, `{
	  "timeline": [
	    {"at": "1m", "eventFile": "aws.backup/backup-vault-state-change--deleted.json"},
	    {"at": "2m", "event": {"version": "0", "id": "not-ours", "source": "aws.s3", "detail-type": "Object Created",
	      "account": "123456789012", "time": "2026-11-02T03:00:00Z", "region": "us-east-1", "resources": [], "detail": {}}},
	    {"at": "3m", "event": {"id": "x", "source": "aws.backup", "detail-type": "Backup Job State Change"}, "to": "backup-compliance"}
	  ],
	  "expect": {"deadLetters": 1, "findings": [{"check": "BACKUP_VAULT_DELETED", "notified": 1}]}
	}`)
	rep := run(t, sc, gameday.Options{})
	if !rep.Passed {
		t.Errorf("expectations failed:\n%s", strings.Join(failures(rep), "\n"))
	}
	if rep.Bus.Unrouted["aws.s3: Object Created"] != 1 {
		t.Errorf("unrouted %v, want the S3 event", rep.Bus.Unrouted)
	}
	if dl := rep.Final.DeadLetters; len(dl) == 1 && dl[0].Kind != "malformed" {
		t.Errorf("dead letter kind %q, want malformed", dl[0].Kind)
	}
}

// A game day runs its functions as Lambda does, with the invoked function's
// ARN in the simulated account: an event of another account, delivered
// straight to a function, is quarantined, once however often it comes.
func TestGameDayChecksTheAccount(t *testing.T) {
	sc := parse(t, `{
	  "timeline": [
	    {"at": "1m", "event": {"version": "0", "id": "e-foreign", "source": "aws.backup", "detail-type": "Backup Vault State Change",
	      "account": "999999999999", "time": "2026-11-02T03:00:00Z", "region": "us-east-1", "resources": [],
	      "detail": {"backupVaultName": "prod-vault", "state": "DELETED"}}, "to": "backup-compliance"}
	  ],
	  "expect": {"deadLetters": 1}
	}`)
	rep := run(t, sc, gameday.Options{Duplicates: 3})
	if !rep.Passed {
		t.Errorf("expectations failed:\n%s", strings.Join(failures(rep), "\n"))
	}
	if dl := rep.Final.DeadLetters; len(dl) != 1 || dl[0].Kind != "foreign" {
		t.Errorf("dead letters %+v, want one foreign event", dl)
	}
	var quarantined, duplicates int
	for _, e := range rep.Timeline {
		if e.Invocation == nil {
			continue
		}
		switch e.Invocation.Status {
		case "quarantined":
			quarantined++
		case "duplicate":
			duplicates++
		}
	}
	if quarantined != 1 || duplicates != 2 {
		t.Errorf("%d quarantined and %d duplicate invocations of 3 deliveries, want 1 and 2", quarantined, duplicates)
	}
}

// A control the sim refuses fails the game day at that step.
func TestRefusedStepFails(t *testing.T) {
	sc := parse(t, `{
	  "state": {"groups": [{"name": "web", "min": 1, "max": 2, "desired": 1, "azs": ["us-east-1a"]}]},
	  "timeline": [
	    {"at": "1m", "startInstanceRefresh": {"group": "web"}},
	    {"at": "2m", "startInstanceRefresh": {"group": "web"}}
	  ]
	}`)
	rep := run(t, sc, gameday.Options{})
	got := failures(rep)
	if len(got) != 1 || !strings.HasPrefix(got[0], "timeline[1]: the step failed:") {
		t.Errorf("failures %q, want timeline[1] refused", got)
	}
}

// The report is one JSON document whose fields are those docs/scenarios.md
// describes.
func TestReportDocument(t *testing.T) {
	raw, err := json.Marshal(run(t, builtin(t, "az-failure"), gameday.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schemaVersion", "scenario", "region", "seed", "dryRun", "start", "end", "timeline", "actions",
		"findings", "notifications", "capacity", "final", "bus", "calls", "expectations", "passed"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("report has no %q", k)
		}
	}
	var timeline []struct {
		Offset string `json:"offset"`
		Kind   string `json:"kind"`
	}
	if err := json.Unmarshal(doc["timeline"], &timeline); err != nil {
		t.Fatal(err)
	}
	if len(timeline) == 0 || timeline[0].Offset != "+00:05:00" || timeline[0].Kind != gameday.EntryStep {
		t.Errorf("timeline starts %+v, want the step at +00:05:00", timeline)
	}
}
