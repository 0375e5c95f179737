package eventbridge

import (
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// RecoveryPointStateChange is the detail of an aws.backup "Recovery Point
// State Change". Unlike the job events it reports status, not state.
type RecoveryPointStateChange struct {
	// RecoveryPointARN is the event's first resource (detail has none).
	RecoveryPointARN string
	Status           RecoveryPointStatus
	StatusMessage    string
	BackupVaultName  string
	BackupVaultARN   string
	ResourceARN      string
	ResourceType     string
	IAMRoleARN       string
	// IsEncrypted arrives as "true"/"false" or as a boolean.
	IsEncrypted    bool
	StorageClass   string // "WARM", "COLD", "DELETED"
	CreatedBy      BackupCreatedBy
	CreationDate   time.Time
	CompletionDate time.Time
	Lifecycle      BackupLifecycle
	// DeleteAt is calculatedLifeCycle.deleteAt: when AWS Backup will
	// delete the recovery point; zero if never.
	DeleteAt time.Time
}

// BackupLifecycle is a recovery point's lifecycle; zero days means never.
type BackupLifecycle struct {
	DeleteAfterDays            int64
	MoveToColdStorageAfterDays int64
}

// RecoveryPointStatus is a recovery point's status (the API's
// RecoveryPointStatus plus the states the event documentation lists).
type RecoveryPointStatus string

const (
	RecoveryPointCreating  RecoveryPointStatus = "CREATING"
	RecoveryPointCompleted RecoveryPointStatus = "COMPLETED"
	RecoveryPointPartial   RecoveryPointStatus = "PARTIAL"
	RecoveryPointAvailable RecoveryPointStatus = "AVAILABLE"
	// RecoveryPointStopped: a continuous backup that can no longer be
	// kept up, e.g. after a permission or configuration change.
	RecoveryPointStopped  RecoveryPointStatus = "STOPPED"
	RecoveryPointDeleting RecoveryPointStatus = "DELETING"
	RecoveryPointExpired  RecoveryPointStatus = "EXPIRED"
)

func decodeRecoveryPoint(env *events.EventBridgeEvent, d object) any {
	life := d.Object("lifecycle")
	p := &RecoveryPointStateChange{
		RecoveryPointARN: d.String("recoveryPointArn"),
		Status:           RecoveryPointStatus(d.RequiredString("status")),
		StatusMessage:    statusMessage(d.String("statusMessage")),
		BackupVaultName:  d.String("backupVaultName"),
		BackupVaultARN:   d.String("backupVaultArn"),
		ResourceARN:      d.String("resourceArn"),
		ResourceType:     d.String("resourceType"),
		IAMRoleARN:       d.String("iamRoleArn"),
		IsEncrypted:      d.Bool("isEncrypted"),
		StorageClass:     d.String("storageClass"),
		CreatedBy:        backupCreatedBy(d.Object("createdBy")),
		CreationDate:     d.Time("creationDate"),
		CompletionDate:   d.Time("completionDate"),
		Lifecycle: BackupLifecycle{
			DeleteAfterDays:            life.Int("deleteAfterDays"),
			MoveToColdStorageAfterDays: life.Int("moveToColdStorageAfterDays"),
		},
		DeleteAt: d.Object("calculatedLifeCycle").Time("deleteAt"),
	}
	if p.RecoveryPointARN == "" {
		p.RecoveryPointARN = firstResource(env)
	}
	if p.RecoveryPointARN == "" && d.r.err == nil {
		d.r.fail("event.resources", "missing") // it carries the recovery point ARN
	}
	return p
}
