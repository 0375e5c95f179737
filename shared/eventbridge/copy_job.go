package eventbridge

import (
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// CopyJobStateChange is the detail of an aws.backup "Copy Job State
// Change". The event is sent in the source Region.
type CopyJobStateChange struct {
	// CopyJobID is empty in CREATED events, which AWS sends before the job
	// has an ID.
	CopyJobID     string
	State         CopyJobState
	StatusMessage string
	// SourceRecoveryPointARN is detail.sourceRecoveryPointArn or, as the
	// documented events carry it, the event's first resource.
	SourceRecoveryPointARN    string
	SourceBackupVaultARN      string
	DestinationBackupVaultARN string
	// DestinationRecoveryPointARN is empty until the copy completes (AWS
	// sends {} meanwhile).
	DestinationRecoveryPointARN string
	ResourceARN                 string
	ResourceType                string
	IAMRoleARN                  string
	CreatedBy                   BackupCreatedBy
	CreationDate                time.Time
	CompletionDate              time.Time
	// BackupSizeInBytes arrives as a number here (a string in backup jobs).
	BackupSizeInBytes int64
}

// CopyJobState is a copy job's state (the API's CopyJobState).
type CopyJobState string

const (
	CopyJobCreated   CopyJobState = "CREATED"
	CopyJobRunning   CopyJobState = "RUNNING"
	CopyJobCompleted CopyJobState = "COMPLETED"
	CopyJobFailed    CopyJobState = "FAILED"
	CopyJobPartial   CopyJobState = "PARTIAL"
)

// SourceRegion and DestinationRegion are the Regions of the source and
// destination vaults; they differ for a cross-Region copy.
func (c *CopyJobStateChange) SourceRegion() string { return arnRegion(c.SourceBackupVaultARN) }

// DestinationRegion: see SourceRegion.
func (c *CopyJobStateChange) DestinationRegion() string {
	return arnRegion(c.DestinationBackupVaultARN)
}

func decodeCopyJob(env *events.EventBridgeEvent, d object) any {
	c := &CopyJobStateChange{
		State:                       CopyJobState(d.RequiredString("state")),
		StatusMessage:               statusMessage(d.String("statusMessage")),
		SourceRecoveryPointARN:      d.String("sourceRecoveryPointArn"),
		SourceBackupVaultARN:        d.String("sourceBackupVaultArn"),
		DestinationBackupVaultARN:   d.String("destinationBackupVaultArn"),
		DestinationRecoveryPointARN: d.String("destinationRecoveryPointArn"),
		ResourceARN:                 d.String("resourceArn"),
		ResourceType:                d.String("resourceType"),
		IAMRoleARN:                  d.String("iamRoleArn"),
		CreatedBy:                   backupCreatedBy(d.Object("createdBy")),
		CreationDate:                d.Time("creationDate"),
		CompletionDate:              d.Time("completionDate"),
		BackupSizeInBytes:           d.Int("backupSizeInBytes"),
	}
	// The documented CREATED event has no copyJobId; every later one does.
	if c.State == CopyJobCreated {
		c.CopyJobID = d.String("copyJobId")
	} else {
		c.CopyJobID = d.RequiredString("copyJobId")
	}
	if c.SourceRecoveryPointARN == "" {
		c.SourceRecoveryPointARN = firstResource(env)
	}
	return c
}
