package compliance

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

// RuleSchedule is when a backup plan rule runs, as GetBackupPlan shows it.
type RuleSchedule struct {
	RuleID     string
	Expression string // cron(...); empty means AWS Backup's default
	Timezone   string // ScheduleExpressionTimezone; empty means UTC
}

// RuleSchedules reads the schedules of GetBackupPlan's rules, in rule
// order (PlanFromOutput reads the rest of the plan).
func RuleSchedules(out *backup.GetBackupPlanOutput) []RuleSchedule {
	if out == nil || out.BackupPlan == nil {
		return nil
	}
	s := make([]RuleSchedule, 0, len(out.BackupPlan.Rules))
	for _, r := range out.BackupPlan.Rules {
		s = append(s, RuleSchedule{
			RuleID:     aws.ToString(r.RuleId),
			Expression: aws.ToString(r.ScheduleExpression),
			Timezone:   aws.ToString(r.ScheduleExpressionTimezone),
		})
	}
	return s
}

// PlanMinFrequencyAndRetention: the plan has a rule that backs up at least
// every Backup.MaxInterval and keeps its recovery points at least
// Backup.MinRetentionDays, as AWS Config's managed rule judges a plan: "The
// rule is NON_COMPLIANT if recovery points are not created at least as
// often as the specified frequency or expire before the specified period."
// A rule without a lifecycle keeps its recovery points forever.
// https://docs.aws.amazon.com/config/latest/developerguide/backup-plan-min-frequency-and-min-retention-check.html
func PlanMinFrequencyAndRetention(plan PlanState, schedules []RuleSchedule, p config.Backup, now time.Time) notify.Finding {
	region := RegionOf(plan.ARN)
	obs := map[string]string{
		"planName":                plan.Name,
		"versionId":               plan.VersionID,
		"policy.maxInterval":      p.MaxInterval.Duration.String(),
		"policy.minRetentionDays": itoa(p.MinRetentionDays),
	}
	if plan.NotFound || plan.Deleted != nil {
		obs["exists"] = "false"
		return sweepFinding(CheckPlanMinFrequencyAndRetention, notify.StatusNotApplicable, plan.ARN, TypeBackupPlan,
			"backup plan no longer exists", obs, "")
	}
	byRule := map[string]RuleSchedule{}
	for _, s := range schedules {
		byRule[s.RuleID] = s
	}
	var (
		rules      []string
		unreadable []string
		good       string
	)
	for _, r := range plan.Rules {
		s := byRule[r.ID]
		gap, _, err := ScheduleGap(s.Expression, s.Timezone, now)
		kept := "forever"
		if r.DeleteAfterDays != nil {
			kept = plural(*r.DeleteAfterDays, "day")
		}
		if err != nil {
			obs["rule."+r.Name] = fmt.Sprintf("schedule not evaluated (%v), kept %s", err, kept)
			unreadable = append(unreadable, r.Name)
			continue
		}
		obs["rule."+r.Name] = fmt.Sprintf("%s: at most %s between backups, kept %s", orPlaceholder(s.Expression, DefaultBackupSchedule), gap, kept)
		rules = append(rules, fmt.Sprintf("%s (every %s, kept %s)", r.Name, everyText(gap), kept))
		often := gap <= p.MaxInterval.Duration
		long := r.DeleteAfterDays == nil || *r.DeleteAfterDays >= int64(p.MinRetentionDays)
		if often && long && good == "" {
			good = r.Name
		}
	}
	if good != "" {
		return sweepFinding(CheckPlanMinFrequencyAndRetention, notify.StatusPass, plan.ARN, TypeBackupPlan,
			fmt.Sprintf("rule %s backs up at least every %s and keeps %d days or more", good, everyText(p.MaxInterval.Duration), p.MinRetentionDays), obs, "")
	}
	fix := fmt.Sprintf("add or change a rule to ScheduleExpression %q with Lifecycle.DeleteAfterDays %d: aws backup get-backup-plan --backup-plan-id %s --region %s, edit, aws backup update-backup-plan",
		DefaultBackupSchedule, p.MinRetentionDays, plan.ID, region)
	if len(rules) == 0 && len(unreadable) > 0 {
		return sweepFinding(CheckPlanMinFrequencyAndRetention, notify.StatusWarn, plan.ARN, TypeBackupPlan,
			"schedule of rule "+strings.Join(unreadable, ", ")+" not evaluated: check its frequency by hand", obs, fix)
	}
	summary := fmt.Sprintf("no rule backs up at least every %s and keeps %d days", everyText(p.MaxInterval.Duration), p.MinRetentionDays)
	if len(rules) > 0 {
		summary += ": " + strings.Join(rules, ", ")
	}
	if len(plan.Rules) == 0 {
		summary = "plan has no rules"
	}
	return sweepFinding(CheckPlanMinFrequencyAndRetention, notify.StatusFail, plan.ARN, TypeBackupPlan, summary, obs, fix)
}

// everyText writes an interval the way people say it: 24h, 7d, 1h30m.
func everyText(d time.Duration) string {
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
