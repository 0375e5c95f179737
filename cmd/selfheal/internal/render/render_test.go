package render_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/cmd/selfheal/internal/render"
	"github.com/selfheal/selfheal/shared/notify"
)

func at(m int) gameday.Offset { return gameday.Offset(time.Duration(m) * time.Minute) }

func quiet(m int, detailType string) gameday.Entry {
	return gameday.Entry{Offset: at(m), Kind: gameday.EntryInvocation, DetailType: detailType, Summary: detailType,
		Invocation: &gameday.Invocation{Function: "backup-compliance", Status: "processed", Decision: "no-op: job is RUNNING"}}
}

func section(out, name string) []string {
	_, rest, _ := strings.Cut(out, "\n"+name)
	body, _, _ := strings.Cut(rest, "\n\n")
	lines := strings.Split(body, "\n")
	return lines[1:]
}

func report() *gameday.Report {
	start := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
	azs := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	all := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	return &gameday.Report{
		Scenario: "t", Region: "us-east-1", Seed: 1, Start: start, End: start.Add(time.Hour),
		Timeline: []gameday.Entry{
			{Offset: at(5), Kind: gameday.EntryStep, Summary: "AZ us-east-1a impaired"},
			quiet(6, "Backup Job State Change"), quiet(7, "Backup Job State Change"), quiet(7, "Copy Job State Change"),
			{Offset: at(8), Kind: gameday.EntryInvocation, EventID: "e1", Summary: "AWS Health Event: open",
				Invocation: &gameday.Invocation{Function: "asg-rebalancer", Status: "processed", Decision: "evacuate web", Actions: 1,
					Notifications: []gameday.Notification{{Subject: "[selfheal] EVACUATE web",
						Actions: []notify.Action{{Kind: notify.ActionEvacuate, Outcome: notify.OutcomeDone, Summary: "web out of us-east-1a"}}}}}},
			{Offset: at(9), Kind: gameday.EntryInvocation, EventID: "e2", Summary: "Backup Job State Change: COMPLETED",
				Invocation: &gameday.Invocation{Function: "backup-compliance", Status: "processed", Decision: "failing: VAULT_LOCK_PRESENT", Failing: 1}},
			quiet(10, "Copy Job State Change"),
		},
		Capacity: []gameday.GroupSeries{{Name: "web", Region: "us-east-1", AZs: azs, Samples: []gameday.Sample{
			{Offset: at(0), AZCounts: map[string]int{"us-east-1a": 2, "us-east-1b": 2, "us-east-1c": 2}, InService: 6, Desired: 6, Max: 6, SubnetAZs: all},
			{Offset: at(5), AZCounts: map[string]int{"us-east-1a": 2, "us-east-1b": 2, "us-east-1c": 2}, InService: 6, Desired: 6, Max: 8,
				SubnetAZs: azs[1:], Impaired: []string{"us-east-1a"}},
			{Offset: at(6), AZCounts: map[string]int{"us-east-1a": 0, "us-east-1b": 3, "us-east-1c": 3}, InService: 6, Desired: 6, Max: 8,
				SubnetAZs: azs[1:], Impaired: []string{"us-east-1a"}},
		}}},
		Findings: []gameday.FindingRecord{
			{Check: "VAULT_LOCK_PRESENT", Status: notify.StatusFail, Resource: "arn:aws:backup:us-east-1:123456789012:backup-vault:nightly", Notified: 1},
			{Check: "ASG_MAX_ABOVE_DESIRED", Status: notify.StatusFail, Notified: 2,
				Resource: "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:d542bc62-935c-4fbc-af51-f233af40c217:autoScalingGroupName/web"},
			{Check: "PITR_ENABLED", Status: notify.StatusPass, Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/orders", Notified: 1},
		},
		Expectations: []gameday.Result{{Path: "expect.groups[0].minInService", OK: true, Detail: "web never below 6"},
			{Path: "expect.deadLetters", OK: false, Detail: "dead-letter queue holds 1, want 0"}},
	}
}

// The timeline folds runs of invocations that did nothing into one line,
// and shows what the others decided, did and notified — and when a
// failing finding was not sent again.
func TestTimeline(t *testing.T) {
	var out bytes.Buffer
	if err := render.Report(&out, report(), time.Second); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"+00:05:00  ▶ AZ us-east-1a impaired",
		"+00:06:00–00:07:00  · 3 events, nothing to do: backup-compliance ← Backup Job State Change ×2, backup-compliance ← Copy Job State Change ×1",
		"+00:08:00  ⚡ AWS Health Event: open",
		"             → asg-rebalancer: processed — evacuate web",
		"               EVACUATE DONE: web out of us-east-1a",
		"               ✉ [selfheal] EVACUATE web",
		"+00:09:00  ⚡ Backup Job State Change: COMPLETED",
		"             → backup-compliance: processed — failing: VAULT_LOCK_PRESENT",
		"               (already notified: not sent again)",
		"+00:10:00  · Copy Job State Change → backup-compliance: no-op: job is RUNNING",
		"bus: 0 events in us-east-1, 0 routed, 0 deliveries; 0 events in regions without a deployment",
	}
	if diff := cmp.Diff(want, section(out.String(), "TIMELINE")); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

// Capacity is one row per change: a bar and a count per AZ, ! on an
// impaired AZ, · on an AZ the group's subnets no longer include.
func TestCapacityChart(t *testing.T) {
	var out bytes.Buffer
	if err := render.Report(&out, report(), time.Second); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"offset      us-east-1a        us-east-1b        us-east-1c        total  desired  max",
		"+00:00:00   ██ 2              ██ 2              ██ 2                  6        6    6",
		"+00:05:00   · ██ 2!           ██ 2              ██ 2                  6        6    8",
		"+00:06:00   · 0!              ███ 3             ███ 3                 6        6    8",
	}
	if diff := cmp.Diff(want, section(out.String(), "CAPACITY web")); diff != "" {
		t.Errorf("chart (-want +got):\n%s", diff)
	}
}

// The compliance table lists what needs attention and counts the rest;
// the expectations end with the verdict.
func TestComplianceAndVerdict(t *testing.T) {
	var out bytes.Buffer
	if err := render.Report(&out, report(), time.Second); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"STATUS  CHECK                  NOTIFIED  RESOURCE",
		"FAIL    VAULT_LOCK_PRESENT            1  backup-vault:nightly (us-east-1)",
		"FAIL    ASG_MAX_ABOVE_DESIRED         2  autoScalingGroup/web (us-east-1)",
		"… and 1 passing or not applicable (--json lists every finding)",
	}
	if diff := cmp.Diff(want, section(out.String(), "COMPLIANCE")); diff != "" {
		t.Errorf("compliance (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(out.String(), "\nFAIL: 1 of 2 expectations did not hold\n") {
		t.Errorf("no verdict at the end:\n%s", out.String())
	}
}
