package compliance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/selfheal/selfheal/shared/awsapi"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

// Kinds are the AWS Backup events the processor handles.
var Kinds = []eventbridge.Kind{
	eventbridge.KindBackupJob,
	eventbridge.KindCopyJob,
	eventbridge.KindRecoveryPoint,
	eventbridge.KindBackupVault,
	eventbridge.KindBackupPlan,
	eventbridge.KindRestoreJob,
	eventbridge.KindRDSInstance,
}

// Processor checks AWS Backup events: decode → observe (reads only) →
// evaluate the checks → record or close expected copies → report one
// message with every finding.
type Processor struct {
	function string
	policy   config.Policy
	observe  *Observer
	store    *state.Store
	notifier *notify.Notifier
	now      func() time.Time
	// metricsOut receives the EMF records of restore tests (stdout in
	// Lambda).
	metricsOut io.Writer
}

// New builds the processor of the backup-compliance function.
func New(deps handler.Deps) *Processor {
	return &Processor{
		function: deps.Function,
		policy:   deps.Config.Policy,
		observe:  NewObserver(deps.AWS),
		store:    deps.Store,
		notifier: deps.Notifier,
		now:      deps.Now,

		metricsOut: deps.Out,
	}
}

// evaluation is what one event came to before it is reported.
type evaluation struct {
	findings []notify.Finding
	decision string
	attrs    []slog.Attr
	// actions are the writes made outside the suite (a restore test's
	// validation result), or planned in dry-run.
	actions int
}

// Process handles one decoded event.
func (p *Processor) Process(ctx context.Context, ev eventbridge.Event) (handler.Outcome, error) {
	var (
		e   evaluation
		err error
	)
	switch d := ev.Detail.(type) {
	case *eventbridge.BackupJobStateChange:
		e, err = p.backupJob(ctx, ev, d)
	case *eventbridge.CopyJobStateChange:
		e, err = p.copyJob(ctx, ev, d)
	case *eventbridge.RecoveryPointStateChange:
		e, err = p.recoveryPoint(ctx, ev, d)
	case *eventbridge.BackupVaultStateChange:
		e, err = p.vault(ctx, ev, d)
	case *eventbridge.BackupPlanStateChange:
		e, err = p.plan(ctx, ev, d)
	case *eventbridge.RestoreJobStateChange:
		e, err = p.restoreJob(ctx, ev, d)
	case *eventbridge.RDSInstanceEvent:
		e, err = p.rdsInstance(ctx, ev, d)
	default:
		return handler.Outcome{}, handler.Unprocessable(fmt.Sprintf("%s event with a %T detail", ev.Kind, ev.Detail), nil)
	}
	if err != nil {
		return handler.Outcome{Decision: e.decision, Attrs: e.attrs, Actions: e.actions}, err
	}
	out := handler.Outcome{Decision: e.decision, Findings: len(e.findings), Attrs: e.attrs, Actions: e.actions}
	if len(e.findings) == 0 {
		return out, nil
	}
	var failing []string
	protectedARN, protectedType := eventResource(ev.Detail)
	for i := range e.findings {
		f := &e.findings[i]
		// A recovery point or job is about what it protects: findings the
		// checks could not name it on (an unanswered read) get it from the
		// event.
		if f.ResourceType == TypeRecoveryPoint {
			*f = about(*f, protectedARN, protectedType)
		}
		// S3 ARNs carry no account or region; the event does.
		if f.Account == "" {
			f.Account = ev.Envelope.AccountID
		}
		if f.Region == "" {
			f.Region = ev.Envelope.Region
		}
		if f.Status.Bad() {
			failing = append(failing, f.Check)
		}
	}
	out.Failing = len(failing)
	res, err := p.notifier.Report(ctx, notify.Message{
		Kind: notify.KindFindings, Function: p.function, EventType: ev.Envelope.DetailType, EventID: ev.Envelope.ID,
		Account: ev.Envelope.AccountID, Region: ev.Envelope.Region, Time: ev.Envelope.Time, Findings: e.findings,
	})
	out.Notified = len(res.Sent)
	if err != nil {
		return out, fmt.Errorf("report findings: %w", err)
	}
	if len(failing) > 0 {
		out.Decision += "; failing: " + strings.Join(failing, ", ")
	}
	return out, nil
}

// eventResource is the resource an AWS Backup event is about, and AWS
// Backup's name of its type.
func eventResource(d any) (string, string) {
	switch d := d.(type) {
	case *eventbridge.BackupJobStateChange:
		return d.ResourceARN, d.ResourceType
	case *eventbridge.CopyJobStateChange:
		return d.ResourceARN, d.ResourceType
	case *eventbridge.RecoveryPointStateChange:
		return d.ResourceARN, d.ResourceType
	}
	return "", ""
}

// unprocessable marks an event whose shape no retry can fix.
func unprocessable(ev eventbridge.Event, format string, args ...any) error {
	return handler.Unprocessable(fmt.Sprintf("%s: %s", ev.Kind.DetailType, fmt.Sprintf(format, args...)), nil)
}

// fetch runs one event's reads at once (they do not depend on each other,
// and in Lambda each is a network round trip) and returns their errors in
// order; a nil read is skipped. A read that panics returns an error: the
// boundary's recovery cannot reach another goroutine.
func fetch(reads ...func() error) []error {
	errs := make([]error, len(reads))
	var wg sync.WaitGroup
	for i, read := range reads {
		if read == nil {
			continue
		}
		wg.Go(func() {
			defer func() {
				if r := recover(); r != nil {
					errs[i] = fmt.Errorf("read panicked: %v", r)
				}
			}()
			errs[i] = read()
		})
	}
	wg.Wait()
	return errs
}

// settle sorts the errors of an event's reads: one AWS says can never
// succeed (IsInvalid) makes the event unprocessable; others a retry could
// fix are returned to be retried; refusals (IsDenied) are left to the
// checks, which answer ERROR.
func settle(ev eventbridge.Event, errs ...error) error {
	var retry []error
	for _, err := range errs {
		switch {
		case err == nil || IsDenied(err):
		case IsInvalid(err):
			return handler.Unprocessable(ev.Kind.DetailType+": AWS rejects what the event names", err)
		default:
			retry = append(retry, err)
		}
	}
	return errors.Join(retry...)
}

// vaultARNFor names a vault from its name when an event gives no ARN, in
// the partition of another ARN of the event (like) or of the region.
func vaultARNFor(like, region, account, name string) string {
	partition := awsapi.Partition(region)
	if a, err := arn.Parse(like); err == nil {
		partition = a.Partition
	}
	return arn.ARN{Partition: partition, Service: "backup", Region: region, AccountID: account, Resource: "backup-vault:" + name}.String()
}

func (p *Processor) backupJob(ctx context.Context, ev eventbridge.Event, d *eventbridge.BackupJobStateChange) (evaluation, error) {
	e := evaluation{attrs: []slog.Attr{slog.String("backup_job", d.BackupJobID), slog.String("resource", d.ResourceARN)}}
	job := JobState{ID: d.BackupJobID, State: string(d.State), StatusMessage: d.StatusMessage, ResourceARN: d.ResourceARN,
		ResourceType: d.ResourceType, VaultARN: d.BackupVaultARN, IAMRoleARN: d.IAMRoleARN}
	if job.VaultARN == "" && d.BackupVaultName != "" {
		job.VaultARN = vaultARNFor(d.ResourceARN, ev.Envelope.Region, ev.Envelope.AccountID, d.BackupVaultName)
	}
	jobFinding, ended := BackupJobFailed(job)
	if !ended {
		e.decision = fmt.Sprintf("no-op: backup job %s is %s", d.BackupJobID, d.State)
		return e, nil
	}
	if d.ResourceARN == "" {
		return e, unprocessable(ev, "backup job %s %s names no resourceArn", d.BackupJobID, d.State)
	}
	if d.State != eventbridge.BackupJobCompleted {
		e.findings = []notify.Finding{jobFinding}
		e.decision = fmt.Sprintf("backup job %s %s", d.BackupJobID, d.State)
		return e, nil
	}
	if RegionOf(d.RecoveryPointARN) == "" || VaultNameOf(job.VaultARN) == "" {
		return e, unprocessable(ev, "completed backup job %s without a recovery point ARN and a vault (got %q, %q)", d.BackupJobID, d.RecoveryPointARN, job.VaultARN)
	}

	o := p.observeBackup(ctx, d, job.VaultARN)
	if err := settle(ev, o.vaultErr, o.rpErr, o.planErr, o.pitrErr); err != nil {
		return e, err
	}
	now := p.now()
	fs := append([]notify.Finding{jobFinding}, p.judgeBackup(o, d, job.VaultARN, now)...)
	e.findings = fs
	e.decision = fmt.Sprintf("backup job %s COMPLETED", d.BackupJobID)
	planID := d.CreatedBy.BackupPlanID
	switch {
	case planID == "":
		e.decision += " (on demand: no plan rule to check for copies)"
		return e, nil
	case o.planErr != nil:
		e.findings = append(fs, Unanswered(CheckCrossRegionCopyConfigured, orPlaceholder(d.CreatedBy.BackupPlanARN, planID), TypeBackupPlan, o.planErr))
		e.decision += fmt.Sprintf("; plan %s unreadable, no copy expected", planID)
		return e, nil
	}
	fs = append(fs, CrossRegionCopyConfigured(o.plan, p.policy.CrossRegion))

	// Act: remember the copies this backup should lead to.
	rule, ruleFound := o.plan.Rule(d.CreatedBy.BackupRuleID)
	continuous := IsContinuousRecoveryPoint(d.RecoveryPointARN)
	var expected []string
	if ruleFound && !continuous {
		copies, err := p.expectCopies(ctx, ev, d, rule, now)
		if err != nil {
			return e, err
		}
		for _, c := range copies {
			fs = append(fs, CrossRegionCopyCompleted(c, now))
			expected = append(expected, fmt.Sprintf("%s by %s", RegionOf(c.DestinationVaultARN), stamp(&c.Deadline)))
		}
	}
	e.findings = fs
	switch {
	case len(expected) > 0:
		e.decision += "; copy expected to " + strings.Join(expected, ", ")
	case !ruleFound:
		e.decision += fmt.Sprintf("; rule %s is no longer in plan %s, no copy expected", d.CreatedBy.BackupRuleID, planID)
	case continuous:
		e.decision += "; continuous backup: copies are snapshots AWS Backup takes on the rule's schedule, not tracked"
	}
	return e, nil
}

// backupReads is what the reads for a completed backup job found, and
// the error of each read.
type backupReads struct {
	vault                             VaultState
	rp                                RecoveryPointState
	plan                              PlanState
	pitr                              PITRState
	vaultErr, rpErr, planErr, pitrErr error
	pitrFromRecoveryPoint             bool
}

// observeBackup makes the reads of a completed backup job at once: the
// vault, the recovery point, the plan, the resource's PITR (one read; two
// for an S3 bucket, none when the job's own recovery point is the
// bucket's continuous one).
func (p *Processor) observeBackup(ctx context.Context, d *eventbridge.BackupJobStateChange, vaultARN string) backupReads {
	var o backupReads
	region := RegionOf(d.RecoveryPointARN)
	o.pitrFromRecoveryPoint = PITRKindOf(d.ResourceARN, d.ResourceType) == PITRS3 && IsContinuousRecoveryPoint(d.RecoveryPointARN)
	var readPlan, readPITR func() error
	if id := d.CreatedBy.BackupPlanID; id != "" {
		readPlan = func() (err error) { o.plan, err = p.observe.Plan(ctx, region, id); return err }
	}
	if !o.pitrFromRecoveryPoint {
		readPITR = func() (err error) {
			o.pitr, err = p.observe.PITR(ctx, d.ResourceARN, d.ResourceType, region)
			return err
		}
	}
	errs := fetch(
		func() (err error) { o.vault, err = p.observe.Vault(ctx, vaultARN); return err },
		func() (err error) {
			o.rp, err = p.observe.RecoveryPoint(ctx, VaultNameOf(vaultARN), d.RecoveryPointARN)
			return err
		},
		readPlan, readPITR,
	)
	o.vaultErr, o.rpErr, o.planErr, o.pitrErr = errs[0], errs[1], errs[2], errs[3]
	if o.pitrFromRecoveryPoint {
		o.pitr = PITRState{ResourceARN: d.ResourceARN, ResourceType: ResourceType(d.ResourceType, d.ResourceARN), Kind: PITRS3}
		if o.pitrErr = o.rpErr; o.rpErr == nil {
			o.pitr = PITRFromContinuousRecoveryPoint(o.pitr, o.rp)
		}
	}
	if o.plan.ARN == "" {
		o.plan.ARN = d.CreatedBy.BackupPlanARN
	}
	return o
}

// judgeBackup runs the checks of a completed backup job on what was read;
// a read AWS refused makes its checks ERROR.
func (p *Processor) judgeBackup(o backupReads, d *eventbridge.BackupJobStateChange, vaultARN string, now time.Time) []notify.Finding {
	var fs []notify.Finding
	if o.vaultErr != nil {
		fs = append(fs, unanswered(vaultARN, TypeBackupVault, o.vaultErr, CheckVaultLockPresent, CheckVaultLockImmutable, CheckVaultLockRetention)...)
	} else {
		fs = append(fs, VaultChecks(o.vault, p.policy.VaultLock, now)...)
	}
	if o.rpErr != nil {
		fs = append(fs, unanswered(d.RecoveryPointARN, TypeRecoveryPoint, o.rpErr, CheckRecoveryPointRetention, CheckRecoveryPointEncrypted)...)
	} else {
		var lock *VaultState
		if o.vaultErr == nil {
			lock = &o.vault
		}
		fs = append(fs, RecoveryPointRetention(o.rp, lock, p.policy), RecoveryPointEncrypted(o.rp))
	}
	if o.pitrErr != nil {
		fs = append(fs, unanswered(d.ResourceARN, ResourceType(d.ResourceType, d.ResourceARN), o.pitrErr, CheckPITREnabled, CheckPITRWindow, CheckPITRFreshness)...)
	} else {
		fs = append(fs, PITRChecks(o.pitr, p.policy.PITR, now)...)
	}
	return fs
}

// expectCopies records the DR copies the rule makes of the job's recovery
// point, due CopyDeadline after the job completed, and returns what the
// state table holds for each: open, or already closed by a copy event
// that came first.
func (p *Processor) expectCopies(ctx context.Context, ev eventbridge.Event, d *eventbridge.BackupJobStateChange, rule RuleState, now time.Time) ([]state.ExpectedCopy, error) {
	completed := d.CompletionDate
	if completed.IsZero() {
		completed = ev.Envelope.Time
	}
	var out []state.ExpectedCopy
	for _, c := range rule.DRCopies(RegionOf(d.RecoveryPointARN), p.policy.CrossRegion) {
		rec, err := p.store.ExpectCopy(ctx, state.ExpectedCopy{
			SourceRecoveryPointARN: d.RecoveryPointARN, DestinationVaultARN: c.DestinationVaultARN,
			ResourceARN: d.ResourceARN, BackupJobID: d.BackupJobID, BackedUpAt: completed,
			Deadline: completed.Add(p.policy.CrossRegion.CopyDeadline.Duration),
		})
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// unanswered is the ERROR finding of each check a refused read left
// without an answer.
func unanswered(resource, resourceType string, err error, checks ...string) []notify.Finding {
	out := make([]notify.Finding, 0, len(checks))
	for _, c := range checks {
		out = append(out, Unanswered(c, resource, resourceType, err))
	}
	return out
}

func (p *Processor) copyJob(ctx context.Context, ev eventbridge.Event, d *eventbridge.CopyJobStateChange) (evaluation, error) {
	e := evaluation{attrs: []slog.Attr{slog.String("copy_job", d.CopyJobID), slog.String("resource", d.ResourceARN)}}
	srcRegion := d.SourceRegion()
	if srcRegion == "" {
		srcRegion = RegionOf(d.SourceRecoveryPointARN)
	}
	job := JobState{ID: d.CopyJobID, State: string(d.State), StatusMessage: d.StatusMessage, ResourceARN: d.ResourceARN,
		ResourceType: d.ResourceType, VaultARN: d.DestinationBackupVaultARN, SourceVaultARN: d.SourceBackupVaultARN,
		SourceRecoveryPointARN: d.SourceRecoveryPointARN, IAMRoleARN: d.IAMRoleARN}
	jobFinding, ended := CopyJobFailed(job)
	if !ended {
		e.decision = fmt.Sprintf("no-op: copy job %s is %s", orPlaceholder(d.CopyJobID, "of "+d.SourceRecoveryPointARN), d.State)
		return e, nil
	}
	destRegion := d.DestinationRegion()
	if d.ResourceARN == "" || d.SourceRecoveryPointARN == "" || destRegion == "" || VaultNameOf(d.DestinationBackupVaultARN) == "" || srcRegion == "" {
		return e, unprocessable(ev, "copy job %s %s without a resource, a source recovery point, a source region and a destination vault ARN", d.CopyJobID, d.State)
	}
	fs := []notify.Finding{jobFinding}
	e.decision = fmt.Sprintf("copy job %s %s to %s", d.CopyJobID, d.State, destRegion)

	// Act first: closing the expected copy is what the sweep relies on,
	// and it is idempotent.
	if CountsAsDR(srcRegion, d.DestinationBackupVaultARN, p.policy.CrossRegion) {
		status := state.CopyFailed
		if d.State == eventbridge.CopyJobCompleted {
			status = state.CopyCompleted
		}
		prev, changed, err := p.store.CloseCopy(ctx, d.SourceRecoveryPointARN, d.DestinationBackupVaultARN, status, d.CopyJobID, d.DestinationRecoveryPointARN)
		if err != nil {
			return e, err
		}
		fs = append(fs, CrossRegionCopyCompleted(state.ExpectedCopy{
			SourceRecoveryPointARN: d.SourceRecoveryPointARN, DestinationVaultARN: d.DestinationBackupVaultARN,
			ResourceARN: d.ResourceARN, Status: status, CopyJobID: d.CopyJobID,
			DestinationRecoveryPoint: d.DestinationRecoveryPointARN, Deadline: prev.Deadline,
		}, p.now()))
		if !changed && prev.Status != "" {
			e.decision += fmt.Sprintf(" (expected copy already %s)", prev.Status)
		}
	} else {
		e.decision += " (not a DR copy: same region or not a policy DR region)"
	}
	if d.State != eventbridge.CopyJobCompleted {
		e.findings = fs
		return e, nil
	}

	// The copy landed: check where, with clients for the destination region.
	var (
		vault  VaultState
		rp     RecoveryPointState
		readRP func() error
	)
	if d.DestinationRecoveryPointARN != "" {
		readRP = func() (err error) {
			rp, err = p.observe.RecoveryPoint(ctx, VaultNameOf(d.DestinationBackupVaultARN), d.DestinationRecoveryPointARN)
			return err
		}
	}
	errs := fetch(func() (err error) { vault, err = p.observe.Vault(ctx, d.DestinationBackupVaultARN); return err }, readRP)
	if err := settle(ev, errs...); err != nil {
		return e, err
	}
	vErr, rErr := errs[0], errs[1]
	if vErr != nil {
		fs = append(fs, Unanswered(CheckDestinationVaultLocked, d.DestinationBackupVaultARN, TypeBackupVault, vErr))
	} else {
		fs = append(fs, DestinationVaultLocked(vault, p.policy.VaultLock, p.now()))
	}
	switch {
	case readRP == nil:
		e.decision += "; the event names no destination recovery point"
	case rErr != nil:
		fs = append(fs, Unanswered(CheckDestinationRetention, d.DestinationRecoveryPointARN, TypeRecoveryPoint, rErr))
	default:
		var lock *VaultState
		if vErr == nil {
			lock = &vault
		}
		fs = append(fs, DestinationRetention(rp, lock, p.policy))
	}
	e.findings = fs
	return e, nil
}

func (p *Processor) recoveryPoint(ctx context.Context, ev eventbridge.Event, d *eventbridge.RecoveryPointStateChange) (evaluation, error) {
	e := evaluation{attrs: []slog.Attr{slog.String("recovery_point", d.RecoveryPointARN), slog.String("resource", d.ResourceARN)}}
	rp := RecoveryPointState{
		ARN: d.RecoveryPointARN, VaultARN: d.BackupVaultARN, VaultName: d.BackupVaultName,
		ResourceARN: d.ResourceARN, ResourceType: d.ResourceType, Status: string(d.Status), StatusMessage: d.StatusMessage,
		IsEncrypted: d.IsEncrypted, PlanID: d.CreatedBy.BackupPlanID, RuleID: d.CreatedBy.BackupRuleID,
	}
	if n := d.Lifecycle.DeleteAfterDays; n > 0 {
		rp.DeleteAfterDays = &n
	}
	if !d.DeleteAt.IsZero() {
		at := d.DeleteAt
		rp.DeleteAt = &at
	}
	region := RegionOf(rp.ARN)
	if region == "" {
		return e, unprocessable(ev, "recovery point %q is not an ARN", rp.ARN)
	}
	if rp.VaultARN == "" && rp.VaultName != "" {
		rp.VaultARN = vaultARNFor(rp.ARN, region, ev.Envelope.AccountID, rp.VaultName)
	}
	if rp.VaultName == "" {
		rp.VaultName = VaultNameOf(rp.VaultARN)
	}

	switch d.Status {
	case eventbridge.RecoveryPointStopped:
		e.findings = []notify.Finding{ContinuousBackupStopped(rp)}
		e.decision = "recovery point STOPPED"
		return e, nil
	case eventbridge.RecoveryPointCompleted, eventbridge.RecoveryPointAvailable, eventbridge.RecoveryPointPartial:
	default:
		e.decision = fmt.Sprintf("no-op: recovery point is %s", d.Status)
		return e, nil
	}
	if rp.VaultName == "" {
		return e, unprocessable(ev, "recovery point %s %s names no vault", rp.ARN, d.Status)
	}

	// The event carries the lifecycle and encryption; only the vault's
	// lock bounds need a read.
	vault, vErr := p.observe.Vault(ctx, rp.VaultARN)
	if err := settle(ev, vErr); err != nil {
		return e, err
	}
	var lock *VaultState
	if vErr == nil {
		lock = &vault
	}
	fs := []notify.Finding{RecoveryPointRetention(rp, lock, p.policy), RecoveryPointEncrypted(rp)}
	if rp.Continuous() && PITRKindOf(rp.ResourceARN, rp.ResourceType) == PITRS3 {
		s := PITRState{ResourceARN: rp.ResourceARN, ResourceType: ResourceType(rp.ResourceType, rp.ResourceARN), Kind: PITRS3}
		fs = append(fs, PITRChecks(PITRFromContinuousRecoveryPoint(s, rp), p.policy.PITR, p.now())...)
	}
	e.findings = fs
	e.decision = fmt.Sprintf("recovery point %s", d.Status)
	return e, nil
}

func (p *Processor) vault(ctx context.Context, ev eventbridge.Event, d *eventbridge.BackupVaultStateChange) (evaluation, error) {
	arn := d.BackupVaultARN
	if arn == "" {
		arn = vaultARNFor("", ev.Envelope.Region, ev.Envelope.AccountID, d.BackupVaultName)
	}
	e := evaluation{attrs: []slog.Attr{slog.String("vault", arn)}}
	if VaultNameOf(arn) == "" {
		return e, unprocessable(ev, "vault %q is not a backup vault ARN", arn)
	}
	switch d.State {
	case eventbridge.VaultDeleted:
		e.findings = []notify.Finding{VaultDeleted(arn)}
		e.decision = "vault DELETED"
		return e, nil
	case eventbridge.VaultCreated, eventbridge.VaultModified:
	default:
		e.decision = fmt.Sprintf("no-op: vault is %s", d.State)
		return e, nil
	}
	v, err := p.observe.Vault(ctx, arn)
	if serr := settle(ev, err); serr != nil {
		return e, serr
	}
	switch {
	case err != nil:
		e.findings = unanswered(arn, TypeBackupVault, err, CheckVaultLockPresent, CheckVaultLockImmutable, CheckVaultLockRetention)
	default:
		e.findings = VaultChecks(v, p.policy.VaultLock, p.now())
	}
	e.decision = fmt.Sprintf("vault %s", d.State)
	return e, nil
}
