package compliance

import "github.com/selfheal/selfheal/shared/notify"

// Check IDs of the scheduled sweep (shared/sweep): what no single event can
// show. Stable like the others: subscribers filter on them and the state
// table remembers findings by them.
const (
	// CheckPlanMinFrequencyAndRetention is AWS Config's
	// BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK (AWS Backup Audit
	// Manager's "backup plan minimum frequency and minimum retention").
	CheckPlanMinFrequencyAndRetention = "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION"
	// CheckLastRecoveryPointCreated is Audit Manager's "last recovery point
	// created" control: every protected resource was backed up recently.
	CheckLastRecoveryPointCreated = "LAST_RECOVERY_POINT_CREATED"
	// CheckRestoreTested: every protected resource passed a restore test
	// (AWS Backup restore testing, validated by selfheal) recently.
	CheckRestoreTested = "RESTORE_TESTED"

	// Auto Scaling posture: the mistakes that make a group lose capacity in
	// an AZ event, or keep it from getting it back.
	CheckASGMultiAZ          = "ASG_MULTI_AZ"
	CheckASGAZBalance        = "ASG_AZ_BALANCE"
	CheckASGHeadroom         = "ASG_MAX_ABOVE_DESIRED"
	CheckASGELBHealthCheck   = "ASG_ELB_HEALTH_CHECK"
	CheckASGGracePeriod      = "ASG_HEALTH_CHECK_GRACE_PERIOD"
	CheckASGAZRebalance      = "ASG_AZ_REBALANCE"
	CheckASGImpairmentPolicy = "ASG_AZ_IMPAIRMENT_POLICY"
)

// SweepChecks lists the check IDs only the sweep evaluates, for digests
// and documentation. The sweep also runs the vault-lock, recovery point,
// cross-region copy and PITR checks of Checks.
func SweepChecks() []string {
	return []string{
		CheckPlanMinFrequencyAndRetention, CheckLastRecoveryPointCreated, CheckRestoreTested,
		CheckASGMultiAZ, CheckASGAZBalance, CheckASGHeadroom, CheckASGELBHealthCheck,
		CheckASGGracePeriod, CheckASGAZRebalance, CheckASGImpairmentPolicy,
	}
}

// sweepFailSeverity is how urgent a FAIL of each sweep check is.
var sweepFailSeverity = map[string]notify.Severity{
	CheckPlanMinFrequencyAndRetention: notify.SeverityHigh,
	CheckLastRecoveryPointCreated:     notify.SeverityHigh,
	CheckRestoreTested:                notify.SeverityMedium,
	CheckASGMultiAZ:                   notify.SeverityHigh,
	CheckASGAZBalance:                 notify.SeverityMedium,
	CheckASGHeadroom:                  notify.SeverityMedium,
	CheckASGELBHealthCheck:            notify.SeverityMedium,
	CheckASGGracePeriod:               notify.SeverityLow,
	CheckASGAZRebalance:               notify.SeverityMedium,
	CheckASGImpairmentPolicy:          notify.SeverityLow,
}

// sweepFinding is finding with the sweep checks' own severities.
func sweepFinding(check string, st notify.Status, resource, resourceType, summary string, observed map[string]string, remediation string) notify.Finding {
	f := finding(check, st, resource, resourceType, summary, observed, remediation)
	sev := sweepFailSeverity[check]
	switch st {
	case notify.StatusFail:
		f.Severity = sev
	case notify.StatusWarn, notify.StatusError:
		f.Severity = notify.SeverityMedium
		if sev == notify.SeverityLow {
			f.Severity = notify.SeverityLow
		}
	}
	return f
}
