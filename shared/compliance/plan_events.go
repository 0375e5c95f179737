package compliance

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/backup"

	"github.com/selfheal/selfheal/shared/awsapi"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/notify"
)

// maxNamedResources bounds the protected resources a deleted plan's
// finding names; the count says how many there were.
const maxNamedResources = 20

// PlanAndSchedules reads the current version of a backup plan and its
// rules' schedules: what the plan checks look at.
func (o *Observer) PlanAndSchedules(ctx context.Context, region, planID string) (PlanState, []RuleSchedule, error) {
	out, err := o.backup.For(region).GetBackupPlan(ctx, &backup.GetBackupPlanInput{BackupPlanId: aws.String(planID)})
	switch {
	case IsNotFound(err):
		return PlanState{ID: planID, NotFound: true}, nil, nil
	case err != nil:
		return PlanState{ID: planID}, nil, fmt.Errorf("get backup plan %s in %s: %w", planID, region, err)
	}
	return PlanFromOutput(out), RuleSchedules(out), nil
}

// ProtectedBy lists the resources a plan backed up into a vault, from the
// recovery points the plan made there (ByBackupPlanId): what a deleted
// plan leaves unprotected unless another plan selects them.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRecoveryPointsByBackupVault.html
func (o *Observer) ProtectedBy(ctx context.Context, vaultARN, planID string) ([]string, error) {
	var out []string
	p := backup.NewListRecoveryPointsByBackupVaultPaginator(o.backup.For(RegionOf(vaultARN)), &backup.ListRecoveryPointsByBackupVaultInput{
		BackupVaultName: aws.String(VaultNameOf(vaultARN)), ByBackupPlanId: aws.String(planID),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if IsNotFound(err) {
			return out, nil // the vault is gone too
		}
		if err != nil {
			return out, fmt.Errorf("list recovery points of plan %s in %s: %w", planID, vaultARN, err)
		}
		for _, rp := range page.RecoveryPoints {
			if a := aws.ToString(rp.ResourceArn); a != "" && !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

// plan handles a Backup Plan State Change: a plan created or edited is
// checked at once as the sweep would check it (a DR copy in every rule,
// frequency and retention, the lock of every vault it backs up or copies
// into); a deleted plan that protected resources FAILs.
func (p *Processor) plan(ctx context.Context, ev eventbridge.Event, d *eventbridge.BackupPlanStateChange) (evaluation, error) {
	region := orPlaceholder(RegionOf(d.BackupPlanARN), ev.Envelope.Region)
	planARN := d.BackupPlanARN
	if planARN == "" {
		planARN = planARNFor(region, ev.Envelope.AccountID, d.BackupPlanID)
	}
	e := evaluation{attrs: []slog.Attr{slog.String("plan", planARN)}}
	switch d.State {
	case eventbridge.PlanCreated, eventbridge.PlanModified, eventbridge.PlanDeleted:
	default:
		e.decision = fmt.Sprintf("no-op: backup plan is %s", d.State)
		return e, nil
	}
	plan, schedules, err := p.observe.PlanAndSchedules(ctx, region, d.BackupPlanID)
	if serr := settle(ev, err); serr != nil {
		return e, serr
	}
	if plan.ARN == "" {
		plan.ARN = planARN
	}
	if err != nil {
		e.findings = unanswered(planARN, TypeBackupPlan, err, CheckCrossRegionCopyConfigured, CheckPlanMinFrequencyAndRetention)
		e.decision = fmt.Sprintf("backup plan %s %s: unreadable", d.BackupPlanID, d.State)
		return e, nil
	}
	if d.State == eventbridge.PlanDeleted || plan.NotFound || plan.Deleted != nil {
		return p.deletedPlan(ctx, ev, plan, e)
	}
	now := p.now()
	e.findings = []notify.Finding{
		CrossRegionCopyConfigured(plan, p.policy.CrossRegion),
		PlanMinFrequencyAndRetention(plan, schedules, p.policy.Backup, now),
	}
	// The vaults it backs up into (locked, in policy) and copies into
	// (locked: DESTINATION_VAULT_LOCKED), each read once, at once.
	targets, copies := planVaults(plan, region, ev.Envelope.AccountID)
	all := append(slices.Clone(targets), copies...)
	states := make([]VaultState, len(all))
	reads := make([]func() error, len(all))
	for i, a := range all {
		reads[i] = func() (err error) { states[i], err = p.observe.Vault(ctx, a); return err }
	}
	errs := fetch(reads...)
	if err := settle(ev, errs...); err != nil {
		return e, err
	}
	for i, a := range all {
		isTarget := i < len(targets)
		switch {
		case errs[i] != nil && isTarget:
			e.findings = append(e.findings, unanswered(a, TypeBackupVault, errs[i], CheckVaultLockPresent, CheckVaultLockImmutable, CheckVaultLockRetention)...)
		case errs[i] != nil:
			e.findings = append(e.findings, Unanswered(CheckDestinationVaultLocked, a, TypeBackupVault, errs[i]))
		case isTarget:
			e.findings = append(e.findings, VaultChecks(states[i], p.policy.VaultLock, now)...)
		default:
			e.findings = append(e.findings, DestinationVaultLocked(states[i], p.policy.VaultLock, now))
		}
	}
	e.decision = fmt.Sprintf("backup plan %s %s: %s, %d vaults checked", orPlaceholder(plan.Name, d.BackupPlanID), d.State, plural(int64(len(plan.Rules)), "rule"), len(all))
	return e, nil
}

// planVaults lists the distinct vaults a plan's rules back up into (in
// the plan's region) and copy into.
func planVaults(plan PlanState, region, account string) (targets, copies []string) {
	for _, r := range plan.Rules {
		if r.TargetVaultName != "" {
			if a := vaultARNFor(plan.ARN, region, account, r.TargetVaultName); !slices.Contains(targets, a) {
				targets = append(targets, a)
			}
		}
		for _, c := range r.Copies {
			if c.DestinationVaultARN != "" && !slices.Contains(copies, c.DestinationVaultARN) && !slices.Contains(targets, c.DestinationVaultARN) {
				copies = append(copies, c.DestinationVaultARN)
			}
		}
	}
	return targets, copies
}

func planARNFor(region, account, id string) string {
	return arn.ARN{Partition: awsapi.Partition(region), Service: "backup", Region: region, AccountID: account, Resource: "backup-plan:" + id}.String()
}

// deletedPlan judges a deletion: the plan's own checks no longer apply,
// and what it protected — the resources of the recovery points it made
// in its vaults — is no longer backed up by it.
func (p *Processor) deletedPlan(ctx context.Context, ev eventbridge.Event, plan PlanState, e evaluation) (evaluation, error) {
	e.findings = []notify.Finding{
		CrossRegionCopyConfigured(PlanState{ARN: plan.ARN, ID: plan.ID, Name: plan.Name, NotFound: true}, p.policy.CrossRegion),
		PlanMinFrequencyAndRetention(PlanState{ARN: plan.ARN, ID: plan.ID, Name: plan.Name, NotFound: true}, nil, p.policy.Backup, p.now()),
	}
	targets, _ := planVaults(plan, RegionOf(plan.ARN), ev.Envelope.AccountID)
	found := make([][]string, len(targets))
	reads := make([]func() error, len(targets))
	for i, v := range targets {
		reads[i] = func() (err error) { found[i], err = p.observe.ProtectedBy(ctx, v, plan.ID); return err }
	}
	errs := fetch(reads...)
	if err := settle(ev, errs...); err != nil {
		return e, err
	}
	var protected []string
	var unread []string
	for i, list := range found {
		if errs[i] != nil {
			unread = append(unread, targets[i])
		}
		for _, a := range list {
			if !slices.Contains(protected, a) {
				protected = append(protected, a)
			}
		}
	}
	slices.Sort(protected)
	f := BackupPlanDeleted(plan, protected, unread)
	e.findings = append(e.findings, f)
	e.decision = fmt.Sprintf("backup plan %s DELETED: %s", orPlaceholder(plan.Name, plan.ID), f.Summary)
	return e, nil
}

// BackupPlanDeleted: a deleted plan left nothing it protected: FAIL when
// it had made recovery points of resources (they are no longer backed up
// by it, and by nothing unless another plan selects them), WARN when what
// it protected could not be read (no rules known, or a vault unreadable),
// NOT_APPLICABLE when it had protected nothing.
func BackupPlanDeleted(plan PlanState, protected, unreadVaults []string) notify.Finding {
	region := RegionOf(plan.ARN)
	name := orPlaceholder(plan.Name, plan.ID)
	obs := map[string]string{"planId": plan.ID, "planName": plan.Name, "exists": "false", "protected": itoa(len(protected))}
	if plan.Deleted != nil {
		obs["deletionDate"] = stamp(plan.Deleted)
	}
	named := protected[:min(len(protected), maxNamedResources)]
	if len(named) > 0 {
		obs["resources"] = strings.Join(named, ", ")
	}
	if len(unreadVaults) > 0 {
		obs["unreadVaults"] = strings.Join(unreadVaults, ", ")
	}
	fix := fmt.Sprintf("make sure another backup plan selects them (aws backup list-backup-plans --region %s, aws backup list-backup-selections), or restore the plan", region)
	switch {
	case len(protected) > 0:
		names := make([]string, len(named))
		for i, a := range named {
			names[i] = protectedName(a)
		}
		more := ""
		if len(protected) > len(named) {
			more = fmt.Sprintf(" and %d more", len(protected)-len(named))
		}
		return finding(CheckBackupPlanDeleted, notify.StatusFail, plan.ARN, TypeBackupPlan,
			fmt.Sprintf("backup plan %s was deleted; it protected %s (%s%s)", name, plural(int64(len(protected)), "resource"), strings.Join(names, ", "), more), obs, fix)
	case len(plan.Rules) == 0 || len(unreadVaults) > 0:
		return finding(CheckBackupPlanDeleted, notify.StatusWarn, plan.ARN, TypeBackupPlan,
			fmt.Sprintf("backup plan %s was deleted; what it protected could not be read", name), obs, fix)
	}
	return finding(CheckBackupPlanDeleted, notify.StatusNotApplicable, plan.ARN, TypeBackupPlan,
		fmt.Sprintf("backup plan %s was deleted; it had backed nothing up", name), obs, "")
}

// rdsInstance handles an RDS DB Instance Event: when automated backups of
// a DB instance are turned off (RDS-EVENT-0028) or on (RDS-EVENT-0032),
// its point-in-time recovery is checked at once (PITR_ENABLED,
// PITR_WINDOW; freshness is left to the sweep, as a log upload takes
// minutes to begin). Other RDS events are no-ops.
func (p *Processor) rdsInstance(ctx context.Context, ev eventbridge.Event, d *eventbridge.RDSInstanceEvent) (evaluation, error) {
	e := evaluation{attrs: []slog.Attr{slog.String("rds_event", d.EventID), slog.String("resource", d.SourceARN)}}
	switch d.EventID {
	case eventbridge.RDSEventBackupsDisabled, eventbridge.RDSEventBackupsEnabled:
	default:
		e.decision = fmt.Sprintf("no-op: %s is not about automated backups", orPlaceholder(d.EventID, "an RDS event without an EventID"))
		return e, nil
	}
	dbARN := d.SourceARN
	if dbARN == "" {
		dbARN = fmt.Sprintf("arn:%s:rds:%s:%s:db:%s", awsapi.Partition(ev.Envelope.Region), ev.Envelope.Region, ev.Envelope.AccountID, d.SourceIdentifier)
	}
	if PITRKindOf(dbARN, "RDS") != PITRRDSInstance {
		return e, unprocessable(ev, "%s is not a DB instance ARN", dbARN)
	}
	s, err := p.observe.PITR(ctx, dbARN, "RDS", ev.Envelope.Region)
	if serr := settle(ev, err); serr != nil {
		return e, serr
	}
	if err != nil {
		e.findings = unanswered(dbARN, "AWS::RDS::DBInstance", err, CheckPITREnabled, CheckPITRWindow)
	} else {
		e.findings = []notify.Finding{PITREnabled(s, p.policy.PITR), PITRWindow(s, p.policy.PITR)}
	}
	e.decision = fmt.Sprintf("%s (%s) for %s: point-in-time recovery checked", d.EventID, strings.TrimSuffix(d.Message, "."), resourceName(dbARN))
	return e, nil
}
