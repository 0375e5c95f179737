package compliance

import "time"

// What the checks look at: plain values read from AWS by an [Observer] (or
// by the sweep from list calls, through the same conversions), so every
// check is a pure function that tests feed directly.

// VaultState is a backup vault as DescribeBackupVault or ListBackupVaults
// show it.
type VaultState struct {
	ARN  string
	Name string
	// NotFound: AWS answered that the vault does not exist (deleted since
	// the event). The other fields are then zero.
	NotFound bool
	// VaultType is BACKUP_VAULT, LOGICALLY_AIR_GAPPED_BACKUP_VAULT, …
	VaultType string
	// Locked: Vault Lock is protecting the vault, in either mode, grace
	// time included ("True means that Vault Lock causes delete or update
	// operations on the recovery points stored in the vault to fail").
	// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeBackupVault.html
	Locked bool
	// LockDate is when the lock becomes immutable: set only in compliance
	// mode; before it is the grace time, in which the lock can still be
	// changed or removed. No LockDate is governance mode: removable at any
	// time by anyone allowed to. https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
	LockDate *time.Time
	// MinRetentionDays and MaxRetentionDays the lock enforces on backup and
	// copy jobs into the vault; nil when not set.
	MinRetentionDays *int64
	MaxRetentionDays *int64
	EncryptionKeyARN string
	RecoveryPoints   int64
}

// LockMode is how strongly a vault is locked.
type LockMode string

// Lock modes, weakest first.
const (
	LockNone            LockMode = "NONE"
	LockGovernance      LockMode = "GOVERNANCE"       // removable by permitted users at any time
	LockComplianceGrace LockMode = "COMPLIANCE_GRACE" // compliance mode before its lock date
	LockCompliance      LockMode = "COMPLIANCE"       // immutable: past its lock date
)

// HasLock reports whether the vault has a Vault Lock configuration. A lock
// with a lock date or retention bounds is there even if a describe call
// raced its activation and said Locked false.
func (v VaultState) HasLock() bool {
	return v.Locked || v.LockDate != nil || v.MinRetentionDays != nil || v.MaxRetentionDays != nil
}

// Mode is the vault's lock mode at now. "On and after the lock date, the
// Vault Lock becomes immutable."
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html
func (v VaultState) Mode(now time.Time) LockMode {
	switch {
	case !v.HasLock():
		return LockNone
	case v.LockDate == nil:
		return LockGovernance
	case now.Before(*v.LockDate):
		return LockComplianceGrace
	}
	return LockCompliance
}

// RecoveryPointState is a recovery point as DescribeRecoveryPoint or a
// Recovery Point State Change event shows it.
type RecoveryPointState struct {
	ARN          string
	VaultARN     string
	VaultName    string
	ResourceARN  string
	ResourceType string // AWS Backup's name: DynamoDB, RDS, Aurora, S3, …
	// NotFound: AWS answered that the recovery point does not exist
	// (deleted or expired since the event).
	NotFound         bool
	Status           string // COMPLETED, AVAILABLE, STOPPED, …
	StatusMessage    string
	IsEncrypted      bool
	EncryptionKeyARN string
	// DeleteAfterDays is the lifecycle's retention; nil means the recovery
	// point is kept until someone deletes it.
	DeleteAfterDays *int64
	DeleteAt        *time.Time
	PlanID          string
	RuleID          string
	// Created is the recovery point's creation date, when the reader
	// shows it (the sweep's listing does).
	Created *time.Time
}

// Continuous reports whether this is a continuous backup (PITR) recovery
// point.
func (r RecoveryPointState) Continuous() bool { return IsContinuousRecoveryPoint(r.ARN) }

// PlanState is the current version of a backup plan.
type PlanState struct {
	ARN       string
	ID        string
	Name      string
	VersionID string
	// NotFound: AWS answered that the plan does not exist (deleted).
	NotFound bool
	Deleted  *time.Time // DeletionDate of a deleted plan AWS still describes
	Rules    []RuleState
}

// Rule returns the rule with id, if the plan has it.
func (p PlanState) Rule(id string) (RuleState, bool) {
	for _, r := range p.Rules {
		if r.ID == id {
			return r, true
		}
	}
	return RuleState{}, false
}

// RuleState is one rule of a backup plan.
type RuleState struct {
	ID              string
	Name            string
	TargetVaultName string
	Continuous      bool
	DeleteAfterDays *int64
	Copies          []CopyTarget
}

// CopyTarget is one copy action of a rule.
type CopyTarget struct {
	DestinationVaultARN string
	DeleteAfterDays     *int64
}

// PITRKind is which point-in-time recovery mechanism protects a resource.
type PITRKind string

// PITR kinds.
const (
	PITRDynamoDB     PITRKind = "DYNAMODB"      // DescribeContinuousBackups
	PITRRDSInstance  PITRKind = "RDS_INSTANCE"  // automated backups (BackupRetentionPeriod)
	PITRAurora       PITRKind = "AURORA"        // cluster automated backups
	PITRS3           PITRKind = "S3"            // AWS Backup continuous recovery point
	PITRNotSupported PITRKind = "NOT_SUPPORTED" // no point-in-time recovery to check
)

// PITRState is the point-in-time recovery of one protected resource.
type PITRState struct {
	ResourceARN  string
	ResourceType string // CloudFormation type
	Kind         PITRKind
	// NotFound: the resource no longer exists (deleted since the job).
	NotFound bool
	Enabled  bool
	// WindowDays of restorable history: DynamoDB RecoveryPeriodInDays,
	// RDS/Aurora BackupRetentionPeriod, the S3 continuous recovery point's
	// retention. nil when AWS did not say.
	WindowDays *int64
	// LatestRestorable is the latest time the resource can be restored to;
	// nil when AWS does not report it.
	LatestRestorable *time.Time
	// Status is the resource's own status (DB instance status, S3
	// continuous recovery point status), for the record.
	Status string
	// RecoveryPointARN is the S3 continuous recovery point, if any.
	RecoveryPointARN string
}
