package events_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/events"
)

func TestPatternsAreTheDeployedRules(t *testing.T) {
	ps, err := events.Patterns()
	if err != nil {
		t.Fatal(err)
	}
	type rule struct{ Name, Function string }
	var got []rule
	for _, p := range ps {
		got = append(got, rule{p.Name, p.Function})
		var doc map[string]any
		if err := json.Unmarshal(p.JSON, &doc); err != nil {
			t.Errorf("pattern %s: %v", p.Name, err)
		}
	}
	want := []rule{
		{"asg-rebalancer--alarm", "asg-rebalancer"},
		{"asg-rebalancer--autoshift", "asg-rebalancer"},
		{"asg-rebalancer--health", "asg-rebalancer"},
		{"asg-rebalancer--launch-failure", "asg-rebalancer"},
		{"asg-rebalancer--zonal-shift", "asg-rebalancer"},
		{"backup-compliance--jobs", "backup-compliance"},
		{"backup-compliance--plans", "backup-compliance"},
		{"backup-compliance--rds-backups", "backup-compliance"},
		{"backup-compliance--recovery-points", "backup-compliance"},
		{"backup-compliance--restore-jobs", "backup-compliance"},
		{"backup-compliance--vaults", "backup-compliance"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("patterns (-want +got):\n%s", diff)
	}
}

// The catalogue must hold a sample of every kind the suite handles, and the
// variants tests elsewhere rely on.
func TestSamplesCoverEveryHandledKind(t *testing.T) {
	ss, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}
	type kind struct{ Source, DetailType string }
	count := map[kind]int{}
	for i, s := range ss {
		if i > 0 && ss[i-1].Path >= s.Path {
			t.Errorf("samples not sorted by path: %s before %s", ss[i-1].Path, s.Path)
		}
		count[kind{s.Source, s.DetailType}]++
	}
	want := map[kind]int{
		{"aws.health", "AWS Health Event"}:                              4,
		{"aws.cloudwatch", "CloudWatch Alarm State Change"}:             5,
		{"aws.backup", "Backup Job State Change"}:                       4,
		{"aws.backup", "Copy Job State Change"}:                         2,
		{"aws.backup", "Recovery Point State Change"}:                   2,
		{"aws.backup", "Backup Vault State Change"}:                     3,
		{"aws.backup", "Backup Plan State Change"}:                      3,
		{"aws.backup", "Restore Job State Change"}:                      7,
		{"aws.rds", "RDS DB Instance Event"}:                            3,
		{"aws.autoscaling", "EC2 Instance Launch Unsuccessful"}:         2,
		{"aws.arc-zonal-shift", "Autoshift In Progress"}:                2,
		{"aws.arc-zonal-shift", "Autoshift Completed"}:                  1,
		{"aws.arc-zonal-shift", "Manual Shift Started"}:                 1,
		{"aws.arc-zonal-shift", "Manual Shift Updated"}:                 1,
		{"aws.arc-zonal-shift", "Manual Shift Canceled"}:                1,
		{"aws.arc-zonal-shift", "Practice Run Started"}:                 1,
		{"aws.arc-zonal-shift", "Practice Run Succeeded"}:               1,
		{"aws.arc-zonal-shift", "Practice Run Failed"}:                  1,
		{"aws.arc-zonal-shift", "Practice Run Interrupted"}:             1,
		{"aws.arc-zonal-shift", "FIS Experiment Autoshift In Progress"}: 1,
		{"aws.arc-zonal-shift", "FIS Experiment Autoshift Completed"}:   1,
		{"aws.arc-zonal-shift", "FIS Experiment Autoshift Canceled"}:    1,
		{"aws.events", "Scheduled Event"}:                               1,
	}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("samples per kind (-want +got):\n%s", diff)
	}
}

func TestSampleLooksUpByPath(t *testing.T) {
	ss, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		got, err := events.Sample(s.Path)
		if err != nil {
			t.Fatalf("Sample(%q): %v", s.Path, err)
		}
		if !bytes.Equal(got, s.JSON) {
			t.Errorf("Sample(%q) differs from Samples()", s.Path)
		}
	}
	if _, err := events.Sample("aws.backup/no-such-event.json"); err == nil {
		t.Error("Sample of a missing path: want an error")
	}
}

// Callers get copies: one caller scribbling on its bytes must not change
// what the next caller reads.
func TestCatalogueReturnsCopies(t *testing.T) {
	const path = "aws.backup/backup-job-state-change--completed.json"
	first, err := events.Sample(path)
	if err != nil {
		t.Fatal(err)
	}
	orig := bytes.Clone(first)
	clear(first)
	ss, _ := events.Samples()
	for _, s := range ss {
		clear(s.JSON)
	}
	ps, _ := events.Patterns()
	for _, p := range ps {
		clear(p.JSON)
	}
	again, err := events.Sample(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(orig, again) {
		t.Error("a caller's change to returned bytes leaked into the catalogue")
	}
	ps2, _ := events.Patterns()
	if !strings.Contains(string(ps2[0].JSON), "source") {
		t.Error("a caller's change to a pattern leaked into the catalogue")
	}
}

func TestKebab(t *testing.T) {
	tests := []struct{ in, want string }{
		{"AWS Health Event", "aws-health-event"},
		{"EC2 Instance Launch Unsuccessful", "ec2-instance-launch-unsuccessful"},
		{"  Autoshift  In-Progress ", "autoshift-in-progress"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := events.Kebab(tt.in); got != tt.want {
			t.Errorf("Kebab(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
