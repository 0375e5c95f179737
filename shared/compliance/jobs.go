package compliance

import (
	"fmt"

	"github.com/selfheal/selfheal/shared/notify"
)

// JobState is a backup or copy job as its state-change event (or
// DescribeBackupJob / ListCopyJobs) shows it.
type JobState struct {
	ID            string
	State         string // COMPLETED, FAILED, ABORTED, EXPIRED, PARTIAL, …
	StatusMessage string
	ResourceARN   string
	ResourceType  string // AWS Backup's name
	// VaultARN is the backup job's vault, or the copy job's destination.
	VaultARN string
	// SourceVaultARN and SourceRecoveryPointARN are a copy job's source.
	SourceVaultARN         string
	SourceRecoveryPointARN string
	IAMRoleARN             string
}

// jobStatus: COMPLETED passes; FAILED, ABORTED and EXPIRED fail; PARTIAL
// (some of a composite resource backed up) warns. Findings are about the
// protected resource, so the next completed job resolves a failure.
func jobStatus(state string) (notify.Status, bool) {
	switch state {
	case "COMPLETED":
		return notify.StatusPass, true
	case "FAILED", "ABORTED", "EXPIRED":
		return notify.StatusFail, true
	case "PARTIAL":
		return notify.StatusWarn, true
	}
	return "", false
}

func jobObserved(j JobState) map[string]string {
	obs := map[string]string{"jobId": j.ID, "state": j.State, "vault": j.VaultARN}
	if j.StatusMessage != "" {
		obs["statusMessage"] = j.StatusMessage
	}
	if j.SourceVaultARN != "" {
		obs["sourceVault"] = j.SourceVaultARN
	}
	return obs
}

func orPlaceholder(s, placeholder string) string {
	if s == "" {
		return placeholder
	}
	return s
}

// BackupJobFailed: the backup job of the resource completed. ok is false
// for a job that has not ended (CREATED, RUNNING, …): nothing to judge.
func BackupJobFailed(j JobState) (f notify.Finding, ok bool) {
	st, ok := jobStatus(j.State)
	if !ok {
		return notify.Finding{}, false
	}
	region := RegionOf(j.VaultARN)
	summary := "backup job completed"
	if st != notify.StatusPass {
		summary = "backup job " + j.State
		if j.StatusMessage != "" {
			summary += ": " + j.StatusMessage
		}
	}
	fix := fmt.Sprintf("aws backup describe-backup-job --backup-job-id %s --region %s shows the cause; after fixing it back up again: aws backup start-backup-job --backup-vault-name %s --resource-arn %s --iam-role-arn %s --region %s",
		j.ID, region, orPlaceholder(VaultNameOf(j.VaultARN), "<vault>"), j.ResourceARN, orPlaceholder(j.IAMRoleARN, "<backup role>"), region)
	return about(finding(CheckBackupJobFailed, st, j.ResourceARN, ResourceType(j.ResourceType, j.ResourceARN), summary, jobObserved(j), fix),
		j.ResourceARN, j.ResourceType), true
}

// CopyJobFailed: the copy job of the resource's recovery point completed.
// ok is false for a job that has not ended.
func CopyJobFailed(j JobState) (f notify.Finding, ok bool) {
	st, ok := jobStatus(j.State)
	if !ok {
		return notify.Finding{}, false
	}
	region := RegionOf(j.SourceVaultARN)
	summary := "copy to " + RegionOf(j.VaultARN) + " completed"
	if st != notify.StatusPass {
		summary = "copy to " + RegionOf(j.VaultARN) + " " + j.State
		if j.StatusMessage != "" {
			summary += ": " + j.StatusMessage
		}
	}
	fix := fmt.Sprintf("after fixing the cause copy again: aws backup start-copy-job --recovery-point-arn %s --source-backup-vault-name %s --destination-backup-vault-arn %s --iam-role-arn %s --region %s",
		j.SourceRecoveryPointARN, orPlaceholder(VaultNameOf(j.SourceVaultARN), "<vault>"), j.VaultARN, orPlaceholder(j.IAMRoleARN, "<backup role>"), region)
	return about(finding(CheckCopyJobFailed, st, j.ResourceARN, ResourceType(j.ResourceType, j.ResourceARN), summary, jobObserved(j), fix),
		j.ResourceARN, j.ResourceType), true
}
