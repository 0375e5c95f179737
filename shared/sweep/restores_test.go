package sweep_test

import (
	"testing"
	"time"

	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

// restoreTestedOf is the last RESTORE_TESTED finding about resource.
func restoreTestedOf(h *harness, resource string) (notify.Finding, bool) {
	var out notify.Finding
	found := false
	for _, s := range h.published() {
		for _, f := range s.Doc.Findings {
			if f.Check == compliance.CheckRestoreTested && f.Resource == resource {
				out, found = f, true
			}
		}
	}
	return out, found
}

// A protected resource is due for a restore test maxUntested after it was
// first seen protected: not before (a new resource is not failing), FAIL
// once overdue, PASS again after a successful test, which the digest then
// counts with its recovery time.
func TestRestoreTestedAfterMaxUntested(t *testing.T) {
	p := config.DefaultPolicy()
	p.Recovery.MaxUntested = config.Dur(48 * time.Hour)
	p.Notify.NotifyPass = true
	h := newHarness(t, p, []string{home})
	h.vault(home, "prod", &lockSpec{min: 7, max: 365, compliance: true})
	orders := h.table(home, "orders")
	h.pitr(home, "orders", 35)
	h.plan(home, "daily", ruleSpec{name: "daily", vault: "prod", schedule: "cron(0 5 ? * * *)", keep: 7}, orders)
	h.sim.AdvanceTo(time.Date(2026, 11, 2, 5, 5, 0, 0, time.UTC))
	h.deliver()
	h.mustRun()
	if f, ok := restoreTestedOf(h, orders); !ok || f.Status != notify.StatusPass {
		t.Fatalf("a resource protected minutes ago: %+v (found %v), want PASS, not due yet", f, ok)
	}

	h.sim.Advance(49 * time.Hour)
	h.deliver()
	h.mustRun()
	f, _ := restoreTestedOf(h, orders)
	if f.Status != notify.StatusFail || f.ProtectedResource == nil || f.ProtectedResource.Name != "orders" || f.Remediation == "" {
		t.Fatalf("after 49h untested: %+v, want a FAIL about orders with a remediation", f)
	}

	if _, _, err := h.deps.Store.RecordRestoreTest(bg, state.RestoreTest{
		ResourceARN: orders, ResourceType: "AWS::DynamoDB::Table", RestoreJobID: "JOB-1", Succeeded: true, Message: "ok",
		At: h.sim.Now(), JobCreated: h.sim.Now().Add(-12 * time.Minute), RTO: 12 * time.Minute, RPO: time.Hour,
	}); err != nil {
		t.Fatal(err)
	}
	h.mustRun()
	if f, _ := restoreTestedOf(h, orders); f.Status != notify.StatusPass {
		t.Errorf("after a successful test: %s %s, want PASS", f.Status, f.Summary)
	}
	ds := h.digests()
	want := []notify.RecoveryStats{{ResourceType: "AWS::DynamoDB::Table", Tests: 1, RTOP50Seconds: 720, RTOMaxSeconds: 720}}
	if got := ds[len(ds)-1].Doc.Digest.Recovery; len(got) != 1 || got[0] != want[0] {
		t.Errorf("digest recovery %+v, want %+v", got, want)
	}
}

// With maxUntested 0 the check is off.
func TestRestoreTestedOff(t *testing.T) {
	p := config.DefaultPolicy()
	p.Recovery.MaxUntested = config.Dur(0)
	p.Notify.NotifyPass = true
	h := newHarness(t, p, []string{home})
	h.vault(home, "prod", nil)
	orders := h.table(home, "orders")
	h.plan(home, "daily", ruleSpec{name: "daily", vault: "prod", schedule: "cron(0 5 ? * * *)", keep: 7}, orders)
	h.sim.AdvanceTo(time.Date(2026, 11, 12, 5, 5, 0, 0, time.UTC))
	h.deliver()
	h.mustRun()
	if f, ok := restoreTestedOf(h, orders); ok {
		t.Errorf("RESTORE_TESTED with the check off: %+v", f)
	}
}

// A short retention does not make an untested resource look new: the
// first run marks when it was first seen protected, and that mark, not its
// oldest recovery point left, says when a restore test is due.
func TestRestoreTestedRemembersFirstProtection(t *testing.T) {
	p := config.DefaultPolicy()
	p.Recovery.MaxUntested = config.Dur(48 * time.Hour)
	p.Notify.NotifyPass = true
	h := newHarness(t, p, []string{home})
	h.vault(home, "prod", nil)
	orders := h.table(home, "orders")
	h.plan(home, "daily", ruleSpec{name: "daily", vault: "prod", schedule: "cron(0 5 ? * * *)", keep: 1}, orders)
	h.sim.AdvanceTo(time.Date(2026, 11, 2, 5, 5, 0, 0, time.UTC))
	h.deliver()
	h.mustRun()
	h.sim.AdvanceTo(time.Date(2026, 11, 5, 5, 30, 0, 0, time.UTC)) // the first recovery points have expired
	h.deliver()
	h.mustRun()
	if f, _ := restoreTestedOf(h, orders); f.Status != notify.StatusFail || f.Observed["protectedSince"] != "2026-11-02T05:00:00Z" {
		t.Errorf("three days protected, one day of recovery points left: %s (protected since %s), want FAIL since the first backup",
			f.Status, f.Observed["protectedSince"])
	}
}
