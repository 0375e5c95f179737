package compliance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

const swPlanARN = "arn:aws:backup:us-east-1:123456789012:backup-plan:5b2d3c4e-plan"

type swRule struct {
	name, expr string
	keep       int64 // 0: no lifecycle (kept forever)
}

// swPlan is a plan as GetBackupPlan returns it, read through the same
// conversions the sweep uses.
func swPlan(rules ...swRule) (compliance.PlanState, []compliance.RuleSchedule) {
	out := &backup.GetBackupPlanOutput{
		BackupPlanArn: aws.String(swPlanARN), BackupPlanId: aws.String("5b2d3c4e-plan"), VersionId: aws.String("v1"),
		BackupPlan: &backuptypes.BackupPlan{BackupPlanName: aws.String("prod")},
	}
	for i, r := range rules {
		br := backuptypes.BackupRule{RuleId: aws.String(string(rune('a' + i))), RuleName: aws.String(r.name), ScheduleExpression: aws.String(r.expr)}
		if r.keep > 0 {
			br.Lifecycle = &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(r.keep)}
		}
		out.BackupPlan.Rules = append(out.BackupPlan.Rules, br)
	}
	return compliance.PlanFromOutput(out), compliance.RuleSchedules(out)
}

// A plan passes when one of its rules backs up often enough and keeps its
// recovery points long enough, as AWS Config's managed rule judges it.
func TestPlanMinFrequencyAndRetention(t *testing.T) {
	p := config.DefaultPolicy().Backup // every 24h, 7 days
	tests := []struct {
		name  string
		rules []swRule
		want  notify.Status
		sev   notify.Severity
		says  string
	}{
		{"daily, kept 35 days", []swRule{{"daily", "cron(0 5 ? * * *)", 35}}, notify.StatusPass, notify.SeverityInfo, "rule daily"},
		{"exactly at both bounds", []swRule{{"daily", "cron(0 5 ? * * *)", 7}}, notify.StatusPass, notify.SeverityInfo, "rule daily"},
		{"kept forever", []swRule{{"daily", "cron(0 5 ? * * *)", 0}}, notify.StatusPass, notify.SeverityInfo, "rule daily"},
		{"weekly", []swRule{{"weekly", "cron(0 5 ? * SUN *)", 35}}, notify.StatusFail, notify.SeverityHigh, "weekly (every 7d, kept 35 days)"},
		{"weekdays only leave a 72h gap", []swRule{{"weekdays", "cron(0 5 ? * MON-FRI *)", 35}}, notify.StatusFail, notify.SeverityHigh, "weekdays (every 3d"},
		{"daily but kept 6 days", []swRule{{"daily", "cron(0 5 ? * * *)", 6}}, notify.StatusFail, notify.SeverityHigh, "kept 6 days"},
		{"one rule of two is enough", []swRule{{"hourly-short", "cron(0 * ? * * *)", 1}, {"daily", "cron(0 5 ? * * *)", 30}}, notify.StatusPass, notify.SeverityInfo, "rule daily"},
		{"two rules, each failing one half", []swRule{{"hourly-short", "cron(0 * ? * * *)", 1}, {"monthly-long", "cron(0 5 1 * ? *)", 365}}, notify.StatusFail, notify.SeverityHigh, "hourly-short"},
		{"a schedule the sweep cannot read", []swRule{{"third-friday", "cron(0 5 ? * 6#3 *)", 35}}, notify.StatusWarn, notify.SeverityMedium, "not evaluated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, sched := swPlan(tt.rules...)
			f := compliance.PlanMinFrequencyAndRetention(plan, sched, p, swFrom)
			if f.Check != compliance.CheckPlanMinFrequencyAndRetention || f.Status != tt.want || f.Severity != tt.sev {
				t.Fatalf("got %s %s %s, want %s %s: %s", f.Check, f.Status, f.Severity, tt.want, tt.sev, f.Summary)
			}
			if !strings.Contains(f.Summary, tt.says) {
				t.Errorf("summary %q does not say %q", f.Summary, tt.says)
			}
			if f.Resource != swPlanARN || f.ResourceType != compliance.TypeBackupPlan || f.Region != "us-east-1" {
				t.Errorf("finding is about %s %s in %q", f.ResourceType, f.Resource, f.Region)
			}
			if f.Status.Bad() && !strings.Contains(f.Remediation, "aws backup update-backup-plan") {
				t.Errorf("remediation %q does not say how to fix the plan", f.Remediation)
			}
			if !f.Status.Bad() && f.Remediation != "" {
				t.Errorf("a passing finding has a remediation: %q", f.Remediation)
			}
		})
	}
}

// A stricter policy turns the same plan from PASS into FAIL, and the
// observed fields show what decided it.
func TestPlanMinFrequencyFollowsPolicy(t *testing.T) {
	plan, sched := swPlan(swRule{"daily", "cron(0 5 ? * * *)", 35})
	p := config.DefaultPolicy().Backup
	p.MaxInterval = config.Dur(12 * time.Hour)
	f := compliance.PlanMinFrequencyAndRetention(plan, sched, p, swFrom)
	if f.Status != notify.StatusFail {
		t.Fatalf("a daily rule under a 12h policy is %s: %s", f.Status, f.Summary)
	}
	want := map[string]string{
		"planName": "prod", "versionId": "v1", "policy.maxInterval": "12h0m0s", "policy.minRetentionDays": "7",
		"rule.daily": "cron(0 5 ? * * *): at most 24h0m0s between backups, kept 35 days",
	}
	if diff := cmp.Diff(want, f.Observed); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
}

func TestPlanMinFrequencyGonePlans(t *testing.T) {
	plan, sched := swPlan(swRule{"daily", "cron(0 5 ? * * *)", 35})
	plan.NotFound = true
	if f := compliance.PlanMinFrequencyAndRetention(plan, sched, config.DefaultPolicy().Backup, swFrom); f.Status != notify.StatusNotApplicable {
		t.Errorf("a deleted plan is %s", f.Status)
	}
	empty, none := swPlan()
	if f := compliance.PlanMinFrequencyAndRetention(empty, none, config.DefaultPolicy().Backup, swFrom); f.Status != notify.StatusFail || f.Summary != "plan has no rules" {
		t.Errorf("a plan without rules is %s: %s", f.Status, f.Summary)
	}
}
