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

// fourHourCopies is a policy whose copies are due 4 hours after their
// backup, with locks already past their grace time so that the missing
// copy is the account's only problem.
func fourHourCopies() config.Policy {
	p := config.DefaultPolicy()
	p.CrossRegion.CopyDeadline.Duration = 4 * time.Hour
	return p
}

// openOf finds the digest's open failure of check on resource.
func openOf(d notify.Digest, check, resource string) (notify.OpenFailure, bool) {
	for _, o := range d.Open {
		if o.Check == check && o.Resource == resource {
			return o, true
		}
	}
	return notify.OpenFailure{}, false
}

// The seed's story, swept hourly for 12 hours: a cross-region copy never
// starts. It is notified once, when its deadline has passed, and from
// then on every digest counts it open, naming the table it protects, when
// it turned bad and how often it was notified. No digest reads all clear
// while it is missing.
func TestMissingCopyStaysOpenInEveryDigest(t *testing.T) {
	h, rp := copyAccountWith(t, fourHourCopies(), awssim.CopyJobFault{Mode: awssim.CopyNeverStart})
	backedUp := h.sim.Now()
	var failedAt time.Time
	for hour := 1; hour <= 12; hour++ {
		h.sim.AdvanceTo(backedUp.Add(time.Duration(hour) * time.Hour))
		h.deliver()
		h.mustRun()
		ds := h.digests()
		last := ds[len(ds)-1]
		d := *last.Doc.Digest
		o, open := openOf(d, compliance.CheckCrossRegionCopyCompleted, rp)
		switch {
		case hour < 4 && open:
			t.Errorf("hour %d, before the deadline: the copy is already open", hour)
			continue
		case hour <= 4:
			continue // the deadline falls within the fourth hour
		}
		if !open {
			t.Fatalf("hour %d: the missing copy is not open in the digest %q: %+v", hour, last.Subject, d.Open)
		}
		if failedAt.IsZero() {
			failedAt = o.First
		}
		if !o.First.Equal(failedAt) || o.Notified != 1 || o.Status != notify.StatusFail {
			t.Errorf("hour %d: open failure %+v; want FAIL since %v, notified once", hour, o, failedAt)
		}
		if p := o.ProtectedResource; p == nil || p.Name != "orders" {
			t.Errorf("hour %d: the open failure does not name the table: %+v", hour, p)
		}
		// The vaults are locked in compliance mode, still in their grace
		// time: three WARNs open too (both vaults, and the DR vault as the
		// plan's copy destination, checked when the plan was created).
		if strings.Contains(last.Subject, "all clear") || !strings.Contains(last.Subject, ": 1 FAIL, 3 WARN open") || last.Doc.Status != notify.StatusFail {
			t.Errorf("hour %d: digest %q (status %s) while the copy is missing", hour, last.Subject, last.Doc.Status)
		}
		if !strings.Contains(last.Email, "DynamoDB table orders: copy to us-west-2 not completed 4h after the backup (since") ||
			!strings.Contains(last.Email, "notified once") {
			t.Errorf("hour %d: the e-mail does not list the open failure:\n%s", hour, last.Email)
		}
		if hour > 5 && len(d.New) != 0 {
			t.Errorf("hour %d: new %+v; nothing is new after the first report", hour, d.New)
		}
	}
	if fs := copyFindings(h, rp); len(fs) != 1 {
		t.Errorf("the missing copy was notified %d times in 12 hours, want once", len(fs))
	}
	var subjects []string
	for _, s := range h.published() {
		if s.Doc.Kind == notify.KindFindings && strings.Contains(s.Subject, "orders") {
			subjects = append(subjects, s.Subject)
		}
	}
	want := "[selfheal] FAIL DynamoDB table orders: copy to us-west-2 not completed 4h after the backup"
	if len(subjects) != 1 || subjects[0] != want {
		t.Errorf("findings notified: %q, want just %q", subjects, want)
	}
}

// A copy that lands after it was reported missing resolves it: once, with
// a "resolved" message, and the digest no longer counts it. The sweep
// finds out from AWS Backup even when the copy job's event never reaches
// backup-compliance.
func TestLateCopyResolvesItsOpenFailure(t *testing.T) {
	for _, eventDelivered := range []bool{true, false} {
		name := "event lost"
		if eventDelivered {
			name = "event delivered"
		}
		t.Run(name, func(t *testing.T) {
			h, rp := copyAccountWith(t, fourHourCopies(), awssim.CopyJobFault{Mode: awssim.CopyDelay, Delay: 6 * time.Hour})
			backedUp := h.sim.Now()
			h.sim.AdvanceTo(backedUp.Add(5 * time.Hour))
			h.deliver()
			h.mustRun()
			if _, open := openOf(h.lastDigest(), compliance.CheckCrossRegionCopyCompleted, rp); !open {
				t.Fatal("the late copy is not open after its deadline")
			}
			h.sim.AdvanceTo(backedUp.Add(7 * time.Hour)) // landed at about 6h
			if eventDelivered {
				h.deliver()
			} else {
				h.sim.DrainEvents()
			}
			h.mustRun()
			d := h.lastDigest()
			if _, open := openOf(d, compliance.CheckCrossRegionCopyCompleted, rp); open || d.OpenCounts[notify.StatusFail] != 0 {
				t.Errorf("the copy landed, yet the digest counts it open: %v %+v", d.OpenCounts, d.Open)
			}
			var resolved int
			for _, s := range h.publishedBy("") {
				if s.Doc.Kind == notify.KindResolved {
					for _, f := range s.Doc.Findings {
						if f.Check == compliance.CheckCrossRegionCopyCompleted && f.Resource == rp {
							resolved++
						}
					}
				}
			}
			if resolved != 1 {
				t.Errorf("%d resolved messages about the copy, want 1", resolved)
			}
		})
	}
}

// A failure found by an event, which the sweep never judges itself, is
// counted open by the next digest all the same.
func TestEventFindingsCountInTheNextDigest(t *testing.T) {
	h, _ := copyAccount(t, awssim.CopyJobFault{Mode: awssim.CopyNeverStart})
	orders := "arn:aws:dynamodb:us-east-1:" + account + ":table/orders"
	if _, err := h.sim.InjectBackupJobFault(awssim.BackupJobFault{ResourceArn: orders, Outcome: "FAILED", StatusMessage: "access denied to the KMS key", Count: 1}); err != nil {
		t.Fatal(err)
	}
	h.sim.AdvanceTo(time.Date(2026, 11, 3, 5, 30, 0, 0, time.UTC)) // the next nightly backup fails
	h.deliver()
	h.mustRun()
	o, open := openOf(h.lastDigest(), compliance.CheckBackupJobFailed, orders)
	if !open || o.Status != notify.StatusFail || !strings.Contains(o.Summary, "access denied to the KMS key") {
		t.Errorf("the failed backup job is not open in the digest: %+v (open: %v)", o, open)
	}
}

// A resource deleted while failing leaves nothing to fix: the next sweep,
// having listed every vault, resolves its failures once.
func TestDeletedResourceResolvesItsFailures(t *testing.T) {
	h := newHarness(t, config.DefaultPolicy(), []string{home})
	unlocked := h.vault(home, "scratch", nil)
	h.mustRun()
	if _, open := openOf(h.lastDigest(), compliance.CheckVaultLockPresent, unlocked); !open {
		t.Fatal("the unlocked vault is not open")
	}
	if _, err := h.backupClient(home).DeleteBackupVault(bg, &backup.DeleteBackupVaultInput{BackupVaultName: aws.String("scratch")}); err != nil {
		t.Fatal(err)
	}
	h.mustRun()
	d := h.lastDigest()
	if len(d.Open) != 0 {
		t.Errorf("still open after the vault was deleted: %+v", d.Open)
	}
	gone := 0
	for _, f := range d.Resolved {
		if f.Resource == unlocked {
			gone++
		}
	}
	if gone == 0 {
		t.Errorf("the digest does not say the deleted vault's failures resolved: %+v", d.Resolved)
	}
	if !strings.HasSuffix(h.digests()[1].Subject, "all clear") {
		t.Errorf("digest after the only failing resource was deleted: %q", h.digests()[1].Subject)
	}
	h.mustRun()
	for _, s := range h.published()[len(h.published())-1:] {
		if s.Doc.Kind == notify.KindResolved {
			t.Error("a deleted vault was resolved twice")
		}
	}
}
