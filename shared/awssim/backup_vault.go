package awssim

import (
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
)

// Backup vaults and Vault Lock.
//
// What DescribeBackupVault reports about a lock: Locked is "whether Backup
// Vault Lock is currently protecting the backup vault. True means that
// Vault Lock causes delete or update operations on the recovery points
// stored in the vault to fail." Any lock does that from the moment it is
// put: a governance-mode lock (no ChangeableForDays) until it is removed,
// a compliance-mode lock during its grace time as well as after. So Locked
// is true in all three cases and false only without a lock, and Locked
// alone cannot tell a removable lock from an immutable one: LockDate can.
// Governance mode has no LockDate; compliance mode has one, and the lock is
// immutable on and after it.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeBackupVault.html#Backup-DescribeBackupVault-response-Locked
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html
// https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html

type backupVault struct {
	region, name, arn string
	created           time.Time
	creatorRequestID  string
	keyArn            string
	tags              map[string]string
	lock              *vaultLock
}

type vaultLock struct {
	min, max *int64
	lockDate *time.Time // nil: governance mode
}

// immutable: a compliance-mode lock on or after its lock date.
func (v *backupVault) immutable(now time.Time) bool {
	return v.lock != nil && v.lock.lockDate != nil && !now.Before(*v.lock.lockDate)
}

// retentionAllowed checks a job's retention against the lock: "any backup
// or copy job to the vault must have a lifecycle policy with a retention
// period equal to or longer than the minimum retention period … equal to
// or shorter than the maximum retention period", or the vault fails it.
// No lifecycle means forever, which passes any minimum and fails any
// maximum.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html
func (v *backupVault) retentionAllowed(days *int64) (string, bool) {
	if v.lock == nil {
		return "", true
	}
	kept := "forever (no DeleteAfterDays)"
	if days != nil {
		kept = fmt.Sprintf("%d days", *days)
	}
	switch {
	case v.lock.min != nil && days != nil && *days < *v.lock.min:
		return fmt.Sprintf("the retention period of the recovery point (%s) is shorter than the minimum retention period of the backup vault's Vault Lock (%d days)", kept, *v.lock.min), false
	case v.lock.max != nil && (days == nil || *days > *v.lock.max):
		return fmt.Sprintf("the retention period of the recovery point (%s) is longer than the maximum retention period of the backup vault's Vault Lock (%d days)", kept, *v.lock.max), false
	}
	return "", true
}

func (b *backupState) pointsIn(v *backupVault) []*recoveryPoint {
	if b.byVault == nil {
		// One pass over the account instead of one per vault listed: a
		// sweep lists every vault of an account with 100,000 points.
		b.byVault = map[string][]*recoveryPoint{}
		for _, arn := range b.rpOrder {
			rp := b.points[arn]
			k := rp.region + "/" + rp.vaultName
			b.byVault[k] = append(b.byVault[k], rp)
		}
	}
	return b.byVault[v.region+"/"+v.name]
}

func (b *backupState) vault(r *Region, name string) (*backupVault, error) {
	v := b.vaults[r.Name+"/"+name]
	if v == nil {
		return nil, backupErrNotFound("Backup vault %s does not exist in %s", name, r.Name)
	}
	return v, nil
}

// vaultByARN finds a vault anywhere in the account.
func (b *backupState) vaultByARN(arn string) *backupVault {
	for _, v := range b.vaults {
		if v.arn == arn {
			return v
		}
	}
	return nil
}

var vaultNameRE = regexp.MustCompile(`^[a-zA-Z0-9\-_]{2,50}$`)

// CreateBackupVault makes a vault, or returns the existing one for a
// retried request with the same CreatorRequestId.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupVault.html
func (b *backupState) createBackupVault(r *Region, in *backup.CreateBackupVaultInput) (*backup.CreateBackupVaultOutput, error) {
	name := aws.ToString(in.BackupVaultName)
	if !vaultNameRE.MatchString(name) {
		return nil, backupErrInvalidParam("Invalid backup vault name %q: 2 to 50 letters, digits, hyphens and underscores", name)
	}
	if v := b.vaults[r.Name+"/"+name]; v != nil {
		if id := aws.ToString(in.CreatorRequestId); id != "" && id == v.creatorRequestID {
			return &backup.CreateBackupVaultOutput{BackupVaultArn: aws.String(v.arn), BackupVaultName: aws.String(v.name), CreationDate: aws.Time(v.created)}, nil
		}
		return nil, &backuptypes.AlreadyExistsException{Message: aws.String(fmt.Sprintf("Backup vault with the same name already exists: %s", name)), Arn: aws.String(b.vaults[r.Name+"/"+name].arn)}
	}
	v := &backupVault{
		region: r.Name, name: name, created: b.s.now, creatorRequestID: aws.ToString(in.CreatorRequestId),
		arn:    fmt.Sprintf("arn:aws:backup:%s:%s:backup-vault:%s", r.Name, b.s.accountID, name),
		keyArn: aws.ToString(in.EncryptionKeyArn), tags: cloneTags(in.BackupVaultTags),
	}
	if v.keyArn == "" {
		// Without a key, AWS Backup encrypts with its AWS managed key.
		v.keyArn = fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", r.Name, b.s.accountID, b.s.uuid())
	}
	b.vaults[r.Name+"/"+name] = v
	b.emitVault(v, "CREATED")
	return &backup.CreateBackupVaultOutput{BackupVaultArn: aws.String(v.arn), BackupVaultName: aws.String(v.name), CreationDate: aws.Time(v.created)}, nil
}

// lockFields are the lock fields DescribeBackupVault and ListBackupVaults
// report (see the comment at the top of the file).
func (v *backupVault) lockFields() (locked *bool, min, max *int64, lockDate *time.Time) {
	if v.lock == nil {
		return aws.Bool(false), nil, nil, nil
	}
	return aws.Bool(true), v.lock.min, v.lock.max, v.lock.lockDate
}

// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeBackupVault.html
func (b *backupState) describeBackupVault(r *Region, in *backup.DescribeBackupVaultInput) (*backup.DescribeBackupVaultOutput, error) {
	if id := aws.ToString(in.BackupVaultAccountId); id != "" && id != b.s.accountID {
		return nil, backupErrInvalidRequest("awssim models one account; vaults shared from %s are not modelled", id)
	}
	v, err := b.vault(r, aws.ToString(in.BackupVaultName))
	if err != nil {
		return nil, err
	}
	locked, min, max, lockDate := v.lockFields()
	return &backup.DescribeBackupVaultOutput{
		BackupVaultArn: aws.String(v.arn), BackupVaultName: aws.String(v.name), CreationDate: aws.Time(v.created),
		CreatorRequestId: nonEmpty(v.creatorRequestID), EncryptionKeyArn: aws.String(v.keyArn),
		EncryptionKeyType: backuptypes.EncryptionKeyTypeCustomerManagedKmsKey,
		Locked:            locked, MinRetentionDays: min, MaxRetentionDays: max, LockDate: lockDate,
		NumberOfRecoveryPoints: int64(len(b.pointsIn(v))),
		VaultType:              backuptypes.VaultTypeBackupVault, VaultState: backuptypes.VaultStateAvailable,
	}, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListBackupVaults.html
func (b *backupState) listBackupVaults(r *Region, in *backup.ListBackupVaultsInput) (*backup.ListBackupVaultsOutput, error) {
	if in.ByShared {
		return &backup.ListBackupVaultsOutput{BackupVaultList: []backuptypes.BackupVaultListMember{}}, nil
	}
	if in.ByVaultType != "" && in.ByVaultType != backuptypes.VaultTypeBackupVault {
		return &backup.ListBackupVaultsOutput{BackupVaultList: []backuptypes.BackupVaultListMember{}}, nil
	}
	var names []string
	for _, v := range b.vaults {
		if v.region == r.Name {
			names = append(names, v.name)
		}
	}
	sort.Strings(names)
	list := make([]backuptypes.BackupVaultListMember, 0, len(names))
	for _, n := range names {
		v := b.vaults[r.Name+"/"+n]
		locked, min, max, lockDate := v.lockFields()
		list = append(list, backuptypes.BackupVaultListMember{
			BackupVaultArn: aws.String(v.arn), BackupVaultName: aws.String(v.name), CreationDate: aws.Time(v.created),
			CreatorRequestId: nonEmpty(v.creatorRequestID), EncryptionKeyArn: aws.String(v.keyArn),
			EncryptionKeyType: backuptypes.EncryptionKeyTypeCustomerManagedKmsKey,
			Locked:            locked, MinRetentionDays: min, MaxRetentionDays: max, LockDate: lockDate,
			NumberOfRecoveryPoints: int64(len(b.pointsIn(v))),
			VaultType:              backuptypes.VaultTypeBackupVault, VaultState: backuptypes.VaultStateAvailable,
		})
	}
	if err := backupMaxResults(in.MaxResults); err != nil {
		return nil, err
	}
	pg, next, err := page(list, in.MaxResults, in.NextToken, 1000, 1000, "InvalidParameterValueException")
	if err != nil {
		return nil, err
	}
	return &backup.ListBackupVaultsOutput{BackupVaultList: pg, NextToken: next}, nil
}

func backupMaxResults(n *int32) error {
	if n != nil && (*n < 1 || *n > 1000) {
		return backupErrInvalidParam("MaxResults must be between 1 and 1000, got %d", *n)
	}
	return nil
}

// DeleteBackupVault refuses a vault that holds recovery points: "the
// vault must be empty". An empty vault can go even with a compliance lock,
// which only protects a vault "as long as it contains recovery points".
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupVault.html
func (b *backupState) deleteBackupVault(r *Region, in *backup.DeleteBackupVaultInput) (*backup.DeleteBackupVaultOutput, error) {
	v, err := b.vault(r, aws.ToString(in.BackupVaultName))
	if err != nil {
		return nil, err
	}
	if n := len(b.pointsIn(v)); n > 0 {
		return nil, backupErrInvalidRequest("Backup vault cannot be deleted (contains %d recovery points)", n)
	}
	delete(b.vaults, r.Name+"/"+v.name)
	b.emitVault(v, "DELETED")
	return &backup.DeleteBackupVaultOutput{}, nil
}

// PutBackupVaultLockConfiguration applies or changes a lock. Without
// ChangeableForDays the lock is in governance mode; with it, compliance
// mode with LockDate = now + ChangeableForDays, where ChangeableForDays is
// at least 3 ("AWS Backup enforces a 72-hour cooling-off period"). On and
// after the lock date the lock cannot be changed.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html
func (b *backupState) putVaultLock(r *Region, in *backup.PutBackupVaultLockConfigurationInput) (*backup.PutBackupVaultLockConfigurationOutput, error) {
	v, err := b.vault(r, aws.ToString(in.BackupVaultName))
	if err != nil {
		return nil, err
	}
	now := b.s.now
	if v.immutable(now) {
		return nil, backupErrInvalidRequest("Vault Lock on backup vault %s is in compliance mode and past its lock date %s: it cannot be changed",
			v.name, v.lock.lockDate.Format(time.RFC3339))
	}
	if in.MinRetentionDays != nil && (*in.MinRetentionDays < 1 || *in.MinRetentionDays > 36500) {
		return nil, backupErrInvalidParam("MinRetentionDays must be between 1 and 36500, got %d", *in.MinRetentionDays)
	}
	if in.MaxRetentionDays != nil && (*in.MaxRetentionDays < 1 || *in.MaxRetentionDays > 36500) {
		return nil, backupErrInvalidParam("MaxRetentionDays must be between 1 and 36500, got %d", *in.MaxRetentionDays)
	}
	if in.MinRetentionDays != nil && in.MaxRetentionDays != nil && *in.MinRetentionDays > *in.MaxRetentionDays {
		return nil, backupErrInvalidParam("MinRetentionDays (%d) cannot be greater than MaxRetentionDays (%d)", *in.MinRetentionDays, *in.MaxRetentionDays)
	}
	lock := &vaultLock{min: in.MinRetentionDays, max: in.MaxRetentionDays}
	if in.ChangeableForDays != nil {
		days := *in.ChangeableForDays
		if days < 3 || days > 36500 {
			return nil, backupErrInvalidParam("ChangeableForDays must be 3 or greater (AWS Backup enforces a 72-hour cooling-off period), got %d", days)
		}
		lock.lockDate = aws.Time(now.Add(time.Duration(days) * 24 * time.Hour))
	}
	v.lock = lock
	b.emitVault(v, "MODIFIED")
	return &backup.PutBackupVaultLockConfigurationOutput{}, nil
}

// DeleteBackupVaultLockConfiguration removes a governance-mode lock, or a
// compliance-mode lock before its lock date; after it, "you receive an
// InvalidRequestException".
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupVaultLockConfiguration.html
func (b *backupState) deleteVaultLock(r *Region, in *backup.DeleteBackupVaultLockConfigurationInput) (*backup.DeleteBackupVaultLockConfigurationOutput, error) {
	v, err := b.vault(r, aws.ToString(in.BackupVaultName))
	if err != nil {
		return nil, err
	}
	if v.immutable(b.s.now) {
		return nil, backupErrInvalidRequest("Vault Lock on backup vault %s is in compliance mode and past its lock date %s: it cannot be deleted",
			v.name, v.lock.lockDate.Format(time.RFC3339))
	}
	if v.lock != nil {
		v.lock = nil
		b.emitVault(v, "MODIFIED")
	}
	return &backup.DeleteBackupVaultLockConfigurationOutput{}, nil
}
