package eventbridge

import (
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// BackupJobStateChange is the detail of an aws.backup "Backup Job State
// Change".
type BackupJobStateChange struct {
	BackupJobID string
	State       BackupJobState
	// StatusMessage explains FAILED, ABORTED and EXPIRED jobs, and a
	// COMPLETED job that completed with issues; AWS's wrapping quotes are
	// removed.
	StatusMessage   string
	BackupVaultName string
	BackupVaultARN  string
	// RecoveryPointARN is detail.recoveryPointArn or, as the documented
	// events carry it, the event's first resource. Empty until COMPLETED.
	RecoveryPointARN string
	ResourceARN      string
	ResourceType     string // e.g. "DynamoDB", "RDS", "Aurora", "EBS"
	IAMRoleARN       string
	CreatedBy        BackupCreatedBy
	CreationDate     time.Time
	CompletionDate   time.Time
	StartBy          time.Time
	// ExpectedCompletionDate arrives as "Jul 15, 2020 9:39:07 PM" (UTC).
	ExpectedCompletionDate time.Time
	// BackupSizeInBytes and BytesTransferred arrive as strings.
	BackupSizeInBytes int64
	BytesTransferred  int64
	PercentDone       float64
}

// BackupJobState is a backup job's state (the API's BackupJobState).
type BackupJobState string

const (
	BackupJobCreated   BackupJobState = "CREATED"
	BackupJobPending   BackupJobState = "PENDING"
	BackupJobRunning   BackupJobState = "RUNNING"
	BackupJobAborting  BackupJobState = "ABORTING"
	BackupJobAborted   BackupJobState = "ABORTED"
	BackupJobCompleted BackupJobState = "COMPLETED"
	BackupJobFailed    BackupJobState = "FAILED"
	BackupJobExpired   BackupJobState = "EXPIRED"
	BackupJobPartial   BackupJobState = "PARTIAL"
)

func decodeBackupJob(env *events.EventBridgeEvent, d object) any {
	j := &BackupJobStateChange{
		BackupJobID:            d.RequiredString("backupJobId"),
		State:                  BackupJobState(d.RequiredString("state")),
		StatusMessage:          statusMessage(d.String("statusMessage")),
		BackupVaultName:        d.String("backupVaultName"),
		BackupVaultARN:         d.String("backupVaultArn"),
		RecoveryPointARN:       d.String("recoveryPointArn"),
		ResourceARN:            d.String("resourceArn"),
		ResourceType:           d.String("resourceType"),
		IAMRoleARN:             d.String("iamRoleArn"),
		CreatedBy:              backupCreatedBy(d.Object("createdBy")),
		CreationDate:           d.Time("creationDate"),
		CompletionDate:         d.Time("completionDate"),
		StartBy:                d.Time("startBy"),
		ExpectedCompletionDate: d.Time("expectedCompletionDate"),
		BackupSizeInBytes:      d.Int("backupSizeInBytes"),
		BytesTransferred:       d.Int("bytesTransferred"),
		PercentDone:            d.Float("percentDone"),
	}
	if j.RecoveryPointARN == "" {
		j.RecoveryPointARN = firstResource(env)
	}
	return j
}
