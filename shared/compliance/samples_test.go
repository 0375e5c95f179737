package compliance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

// sampleAccount is the account the catalogue's story happens in, as far as
// the sim can rebuild it: the table orders with 35 days of PITR, prod-vault
// and the DR vault dr-vault (us-west-2) locked in compliance mode for 7 to
// 365 days. What the sim cannot rebuild (recovery points, plan and copy ids
// AWS made, the database payments, audit-vault) is absent, which the
// function reads as deleted since the event.
func sampleAccount(t testing.TB, p config.Policy) *harness {
	t.Helper()
	h := newHarness(t, p, awssim.WithTick(time.Minute), awssim.WithStart(time.Date(2026, 2, 25, 0, 0, 0, 0, time.UTC)))
	createTable(t, h.sim, "orders", 35)
	h.vault("us-east-1", "prod-vault", compliance3)
	h.vault("us-west-2", "dr-vault", compliance3)
	h.settleLocks()
	return h
}

// Every sample event of the catalogue, through the real handler: the
// outcome each one must have.
func TestEverySampleEvent(t *testing.T) {
	P, F, W, N := notify.StatusPass, notify.StatusFail, notify.StatusWarn, notify.StatusNotApplicable
	deletedPlan := map[string]notify.Status{
		compliance.CheckCrossRegionCopyConfigured: N, compliance.CheckPlanMinFrequencyAndRetention: N, compliance.CheckBackupPlanDeleted: W,
	}
	want := map[string]map[string]notify.Status{
		"backup-job-state-change--completed.json": {
			compliance.CheckBackupJobFailed:  P,
			compliance.CheckVaultLockPresent: P, compliance.CheckVaultLockImmutable: P, compliance.CheckVaultLockRetention: P,
			// The sample's recovery point is not in the sim: deleted since the job.
			compliance.CheckRecoveryPointRetention: W, compliance.CheckRecoveryPointEncrypted: N,
			compliance.CheckPITREnabled: P, compliance.CheckPITRWindow: P, compliance.CheckPITRFreshness: P,
			// Nor is its plan: deleted since the job.
			compliance.CheckCrossRegionCopyConfigured: N,
		},
		"backup-job-state-change--aborted.json": {compliance.CheckBackupJobFailed: F},
		"backup-job-state-change--expired.json": {compliance.CheckBackupJobFailed: F},
		"backup-job-state-change--failed.json":  {compliance.CheckBackupJobFailed: F},
		// audit-vault does not exist in the sim: deleted since it was created.
		"backup-vault-state-change--created.json": {compliance.CheckVaultLockPresent: N, compliance.CheckVaultLockImmutable: N, compliance.CheckVaultLockRetention: N},
		"backup-vault-state-change--deleted.json": {compliance.CheckVaultDeleted: W},
		"backup-vault-state-change--modified-locked.json": {
			compliance.CheckVaultLockPresent: P, compliance.CheckVaultLockImmutable: P, compliance.CheckVaultLockRetention: P,
		},
		"copy-job-state-change--completed.json": {
			compliance.CheckCopyJobFailed: P, compliance.CheckCrossRegionCopyCompleted: P, compliance.CheckDestinationVaultLocked: P,
			// The copy's recovery point is not in the sim.
			compliance.CheckDestinationRetention: W,
		},
		"copy-job-state-change--failed.json":                   {compliance.CheckCopyJobFailed: F, compliance.CheckCrossRegionCopyCompleted: F},
		"recovery-point-state-change--completed.json":          {compliance.CheckRecoveryPointRetention: P, compliance.CheckRecoveryPointEncrypted: P},
		"recovery-point-state-change--continuous-stopped.json": {compliance.CheckPITREnabled: F},
		// The story's plan is not in the sim: deleted since, and what it
		// protected cannot be read.
		"backup-plan-state-change--created.json":  deletedPlan,
		"backup-plan-state-change--modified.json": deletedPlan,
		"backup-plan-state-change--deleted.json":  deletedPlan,
		// Restore jobs in progress are no-ops.
		"restore-job-state-change--created.json": {}, "restore-job-state-change--pending.json": {}, "restore-job-state-change--running.json": {},
		// The restore tests failed, or restored what the sim does not have
		// (deleted before validation); the time of their recovery point is
		// unknown to an account that has no such job.
		"restore-job-state-change--completed.json":     {compliance.CheckRestoreTestFailed: F},
		"restore-job-state-change--completed-rds.json": {compliance.CheckRestoreTestFailed: F},
		"restore-job-state-change--failed.json":        {compliance.CheckRestoreTestFailed: F},
		"restore-job-state-change--aborted.json":       {compliance.CheckRestoreTestFailed: F},
		// payments is not in the sim: deleted since.
		"rds-db-instance-event--backups-disabled.json": {compliance.CheckPITREnabled: N, compliance.CheckPITRWindow: N},
		"rds-db-instance-event--backups-enabled.json":  {compliance.CheckPITREnabled: N, compliance.CheckPITRWindow: N},
		"rds-db-instance-event--stopped.json":          {},
	}
	samples, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, s := range samples {
		name, ok := strings.CutPrefix(s.Path, "aws.backup/")
		if !ok {
			name, ok = strings.CutPrefix(s.Path, "aws.rds/")
		}
		if !ok {
			continue
		}
		seen++
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("no expected outcome for %s: add one", s.Path)
			}
			p := config.DefaultPolicy()
			p.Notify.NotifyPass = true // to see every finding
			h := sampleAccount(t, p)
			h.mustDeliver(s.JSON)
			if l := h.lastLog(); l.Status != "processed" || l.Findings != len(w) {
				t.Errorf("logged %s with %d findings (%s), want processed with %d", l.Status, l.Findings, l.Decision, len(w))
			}
			msgs := h.published()
			if len(w) == 0 {
				if len(msgs) != 0 {
					t.Errorf("%d notifications about a no-op", len(msgs))
				}
				return
			}
			if len(msgs) != 1 {
				t.Fatalf("%d notifications, want 1", len(msgs))
			}
			if diff := cmp.Diff(w, statuses(msgs[0].Doc.Findings, "")); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if q := h.quarantined(); len(q) != 0 {
				t.Errorf("quarantined %q", q)
			}
			for _, f := range msgs[0].Doc.Findings {
				if f.Account != account || f.Region == "" || f.ResourceType == "" || f.Resource == "" || f.Summary == "" || len(f.Observed) == 0 {
					t.Errorf("%s finding lacks where, what or why: %+v", f.Check, f)
				}
				// People triage by what they own: a finding about a
				// recovery point or a job names the resource it protects.
				aboutBackup := f.ResourceType == compliance.TypeRecoveryPoint ||
					f.Check == compliance.CheckBackupJobFailed || f.Check == compliance.CheckCopyJobFailed ||
					f.Check == compliance.CheckRestoreTestFailed
				if p := f.ProtectedResource; aboutBackup && (p == nil || p.ARN == "" || p.Name == "" || p.Type == "") {
					t.Errorf("%s finding on %s does not name the protected resource: %+v", f.Check, f.Resource, p)
				}
			}
		})
	}
	if seen != len(want) {
		t.Errorf("%d aws.backup and aws.rds samples, %d expected outcomes", seen, len(want))
	}
}
