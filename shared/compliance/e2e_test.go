package compliance_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/notify"
)

// scenario is a daily plan backing up a DynamoDB table with PITR into
// prod-vault (us-east-1) and copying it to dr-vault (us-west-2).
type scenario struct {
	source, dr lockSpec
	pitrDays   int32 // 0: PITR off
	copyTo     string
	policy     func(*config.Policy)
	before     func(h *harness) // after setup, before the backups run
}

type run struct {
	h                         *harness
	table, prodVault, drVault string
	plan                      planIDs
	delivered                 []delivery
}

// setup builds the account and runs its backups; nothing is delivered yet.
func (s scenario) setup(t testing.TB) run {
	t.Helper()
	p := config.DefaultPolicy()
	if s.policy != nil {
		s.policy(&p)
	}
	h := newHarness(t, p, awssim.WithTick(time.Minute))
	r := run{h: h}
	r.table = createTable(t, h.sim, "orders", s.pitrDays)
	r.prodVault = h.vault("us-east-1", "prod-vault", s.source)
	r.drVault = h.vault("us-west-2", "dr-vault", s.dr)
	h.settleLocks()
	dest := r.drVault
	if s.copyTo != "" {
		dest = s.copyTo
	}
	r.plan = h.plan(planSpec{vault: "prod-vault", copyTo: []string{dest}, resources: []string{r.table}})
	if s.before != nil {
		s.before(h)
	}
	h.runBackups()
	return r
}

// run sets up and delivers every event of the backups to the function.
func (s scenario) run(t testing.TB) run {
	t.Helper()
	r := s.setup(t)
	r.delivered = r.h.deliverAll()
	return r
}

func healthy() scenario {
	return scenario{source: compliance3, dr: compliance3, pitrDays: 35}
}

// The whole story on a healthy account: every check passes, and a user who
// does not ask for good news hears nothing.
func TestHealthyPlanPassesSilently(t *testing.T) {
	r := healthy().run(t)
	kinds := map[string]int{}
	for _, d := range r.delivered {
		kinds[d.DetailType]++
	}
	// The rules deliver outcomes only: the jobs' CREATED and RUNNING
	// progress events never invoke the function. The plan's creation is
	// checked when it happens.
	want := map[string]int{"Backup Plan State Change": 1, "Backup Job State Change": 1, "Recovery Point State Change": 1, "Copy Job State Change": 1}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("events delivered (-want +got):\n%s", diff)
	}
	if msgs := r.h.published(); len(msgs) != 0 {
		t.Errorf("%d notifications on a healthy account, want none: first %q", len(msgs), msgs[0].Subject)
	}
}

// With good news asked for, the same story shows every check that ran and
// that each passed.
func TestHealthyPlanEveryCheckPasses(t *testing.T) {
	s := healthy()
	s.policy = func(p *config.Policy) { p.Notify.NotifyPass = true }
	r := s.run(t)
	got := r.h.findings()
	rp, destRP := r.recoveryPoints(t)
	P := notify.StatusPass
	want := map[string]notify.Status{
		compliance.CheckBackupJobFailed + " " + r.table:              P,
		compliance.CheckVaultLockPresent + " " + r.prodVault:         P,
		compliance.CheckVaultLockImmutable + " " + r.prodVault:       P,
		compliance.CheckVaultLockRetention + " " + r.prodVault:       P,
		compliance.CheckRecoveryPointRetention + " " + rp:            P,
		compliance.CheckRecoveryPointEncrypted + " " + rp:            P,
		compliance.CheckCrossRegionCopyConfigured + " " + r.plan.arn: P,
		compliance.CheckCrossRegionCopyCompleted + " " + rp:          P,
		compliance.CheckPITREnabled + " " + r.table:                  P,
		compliance.CheckPITRWindow + " " + r.table:                   P,
		compliance.CheckPITRFreshness + " " + r.table:                P,
		compliance.CheckCopyJobFailed + " " + r.table:                P,
		compliance.CheckDestinationVaultLocked + " " + r.drVault:     P,
		compliance.CheckDestinationRetention + " " + destRP:          P,
		// From the plan's creation event.
		compliance.CheckPlanMinFrequencyAndRetention + " " + r.plan.arn: P,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("last status per check and resource (-want +got):\n%s", diff)
	}
}

// recoveryPoints returns the source recovery point of the run's backup and
// the one its copy made, from the events delivered.
func (r run) recoveryPoints(t testing.TB) (source, dest string) {
	t.Helper()
	for _, d := range r.delivered {
		ev, err := eventbridge.Decode(d.Raw)
		if err != nil {
			t.Fatal(err)
		}
		switch x := ev.Detail.(type) {
		case *eventbridge.BackupJobStateChange:
			if x.State == eventbridge.BackupJobCompleted {
				source = x.RecoveryPointARN
			}
		case *eventbridge.CopyJobStateChange:
			if x.State == eventbridge.CopyJobCompleted {
				dest = x.DestinationRecoveryPointARN
			}
		}
	}
	if source == "" {
		t.Fatal("no completed backup job was delivered")
	}
	return source, dest
}

// Each way an account goes wrong is reported as exactly the checks that
// say so, and nothing else.
func TestFailuresOnTheSim(t *testing.T) {
	F, W := notify.StatusFail, notify.StatusWarn
	tests := []struct {
		name     string
		scenario func() scenario
		want     func(r run, rp string) map[string]notify.Status
	}{
		{"unlocked source vault fails VAULT_LOCK_PRESENT", func() scenario {
			s := healthy()
			s.source = unlocked
			return s
		}, func(r run, _ string) map[string]notify.Status {
			return map[string]notify.Status{compliance.CheckVaultLockPresent + " " + r.prodVault: F}
		}},
		{"governance-mode source vault warns VAULT_LOCK_IMMUTABLE", func() scenario {
			s := healthy()
			s.source = governance
			return s
		}, func(r run, _ string) map[string]notify.Status {
			return map[string]notify.Status{compliance.CheckVaultLockImmutable + " " + r.prodVault: W}
		}},
		{"copy into an unlocked DR vault fails DESTINATION_VAULT_LOCKED", func() scenario {
			s := healthy()
			s.dr = unlocked
			return s
		}, func(r run, _ string) map[string]notify.Status {
			return map[string]notify.Status{compliance.CheckDestinationVaultLocked + " " + r.drVault: F}
		}},
		{"a failed copy fails the job and the DR copy", func() scenario {
			s := healthy()
			s.before = func(h *harness) {
				if _, err := h.sim.InjectCopyJobFault(awssim.CopyJobFault{Mode: awssim.CopyFail}); err != nil {
					h.t.Fatal(err)
				}
			}
			return s
		}, func(r run, rp string) map[string]notify.Status {
			return map[string]notify.Status{
				compliance.CheckCopyJobFailed + " " + r.table:       F,
				compliance.CheckCrossRegionCopyCompleted + " " + rp: F,
			}
		}},
		{"a copy into the same region fails CROSS_REGION_COPY_CONFIGURED", func() scenario {
			s := healthy()
			s.copyTo = "arn:aws:backup:us-east-1:123456789012:backup-vault:prod-vault"
			return s
		}, func(r run, _ string) map[string]notify.Status {
			return map[string]notify.Status{compliance.CheckCrossRegionCopyConfigured + " " + r.plan.arn: F}
		}},
		{"a copy outside the policy's DR regions fails CROSS_REGION_COPY_CONFIGURED", func() scenario {
			s := healthy()
			s.policy = func(p *config.Policy) { p.CrossRegion.DRRegions = []string{"eu-west-1"} }
			return s
		}, func(r run, _ string) map[string]notify.Status {
			return map[string]notify.Status{compliance.CheckCrossRegionCopyConfigured + " " + r.plan.arn: F}
		}},
		{"a table without PITR fails PITR_ENABLED", func() scenario {
			s := healthy()
			s.pitrDays = 0
			return s
		}, func(r run, _ string) map[string]notify.Status {
			return map[string]notify.Status{compliance.CheckPITREnabled + " " + r.table: F}
		}},
		{"a table keeping 3 days of PITR fails PITR_WINDOW", func() scenario {
			s := healthy()
			s.pitrDays = 3
			return s
		}, func(r run, _ string) map[string]notify.Status {
			return map[string]notify.Status{compliance.CheckPITRWindow + " " + r.table: F}
		}},
		{"stalled DynamoDB PITR fails PITR_FRESHNESS", func() scenario {
			s := healthy()
			s.before = func(h *harness) {
				if err := h.sim.StallDynamoDBPITR(region, "orders", true); err != nil {
					h.t.Fatal(err)
				}
			}
			return s
		}, func(r run, _ string) map[string]notify.Status {
			return map[string]notify.Status{compliance.CheckPITRFreshness + " " + r.table: F}
		}},
		{"a failed backup job fails BACKUP_JOB_FAILED and copies nothing", func() scenario {
			s := healthy()
			s.before = func(h *harness) {
				if _, err := h.sim.InjectBackupJobFault(awssim.BackupJobFault{Outcome: "FAILED"}); err != nil {
					h.t.Fatal(err)
				}
			}
			return s
		}, func(r run, _ string) map[string]notify.Status {
			return map[string]notify.Status{compliance.CheckBackupJobFailed + " " + r.table: F}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.scenario().run(t)
			rp := ""
			for _, d := range r.delivered {
				if ev, err := eventbridge.Decode(d.Raw); err == nil {
					if j, ok := ev.Detail.(*eventbridge.BackupJobStateChange); ok && j.RecoveryPointARN != "" {
						rp = j.RecoveryPointARN
					}
				}
			}
			if diff := cmp.Diff(tt.want(r, rp), r.h.failing()); diff != "" {
				t.Errorf("failing checks notified (-want +got):\n%s", diff)
			}
			for _, m := range r.h.published() {
				if m.Doc.Kind != notify.KindFindings {
					t.Errorf("a %s message in a single run", m.Doc.Kind)
				}
			}
		})
	}
}
