package compliance

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

// ProtectedResourceState is a resource AWS Backup has backed up, as
// ListProtectedResources shows it: "resources successfully backed up by
// Backup, including the time the resource was saved".
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListProtectedResources.html
type ProtectedResourceState struct {
	ResourceARN          string
	ResourceType         string // AWS Backup's name: DynamoDB, RDS, Aurora, S3, …
	LastBackup           *time.Time
	LastRecoveryPointARN string
	LastVaultARN         string
	// NotFound: the resource itself no longer exists (its recovery points
	// outlive it), as the sweep's own listing of the region shows.
	NotFound bool
}

// ProtectedResourceFromListMember converts one result of
// ListProtectedResources.
func ProtectedResourceFromListMember(m backuptypes.ProtectedResource) ProtectedResourceState {
	return ProtectedResourceState{
		ResourceARN:          aws.ToString(m.ResourceArn),
		ResourceType:         aws.ToString(m.ResourceType),
		LastBackup:           utc(m.LastBackupTime),
		LastRecoveryPointARN: aws.ToString(m.LastRecoveryPointArn),
		LastVaultARN:         aws.ToString(m.LastBackupVaultArn),
	}
}

// LastRecoveryPointCreated: the resource's latest recovery point is no
// older than Backup.MaxInterval plus Backup.Slack (a job takes time to
// start and run). At the bound exactly is still on time.
func LastRecoveryPointCreated(r ProtectedResourceState, p config.Backup, now time.Time) notify.Finding {
	typ := ResourceType(r.ResourceType, r.ResourceARN)
	window := p.MaxInterval.Duration + p.Slack.Duration
	obs := map[string]string{
		"lastBackupTime":     stamp(r.LastBackup),
		"lastRecoveryPoint":  r.LastRecoveryPointARN,
		"lastBackupVault":    r.LastVaultARN,
		"policy.maxInterval": p.MaxInterval.Duration.String(),
		"policy.slack":       p.Slack.Duration.String(),
		"backupResourceType": r.ResourceType,
	}
	if r.NotFound {
		obs["exists"] = "false"
		return sweepFinding(CheckLastRecoveryPointCreated, notify.StatusNotApplicable, r.ResourceARN, typ,
			resourceName(r.ResourceARN)+" no longer exists; only its recovery points remain", obs, "")
	}
	region := orPlaceholder(RegionOf(r.ResourceARN), RegionOf(r.LastVaultARN))
	fix := fmt.Sprintf("see why its backups stopped: aws backup list-backup-jobs --by-resource-arn %s --region %s; check that a backup plan still selects it (aws backup list-backup-selections)", r.ResourceARN, region)
	if IsContinuousRecoveryPoint(r.LastRecoveryPointARN) {
		// A continuous backup is one recovery point kept current, whose
		// creation date is when it started: its age says nothing. Whether
		// it still runs is what the PITR checks and its STOPPED event say.
		obs["continuous"] = "true"
		return sweepFinding(CheckLastRecoveryPointCreated, notify.StatusPass, r.ResourceARN, typ,
			"protected by a continuous backup (point-in-time recovery)", obs, "")
	}
	if r.LastBackup == nil {
		return sweepFinding(CheckLastRecoveryPointCreated, notify.StatusFail, r.ResourceARN, typ,
			"no backup time reported for this protected resource", obs, fix)
	}
	age := now.Sub(*r.LastBackup)
	obs["age"] = age.Round(time.Minute).String()
	if age > window {
		return sweepFinding(CheckLastRecoveryPointCreated, notify.StatusFail, r.ResourceARN, typ,
			fmt.Sprintf("last recovery point is %s old (policy: every %s, plus %s slack)", roughAge(age), everyText(p.MaxInterval.Duration), everyText(p.Slack.Duration)),
			obs, fix)
	}
	return sweepFinding(CheckLastRecoveryPointCreated, notify.StatusPass, r.ResourceARN, typ,
		fmt.Sprintf("last recovery point %s ago", roughAge(max(age, 0))), obs, "")
}

// roughAge is an age to the minute, in days past two days: 3h12m, 4d.
func roughAge(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return everyText(d.Round(time.Minute))
}

// RecoveryPointFromListMember converts one recovery point of
// ListRecoveryPointsByBackupVault, which carries everything the retention
// and encryption checks read: a sweep needs no describe call per recovery
// point.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RecoveryPointByBackupVault.html
func RecoveryPointFromListMember(m backuptypes.RecoveryPointByBackupVault) RecoveryPointState {
	rp := RecoveryPointState{
		ARN:              aws.ToString(m.RecoveryPointArn),
		VaultARN:         aws.ToString(m.BackupVaultArn),
		VaultName:        aws.ToString(m.BackupVaultName),
		ResourceARN:      aws.ToString(m.ResourceArn),
		ResourceType:     aws.ToString(m.ResourceType),
		Status:           string(m.Status),
		StatusMessage:    aws.ToString(m.StatusMessage),
		IsEncrypted:      m.IsEncrypted,
		EncryptionKeyARN: aws.ToString(m.EncryptionKeyArn),
		DeleteAfterDays:  lifecycleDays(m.Lifecycle),
		Created:          utc(m.CreationDate),
	}
	if c := m.CalculatedLifecycle; c != nil {
		rp.DeleteAt = utc(c.DeleteAt)
	}
	if c := m.CreatedBy; c != nil {
		rp.PlanID, rp.RuleID = aws.ToString(c.BackupPlanId), aws.ToString(c.BackupRuleId)
	}
	return rp
}
