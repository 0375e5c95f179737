package eventbridge

import (
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// RestoreJobStateChange is the detail of an aws.backup "Restore Job State
// Change". Shapes:
// https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html#aws-backup-events-restore-job
type RestoreJobStateChange struct {
	RestoreJobID string
	// Status is detail.status or, as the documented CREATED event carries
	// it, detail.state.
	Status        RestoreJobStatus
	StatusMessage string
	// RecoveryPointARN is detail.recoveryPointArn or, when absent, the
	// event's first resource if that is an AWS Backup recovery point
	// (the documented FAILED and RUNNING events name a snapshot or an AMI
	// there instead).
	RecoveryPointARN string
	BackupVaultARN   string
	// SourceResourceARN is the protected resource the recovery point was
	// made of; CreatedResourceARN the resource the restore made (COMPLETED).
	SourceResourceARN  string
	CreatedResourceARN string
	ResourceType       string // AWS Backup's name: "DynamoDB", "RDS", "Aurora", "EBS", "S3", …
	IAMRoleARN         string
	// RestoreTestingPlanARN is set for jobs a restore testing plan started:
	// detail.restoreTestingPlanArn, or detail.createdBy.restoreTestingPlanArn
	// as DescribeRestoreJob's CreatedBy has it.
	RestoreTestingPlanARN string
	CreationDate          time.Time
	CompletionDate        time.Time
	// BackupSizeInBytes arrives as a string.
	BackupSizeInBytes int64
	PercentDone       float64
}

// RestoreJobStatus is a restore job's status (the API's RestoreJobStatus,
// plus CREATED, which only the event reports).
type RestoreJobStatus string

const (
	RestoreJobCreated   RestoreJobStatus = "CREATED"
	RestoreJobPending   RestoreJobStatus = "PENDING"
	RestoreJobRunning   RestoreJobStatus = "RUNNING"
	RestoreJobCompleted RestoreJobStatus = "COMPLETED"
	RestoreJobAborted   RestoreJobStatus = "ABORTED"
	RestoreJobFailed    RestoreJobStatus = "FAILED"
)

// Ended reports whether the job has an outcome: COMPLETED, FAILED or
// ABORTED.
func (s RestoreJobStatus) Ended() bool {
	return s == RestoreJobCompleted || s == RestoreJobFailed || s == RestoreJobAborted
}

func decodeRestoreJob(env *events.EventBridgeEvent, d object) any {
	status := d.String("status")
	if status == "" {
		status = d.String("state")
	}
	if status == "" && d.r.err == nil {
		d.r.fail(d.sub("status"), "missing")
	}
	j := &RestoreJobStateChange{
		RestoreJobID:          d.RequiredString("restoreJobId"),
		Status:                RestoreJobStatus(status),
		StatusMessage:         statusMessage(d.String("statusMessage")),
		RecoveryPointARN:      d.String("recoveryPointArn"),
		BackupVaultARN:        d.String("backupVaultArn"),
		SourceResourceARN:     d.String("sourceResourceArn"),
		CreatedResourceARN:    d.String("createdResourceArn"),
		ResourceType:          d.String("resourceType"),
		IAMRoleARN:            d.String("iamRoleArn"),
		RestoreTestingPlanARN: d.String("restoreTestingPlanArn"),
		CreationDate:          d.Time("creationDate"),
		CompletionDate:        d.Time("completionDate"),
		BackupSizeInBytes:     d.Int("backupSizeInBytes"),
		PercentDone:           d.Float("percentDone"),
	}
	if j.RestoreTestingPlanARN == "" {
		j.RestoreTestingPlanARN = d.Object("createdBy").String("restoreTestingPlanArn")
	}
	if j.RecoveryPointARN == "" {
		if r := firstResource(env); strings.Contains(r, ":recovery-point:") && strings.HasPrefix(r, "arn:") && strings.Contains(r, ":backup:") {
			j.RecoveryPointARN = r
		}
	}
	return j
}
