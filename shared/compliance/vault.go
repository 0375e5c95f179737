package compliance

import (
	"fmt"
	"math"
	"time"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

// lockCommand is the command that puts a policy-compliant compliance-mode
// lock on a vault. ChangeableForDays 3 is the shortest grace time AWS
// allows. https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html
func lockCommand(v VaultState, p config.VaultLock) string {
	_, region, _ := arnParts(v.ARN)
	cmd := fmt.Sprintf("aws backup put-backup-vault-lock-configuration --backup-vault-name %s --min-retention-days %d", v.Name, max(p.MinRetentionDays, 1))
	if p.MaxRetentionDays > 0 {
		cmd += fmt.Sprintf(" --max-retention-days %d", p.MaxRetentionDays)
	}
	return cmd + " --changeable-for-days 3 --region " + region
}

// newVaultCommand is the way out of an immutable lock with the wrong
// bounds: a new vault, locked right, and the plans pointed at it.
func newVaultCommand(v VaultState, p config.VaultLock) string {
	_, region, _ := arnParts(v.ARN)
	nv := v
	nv.Name = v.Name + "-v2"
	return fmt.Sprintf("the lock is immutable: create a compliant vault and move the plan rules to it: aws backup create-backup-vault --backup-vault-name %s --region %s && %s",
		nv.Name, region, lockCommand(nv, p))
}

func vaultObserved(v VaultState, now time.Time) map[string]string {
	return map[string]string{
		"locked":           yes(v.Locked),
		"lockMode":         string(v.Mode(now)),
		"lockDate":         stamp(v.LockDate),
		"minRetentionDays": days(v.MinRetentionDays),
		"maxRetentionDays": days(v.MaxRetentionDays),
		"vaultType":        v.VaultType,
	}
}

func vaultGone(check string, v VaultState) notify.Finding {
	return finding(check, notify.StatusNotApplicable, v.ARN, TypeBackupVault,
		fmt.Sprintf("vault %s no longer exists", v.Name), map[string]string{"exists": "false"}, "")
}

// VaultLockPresent: the vault has Vault Lock.
func VaultLockPresent(v VaultState, p config.VaultLock, now time.Time) notify.Finding {
	if v.NotFound {
		return vaultGone(CheckVaultLockPresent, v)
	}
	obs := vaultObserved(v, now)
	if !v.HasLock() {
		return finding(CheckVaultLockPresent, notify.StatusFail, v.ARN, TypeBackupVault,
			"Vault Lock missing: recovery points can be deleted early", obs, lockCommand(v, p))
	}
	return finding(CheckVaultLockPresent, notify.StatusPass, v.ARN, TypeBackupVault,
		fmt.Sprintf("Vault Lock present (%s)", modeName(v.Mode(now))), obs, "")
}

func modeName(m LockMode) string {
	switch m {
	case LockGovernance:
		return "governance mode"
	case LockComplianceGrace:
		return "compliance mode, in grace time"
	case LockCompliance:
		return "compliance mode, immutable"
	}
	return "no lock"
}

// daysUntil counts started days from now to t: 2.1 days is 3.
func daysUntil(now, t time.Time) int64 {
	return int64(math.Ceil(t.Sub(now).Hours() / 24))
}

// VaultLockImmutable: the lock is in compliance mode and past its lock
// date. Governance mode, or grace time, is a WARN (a FAIL when the policy
// requires compliance mode) saying how long it can still be removed.
func VaultLockImmutable(v VaultState, p config.VaultLock, now time.Time) notify.Finding {
	if v.NotFound {
		return vaultGone(CheckVaultLockImmutable, v)
	}
	obs := vaultObserved(v, now)
	obs["policy.requireComplianceMode"] = yes(p.RequireComplianceMode)
	notYet := notify.StatusWarn
	if p.RequireComplianceMode {
		notYet = notify.StatusFail
	}
	switch v.Mode(now) {
	case LockNone:
		return finding(CheckVaultLockImmutable, notify.StatusNotApplicable, v.ARN, TypeBackupVault,
			"no Vault Lock to be immutable (see "+CheckVaultLockPresent+")", obs, "")
	case LockGovernance:
		return finding(CheckVaultLockImmutable, notYet, v.ARN, TypeBackupVault,
			"Vault Lock in governance mode: removable at any time by anyone allowed backup:DeleteBackupVaultLockConfiguration",
			obs, lockCommand(v, p))
	case LockComplianceGrace:
		left := daysUntil(now, *v.LockDate)
		obs["graceDaysLeft"] = fmt.Sprint(left)
		return finding(CheckVaultLockImmutable, notYet, v.ARN, TypeBackupVault,
			fmt.Sprintf("Vault Lock in compliance mode but still in grace time: removable for %s more, until %s", plural(left, "day"), stamp(v.LockDate)),
			obs, fmt.Sprintf("wait: the lock becomes immutable on %s by itself; do not delete or change it meanwhile", stamp(v.LockDate)))
	}
	return finding(CheckVaultLockImmutable, notify.StatusPass, v.ARN, TypeBackupVault,
		"Vault Lock in compliance mode and immutable since "+stamp(v.LockDate), obs, "")
}

// VaultLockRetention: the lock's MinRetentionDays is at least the policy's
// minimum, and its MaxRetentionDays at most the policy's maximum when the
// policy sets one.
func VaultLockRetention(v VaultState, p config.VaultLock, now time.Time) notify.Finding {
	if v.NotFound {
		return vaultGone(CheckVaultLockRetention, v)
	}
	obs := vaultObserved(v, now)
	obs["policy.minRetentionDays"] = itoa(p.MinRetentionDays)
	obs["policy.maxRetentionDays"] = itoa(p.MaxRetentionDays)
	mode := v.Mode(now)
	if mode == LockNone {
		return finding(CheckVaultLockRetention, notify.StatusNotApplicable, v.ARN, TypeBackupVault,
			"no Vault Lock to bound retention (see "+CheckVaultLockPresent+")", obs, "")
	}
	fix := lockCommand(v, p)
	if mode == LockCompliance {
		fix = newVaultCommand(v, p)
	}
	switch {
	case p.MinRetentionDays > 0 && v.MinRetentionDays == nil:
		return finding(CheckVaultLockRetention, notify.StatusFail, v.ARN, TypeBackupVault,
			fmt.Sprintf("Vault Lock sets no minimum retention (policy: at least %d days)", p.MinRetentionDays), obs, fix)
	case v.MinRetentionDays != nil && *v.MinRetentionDays < int64(p.MinRetentionDays):
		return finding(CheckVaultLockRetention, notify.StatusFail, v.ARN, TypeBackupVault,
			fmt.Sprintf("Vault Lock minimum retention %d days is below the policy's %d", *v.MinRetentionDays, p.MinRetentionDays), obs, fix)
	case p.MaxRetentionDays > 0 && v.MaxRetentionDays == nil:
		return finding(CheckVaultLockRetention, notify.StatusFail, v.ARN, TypeBackupVault,
			fmt.Sprintf("Vault Lock sets no maximum retention (policy: at most %d days)", p.MaxRetentionDays), obs, fix)
	case p.MaxRetentionDays > 0 && *v.MaxRetentionDays > int64(p.MaxRetentionDays):
		return finding(CheckVaultLockRetention, notify.StatusFail, v.ARN, TypeBackupVault,
			fmt.Sprintf("Vault Lock maximum retention %d days is above the policy's %d", *v.MaxRetentionDays, p.MaxRetentionDays), obs, fix)
	}
	return finding(CheckVaultLockRetention, notify.StatusPass, v.ARN, TypeBackupVault,
		fmt.Sprintf("Vault Lock retention (min %s, max %s days) is within policy", days(v.MinRetentionDays), days(v.MaxRetentionDays)), obs, "")
}

// VaultChecks are the three vault-lock checks of one vault.
func VaultChecks(v VaultState, p config.VaultLock, now time.Time) []notify.Finding {
	return []notify.Finding{
		VaultLockPresent(v, p, now),
		VaultLockImmutable(v, p, now),
		VaultLockRetention(v, p, now),
	}
}

// DestinationVaultLocked: the vault a cross-region copy landed in passes
// the three vault-lock checks. The finding takes the worst of them, and
// says which failed.
func DestinationVaultLocked(v VaultState, p config.VaultLock, now time.Time) notify.Finding {
	if v.NotFound {
		return vaultGone(CheckDestinationVaultLocked, v)
	}
	worst := notify.Finding{Status: notify.StatusPass}
	obs := vaultObserved(v, now)
	for _, f := range VaultChecks(v, p, now) {
		obs[f.Check] = string(f.Status)
		if rank(f.Status) > rank(worst.Status) {
			worst = f
		}
	}
	if worst.Status == notify.StatusPass {
		return finding(CheckDestinationVaultLocked, notify.StatusPass, v.ARN, TypeBackupVault,
			"destination vault locked within policy ("+modeName(v.Mode(now))+")", obs, "")
	}
	return finding(CheckDestinationVaultLocked, worst.Status, v.ARN, TypeBackupVault,
		"destination vault: "+worst.Summary, obs, worst.Remediation)
}

// VaultDeleted reports the deletion of a backup vault: plans that still
// target it fail from now on, and a vault that held locked backups cannot
// be deleted, so someone removed an unlocked or empty vault on purpose.
func VaultDeleted(vaultARN string) notify.Finding {
	name := VaultNameOf(vaultARN)
	_, region, _ := arnParts(vaultARN)
	return finding(CheckVaultDeleted, notify.StatusWarn, vaultARN, TypeBackupVault,
		fmt.Sprintf("backup vault %s was deleted", name), map[string]string{"exists": "false"},
		fmt.Sprintf("check that no backup plan rule still targets it: aws backup list-backup-plans --region %s, then aws backup get-backup-plan --backup-plan-id <id> for each", region))
}

// rank orders statuses from good to bad.
func rank(s notify.Status) int {
	switch s {
	case notify.StatusWarn:
		return 1
	case notify.StatusError:
		return 2
	case notify.StatusFail:
		return 3
	}
	return 0
}
