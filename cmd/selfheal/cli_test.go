// The command's tests drive run, its whole command line, as a user would;
// a main package cannot be imported by an external test package.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/cmd/selfheal/scenarios"
	"github.com/selfheal/selfheal/events"
)

func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Each built-in scenario runs by name, passes (exit 0), and prints the
// report for people; with --json, one document that decodes to a passing
// report of that scenario.
func TestSimulateBuiltInScenarios(t *testing.T) {
	for _, name := range scenarios.Names() {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := cli(t, "simulate", "--scenario", name)
			if code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			for _, section := range []string{"TIMELINE", "COMPLIANCE", "EXPECTATIONS", "\nPASS: "} {
				if !strings.Contains(out, section) {
					t.Errorf("report has no %q", section)
				}
			}
			code, out, errOut = cli(t, "simulate", "--scenario", name, "--json")
			if code != exitOK {
				t.Fatalf("--json: exit %d\n%s", code, errOut)
			}
			var rep gameday.Report
			dec := json.NewDecoder(strings.NewReader(out))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&rep); err != nil {
				t.Fatalf("--json output does not decode into the report: %v", err)
			}
			if dec.More() {
				t.Error("--json printed more than one document")
			}
			if rep.Scenario != name || !rep.Passed || rep.SchemaVersion != gameday.SchemaVersion || len(rep.Timeline) == 0 {
				t.Errorf("report: scenario %q passed %t schema %q timeline %d", rep.Scenario, rep.Passed, rep.SchemaVersion, len(rep.Timeline))
			}
		})
	}
}

// Without --scenario, simulate plays the seed's story: the AZ failure and
// the three backup problems.
func TestSimulateDefault(t *testing.T) {
	code, out, errOut := cli(t, "simulate")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{`game day "default"`, "EVACUATE DONE", "RESTORE DONE", "VAULT_LOCK_PRESENT", "COPY_JOB_FAILED", "PITR_ENABLED", "CAPACITY web"} {
		if !strings.Contains(out, want) {
			t.Errorf("output has no %q", want)
		}
	}
}

// A scenario whose expectations do not hold exits 1 and names each
// failed expectation.
func TestSimulateFailedExpectationsExit1(t *testing.T) {
	p := writeFile(t, "wrong.json", `{
	  "state": {"groups": [{"name": "web", "min": 6, "max": 6, "desired": 6,
	    "azs": ["us-east-1a", "us-east-1b", "us-east-1c"], "tags": {"selfheal:managed": "true"}}]},
	  "timeline": [{"at": "5m", "raiseHealthIssue": {"id": "a", "az": "us-east-1a"}}],
	  "duration": "30m",
	  "expect": {
	    "groups": [{"name": "web", "azCounts": {"us-east-1a": 2, "us-east-1b": 2, "us-east-1c": 2}}],
	    "notifications": {"count": 0}
	  }
	}`)
	code, out, errOut := cli(t, "simulate", "--scenario", p)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailed, errOut)
	}
	want := []string{
		"expectation failed: expect.groups[0].azCounts: web at the end: in service per AZ us-east-1a=0 us-east-1b=3 us-east-1c=3, want us-east-1a=2 us-east-1b=2 us-east-1c=2",
		"expectation failed: expect.notifications.count: 1 notifications, want 0",
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSpace(errOut), "\n")); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
	if !strings.Contains(out, "FAIL: 2 of 2 expectations did not hold") {
		t.Errorf("report does not say it failed:\n%s", out)
	}
}

// A bad scenario file exits 2 with every problem on its own line, and
// nothing runs.
func TestSimulateBadScenarioExit2(t *testing.T) {
	p := writeFile(t, "bad.json", `{
	  "state": {"groups": [{"name": "web", "min": 1, "max": 1, "desired": 1, "azs": ["us-east-1a"], "colour": "blue"}]},
	  "timeline": [{"at": "5x", "impairAZ": "us-east-1a"}, {"at": "1m", "recoverAZ": "us-east-9a"}],
	  "expect": {"findings": [{"check": "VAULT_LOCK", "status": "FAIL"}]}
	}`)
	code, out, errOut := cli(t, "simulate", "--scenario", p)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\n%s", code, exitUsage, errOut)
	}
	if out != "" {
		t.Errorf("something ran:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if want := "selfheal: " + p + " has 4 problem(s):"; lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}
	var paths []string
	for _, l := range lines[1:] {
		path, _, _ := strings.Cut(strings.TrimSpace(l), ": ")
		paths = append(paths, path)
	}
	want := []string{"state.groups[0].colour", "timeline[0].at", "timeline[1].recoverAZ", "expect.findings[0].check"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("problem paths (-want +got):\n%s", diff)
	}
}

func TestSimulateUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"simulat"},
		{"simulate", "--scenario", "no-such-scenario"},
		{"simulate", "--scenario", filepath.Join(t.TempDir(), "missing.json")},
		{"simulate", "--seed", "x"},
		{"simulate", "extra"},
	} {
		if code, _, errOut := cli(t, args...); code != exitUsage || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q; want %d with a message", args, code, errOut, exitUsage)
		}
	}
}

// A different seed is a different run of the same story, and still
// holds.
func TestSimulateSeed(t *testing.T) {
	_, a, _ := cli(t, "simulate", "--scenario", "az-failure", "--json")
	code, b, errOut := cli(t, "simulate", "--scenario", "az-failure", "--json", "--seed", "42")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var ra, rb gameday.Report
	if err := json.Unmarshal([]byte(a), &ra); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &rb); err != nil {
		t.Fatal(err)
	}
	if ra.Seed != 1 || rb.Seed != 42 || a == b {
		t.Errorf("seeds %d and %d; same output %t", ra.Seed, rb.Seed, a == b)
	}
}

func TestScenariosList(t *testing.T) {
	code, out, _ := cli(t, "scenarios")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, name := range scenarios.Names() {
		if !strings.Contains(out, name+" ") {
			t.Errorf("list has no %s:\n%s", name, out)
		}
	}
}

// invoke on every sample of the catalogue, with every function, against
// an empty simulated account: never a panic, and each time the outcome a
// user can rely on. A function ignores what it does not handle; the one
// it is for processes it, or (the alarms whose tags can no longer be
// read) returns the error Lambda retries. A scheduled event reaches every
// scheduled function.
func TestInvokeEverySample(t *testing.T) {
	samples, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}
	// The status of each sample for each function that handles it; every
	// other function ignores it.
	rebalancer := func(status string) map[string]string { return map[string]string{"asg-rebalancer": status} }
	compliance := map[string]string{"backup-compliance": "processed"}
	handled := map[string]map[string]string{
		"aws.arc-zonal-shift/autoshift-completed.json":                                  rebalancer("processed"),
		"aws.arc-zonal-shift/autoshift-in-progress--observer.json":                      rebalancer("processed"),
		"aws.arc-zonal-shift/autoshift-in-progress.json":                                rebalancer("processed"),
		"aws.arc-zonal-shift/fis-experiment-autoshift-canceled.json":                    rebalancer("processed"),
		"aws.arc-zonal-shift/fis-experiment-autoshift-completed.json":                   rebalancer("processed"),
		"aws.arc-zonal-shift/fis-experiment-autoshift-in-progress.json":                 rebalancer("processed"),
		"aws.arc-zonal-shift/manual-shift-canceled.json":                                rebalancer("processed"),
		"aws.arc-zonal-shift/manual-shift-started.json":                                 rebalancer("processed"),
		"aws.arc-zonal-shift/manual-shift-updated.json":                                 rebalancer("processed"),
		"aws.arc-zonal-shift/practice-run-failed.json":                                  rebalancer("processed"),
		"aws.arc-zonal-shift/practice-run-interrupted.json":                             rebalancer("processed"),
		"aws.arc-zonal-shift/practice-run-started.json":                                 rebalancer("processed"),
		"aws.arc-zonal-shift/practice-run-succeeded.json":                               rebalancer("processed"),
		"aws.autoscaling/ec2-instance-launch-unsuccessful--insufficient-capacity.json":  rebalancer("processed"),
		"aws.autoscaling/ec2-instance-launch-unsuccessful--security-group-missing.json": rebalancer("processed"),
		"aws.backup/backup-job-state-change--aborted.json":                              compliance,
		"aws.backup/backup-job-state-change--completed.json":                            compliance,
		"aws.backup/backup-job-state-change--expired.json":                              compliance,
		"aws.backup/backup-job-state-change--failed.json":                               compliance,
		"aws.backup/backup-plan-state-change--created.json":                             compliance,
		"aws.backup/backup-plan-state-change--deleted.json":                             compliance,
		"aws.backup/backup-plan-state-change--modified.json":                            compliance,
		"aws.backup/restore-job-state-change--aborted.json":                             compliance,
		"aws.backup/restore-job-state-change--completed-rds.json":                       compliance,
		"aws.backup/restore-job-state-change--completed.json":                           compliance,
		"aws.backup/restore-job-state-change--created.json":                             compliance,
		"aws.backup/restore-job-state-change--failed.json":                              compliance,
		"aws.backup/restore-job-state-change--pending.json":                             compliance,
		"aws.backup/restore-job-state-change--running.json":                             compliance,
		"aws.rds/rds-db-instance-event--backups-disabled.json":                          compliance,
		"aws.rds/rds-db-instance-event--backups-enabled.json":                           compliance,
		"aws.rds/rds-db-instance-event--stopped.json":                                   compliance,
		"aws.backup/backup-vault-state-change--created.json":                            compliance,
		"aws.backup/backup-vault-state-change--deleted.json":                            compliance,
		"aws.backup/backup-vault-state-change--modified-locked.json":                    compliance,
		"aws.backup/copy-job-state-change--completed.json":                              compliance,
		"aws.backup/copy-job-state-change--failed.json":                                 compliance,
		"aws.backup/recovery-point-state-change--completed.json":                        compliance,
		"aws.backup/recovery-point-state-change--continuous-stopped.json":               compliance,
		"aws.cloudwatch/cloudwatch-alarm-state-change--az-alarm.json":                   rebalancer("processed"),
		"aws.cloudwatch/cloudwatch-alarm-state-change--az-ok.json":                      rebalancer("processed"),
		"aws.cloudwatch/cloudwatch-alarm-state-change--composite.json":                  rebalancer("processed"),
		"aws.cloudwatch/cloudwatch-alarm-state-change--insufficient-data.json":          rebalancer("processed"),
		"aws.cloudwatch/cloudwatch-alarm-state-change--metric-math.json":                rebalancer("processed"),
		"aws.events/scheduled-event.json":                                               {"asg-rebalancer": "processed", "compliance-sweep": "processed"},
		"aws.health/aws-health-event--ec2-issue-account.json":                           rebalancer("processed"),
		"aws.health/aws-health-event--ec2-issue-closed.json":                            rebalancer("processed"),
		"aws.health/aws-health-event--ec2-issue-public.json":                            rebalancer("processed"),
		"aws.health/aws-health-event--ec2-retirement-scheduled.json":                    rebalancer("processed"),
	}
	for _, s := range samples {
		statuses, ok := handled[s.Path]
		if !ok {
			t.Errorf("sample %s has no expected outcome here: add it", s.Path)
			continue
		}
		for _, fn := range gameday.FunctionNames() {
			t.Run(s.Path+"/"+fn, func(t *testing.T) {
				code, out, errOut := cli(t, "invoke", fn, "--event", s.Path, "--json")
				var res invokeResult
				if err := json.Unmarshal([]byte(out), &res); err != nil {
					t.Fatalf("exit %d, output does not decode: %v\n%s\n%s", code, err, out, errOut)
				}
				want, wantCode := "ignored", exitOK
				if st, handles := statuses[fn]; handles {
					want = st
				}
				if want == "error" {
					wantCode = exitFailed
				}
				inv := res.Invocation
				if inv.Status != want || code != wantCode {
					t.Errorf("status %q exit %d, want %q exit %d (decision %q, error %q)", inv.Status, code, want, wantCode, inv.Decision, inv.Error)
				}
				switch inv.Status {
				case "ignored":
					if inv.Calls != 0 || len(inv.Notifications) != 0 {
						t.Errorf("ignored, yet %d calls and %d notifications", inv.Calls, len(inv.Notifications))
					}
				case "error":
					if inv.Error == "" {
						t.Error("error without a message")
					}
				default:
					if inv.Decision == "" {
						t.Error("processed without a decision")
					}
				}
			})
		}
	}
}

// The report for people says what the function decided and notified.
func TestInvokeText(t *testing.T) {
	code, out, errOut := cli(t, "invoke", "backup-compliance", "--event", "aws.backup/copy-job-state-change--failed.json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"backup-compliance: processed", "decision: copy job", "✉ [selfheal] FAIL", "COPY_JOB_FAILED"} {
		if !strings.Contains(out, want) {
			t.Errorf("output has no %q:\n%s", want, out)
		}
	}
}

// invoke seeded from a scenario sees the scenario's account: the vault of
// the sample exists there, unlocked, so the deletion of nothing but the
// vault's lock is a FAIL.
func TestInvokeWithScenario(t *testing.T) {
	p := writeFile(t, "vault.json", `{"state": {"vaults": [{"name": "prod-vault"}]}}`)
	event := writeFile(t, "event.json", `{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"Backup Vault State Change",
	  "source":"aws.backup","account":"123456789012","time":"2026-11-02T03:00:00Z","region":"us-east-1",
	  "resources":["arn:aws:backup:us-east-1:123456789012:backup-vault:prod-vault"],
	  "detail":{"backupVaultName":"prod-vault","state":"MODIFIED","isLocked":"false"}}`)
	code, out, errOut := cli(t, "invoke", "backup-compliance", "--event", event, "--scenario", p, "--json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var res invokeResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	var failing []string
	for _, n := range res.Invocation.Notifications {
		for _, f := range n.Findings {
			if f.Status.Bad() {
				failing = append(failing, string(f.Status)+" "+f.Check)
			}
		}
	}
	if diff := cmp.Diff([]string{"FAIL VAULT_LOCK_PRESENT"}, failing); diff != "" {
		t.Errorf("failing findings (-want +got):\n%s", diff)
	}
}

// An event captured from a real account, in another account and region
// than the sim's defaults, is decided on the sim, which takes its account
// and region: not quarantined as foreign.
func TestInvokeAdoptsTheEventsAccountAndRegion(t *testing.T) {
	raw, err := events.Sample("aws.backup/backup-job-state-change--failed.json")
	if err != nil {
		t.Fatal(err)
	}
	captured := strings.NewReplacer(`"account": "123456789012"`, `"account": "210987654321"`, `"region": "us-east-1"`, `"region": "eu-west-1"`).Replace(string(raw))
	if captured == string(raw) {
		t.Fatal("the sample's account and region were not replaced")
	}
	code, out, errOut := cli(t, "invoke", "backup-compliance", "--event", writeFile(t, "captured.json", captured), "--json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var res invokeResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Invocation.Status != "processed" || len(res.DeadLetters) != 0 {
		t.Errorf("status %q, dead letters %+v: a captured event must be decided", res.Invocation.Status, res.DeadLetters)
	}
}

func TestInvokeUsageErrors(t *testing.T) {
	sample := "aws.backup/backup-job-state-change--failed.json"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"invoke"}, "name a function"},
		{[]string{"invoke", "nope", "--event", sample}, `no function "nope"`},
		{[]string{"invoke", "backup-compliance"}, "--event is required"},
		{[]string{"invoke", "backup-compliance", "--event", "nope.json"}, `no sample "nope.json"`},
		{[]string{"invoke", "backup-compliance", "--event", sample, "--apply"}, "--apply only applies with --aws"},
		{[]string{"invoke", "backup-compliance", "--event", sample, "--aws", "--scenario", "default"}, "cannot be combined with --aws"},
		{[]string{"invoke", "backup-compliance", "--event", sample, "extra"}, `unexpected argument "extra"`},
	} {
		code, _, errOut := cli(t, c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", c.args, code, errOut, exitUsage, c.want)
		}
	}
}
