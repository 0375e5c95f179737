package compliance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

// CountsAsDR reports whether a copy from sourceRegion into the vault
// destVaultARN is a disaster-recovery copy under the policy: another
// region, and one of the policy's DR regions when it names any.
func CountsAsDR(sourceRegion, destVaultARN string, p config.CrossRegion) bool {
	dest := RegionOf(destVaultARN)
	if dest == "" || dest == sourceRegion {
		return false
	}
	return len(p.DRRegions) == 0 || slices.Contains(p.DRRegions, dest)
}

// DRCopies returns the rule's copy actions that count as DR copies.
func (r RuleState) DRCopies(sourceRegion string, p config.CrossRegion) []CopyTarget {
	var out []CopyTarget
	for _, c := range r.Copies {
		if CountsAsDR(sourceRegion, c.DestinationVaultARN, p) {
			out = append(out, c)
		}
	}
	return out
}

// CrossRegionCopyConfigured: every rule of the plan copies its recovery
// points to a vault in another region (one of the policy's DR regions when
// it names them). All rules of a plan back up the same resources, so one
// rule without a copy leaves them without DR for its backups; judging the
// plan as a whole also keeps the finding stable whichever rule ran.
func CrossRegionCopyConfigured(plan PlanState, p config.CrossRegion) notify.Finding {
	region := RegionOf(plan.ARN)
	obs := map[string]string{"planName": plan.Name, "versionId": plan.VersionID, "rules": itoa(len(plan.Rules)),
		"policy.drRegions": strings.Join(p.DRRegions, ","), "policy.required": yes(p.Required)}
	if plan.NotFound || plan.Deleted != nil {
		obs["exists"] = "false"
		return finding(CheckCrossRegionCopyConfigured, notify.StatusNotApplicable, plan.ARN, TypeBackupPlan,
			"backup plan no longer exists", obs, "")
	}
	var missing, where []string
	for _, r := range plan.Rules {
		copies := r.DRCopies(region, p)
		if len(copies) == 0 {
			missing = append(missing, r.Name)
			obs["rule."+r.Name] = describeCopies(r.Copies, region)
			continue
		}
		for _, c := range copies {
			where = append(where, RegionOf(c.DestinationVaultARN))
		}
		obs["rule."+r.Name] = describeCopies(r.Copies, region)
	}
	slices.Sort(where)
	where = slices.Compact(where)
	if len(missing) == 0 && len(plan.Rules) > 0 {
		return finding(CheckCrossRegionCopyConfigured, notify.StatusPass, plan.ARN, TypeBackupPlan,
			"every rule copies to "+strings.Join(where, ", "), obs, "")
	}
	st := notify.StatusWarn
	if p.Required {
		st = notify.StatusFail
	}
	target := "another region"
	if len(p.DRRegions) > 0 {
		target = strings.Join(p.DRRegions, " or ")
	}
	summary := fmt.Sprintf("no copy to %s in rule %s", target, strings.Join(missing, ", "))
	if len(plan.Rules) == 0 {
		summary = "plan has no rules"
	}
	return finding(CheckCrossRegionCopyConfigured, st, plan.ARN, TypeBackupPlan, summary, obs,
		fmt.Sprintf("add CopyActions [{\"DestinationBackupVaultArn\": \"arn:aws:backup:<dr region>:<account>:backup-vault:<locked vault>\"}] to each rule: aws backup get-backup-plan --backup-plan-id %s --region %s, edit, aws backup update-backup-plan", plan.ID, region))
}

// overdueSummary says how long after the backup a copy was due.
func overdueSummary(c state.ExpectedCopy, dest string) string {
	if c.BackedUpAt.IsZero() || !c.Deadline.After(c.BackedUpAt) {
		return fmt.Sprintf("copy to %s not completed by %s", dest, stamp(&c.Deadline))
	}
	return fmt.Sprintf("copy to %s not completed %s after the backup", dest, span(c.Deadline.Sub(c.BackedUpAt)))
}

// span says a copy deadline as the policy does: "4h", "24h", "1h30m".
func span(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
}

func describeCopies(cs []CopyTarget, sourceRegion string) string {
	if len(cs) == 0 {
		return "no copy actions"
	}
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		r := RegionOf(c.DestinationVaultARN)
		if r == sourceRegion {
			r += " (same region)"
		}
		parts = append(parts, "copy to "+r)
	}
	return strings.Join(parts, ", ")
}

// CrossRegionCopyCompleted: the copy expected from a completed backup
// landed in its DR vault. A copy still open before its deadline is
// NOT_APPLICABLE (pending); open or overdue after it is a FAIL ("not
// completed 4h after the backup"), which is how the sweep reports copies
// that never started. The finding is about the recovery point, and names
// the resource it protects.
func CrossRegionCopyCompleted(c state.ExpectedCopy, now time.Time) notify.Finding {
	return about(crossRegionCopyCompleted(c, now), c.ResourceARN, "")
}

func crossRegionCopyCompleted(c state.ExpectedCopy, now time.Time) notify.Finding {
	dest := RegionOf(c.DestinationVaultARN)
	src := RegionOf(c.SourceRecoveryPointARN)
	obs := map[string]string{
		"destinationVault": c.DestinationVaultARN,
		"deadline":         stamp(&c.Deadline),
		"copyStatus":       string(c.Status),
		"resource":         c.ResourceARN,
	}
	if c.CopyJobID != "" {
		obs["copyJobId"] = c.CopyJobID
	}
	if c.DestinationRecoveryPoint != "" {
		obs["destinationRecoveryPoint"] = c.DestinationRecoveryPoint
	}
	retry := fmt.Sprintf("aws backup start-copy-job --recovery-point-arn %s --source-backup-vault-name <vault> --destination-backup-vault-arn %s --iam-role-arn <backup role> --region %s",
		c.SourceRecoveryPointARN, c.DestinationVaultARN, src)
	switch {
	case c.Status == state.CopyCompleted:
		return finding(CheckCrossRegionCopyCompleted, notify.StatusPass, c.SourceRecoveryPointARN, TypeRecoveryPoint,
			"copied to "+dest, obs, "")
	case c.Status == state.CopyFailed:
		fix := retry
		if c.CopyJobID != "" {
			fix = fmt.Sprintf("see why: aws backup describe-copy-job --copy-job-id %s --region %s; then copy again: %s", c.CopyJobID, src, retry)
		}
		return finding(CheckCrossRegionCopyCompleted, notify.StatusFail, c.SourceRecoveryPointARN, TypeRecoveryPoint,
			"copy to "+dest+" failed", obs, fix)
	// Due by the deadline, inclusive, as state.OverdueCopies reads it.
	case c.Status == state.CopyOverdue || !c.Deadline.IsZero() && now.After(c.Deadline):
		return finding(CheckCrossRegionCopyCompleted, notify.StatusFail, c.SourceRecoveryPointARN, TypeRecoveryPoint,
			overdueSummary(c, dest), obs,
			fmt.Sprintf("check the copy jobs: aws backup list-copy-jobs --by-resource-arn %s --region %s; then copy by hand: %s", c.ResourceARN, src, retry))
	}
	return finding(CheckCrossRegionCopyCompleted, notify.StatusNotApplicable, c.SourceRecoveryPointARN, TypeRecoveryPoint,
		fmt.Sprintf("copy to %s pending, due %s", dest, stamp(&c.Deadline)), obs, "")
}
