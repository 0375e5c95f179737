package compliance

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

// PITRKindOf says how a resource AWS Backup protects gets point-in-time
// recovery, from its ARN and AWS Backup resource type.
func PITRKindOf(resourceARN, backupType string) PITRKind {
	a, err := arn.Parse(resourceARN)
	if err != nil {
		return PITRNotSupported
	}
	switch {
	case a.Service == "dynamodb" && strings.HasPrefix(a.Resource, "table/"):
		return PITRDynamoDB
	case a.Service == "rds" && strings.HasPrefix(a.Resource, "db:"):
		return PITRRDSInstance
	// DocumentDB and Neptune clusters have rds cluster ARNs too.
	case a.Service == "rds" && strings.HasPrefix(a.Resource, "cluster:") && (backupType == "Aurora" || backupType == "RDS"):
		return PITRAurora
	case a.Service == "s3":
		return PITRS3
	}
	return PITRNotSupported
}

// resourceName is the identifier AWS CLI commands take: the table, the DB
// instance or cluster, the bucket.
func resourceName(resourceARN string) string {
	_, _, res := arnParts(resourceARN)
	for _, p := range []string{"table/", "db:", "cluster:"} {
		if name, ok := strings.CutPrefix(res, p); ok {
			name, _, _ = strings.Cut(name, "/")
			return name
		}
	}
	return res
}

func pitrObserved(s PITRState, p config.PITR) map[string]string {
	obs := map[string]string{
		"kind":                 string(s.Kind),
		"enabled":              yes(s.Enabled),
		"windowDays":           days(s.WindowDays),
		"latestRestorableTime": stamp(s.LatestRestorable),
		"policy.minWindowDays": itoa(p.MinWindowDays),
		"policy.maxLag":        p.MaxLag.Duration.String(),
	}
	if s.Status != "" {
		obs["status"] = s.Status
	}
	if s.RecoveryPointARN != "" {
		obs["continuousRecoveryPoint"] = s.RecoveryPointARN
	}
	if s.NotFound {
		obs["exists"] = "false"
	}
	return obs
}

// pitrNotApplicable answers for a resource whose PITR cannot be judged:
// a type without PITR, a resource that is gone, or (for the window and
// freshness checks) PITR that is off.
func pitrNotApplicable(check string, s PITRState, p config.PITR, alsoWhenOff bool) (notify.Finding, bool) {
	var summary string
	switch {
	case s.Kind == PITRNotSupported:
		summary = "point-in-time recovery is not checked for " + orPlaceholder(s.ResourceType, "this resource type")
	case s.NotFound:
		summary = resourceName(s.ResourceARN) + " no longer exists (deleted since the backup)"
	case alsoWhenOff && !s.Enabled:
		summary = "point-in-time recovery is off (see " + CheckPITREnabled + ")"
	default:
		return notify.Finding{}, false
	}
	return finding(check, notify.StatusNotApplicable, s.ResourceARN, s.ResourceType, summary, pitrObserved(s, p), ""), true
}

// pitrCommand turns on point-in-time recovery with the policy's window.
func pitrCommand(s PITRState, p config.PITR) string {
	name, region := resourceName(s.ResourceARN), RegionOf(s.ResourceARN)
	switch s.Kind {
	case PITRDynamoDB:
		return fmt.Sprintf("aws dynamodb update-continuous-backups --table-name %s --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true,RecoveryPeriodInDays=%d --region %s", name, p.MinWindowDays, region)
	case PITRRDSInstance:
		return fmt.Sprintf("aws rds modify-db-instance --db-instance-identifier %s --backup-retention-period %d --apply-immediately --region %s", name, p.MinWindowDays, region)
	case PITRAurora:
		return fmt.Sprintf("aws rds modify-db-cluster --db-cluster-identifier %s --backup-retention-period %d --apply-immediately --region %s", name, p.MinWindowDays, region)
	}
	return fmt.Sprintf("add a rule with \"EnableContinuousBackup\": true and Lifecycle.DeleteAfterDays %d to a backup plan that selects bucket %s (aws backup update-backup-plan)", p.MinWindowDays, name)
}

// PITREnabled: the resource can be restored to a point in time: DynamoDB
// PITR on, RDS/Aurora automated backups kept (BackupRetentionPeriod > 0),
// an S3 continuous recovery point AVAILABLE.
func PITREnabled(s PITRState, p config.PITR) notify.Finding {
	if f, ok := pitrNotApplicable(CheckPITREnabled, s, p, false); ok {
		return f
	}
	obs := pitrObserved(s, p)
	if !s.Enabled {
		summary := "point-in-time recovery is off"
		switch s.Kind {
		case PITRRDSInstance, PITRAurora:
			summary = "automated backups are off (backup retention 0): no point-in-time recovery"
		case PITRS3:
			summary = "no AVAILABLE continuous backup: no point-in-time recovery"
			if s.Status != "" {
				summary = "continuous backup is " + s.Status + ": no point-in-time recovery"
			}
		}
		return finding(CheckPITREnabled, notify.StatusFail, s.ResourceARN, s.ResourceType, summary, obs, pitrCommand(s, p))
	}
	return finding(CheckPITREnabled, notify.StatusPass, s.ResourceARN, s.ResourceType, "point-in-time recovery is on", obs, "")
}

// PITRWindow: the restorable history is at least the policy's days.
func PITRWindow(s PITRState, p config.PITR) notify.Finding {
	if f, ok := pitrNotApplicable(CheckPITRWindow, s, p, true); ok {
		return f
	}
	obs := pitrObserved(s, p)
	if s.WindowDays == nil {
		return finding(CheckPITRWindow, notify.StatusNotApplicable, s.ResourceARN, s.ResourceType,
			"the restore window is not reported for this resource", obs, "")
	}
	if *s.WindowDays < int64(p.MinWindowDays) {
		return finding(CheckPITRWindow, notify.StatusFail, s.ResourceARN, s.ResourceType,
			fmt.Sprintf("restore window %s, below the policy's %d", plural(*s.WindowDays, "day"), p.MinWindowDays), obs, pitrCommand(s, p))
	}
	return finding(CheckPITRWindow, notify.StatusPass, s.ResourceARN, s.ResourceType,
		fmt.Sprintf("restore window %s (policy: at least %d)", plural(*s.WindowDays, "day"), p.MinWindowDays), obs, "")
}

// PITRFreshness: the latest restorable time is no older than the policy's
// lag. AWS documents about five minutes in normal operation for both
// DynamoDB (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PointInTimeRecoveryDescription.html)
// and RDS (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIT.html);
// a lag past the policy's means the transaction logs stopped shipping.
func PITRFreshness(s PITRState, p config.PITR, now time.Time) notify.Finding {
	if f, ok := pitrNotApplicable(CheckPITRFreshness, s, p, true); ok {
		return f
	}
	obs := pitrObserved(s, p)
	name, region := resourceName(s.ResourceARN), RegionOf(s.ResourceARN)
	var fix string
	switch s.Kind {
	case PITRDynamoDB:
		fix = fmt.Sprintf("check the table and AWS Health for DynamoDB: aws dynamodb describe-continuous-backups --table-name %s --region %s", name, region)
	case PITRRDSInstance:
		fix = fmt.Sprintf("a stopped or storage-full instance stops archiving logs: aws rds describe-db-instances --db-instance-identifier %s --query 'DBInstances[0].[DBInstanceStatus,LatestRestorableTime]' --region %s", name, region)
	case PITRAurora:
		fix = fmt.Sprintf("check the cluster: aws rds describe-db-clusters --db-cluster-identifier %s --query 'DBClusters[0].[Status,LatestRestorableTime]' --region %s", name, region)
	case PITRS3:
		return finding(CheckPITRFreshness, notify.StatusNotApplicable, s.ResourceARN, s.ResourceType,
			"AWS Backup does not report a latest restorable time for S3", obs, "")
	}
	if s.LatestRestorable == nil {
		return finding(CheckPITRFreshness, notify.StatusWarn, s.ResourceARN, s.ResourceType,
			"no latest restorable time reported yet", obs, fix)
	}
	lag := now.Sub(*s.LatestRestorable)
	obs["lag"] = lag.Round(time.Second).String()
	if lag > p.MaxLag.Duration {
		return finding(CheckPITRFreshness, notify.StatusFail, s.ResourceARN, s.ResourceType,
			fmt.Sprintf("latest restorable time is %s old (policy: at most %s)", lag.Round(time.Second), p.MaxLag.Duration), obs, fix)
	}
	return finding(CheckPITRFreshness, notify.StatusPass, s.ResourceARN, s.ResourceType,
		fmt.Sprintf("restorable to %s ago", max(lag, 0).Round(time.Second)), obs, "")
}

// PITRChecks are the three PITR checks of one resource.
func PITRChecks(s PITRState, p config.PITR, now time.Time) []notify.Finding {
	return []notify.Finding{PITREnabled(s, p), PITRWindow(s, p), PITRFreshness(s, p, now)}
}

// ContinuousBackupStopped is the PITR_ENABLED finding of a continuous
// backup (AWS Backup's point-in-time recovery) that turned STOPPED: the
// protected resource can no longer be restored to a point in time through
// AWS Backup. The next backup job of the resource reads its PITR again
// from the service itself.
func ContinuousBackupStopped(rp RecoveryPointState) notify.Finding {
	resource := orPlaceholder(rp.ResourceARN, rp.ARN)
	obs := map[string]string{"continuousRecoveryPoint": rp.ARN, "status": rp.Status, "vault": rp.VaultARN}
	summary := "continuous backup stopped"
	if rp.StatusMessage != "" {
		obs["statusMessage"] = rp.StatusMessage
		summary += ": " + rp.StatusMessage
	}
	return finding(CheckPITREnabled, notify.StatusFail, resource, ResourceType(rp.ResourceType, rp.ResourceARN), summary, obs,
		fmt.Sprintf("give the backup role back its permissions on the resource, then check the continuous backup resumes: aws backup describe-recovery-point --backup-vault-name %s --recovery-point-arn %s --region %s",
			orPlaceholder(rp.VaultName, VaultNameOf(rp.VaultARN)), rp.ARN, RegionOf(rp.ARN)))
}
