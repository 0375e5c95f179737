package compliance

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
	"github.com/selfheal/selfheal/shared/telemetry"
)

// restoreJob handles a Restore Job State Change. Only jobs a restore
// testing plan started are restore tests; when one ends it is judged:
//
//   - FAILED or ABORTED: the test failed, with the job's reason;
//   - COMPLETED: what it restored is validated with read-only calls (at
//     once with the protected resource's tags, which may set its targets),
//     the result put to AWS Backup (PutRestoreValidationResult; not in
//     dry-run), and the recovery time (job created → completed, as
//     validated) and point (restored recovery point made → job created)
//     measured against their targets. A job someone already validated keeps that result, and one
//     whose validation window ended unvalidated (TIMED_OUT) failed.
//
// Each test is recorded once in the state table (a redelivery reports the
// first measurements) and reported about the protected resource, with an
// EMF record of its RTO and RPO per resource.
func (p *Processor) restoreJob(ctx context.Context, ev eventbridge.Event, d *eventbridge.RestoreJobStateChange) (evaluation, error) {
	e := evaluation{attrs: []slog.Attr{slog.String("restore_job", d.RestoreJobID)}}
	if !d.Status.Ended() {
		e.decision = fmt.Sprintf("no-op: restore job %s is %s", d.RestoreJobID, d.Status)
		return e, nil
	}
	region := ev.Envelope.Region
	job, err := p.observe.RestoreJob(ctx, region, d.RestoreJobID)
	if serr := settle(ev, err); serr != nil {
		return e, serr
	}
	if err != nil {
		// Refused: judge what the event says; a restore test's job
		// cannot be validated without reading it.
		job = RestoreJobState{ID: d.RestoreJobID}
	}
	gone := job.NotFound
	job = withEvent(job, d)
	if gone {
		// AWS Backup no longer describes it: the event says the rest, but
		// not when the restored recovery point was made.
		e.attrs = append(e.attrs, slog.Bool("job_unknown", true))
	}
	if job.TestingPlanARN == "" {
		e.decision = fmt.Sprintf("no-op: restore job %s %s was not started by a restore testing plan", job.ID, job.Status)
		return e, nil
	}
	if job.SourceResourceARN == "" && job.RecoveryPointARN != "" && VaultNameOf(job.VaultARN) != "" {
		// Older answers name no source: the recovery point does.
		rp, rerr := p.observe.RecoveryPoint(ctx, VaultNameOf(job.VaultARN), job.RecoveryPointARN)
		if serr := settle(ev, rerr); serr != nil {
			return e, serr
		}
		job.SourceResourceARN = rp.ResourceARN
	}
	if job.SourceResourceARN == "" {
		return e, unprocessable(ev, "restore test %s names no protected resource", job.ID)
	}
	e.attrs = append(e.attrs, slog.String("resource", job.SourceResourceARN), slog.String("restored", job.CreatedResourceARN))
	if err != nil {
		e.findings = []notify.Finding{about(Unanswered(CheckRestoreTestFailed, job.SourceResourceARN, ResourceType(job.ResourceType, job.SourceResourceARN), err), job.SourceResourceARN, job.ResourceType)}
		e.decision = fmt.Sprintf("restore test %s %s: the job could not be read", job.ID, job.Status)
		return e, nil
	}

	test, targets, validated, err := p.judgeRestore(ctx, ev, job)
	if err != nil {
		return e, err
	}
	rec, first, err := p.store.RecordRestoreTest(ctx, test)
	if err != nil {
		return e, err
	}
	e.decision = fmt.Sprintf("restore test %s of %s %s: %s", job.ID, protectedName(job.SourceResourceARN), outcomeWord(rec.Succeeded), rec.Message)
	if !first {
		e.decision += " (recorded before)"
	}

	// Act: tell AWS Backup, from the record, so that a retry puts what was
	// first decided.
	if validated {
		switch {
		case gone:
			e.decision += "; AWS Backup no longer knows the job: no validation result put"
		case p.policy.DryRun:
			e.actions++
			e.decision += "; dry run: validation result not put"
		default:
			err := p.observe.PutValidation(ctx, region, job.ID, rec.Succeeded, rec.Message)
			switch {
			// Refused for good: no permission, or the job no longer
			// takes one (its window timed out meanwhile).
			case IsDenied(err) || IsNotFound(err) || errorCode(err) == "InvalidRequestException":
				e.decision += "; validation result not accepted: " + errorCode(err)
			case err != nil:
				return e, err // the retry finds the record and puts it again
			default:
				e.actions++
				e.decision += "; validation result put: " + outcomeWord(rec.Succeeded)
			}
		}
	}

	e.findings = []notify.Finding{RestoreTestFailed(rec)}
	if rec.Succeeded {
		e.findings = append(e.findings, RestoreRTO(rec, targets.RTOFrom), RestoreRPO(rec, targets.RPOFrom))
		e.decision += fmt.Sprintf("; RTO %s, RPO %s", roughSpan(rec.RTO), roughSpan(rec.RPO))
	}
	if len(targets.Problems) > 0 {
		for i := range e.findings {
			e.findings[i].Observed["targetProblem"] = strings.Join(targets.Problems, "; ")
		}
	}
	if first {
		p.restoreMetrics(rec)
	}
	return e, nil
}

// withEvent fills what DescribeRestoreJob did not say from the event.
func withEvent(j RestoreJobState, d *eventbridge.RestoreJobStateChange) RestoreJobState {
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&j.Status, string(d.Status))
	fill(&j.StatusMessage, d.StatusMessage)
	fill(&j.RecoveryPointARN, d.RecoveryPointARN)
	fill(&j.VaultARN, d.BackupVaultARN)
	fill(&j.SourceResourceARN, d.SourceResourceARN)
	fill(&j.CreatedResourceARN, d.CreatedResourceARN)
	fill(&j.ResourceType, d.ResourceType)
	fill(&j.TestingPlanARN, d.RestoreTestingPlanARN)
	if j.Created.IsZero() {
		j.Created = d.CreationDate
	}
	if j.Completed.IsZero() {
		j.Completed = d.CompletionDate
	}
	if j.BackupSizeInBytes == 0 {
		j.BackupSizeInBytes = d.BackupSizeInBytes
	}
	return j
}

func outcomeWord(ok bool) string {
	if ok {
		return "SUCCESSFUL"
	}
	return "FAILED"
}

// judgeRestore decides a restore test from its job and, for a completed
// one, from what it restored. validated says selfheal validated it (and
// has a result to put).
func (p *Processor) judgeRestore(ctx context.Context, ev eventbridge.Event, job RestoreJobState) (state.RestoreTest, RecoveryTargets, bool, error) {
	now := p.now()
	t := state.RestoreTest{
		ResourceARN: job.SourceResourceARN, ResourceType: ResourceType(job.ResourceType, job.SourceResourceARN),
		RestoreJobID: job.ID, RecoveryPointARN: job.RecoveryPointARN, CreatedResourceARN: job.CreatedResourceARN,
		JobCreated: job.Created, RecoveryPointCreated: job.RecoveryPointCreated, At: job.Completed,
	}
	if t.At.IsZero() {
		// A failed job has no completion date: its event's time is when
		// it ended, the same on every delivery.
		t.At = ev.Envelope.Time
	}
	if job.Status != "COMPLETED" {
		t.Message = fmt.Sprintf("restore job %s", job.Status)
		if job.StatusMessage != "" {
			t.Message += ": " + job.StatusMessage
		}
		return t, RecoveryTargets{}, false, nil
	}

	var (
		targets  RecoveryTargets
		restored RestoredState
		validate func() error
	)
	switch job.ValidationStatus {
	case ValidationSuccessful, ValidationFailed:
		t.Succeeded = job.ValidationStatus == ValidationSuccessful
		t.Message = orPlaceholder(job.ValidationMessage, "validated "+job.ValidationStatus+" before selfheal did")
	case ValidationTimedOut:
		t.Message = "the validation window ended before the restored resource was validated (TIMED_OUT)"
	default:
		kind := RestoredKindOf(job.CreatedResourceARN, job.ResourceType)
		validate = func() (err error) {
			if kind == RestoredByJobOnly || job.CreatedResourceARN == "" {
				restored = RestoredState{ARN: job.CreatedResourceARN, Kind: RestoredByJobOnly}
				return nil
			}
			restored, err = p.observe.Restored(ctx, job.CreatedResourceARN, kind)
			return err
		}
	}
	var tags map[string]string
	errs := fetch(validate, func() (err error) {
		tags, err = p.observe.Tags(ctx, job.SourceResourceARN, job.ResourceType)
		return err
	})
	if err := settle(ev, errs...); err != nil {
		return t, targets, false, err
	}
	vErr, tErr := errs[0], errs[1]
	targets = TargetsFor(tags, p.policy.Recovery)
	if tErr != nil {
		targets.Problems = append(targets.Problems, "tags not read ("+errorCode(tErr)+"): the policy's targets apply")
	}
	if validate != nil {
		switch {
		case vErr != nil:
			t.Message = fmt.Sprintf("the restored resource could not be read (%s): allow the function to read %s", errorCode(vErr), job.CreatedResourceARN)
		default:
			t.Succeeded, t.Message = ValidateRestore(job, restored)
		}
		t.ValidatedAt = now
	}
	t.RTOTarget, t.RPOTarget = targets.RTO, targets.RPO
	if t.Succeeded {
		// Recovered when the restore job completed with what the
		// validation found usable. The validation's own moment is not the
		// mark: AWS Backup's events reach EventBridge within minutes, and
		// a retried delivery later still, so it would measure selfheal's
		// delivery, not the recovery (ValidatedAt is recorded beside).
		t.RTO = nonNegative(job.Completed.Sub(job.Created))
		if !job.RecoveryPointCreated.IsZero() {
			t.RPO = nonNegative(job.Created.Sub(job.RecoveryPointCreated))
		}
	}
	return t, targets, validate != nil, nil
}

func nonNegative(d time.Duration) time.Duration { return max(d, 0) }

// restoreMetrics writes one EMF record per restore test, dimensioned by
// the protected resource, so that the trend of its RTO and RPO can be
// graphed and alarmed on.
func (p *Processor) restoreMetrics(t state.RestoreTest) {
	if p.metricsOut == nil {
		return
	}
	m := telemetry.NewMetrics(p.metricsOut, p.now, map[string]string{
		"Function": p.function, "ResourceType": t.ResourceType, "Resource": protectedName(t.ResourceARN),
	})
	m.Add("RestoreTestSucceeded", boolMetric(t.Succeeded), telemetry.UnitCount)
	if t.Succeeded {
		m.Add("RestoreRTO", t.RTO.Seconds(), telemetry.UnitSeconds)
		m.Add("RestoreRPO", t.RPO.Seconds(), telemetry.UnitSeconds)
	}
	_ = m.Flush() // best effort: the finding and the log line have the figures
}

func boolMetric(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
