package sweep_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

// copyAccount is a table backed up daily at 05:00 into a locked vault,
// with a copy to a locked vault in the DR region; fault decides what
// happens to the first copy. It returns the harness once the first backup
// completed and backup-compliance recorded the copy it expects, and that
// backup's recovery point.
func copyAccount(t *testing.T, fault awssim.CopyJobFault) (*harness, string) {
	t.Helper()
	return copyAccountWith(t, config.DefaultPolicy(), fault)
}

// copyAccountWith is copyAccount under policy p.
func copyAccountWith(t *testing.T, p config.Policy, fault awssim.CopyJobFault) (*harness, string) {
	t.Helper()
	h := newHarness(t, p, nil)
	h.vault(home, "prod", &lockSpec{min: 7, max: 365, compliance: true})
	drVault := h.vault(dr, "dr", &lockSpec{min: 7, max: 365, compliance: true})
	orders := h.table(home, "orders")
	h.pitr(home, "orders", 35)
	h.plan(home, "daily", ruleSpec{name: "daily", vault: "prod", schedule: "cron(0 5 ? * * *)", keep: 35, copyTo: drVault}, orders)
	fault.ResourceArn = orders
	if _, err := h.sim.InjectCopyJobFault(fault); err != nil {
		t.Fatal(err)
	}
	h.sim.AdvanceTo(time.Date(2026, 11, 2, 5, 5, 0, 0, time.UTC))
	h.deliver()
	out, err := h.backupClient(home).ListRecoveryPointsByBackupVault(bg, &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String("prod")})
	if err != nil || len(out.RecoveryPoints) != 1 {
		t.Fatalf("recovery points of the first backup: %v, %v", out, err)
	}
	return h, aws.ToString(out.RecoveryPoints[0].RecoveryPointArn)
}

// copyFindings lists the sweep's CROSS_REGION_COPY_COMPLETED findings
// about rp, in every message it published.
func copyFindings(h *harness, rp string) []notify.Finding {
	var out []notify.Finding
	for _, s := range h.published() {
		for _, f := range s.Doc.Findings {
			if f.Check == compliance.CheckCrossRegionCopyCompleted && f.Resource == rp {
				out = append(out, f)
			}
		}
	}
	return out
}

// A copy that never starts emits no event: only the sweep can see it. It
// fails once its deadline has passed, exactly once however many runs see
// it.
func TestCopyThatNeverStartsFailsOnceAfterItsDeadline(t *testing.T) {
	h, rp := copyAccount(t, awssim.CopyJobFault{Mode: awssim.CopyNeverStart})

	h.mustRun() // before the deadline: pending, nothing to say
	if fs := copyFindings(h, rp); len(fs) != 0 {
		t.Fatalf("a copy still within its deadline was reported: %+v", fs)
	}

	h.sim.Advance(25 * time.Hour) // past the 24h deadline
	h.mustRun()
	h.mustRun()
	h.mustRun()

	fs := copyFindings(h, rp)
	if len(fs) != 1 {
		t.Fatalf("the overdue copy was reported %d times, want once: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.Status != notify.StatusFail || f.Severity != notify.SeverityHigh || !strings.Contains(f.Summary, "copy to us-west-2 not completed 24h after the backup") {
		t.Errorf("overdue copy reported as %s %s: %s", f.Status, f.Severity, f.Summary)
	}
	if !strings.Contains(f.Remediation, "aws backup start-copy-job --recovery-point-arn "+rp) {
		t.Errorf("remediation %q does not copy the recovery point", f.Remediation)
	}
	ds := h.digests()
	if got := ds[1].Doc.Digest.Counts[compliance.CheckCrossRegionCopyCompleted][notify.StatusFail]; got != 1 {
		t.Errorf("the run that found it counts %d overdue copies", got)
	}
	if w := ds[1].Doc.Digest.Worst; len(w) == 0 || w[0].Check != compliance.CheckCrossRegionCopyCompleted {
		t.Errorf("the overdue copy is not the worst news of its digest: %+v", w)
	}
	// Later runs say nothing new, but the copy is still missing: every
	// digest counts it open, and none reads all clear.
	for i, d := range ds[1:] {
		dg := d.Doc.Digest
		if dg.OpenCounts[notify.StatusFail] != 1 || len(dg.Open) == 0 || dg.Open[0].Check != compliance.CheckCrossRegionCopyCompleted || dg.Open[0].Resource != rp {
			t.Errorf("digest %d after the deadline: open %v %+v, want the missing copy open first", i+2, dg.OpenCounts, dg.Open)
		}
		if i > 0 && len(dg.New) != 0 {
			t.Errorf("digest %d calls the missing copy new again: %+v", i+2, dg.New)
		}
		if strings.Contains(d.Subject, "all clear") {
			t.Errorf("digest %d reads all clear while the copy is missing: %q", i+2, d.Subject)
		}
	}
	if got := h.recorded(rp)[compliance.CheckCrossRegionCopyCompleted]; got != notify.StatusFail {
		t.Errorf("the state table remembers the copy as %q", got)
	}
}

// A copy that lands after its deadline but before the sweep looks is
// closed by its copy job's event: no failure.
func TestCopyThatLandsLateBeforeTheSweepIsNotReported(t *testing.T) {
	h, rp := copyAccount(t, awssim.CopyJobFault{Mode: awssim.CopyDelay, Delay: 25 * time.Hour})

	h.sim.Advance(26 * time.Hour) // the copy landed at about 25h16m
	h.deliver()
	h.mustRun()

	if fs := copyFindings(h, rp); len(fs) != 0 {
		t.Errorf("a copy that landed was reported: %+v", fs)
	}
	if n := h.lastDigest().Counts[compliance.CheckCrossRegionCopyCompleted]; len(n) != 0 {
		t.Errorf("the digest counts copies: %v", n)
	}
}
