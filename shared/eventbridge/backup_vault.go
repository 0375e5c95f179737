package eventbridge

import "github.com/aws/aws-lambda-go/events"

// BackupVaultStateChange is the detail of an aws.backup "Backup Vault State
// Change". The documented events carry only the name, the state and (on
// MODIFIED) isLocked: lock dates and retention limits are not in the event
// and must be read with DescribeBackupVault.
type BackupVaultStateChange struct {
	BackupVaultName string
	// BackupVaultARN is the event's first resource.
	BackupVaultARN string
	State          VaultState
	// IsLocked arrives as "true"/"false"; false when absent.
	IsLocked bool
}

// VaultState is a backup vault event's state.
type VaultState string

const (
	VaultCreated  VaultState = "CREATED"
	VaultModified VaultState = "MODIFIED"
	VaultDeleted  VaultState = "DELETED"
)

func decodeBackupVault(env *events.EventBridgeEvent, d object) any {
	return &BackupVaultStateChange{
		BackupVaultName: d.RequiredString("backupVaultName"),
		BackupVaultARN:  firstResource(env),
		State:           VaultState(d.RequiredString("state")),
		IsLocked:        d.Bool("isLocked"),
	}
}
