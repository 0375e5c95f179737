package compliance_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

// An RDS database whose automated backups are off cannot be restored to a
// point in time, whatever AWS Backup keeps.
func TestRDSWithoutAutomatedBackupsFailsPITR(t *testing.T) {
	h := newHarness(t, config.DefaultPolicy(), awssim.WithTick(time.Minute))
	db := createDB(t, h.sim, "payments", "postgres", 0)
	h.vault("us-east-1", "prod-vault", compliance3)
	dr := h.vault("us-west-2", "dr-vault", compliance3)
	h.settleLocks()
	h.plan(planSpec{vault: "prod-vault", copyTo: []string{dr}, resources: []string{db}})
	h.runBackups()
	h.deliverAll()
	want := map[string]notify.Status{compliance.CheckPITREnabled + " " + db: notify.StatusFail}
	if diff := cmp.Diff(want, h.failing()); diff != "" {
		t.Errorf("failing checks (-want +got):\n%s", diff)
	}
}

// A continuous backup that stops is reported at once on the protected
// database.
func TestStoppedContinuousBackupFailsPITR(t *testing.T) {
	h := newHarness(t, config.DefaultPolicy(), awssim.WithTick(time.Minute))
	db := createDB(t, h.sim, "payments", "postgres", 7)
	h.vault("us-east-1", "prod-vault", compliance3)
	h.settleLocks()
	h.plan(planSpec{vault: "prod-vault", continuous: true, resources: []string{db}, retention: 14})
	h.runBackups()
	h.deliverAll()
	var continuous string
	for _, c := range h.sim.Calls() {
		if out, ok := c.Output.(*backup.DescribeRecoveryPointOutput); ok && compliance.IsContinuousRecoveryPoint(aws.ToString(out.RecoveryPointArn)) {
			continuous = aws.ToString(out.RecoveryPointArn)
		}
	}
	if continuous == "" {
		t.Fatal("the function never read a continuous recovery point")
	}
	if err := h.sim.StopContinuousBackup(continuous, ""); err != nil {
		t.Fatal(err)
	}
	h.deliverAll()
	got := h.failing()
	if got[compliance.CheckPITREnabled+" "+db] != notify.StatusFail {
		t.Errorf("failing checks %v, want %s FAIL on %s", got, compliance.CheckPITREnabled, db)
	}
	mentions(t, "e-mail", h.published()[len(h.published())-1].Email, "continuous backup stopped", "permissions")
}

// S3's point-in-time recovery is its continuous recovery point: a
// completed continuous job says it all, with no extra read.
func TestS3ContinuousBackupPassesPITR(t *testing.T) {
	p := config.DefaultPolicy()
	p.Notify.NotifyPass = true
	h := newHarness(t, p, awssim.WithTick(time.Minute))
	bucket := "arn:aws:s3:::media"
	h.vault("us-east-1", "prod-vault", compliance3)
	dr := h.vault("us-west-2", "dr-vault", compliance3)
	h.settleLocks()
	h.plan(planSpec{vault: "prod-vault", continuous: true, copyTo: []string{dr}, resources: []string{bucket}})
	h.runBackups()
	h.deliverAll()
	got := statuses(nil, "")
	for _, m := range h.published() {
		for k, v := range statuses(m.Doc.Findings, bucket) {
			got[k] = v
		}
	}
	want := map[string]notify.Status{
		compliance.CheckBackupJobFailed: notify.StatusPass, compliance.CheckCopyJobFailed: notify.StatusPass,
		compliance.CheckPITREnabled: notify.StatusPass, compliance.CheckPITRWindow: notify.StatusPass,
		compliance.CheckPITRFreshness: notify.StatusNotApplicable,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings about the bucket (-want +got):\n%s", diff)
	}
	for _, c := range h.sim.Calls() {
		if c.Operation == "ListRecoveryPointsByResource" {
			t.Errorf("listed the bucket's recovery points although the job named its continuous one")
		}
	}
}

// A copy that never starts sends nothing from the event path, but is
// recorded with its deadline, so the sweep fails it exactly then; a copy
// that completes closes its record.
func TestExpectedCopiesAreRecordedForTheSweep(t *testing.T) {
	for _, neverStarts := range []bool{true, false} {
		s := healthy()
		if neverStarts {
			s.before = func(h *harness) {
				if _, err := h.sim.InjectCopyJobFault(awssim.CopyJobFault{Mode: awssim.CopyNeverStart}); err != nil {
					h.t.Fatal(err)
				}
			}
		}
		r := s.run(t)
		if f := r.h.failing(); len(f) != 0 {
			t.Errorf("never starts %v: failing %v before any deadline", neverStarts, f)
		}
		store := r.h.env.Deps("probe", nil).Store
		rp, _ := r.recoveryPoints(t)
		var completed time.Time
		for _, c := range r.h.sim.Calls() {
			if out, ok := c.Output.(*backup.DescribeRecoveryPointOutput); ok && aws.ToString(out.RecoveryPointArn) == rp {
				completed = aws.ToTime(out.CompletionDate)
			}
		}
		deadline := completed.Add(24 * time.Hour)
		r.h.sim.AdvanceTo(deadline)
		if overdue, _ := store.OverdueCopies(r.h.ctx); len(overdue) != 0 {
			t.Errorf("never starts %v: %d copies overdue at the deadline itself", neverStarts, len(overdue))
		}
		r.h.sim.Advance(time.Minute)
		overdue, err := store.OverdueCopies(r.h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !neverStarts {
			if len(overdue) != 0 {
				t.Errorf("a completed copy is overdue: %+v", overdue)
			}
			continue
		}
		if len(overdue) != 1 {
			t.Fatalf("%d overdue copies, want the one that never started", len(overdue))
		}
		got := overdue[0]
		if got.SourceRecoveryPointARN != rp || got.DestinationVaultARN != r.drVault || got.ResourceARN != r.table || !got.Deadline.Equal(deadline) {
			t.Errorf("overdue copy %+v, want %s → %s for %s due %s", got, rp, r.drVault, r.table, deadline)
		}
		f := compliance.CrossRegionCopyCompleted(got, r.h.sim.Now())
		if f.Status != notify.StatusFail || f.Resource != rp {
			t.Errorf("the sweep's finding: %s on %s (%s), want FAIL on the source recovery point", f.Status, f.Resource, f.Summary)
		}
	}
}

// Every event delivered three times, interleaved with the others, sends
// what one delivery sends.
func TestDuplicateDeliveriesNotifyOnce(t *testing.T) {
	s := healthy()
	s.dr = unlocked
	s.pitrDays = 3
	once := s.run(t)
	want := len(once.h.published())
	if want == 0 {
		t.Fatal("the scenario sends nothing; it cannot show duplicates")
	}

	r := s.setup(t)
	h := r.h
	ds := h.pending()
	for i, d := range ds {
		h.mustDeliver(d.Raw)
		if i > 0 {
			h.mustDeliver(ds[i-1].Raw)
		}
	}
	for _, d := range ds {
		h.mustDeliver(d.Raw)
	}
	if got := len(h.published()); got != want {
		t.Errorf("%d notifications for %d events delivered three times, want %d", got, len(ds), want)
	}
}

// Throttling on 30 % of Backup calls changes nothing the user sees: the SDK
// retries, and an event that still fails is retried as Lambda would.
func TestBackupThrottlingGivesTheSameFindings(t *testing.T) {
	s := healthy()
	s.dr = unlocked
	s.pitrDays = 3
	s.policy = func(p *config.Policy) { p.Notify.NotifyPass = true }
	clean := s.run(t)

	throttled := s.setup(t)
	before := throttled.h.sim.CallCount()
	// Injected now, the fault bites the function's reads, not the setup.
	throttled.h.sim.InjectFault(awssim.Fault{Service: awssim.ServiceBackup, Code: "ThrottlingException", Probability: 0.3})
	throttled.delivered = throttled.h.deliverAll()
	throttles := 0
	for _, c := range throttled.h.sim.CallsSince(before) {
		if c.Service == awssim.ServiceBackup && c.Err != nil {
			throttles++
		}
	}
	if throttles == 0 {
		t.Fatal("no Backup call was throttled")
	}
	if diff := cmp.Diff(clean.h.findings(), throttled.h.findings()); diff != "" {
		t.Errorf("findings with throttling (-clean +throttled):\n%s", diff)
	}
}

// A check AWS refuses to answer is an ERROR saying which permission is
// missing; the other checks of the event are still evaluated.
func TestAccessDeniedIsAnErrorFindingNotARetry(t *testing.T) {
	s := healthy()
	s.policy = func(p *config.Policy) { p.Notify.NotifyPass = true }
	s.before = func(h *harness) {
		h.sim.InjectFault(awssim.Fault{Service: awssim.ServiceBackup, Operation: "DescribeBackupVault", Region: "us-west-2",
			Code: "AccessDeniedException", Probability: 1})
	}
	r := s.run(t)
	_, destRP := r.recoveryPoints(t)
	got := r.h.findings()
	if st := got[compliance.CheckDestinationVaultLocked+" "+r.drVault]; st != notify.StatusError {
		t.Errorf("%s is %s, want ERROR", compliance.CheckDestinationVaultLocked, st)
	}
	if st := got[compliance.CheckDestinationRetention+" "+destRP]; st != notify.StatusPass {
		t.Errorf("%s is %s, want PASS: the other checks still run", compliance.CheckDestinationRetention, st)
	}
	for _, m := range r.h.published() {
		for _, f := range m.Doc.Findings {
			if f.Status == notify.StatusError {
				mentions(t, "remediation", f.Remediation, "allow backup:DescribeBackupVault on "+r.drVault)
			}
		}
	}
	if l := r.h.lastLog(); l.Status != "processed" {
		t.Errorf("last event %s (%s), want processed", l.Status, l.Error)
	}
}
