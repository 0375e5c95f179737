package compliance

import "github.com/selfheal/selfheal/shared/notify"

// Check IDs. They are stable: subscribers filter on them (the "checks"
// message attribute) and the state table remembers findings by them.
const (
	CheckVaultLockPresent          = "VAULT_LOCK_PRESENT"
	CheckVaultLockImmutable        = "VAULT_LOCK_IMMUTABLE"
	CheckVaultLockRetention        = "VAULT_LOCK_RETENTION"
	CheckVaultDeleted              = "BACKUP_VAULT_DELETED"
	CheckRecoveryPointRetention    = "RECOVERY_POINT_RETENTION"
	CheckRecoveryPointEncrypted    = "RECOVERY_POINT_ENCRYPTED"
	CheckCrossRegionCopyConfigured = "CROSS_REGION_COPY_CONFIGURED"
	CheckCrossRegionCopyCompleted  = "CROSS_REGION_COPY_COMPLETED"
	CheckDestinationVaultLocked    = "DESTINATION_VAULT_LOCKED"
	CheckDestinationRetention      = "DESTINATION_RETENTION"
	CheckPITREnabled               = "PITR_ENABLED"
	CheckPITRWindow                = "PITR_WINDOW"
	CheckPITRFreshness             = "PITR_FRESHNESS"
	CheckBackupJobFailed           = "BACKUP_JOB_FAILED"
	CheckCopyJobFailed             = "COPY_JOB_FAILED"
	CheckBackupPlanDeleted         = "BACKUP_PLAN_DELETED"
	// Restore tests (AWS Backup restore testing): the test passed, and
	// its measured recovery time and point met their targets.
	CheckRestoreTestFailed = "RESTORE_TEST_FAILED"
	CheckRestoreRTO        = "RESTORE_RTO"
	CheckRestoreRPO        = "RESTORE_RPO"
)

// failSeverity is how urgent a FAIL of each check is. A WARN or an ERROR
// is MEDIUM at most, a PASS or NOT_APPLICABLE is INFO.
var failSeverity = map[string]notify.Severity{
	CheckVaultLockPresent:          notify.SeverityHigh,
	CheckVaultLockImmutable:        notify.SeverityHigh,
	CheckVaultLockRetention:        notify.SeverityMedium,
	CheckVaultDeleted:              notify.SeverityMedium,
	CheckRecoveryPointRetention:    notify.SeverityMedium,
	CheckRecoveryPointEncrypted:    notify.SeverityHigh,
	CheckCrossRegionCopyConfigured: notify.SeverityHigh,
	CheckCrossRegionCopyCompleted:  notify.SeverityHigh,
	CheckDestinationVaultLocked:    notify.SeverityHigh,
	CheckDestinationRetention:      notify.SeverityMedium,
	CheckPITREnabled:               notify.SeverityHigh,
	CheckPITRWindow:                notify.SeverityMedium,
	CheckPITRFreshness:             notify.SeverityHigh,
	CheckBackupJobFailed:           notify.SeverityHigh,
	CheckCopyJobFailed:             notify.SeverityHigh,
	CheckBackupPlanDeleted:         notify.SeverityHigh,
	CheckRestoreTestFailed:         notify.SeverityHigh,
	CheckRestoreRTO:                notify.SeverityHigh,
	CheckRestoreRPO:                notify.SeverityMedium,
}

// Checks lists every check ID, for digests and documentation.
func Checks() []string {
	return []string{
		CheckVaultLockPresent, CheckVaultLockImmutable, CheckVaultLockRetention, CheckVaultDeleted,
		CheckRecoveryPointRetention, CheckRecoveryPointEncrypted,
		CheckCrossRegionCopyConfigured, CheckCrossRegionCopyCompleted,
		CheckDestinationVaultLocked, CheckDestinationRetention,
		CheckPITREnabled, CheckPITRWindow, CheckPITRFreshness,
		CheckBackupJobFailed, CheckCopyJobFailed, CheckBackupPlanDeleted,
		CheckRestoreTestFailed, CheckRestoreRTO, CheckRestoreRPO,
	}
}

func severity(check string, st notify.Status) notify.Severity {
	switch st {
	case notify.StatusFail:
		if s, ok := failSeverity[check]; ok {
			return s
		}
		return notify.SeverityHigh
	case notify.StatusWarn, notify.StatusError:
		if failSeverity[check] == notify.SeverityLow {
			return notify.SeverityLow
		}
		return notify.SeverityMedium
	}
	return notify.SeverityInfo
}
