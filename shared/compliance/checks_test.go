package compliance_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

var now = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)

const (
	vaultARN = "arn:aws:backup:us-east-1:123456789012:backup-vault:prod-vault"
	drVault  = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-vault"
	euVault  = "arn:aws:backup:eu-west-1:123456789012:backup-vault:eu-vault"
	sameVlt  = "arn:aws:backup:us-east-1:123456789012:backup-vault:other-vault"
	rpARN    = "arn:aws:backup:us-east-1:123456789012:recovery-point:5c0a4d1e-7b2f-4a96-9f3e-2d8c1b6a0e47"
	planARN  = "arn:aws:backup:us-east-1:123456789012:backup-plan:8a5e2c47"
	tableARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
	dbARN    = "arn:aws:rds:us-east-1:123456789012:db:payments"
)

func i64(n int64) *int64           { return &n }
func at(t time.Time) *time.Time    { return &t }
func policy() config.Policy        { return config.DefaultPolicy() }
func lockPolicy() config.VaultLock { return config.DefaultPolicy().VaultLock }

// outcome is what a user reads first in a finding.
type outcome struct {
	Check    string
	Status   notify.Status
	Severity notify.Severity
}

func of(f notify.Finding) outcome { return outcome{f.Check, f.Status, f.Severity} }

// mentions fails the test unless each part appears in s.
func mentions(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s %q does not mention %q", what, s, p)
		}
	}
}

func vault(mod func(*compliance.VaultState)) compliance.VaultState {
	v := compliance.VaultState{ARN: vaultARN, Name: "prod-vault", VaultType: "BACKUP_VAULT"}
	if mod != nil {
		mod(&v)
	}
	return v
}

// compliant is a vault locked in compliance mode since yesterday with the
// policy's minimum retention.
func compliant(v *compliance.VaultState) {
	v.Locked, v.LockDate, v.MinRetentionDays = true, at(now.Add(-24*time.Hour)), i64(7)
}

func TestVaultLockChecks(t *testing.T) {
	requireCompliance := lockPolicy()
	requireCompliance.RequireComplianceMode = true
	withMax := lockPolicy()
	withMax.MaxRetentionDays = 35

	tests := []struct {
		name   string
		vault  compliance.VaultState
		policy config.VaultLock
		want   []outcome // present, immutable, retention
		// summary and remediation fragments of the first non-passing finding
		summary, remediation []string
	}{
		{
			name: "no lock fails present, the others are not applicable", vault: vault(nil), policy: lockPolicy(),
			want: []outcome{
				{compliance.CheckVaultLockPresent, notify.StatusFail, notify.SeverityHigh},
				{compliance.CheckVaultLockImmutable, notify.StatusNotApplicable, notify.SeverityInfo},
				{compliance.CheckVaultLockRetention, notify.StatusNotApplicable, notify.SeverityInfo},
			},
			summary:     []string{"Vault Lock missing"},
			remediation: []string{"aws backup put-backup-vault-lock-configuration --backup-vault-name prod-vault --min-retention-days 7 --changeable-for-days 3 --region us-east-1"},
		},
		{
			name: "compliance mode past its lock date passes all three", vault: vault(compliant), policy: lockPolicy(),
			want: []outcome{
				{compliance.CheckVaultLockPresent, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockImmutable, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockRetention, notify.StatusPass, notify.SeverityInfo},
			},
		},
		{
			name: "exactly at the lock date the lock is immutable",
			vault: vault(func(v *compliance.VaultState) {
				compliant(v)
				v.LockDate = at(now)
			}),
			policy: lockPolicy(),
			want: []outcome{
				{compliance.CheckVaultLockPresent, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockImmutable, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockRetention, notify.StatusPass, notify.SeverityInfo},
			},
		},
		{
			name: "grace time warns with the days left, started days counted",
			vault: vault(func(v *compliance.VaultState) {
				compliant(v)
				v.LockDate = at(now.Add(2*24*time.Hour + time.Hour))
			}),
			policy: lockPolicy(),
			want: []outcome{
				{compliance.CheckVaultLockPresent, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockImmutable, notify.StatusWarn, notify.SeverityMedium},
				{compliance.CheckVaultLockRetention, notify.StatusPass, notify.SeverityInfo},
			},
			summary:     []string{"grace time", "3 days more", "2026-03-04T07:00:00Z"},
			remediation: []string{"immutable on 2026-03-04T07:00:00Z"},
		},
		{
			name: "one nanosecond before the lock date is still grace time, 1 day left",
			vault: vault(func(v *compliance.VaultState) {
				compliant(v)
				v.LockDate = at(now.Add(time.Nanosecond))
			}),
			policy: lockPolicy(),
			want: []outcome{
				{compliance.CheckVaultLockPresent, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockImmutable, notify.StatusWarn, notify.SeverityMedium},
				{compliance.CheckVaultLockRetention, notify.StatusPass, notify.SeverityInfo},
			},
			summary: []string{"1 day more"},
		},
		{
			name: "grace time fails when the policy requires compliance mode",
			vault: vault(func(v *compliance.VaultState) {
				compliant(v)
				v.LockDate = at(now.Add(24 * time.Hour))
			}),
			policy: requireCompliance,
			want: []outcome{
				{compliance.CheckVaultLockPresent, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockImmutable, notify.StatusFail, notify.SeverityHigh},
				{compliance.CheckVaultLockRetention, notify.StatusPass, notify.SeverityInfo},
			},
		},
		{
			name:   "governance mode warns",
			vault:  vault(func(v *compliance.VaultState) { v.Locked, v.MinRetentionDays = true, i64(7) }),
			policy: lockPolicy(),
			want: []outcome{
				{compliance.CheckVaultLockPresent, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockImmutable, notify.StatusWarn, notify.SeverityMedium},
				{compliance.CheckVaultLockRetention, notify.StatusPass, notify.SeverityInfo},
			},
			summary:     []string{"governance mode"},
			remediation: []string{"--changeable-for-days 3"},
		},
		{
			name:   "governance mode fails when the policy requires compliance mode",
			vault:  vault(func(v *compliance.VaultState) { v.Locked, v.MinRetentionDays = true, i64(7) }),
			policy: requireCompliance,
			want: []outcome{
				{compliance.CheckVaultLockPresent, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockImmutable, notify.StatusFail, notify.SeverityHigh},
				{compliance.CheckVaultLockRetention, notify.StatusPass, notify.SeverityInfo},
			},
		},
		{
			name: "a lock with a lock date counts even when Locked reads false",
			vault: vault(func(v *compliance.VaultState) {
				v.LockDate, v.MinRetentionDays = at(now.Add(72*time.Hour)), i64(7)
			}),
			policy: lockPolicy(),
			want: []outcome{
				{compliance.CheckVaultLockPresent, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockImmutable, notify.StatusWarn, notify.SeverityMedium},
				{compliance.CheckVaultLockRetention, notify.StatusPass, notify.SeverityInfo},
			},
		},
		{
			name: "minimum retention one day under the policy fails; the immutable lock needs a new vault",
			vault: vault(func(v *compliance.VaultState) {
				compliant(v)
				v.MinRetentionDays = i64(6)
			}),
			policy: lockPolicy(),
			want: []outcome{
				{compliance.CheckVaultLockPresent, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockImmutable, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockRetention, notify.StatusFail, notify.SeverityMedium},
			},
			summary:     []string{"6 days is below the policy's 7"},
			remediation: []string{"the lock is immutable", "create-backup-vault --backup-vault-name prod-vault-v2"},
		},
		{
			name:   "no minimum retention fails; a governance lock can be fixed in place",
			vault:  vault(func(v *compliance.VaultState) { v.Locked = true }),
			policy: lockPolicy(),
			want: []outcome{
				{compliance.CheckVaultLockPresent, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockImmutable, notify.StatusWarn, notify.SeverityMedium},
				{compliance.CheckVaultLockRetention, notify.StatusFail, notify.SeverityMedium},
			},
			summary:     []string{"governance mode"},
			remediation: []string{"put-backup-vault-lock-configuration --backup-vault-name prod-vault --min-retention-days 7"},
		},
		{
			name: "maximum retention exactly at the policy's passes",
			vault: vault(func(v *compliance.VaultState) {
				compliant(v)
				v.MaxRetentionDays = i64(35)
			}),
			policy: withMax,
			want: []outcome{
				{compliance.CheckVaultLockPresent, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockImmutable, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockRetention, notify.StatusPass, notify.SeverityInfo},
			},
		},
		{
			name: "maximum retention above the policy's fails",
			vault: vault(func(v *compliance.VaultState) {
				compliant(v)
				v.MaxRetentionDays = i64(36)
			}),
			policy: withMax,
			want: []outcome{
				{compliance.CheckVaultLockPresent, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockImmutable, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockRetention, notify.StatusFail, notify.SeverityMedium},
			},
			summary: []string{"36 days is above the policy's 35"},
		},
		{
			name:   "no maximum when the policy sets one fails",
			vault:  vault(compliant),
			policy: withMax,
			want: []outcome{
				{compliance.CheckVaultLockPresent, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockImmutable, notify.StatusPass, notify.SeverityInfo},
				{compliance.CheckVaultLockRetention, notify.StatusFail, notify.SeverityMedium},
			},
			summary: []string{"no maximum retention"},
		},
		{
			name:   "a vault deleted since the event is not applicable, said so",
			vault:  compliance.VaultState{ARN: vaultARN, Name: "prod-vault", NotFound: true},
			policy: lockPolicy(),
			want: []outcome{
				{compliance.CheckVaultLockPresent, notify.StatusNotApplicable, notify.SeverityInfo},
				{compliance.CheckVaultLockImmutable, notify.StatusNotApplicable, notify.SeverityInfo},
				{compliance.CheckVaultLockRetention, notify.StatusNotApplicable, notify.SeverityInfo},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := compliance.VaultChecks(tt.vault, tt.policy, now)
			got := make([]outcome, len(fs))
			for i, f := range fs {
				got[i] = of(f)
				if f.Resource != vaultARN || f.ResourceType != compliance.TypeBackupVault || f.Account != "123456789012" || f.Region != "us-east-1" {
					t.Errorf("%s: resource %s %s in %s/%s, want the vault", f.Check, f.Resource, f.ResourceType, f.Account, f.Region)
				}
				if f.Status.Bad() && f.Remediation == "" {
					t.Errorf("%s is %s without a remediation", f.Check, f.Status)
				}
				if !f.Status.Bad() && f.Remediation != "" {
					t.Errorf("%s is %s with a remediation %q", f.Check, f.Status, f.Remediation)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			for _, f := range fs {
				if f.Status.Bad() {
					mentions(t, "summary", f.Summary, tt.summary...)
					mentions(t, "remediation", f.Remediation, tt.remediation...)
					break
				}
			}
		})
	}
}

func TestVaultLockObservedFields(t *testing.T) {
	f := compliance.VaultLockImmutable(vault(func(v *compliance.VaultState) {
		compliant(v)
		v.LockDate = at(now.Add(36 * time.Hour))
	}), lockPolicy(), now)
	want := map[string]string{
		"locked": "true", "lockMode": "COMPLIANCE_GRACE", "lockDate": "2026-03-03T18:00:00Z",
		"minRetentionDays": "7", "maxRetentionDays": "not set", "vaultType": "BACKUP_VAULT",
		"policy.requireComplianceMode": "false", "graceDaysLeft": "2",
	}
	if diff := cmp.Diff(want, f.Observed); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
}

func TestDestinationVaultLocked(t *testing.T) {
	dest := func(mod func(*compliance.VaultState)) compliance.VaultState {
		v := compliance.VaultState{ARN: drVault, Name: "dr-vault"}
		if mod != nil {
			mod(&v)
		}
		return v
	}
	tests := []struct {
		name    string
		vault   compliance.VaultState
		want    outcome
		summary string
	}{
		{"unlocked DR vault fails", dest(nil),
			outcome{compliance.CheckDestinationVaultLocked, notify.StatusFail, notify.SeverityHigh}, "Vault Lock missing"},
		{"compliance-mode DR vault passes", dest(compliant),
			outcome{compliance.CheckDestinationVaultLocked, notify.StatusPass, notify.SeverityInfo}, "compliance mode, immutable"},
		{"governance-mode DR vault warns", dest(func(v *compliance.VaultState) { v.Locked, v.MinRetentionDays = true, i64(7) }),
			outcome{compliance.CheckDestinationVaultLocked, notify.StatusWarn, notify.SeverityMedium}, "governance mode"},
		{"a lock with too short a minimum fails", dest(func(v *compliance.VaultState) { compliant(v); v.MinRetentionDays = i64(1) }),
			outcome{compliance.CheckDestinationVaultLocked, notify.StatusFail, notify.SeverityHigh}, "below the policy's 7"},
		{"a deleted DR vault is not applicable", compliance.VaultState{ARN: drVault, Name: "dr-vault", NotFound: true},
			outcome{compliance.CheckDestinationVaultLocked, notify.StatusNotApplicable, notify.SeverityInfo}, "no longer exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := compliance.DestinationVaultLocked(tt.vault, lockPolicy(), now)
			if diff := cmp.Diff(tt.want, of(f)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			mentions(t, "summary", f.Summary, tt.summary)
			if f.Region != "us-west-2" || f.Resource != drVault {
				t.Errorf("finding is about %s in %s, want the DR vault in us-west-2", f.Resource, f.Region)
			}
		})
	}
}

func TestRecoveryPointRetention(t *testing.T) {
	rp := func(d *int64) compliance.RecoveryPointState {
		return compliance.RecoveryPointState{ARN: rpARN, VaultName: "prod-vault", ResourceType: "DynamoDB", DeleteAfterDays: d, PlanID: "8a5e2c47"}
	}
	unlocked := vault(nil)
	locked := vault(func(v *compliance.VaultState) {
		compliant(v)
		v.MinRetentionDays, v.MaxRetentionDays = i64(14), i64(35)
	})
	tests := []struct {
		name        string
		rp          compliance.RecoveryPointState
		vault       *compliance.VaultState
		want        notify.Status
		summary     string
		remediation string
	}{
		{"exactly the policy minimum passes", rp(i64(7)), &unlocked, notify.StatusPass, "kept 7 days", ""},
		{"one day under the policy fails, fixed on the recovery point", rp(i64(6)), &unlocked, notify.StatusFail,
			"6 days, below the policy minimum of 7",
			"aws backup update-recovery-point-lifecycle --backup-vault-name prod-vault --recovery-point-arn " + rpARN + " --lifecycle DeleteAfterDays=7 --region us-east-1"},
		{"missing lifecycle is kept forever and passes without a lock maximum", rp(nil), &unlocked, notify.StatusPass, "no lifecycle", ""},
		{"missing lifecycle fails against a lock maximum", rp(nil), &locked, notify.StatusFail, "above the vault lock maximum of 35", "DeleteAfterDays to 35"},
		{"under the lock minimum fails; a locked vault is fixed in the plan", rp(i64(10)), &locked, notify.StatusFail,
			"below the vault lock minimum of 14", "set Lifecycle.DeleteAfterDays to 14 in the rule that made it (aws backup get-backup-plan --backup-plan-id 8a5e2c47"},
		{"exactly the lock maximum passes", rp(i64(35)), &locked, notify.StatusPass, "kept 35 days", ""},
		{"over the lock maximum fails", rp(i64(36)), &locked, notify.StatusFail, "above the vault lock maximum of 35", "DeleteAfterDays to 35"},
		{"an unreadable vault checks the policy alone", rp(i64(8)), nil, notify.StatusPass, "kept 8 days", ""},
		{"a recovery point deleted since the job warns", compliance.RecoveryPointState{ARN: rpARN, NotFound: true}, &unlocked,
			notify.StatusWarn, "no longer exists", "cloudtrail lookup-events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := compliance.RecoveryPointRetention(tt.rp, tt.vault, policy())
			if f.Check != compliance.CheckRecoveryPointRetention || f.Status != tt.want {
				t.Fatalf("%s %s, want %s %s: %s", f.Check, f.Status, compliance.CheckRecoveryPointRetention, tt.want, f.Summary)
			}
			mentions(t, "summary", f.Summary, tt.summary)
			mentions(t, "remediation", f.Remediation, tt.remediation)
			if f.ResourceType != compliance.TypeRecoveryPoint || f.Resource != rpARN {
				t.Errorf("about %s %s, want the recovery point", f.ResourceType, f.Resource)
			}
		})
	}
	// The destination check is the same rule under its own ID.
	f := compliance.DestinationRetention(rp(i64(3)), nil, policy())
	if f.Check != compliance.CheckDestinationRetention || f.Status != notify.StatusFail {
		t.Errorf("destination retention of 3 days: %s %s, want %s FAIL", f.Check, f.Status, compliance.CheckDestinationRetention)
	}
}

func TestRecoveryPointEncrypted(t *testing.T) {
	tests := []struct {
		name        string
		rp          compliance.RecoveryPointState
		want        notify.Status
		remediation string
	}{
		{"encrypted passes", compliance.RecoveryPointState{ARN: rpARN, IsEncrypted: true, EncryptionKeyARN: "arn:aws:kms:us-east-1:123456789012:key/k"}, notify.StatusPass, ""},
		{"unencrypted EBS fails with the EBS fix", compliance.RecoveryPointState{ARN: rpARN, ResourceType: "EBS"}, notify.StatusFail, "aws ec2 enable-ebs-encryption-by-default --region us-east-1"},
		{"unencrypted RDS fails with the RDS fix", compliance.RecoveryPointState{ARN: rpARN, ResourceType: "RDS", ResourceARN: dbARN}, notify.StatusFail, "aws rds copy-db-snapshot --kms-key-id"},
		{"deleted is not applicable", compliance.RecoveryPointState{ARN: rpARN, NotFound: true}, notify.StatusNotApplicable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := compliance.RecoveryPointEncrypted(tt.rp)
			if f.Status != tt.want {
				t.Fatalf("status %s, want %s (%s)", f.Status, tt.want, f.Summary)
			}
			if tt.want == notify.StatusFail && f.Severity != notify.SeverityHigh {
				t.Errorf("severity %s, want HIGH", f.Severity)
			}
			mentions(t, "remediation", f.Remediation, tt.remediation)
		})
	}
}

func plan(rules ...compliance.RuleState) compliance.PlanState {
	return compliance.PlanState{ARN: planARN, ID: "8a5e2c47", Name: "prod", VersionID: "v1", Rules: rules}
}

func rule(name string, dests ...string) compliance.RuleState {
	r := compliance.RuleState{ID: name + "-id", Name: name, TargetVaultName: "prod-vault"}
	for _, d := range dests {
		r.Copies = append(r.Copies, compliance.CopyTarget{DestinationVaultARN: d})
	}
	return r
}

func TestCrossRegionCopyConfigured(t *testing.T) {
	optional := policy().CrossRegion
	optional.Required = false
	onlyEU := policy().CrossRegion
	onlyEU.DRRegions = []string{"eu-west-1"}
	tests := []struct {
		name    string
		plan    compliance.PlanState
		policy  config.CrossRegion
		want    outcome
		summary string
	}{
		{"a copy to another region passes", plan(rule("daily", drVault)), policy().CrossRegion,
			outcome{compliance.CheckCrossRegionCopyConfigured, notify.StatusPass, notify.SeverityInfo}, "every rule copies to us-west-2"},
		{"a copy into the same region does not count", plan(rule("daily", sameVlt)), policy().CrossRegion,
			outcome{compliance.CheckCrossRegionCopyConfigured, notify.StatusFail, notify.SeverityHigh}, "no copy to another region in rule daily"},
		{"no copy warns when the policy does not require one", plan(rule("daily")), optional,
			outcome{compliance.CheckCrossRegionCopyConfigured, notify.StatusWarn, notify.SeverityMedium}, "rule daily"},
		{"a copy outside the policy's DR regions does not count", plan(rule("daily", drVault)), onlyEU,
			outcome{compliance.CheckCrossRegionCopyConfigured, notify.StatusFail, notify.SeverityHigh}, "no copy to eu-west-1"},
		{"a copy into a DR region passes", plan(rule("daily", drVault, euVault)), onlyEU,
			outcome{compliance.CheckCrossRegionCopyConfigured, notify.StatusPass, notify.SeverityInfo}, "eu-west-1"},
		{"one rule without a copy fails the plan, naming the rule", plan(rule("daily", drVault), rule("monthly")), policy().CrossRegion,
			outcome{compliance.CheckCrossRegionCopyConfigured, notify.StatusFail, notify.SeverityHigh}, "rule monthly"},
		{"a plan without rules fails", plan(), policy().CrossRegion,
			outcome{compliance.CheckCrossRegionCopyConfigured, notify.StatusFail, notify.SeverityHigh}, "no rules"},
		{"a deleted plan is not applicable", compliance.PlanState{ARN: planARN, NotFound: true}, policy().CrossRegion,
			outcome{compliance.CheckCrossRegionCopyConfigured, notify.StatusNotApplicable, notify.SeverityInfo}, "no longer exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := compliance.CrossRegionCopyConfigured(tt.plan, tt.policy)
			if diff := cmp.Diff(tt.want, of(f)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			mentions(t, "summary", f.Summary, tt.summary)
			if f.Status.Bad() {
				mentions(t, "remediation", f.Remediation, "CopyActions", "--backup-plan-id 8a5e2c47 --region us-east-1")
			}
			if f.Resource != planARN || f.ResourceType != compliance.TypeBackupPlan {
				t.Errorf("about %s %s, want the plan", f.ResourceType, f.Resource)
			}
		})
	}
}

func TestDRCopies(t *testing.T) {
	r := rule("daily", sameVlt, drVault, euVault)
	got := r.DRCopies("us-east-1", policy().CrossRegion)
	want := []compliance.CopyTarget{{DestinationVaultARN: drVault}, {DestinationVaultARN: euVault}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DR copies with no DR regions named (-want +got):\n%s", diff)
	}
	p := policy().CrossRegion
	p.DRRegions = []string{"us-west-2"}
	got = r.DRCopies("us-east-1", p)
	if diff := cmp.Diff(want[:1], got); diff != "" {
		t.Errorf("DR copies to us-west-2 only (-want +got):\n%s", diff)
	}
}

func TestCrossRegionCopyCompleted(t *testing.T) {
	deadline := now.Add(24 * time.Hour)
	copyOf := func(st state.CopyStatus) state.ExpectedCopy {
		return state.ExpectedCopy{SourceRecoveryPointARN: rpARN, DestinationVaultARN: drVault, ResourceARN: tableARN,
			BackedUpAt: now, Deadline: deadline, Status: st, CopyJobID: "job-1"}
	}
	tests := []struct {
		name    string
		copy    state.ExpectedCopy
		at      time.Time
		want    notify.Status
		summary string
		fix     string
	}{
		{"completed passes", copyOf(state.CopyCompleted), now, notify.StatusPass, "copied to us-west-2", ""},
		{"failed fails", copyOf(state.CopyFailed), now, notify.StatusFail, "copy to us-west-2 failed", "aws backup describe-copy-job --copy-job-id job-1"},
		{"open before the deadline is pending", copyOf(state.CopyOpen), now, notify.StatusNotApplicable, "pending, due 2026-03-03T06:00:00Z", ""},
		{"open exactly at the deadline is still on time", copyOf(state.CopyOpen), deadline, notify.StatusNotApplicable, "pending", ""},
		{"open past the deadline never completed", copyOf(state.CopyOpen), deadline.Add(time.Second), notify.StatusFail, "copy to us-west-2 not completed 24h after the backup", "aws backup list-copy-jobs --by-resource-arn " + tableARN},
		{"marked overdue fails", copyOf(state.CopyOverdue), now, notify.StatusFail, "not completed 24h after the backup", "start-copy-job"},
		{"no record of when it was expected", func() state.ExpectedCopy { c := copyOf(state.CopyOverdue); c.BackedUpAt = time.Time{}; return c }(),
			now, notify.StatusFail, "not completed by 2026-03-03T06:00:00Z", "start-copy-job"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := compliance.CrossRegionCopyCompleted(tt.copy, tt.at)
			if f.Check != compliance.CheckCrossRegionCopyCompleted || f.Status != tt.want {
				t.Fatalf("%s %s, want %s (%s)", f.Check, f.Status, tt.want, f.Summary)
			}
			mentions(t, "summary", f.Summary, tt.summary)
			mentions(t, "remediation", f.Remediation, tt.fix)
			if p := f.ProtectedResource; p == nil || p.Name != "orders" || p.Type != "AWS::DynamoDB::Table" || p.ARN != tableARN {
				t.Errorf("protected resource %+v, want the table orders", p)
			}
			if f.Resource != rpARN || f.Region != "us-east-1" {
				t.Errorf("about %s in %s, want the source recovery point in us-east-1", f.Resource, f.Region)
			}
		})
	}
}

func TestPITRChecks(t *testing.T) {
	p := policy().PITR // 7 days, 15m
	dynamo := func(enabled bool, window int64, lag time.Duration) compliance.PITRState {
		s := compliance.PITRState{ResourceARN: tableARN, ResourceType: "AWS::DynamoDB::Table", Kind: compliance.PITRDynamoDB, Enabled: enabled}
		if enabled {
			s.WindowDays, s.LatestRestorable = &window, at(now.Add(-lag))
		}
		return s
	}
	rdsOff := compliance.PITRState{ResourceARN: dbARN, ResourceType: "AWS::RDS::DBInstance", Kind: compliance.PITRRDSInstance, Status: "available"}
	aurora := compliance.PITRState{ResourceARN: "arn:aws:rds:us-east-1:123456789012:cluster:ledger", ResourceType: "AWS::RDS::DBCluster", Kind: compliance.PITRAurora,
		Enabled: true, WindowDays: i64(1), LatestRestorable: at(now.Add(-time.Minute))}
	s3on := compliance.PITRState{ResourceARN: "arn:aws:s3:::media", ResourceType: "AWS::S3::Bucket", Kind: compliance.PITRS3, Enabled: true, WindowDays: i64(35), Status: "AVAILABLE"}
	noLatest := dynamo(true, 35, 0)
	noLatest.LatestRestorable = nil
	P, F, N, W := notify.StatusPass, notify.StatusFail, notify.StatusNotApplicable, notify.StatusWarn
	tests := []struct {
		name  string
		state compliance.PITRState
		want  [3]notify.Status // enabled, window, freshness
		// the first bad finding's summary and remediation
		summary, fix string
	}{
		{"DynamoDB on, 7 days, 5 minutes behind passes", dynamo(true, 7, 5*time.Minute), [3]notify.Status{P, P, P}, "", ""},
		{"DynamoDB off fails, window and freshness say why not applicable", dynamo(false, 0, 0), [3]notify.Status{F, N, N},
			"point-in-time recovery is off",
			"aws dynamodb update-continuous-backups --table-name orders --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true,RecoveryPeriodInDays=7 --region us-east-1"},
		{"window one day short fails", dynamo(true, 6, time.Minute), [3]notify.Status{P, F, P}, "6 days, below the policy's 7", "RecoveryPeriodInDays=7"},
		{"lag exactly at the policy's bound passes", dynamo(true, 35, 15*time.Minute), [3]notify.Status{P, P, P}, "", ""},
		{"lag a second past the bound fails", dynamo(true, 35, 15*time.Minute+time.Second), [3]notify.Status{P, P, F},
			"15m1s old (policy: at most 15m0s)", "describe-continuous-backups --table-name orders"},
		{"no latest restorable time yet warns", noLatest, [3]notify.Status{P, P, W}, "no latest restorable time", "describe-continuous-backups"},
		{"RDS with backup retention 0 fails", rdsOff, [3]notify.Status{F, N, N}, "automated backups are off",
			"aws rds modify-db-instance --db-instance-identifier payments --backup-retention-period 7 --apply-immediately --region us-east-1"},
		{"Aurora with 1 day fails the window", aurora, [3]notify.Status{P, F, P}, "1 day, below", "aws rds modify-db-cluster --db-cluster-identifier ledger --backup-retention-period 7"},
		{"S3 continuous backup available passes; freshness is not reported", s3on, [3]notify.Status{P, P, N}, "", ""},
		{"S3 without a continuous backup fails", compliance.PITRState{ResourceARN: "arn:aws:s3:::media", Kind: compliance.PITRS3}, [3]notify.Status{F, N, N},
			"no AVAILABLE continuous backup", "EnableContinuousBackup"},
		{"S3 continuous backup STOPPED fails", compliance.PITRState{ResourceARN: "arn:aws:s3:::media", Kind: compliance.PITRS3, Status: "STOPPED"}, [3]notify.Status{F, N, N},
			"continuous backup is STOPPED", "EnableContinuousBackup"},
		{"a table deleted since the job is not applicable, said so", compliance.PITRState{ResourceARN: tableARN, Kind: compliance.PITRDynamoDB, NotFound: true},
			[3]notify.Status{N, N, N}, "", ""},
		{"other resource types are not applicable, said so", compliance.PITRState{ResourceARN: "arn:aws:ec2:us-east-1:123456789012:volume/vol-1", ResourceType: "AWS::EC2::Volume", Kind: compliance.PITRNotSupported},
			[3]notify.Status{N, N, N}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := compliance.PITRChecks(tt.state, p, now)
			var got [3]notify.Status
			for i, f := range fs {
				got[i] = f.Status
				if f.Resource != tt.state.ResourceARN {
					t.Errorf("%s is about %s, want %s", f.Check, f.Resource, tt.state.ResourceARN)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PITR_ENABLED, PITR_WINDOW, PITR_FRESHNESS (-want +got):\n%s", diff)
			}
			for _, f := range fs {
				if f.Status.Bad() {
					mentions(t, "summary", f.Summary, tt.summary)
					mentions(t, "remediation", f.Remediation, tt.fix)
					break
				}
			}
		})
	}
	gone := compliance.PITREnabled(compliance.PITRState{ResourceARN: tableARN, Kind: compliance.PITRDynamoDB, NotFound: true}, p)
	mentions(t, "summary of a deleted table", gone.Summary, "orders no longer exists")
	other := compliance.PITREnabled(compliance.PITRState{ResourceARN: "arn:aws:ec2:us-east-1:123456789012:volume/vol-1", ResourceType: "AWS::EC2::Volume", Kind: compliance.PITRNotSupported}, p)
	mentions(t, "summary of a volume", other.Summary, "not checked for AWS::EC2::Volume")
}

func TestPITRKindOf(t *testing.T) {
	tests := []struct {
		arn, backupType string
		want            compliance.PITRKind
	}{
		{tableARN, "DynamoDB", compliance.PITRDynamoDB},
		{dbARN, "RDS", compliance.PITRRDSInstance},
		{"arn:aws:rds:us-east-1:123456789012:cluster:ledger", "Aurora", compliance.PITRAurora},
		{"arn:aws:rds:us-east-1:123456789012:cluster:docs", "DocumentDB", compliance.PITRNotSupported},
		{"arn:aws:s3:::media", "S3", compliance.PITRS3},
		{"arn:aws:ec2:us-east-1:123456789012:volume/vol-1", "EBS", compliance.PITRNotSupported},
		{"not an arn", "DynamoDB", compliance.PITRNotSupported},
	}
	for _, tt := range tests {
		if got := compliance.PITRKindOf(tt.arn, tt.backupType); got != tt.want {
			t.Errorf("PITRKindOf(%q, %q) = %s, want %s", tt.arn, tt.backupType, got, tt.want)
		}
	}
}

func TestJobChecks(t *testing.T) {
	job := func(state, msg string) compliance.JobState {
		return compliance.JobState{ID: "job-1", State: state, StatusMessage: msg, ResourceARN: dbARN, ResourceType: "RDS",
			VaultARN: drVault, SourceVaultARN: vaultARN, SourceRecoveryPointARN: rpARN, IAMRoleARN: "arn:aws:iam::123456789012:role/backup"}
	}
	tests := []struct {
		state string
		want  notify.Status
		ended bool
	}{
		{"COMPLETED", notify.StatusPass, true},
		{"FAILED", notify.StatusFail, true},
		{"ABORTED", notify.StatusFail, true},
		{"EXPIRED", notify.StatusFail, true},
		{"PARTIAL", notify.StatusWarn, true},
		{"RUNNING", "", false},
		{"CREATED", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			for _, check := range []func(compliance.JobState) (notify.Finding, bool){compliance.BackupJobFailed, compliance.CopyJobFailed} {
				f, ended := check(job(tt.state, "not authorized"))
				if ended != tt.ended || f.Status != tt.want {
					t.Fatalf("%s: %s ended=%v, want %s ended=%v", f.Check, f.Status, ended, tt.want, tt.ended)
				}
				if !ended {
					continue
				}
				if f.Resource != dbARN || f.ResourceType != "AWS::RDS::DBInstance" {
					t.Errorf("%s is about %s %s, want the RDS instance", f.Check, f.ResourceType, f.Resource)
				}
				if f.Status.Bad() {
					mentions(t, "summary", f.Summary, tt.state, "not authorized")
				}
			}
		})
	}
	f, _ := compliance.CopyJobFailed(job("FAILED", "KMS key not accessible"))
	mentions(t, "copy remediation", f.Remediation,
		"aws backup start-copy-job --recovery-point-arn "+rpARN+" --source-backup-vault-name prod-vault --destination-backup-vault-arn "+drVault+" --iam-role-arn arn:aws:iam::123456789012:role/backup --region us-east-1")
	f, _ = compliance.BackupJobFailed(job("FAILED", ""))
	mentions(t, "backup remediation", f.Remediation, "aws backup describe-backup-job --backup-job-id job-1", "start-backup-job --backup-vault-name dr-vault --resource-arn "+dbARN)
}

func TestContinuousBackupStopped(t *testing.T) {
	f := compliance.ContinuousBackupStopped(compliance.RecoveryPointState{
		ARN: "arn:aws:backup:us-east-1:123456789012:recovery-point:continuous:db-abc", VaultName: "prod-vault",
		ResourceARN: dbARN, ResourceType: "RDS", Status: "STOPPED", StatusMessage: "no permissions",
	})
	want := outcome{compliance.CheckPITREnabled, notify.StatusFail, notify.SeverityHigh}
	if diff := cmp.Diff(want, of(f)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if f.Resource != dbARN {
		t.Errorf("about %s, want the protected database", f.Resource)
	}
	mentions(t, "summary", f.Summary, "continuous backup stopped: no permissions")
}

func TestVaultDeleted(t *testing.T) {
	f := compliance.VaultDeleted("arn:aws:backup:us-east-1:123456789012:backup-vault:scratch-vault")
	if f.Check != compliance.CheckVaultDeleted || f.Status != notify.StatusWarn {
		t.Errorf("%s %s, want %s WARN", f.Check, f.Status, compliance.CheckVaultDeleted)
	}
	mentions(t, "summary", f.Summary, "scratch-vault was deleted")
}

func TestUnanswered(t *testing.T) {
	denied := &smithy.OperationError{ServiceID: "Backup", OperationName: "DescribeBackupVault",
		Err: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not allowed"}}
	throttled := &smithy.OperationError{ServiceID: "Backup", OperationName: "DescribeBackupVault",
		Err: &smithy.GenericAPIError{Code: "ThrottlingException"}}
	missing := &smithy.OperationError{ServiceID: "RDS", OperationName: "DescribeDBInstances",
		Err: &smithy.GenericAPIError{Code: "DBInstanceNotFound"}}
	if !compliance.IsDenied(denied) || compliance.IsDenied(throttled) || compliance.IsDenied(errors.New("network")) {
		t.Errorf("IsDenied: access denied must be a refusal, throttling and plain errors not")
	}
	if !compliance.IsNotFound(missing) || compliance.IsNotFound(denied) {
		t.Errorf("IsNotFound: DBInstanceNotFound must be not found, access denied not")
	}
	invalid := &smithy.OperationError{ServiceID: "Backup", OperationName: "DescribeBackupVault",
		Err: &smithy.GenericAPIError{Code: "InvalidParameterValueException"}}
	unsent := &smithy.OperationError{ServiceID: "Backup", OperationName: "DescribeBackupVault",
		Err: smithy.InvalidParamsError{Context: "DescribeBackupVaultInput"}}
	if !compliance.IsInvalid(invalid) || !compliance.IsInvalid(unsent) || compliance.IsInvalid(throttled) || compliance.IsInvalid(denied) {
		t.Errorf("IsInvalid: rejected and unsendable parameters can never succeed; throttling and refusals are not that")
	}
	f := compliance.Unanswered(compliance.CheckVaultLockPresent, vaultARN, compliance.TypeBackupVault, denied)
	if f.Status != notify.StatusError || f.Severity != notify.SeverityMedium {
		t.Errorf("status %s %s, want ERROR MEDIUM", f.Status, f.Severity)
	}
	mentions(t, "summary", f.Summary, "AccessDeniedException")
	mentions(t, "remediation", f.Remediation, "allow backup:DescribeBackupVault on "+vaultARN)
}

func TestChecksAreStableAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range compliance.Checks() {
		if seen[c] {
			t.Errorf("check %s listed twice", c)
		}
		seen[c] = true
	}
	for _, c := range []string{"VAULT_LOCK_PRESENT", "VAULT_LOCK_IMMUTABLE", "VAULT_LOCK_RETENTION", "RECOVERY_POINT_RETENTION",
		"RECOVERY_POINT_ENCRYPTED", "CROSS_REGION_COPY_CONFIGURED", "CROSS_REGION_COPY_COMPLETED", "DESTINATION_VAULT_LOCKED",
		"DESTINATION_RETENTION", "PITR_ENABLED", "PITR_WINDOW", "PITR_FRESHNESS", "BACKUP_JOB_FAILED", "COPY_JOB_FAILED"} {
		if !seen[c] {
			t.Errorf("check %s missing: subscribers filter on it", c)
		}
	}
}
