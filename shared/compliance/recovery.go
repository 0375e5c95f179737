package compliance

import (
	"fmt"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

// RecoveryPointRetention: the recovery point is kept at least the policy's
// minimum (Backup.MinRetentionDays) and within the bounds of its vault's
// lock. vault is nil when the vault could not be read; the lock bounds are
// then not checked.
func RecoveryPointRetention(rp RecoveryPointState, vault *VaultState, p config.Policy) notify.Finding {
	return about(retention(CheckRecoveryPointRetention, rp, vault, p), rp.ResourceARN, rp.ResourceType)
}

// DestinationRetention: the recovery point a copy created is kept as the
// policy asks and within the bounds of the destination vault's lock.
func DestinationRetention(rp RecoveryPointState, vault *VaultState, p config.Policy) notify.Finding {
	return about(retention(CheckDestinationRetention, rp, vault, p), rp.ResourceARN, rp.ResourceType)
}

func retention(check string, rp RecoveryPointState, vault *VaultState, p config.Policy) notify.Finding {
	obs := map[string]string{
		"deleteAfterDays":         days(rp.DeleteAfterDays),
		"deleteAt":                stamp(rp.DeleteAt),
		"policy.minRetentionDays": itoa(p.Backup.MinRetentionDays),
	}
	if rp.NotFound {
		obs["exists"] = "false"
		return finding(check, notify.StatusWarn, rp.ARN, TypeRecoveryPoint,
			"recovery point no longer exists: deleted or expired since it was created", obs,
			fmt.Sprintf("find who deleted it: aws cloudtrail lookup-events --lookup-attributes AttributeKey=ResourceName,AttributeValue=%s --region %s", rp.ARN, RegionOf(rp.ARN)))
	}
	locked := vault != nil && vault.HasLock()
	var lockMin, lockMax *int64
	if locked {
		lockMin, lockMax = vault.MinRetentionDays, vault.MaxRetentionDays
		obs["vault.minRetentionDays"] = days(lockMin)
		obs["vault.maxRetentionDays"] = days(lockMax)
	}
	want := int64(p.Backup.MinRetentionDays)
	if lockMin != nil && *lockMin > want {
		want = *lockMin
	}
	d := rp.DeleteAfterDays
	var problem string
	switch {
	case d != nil && *d < int64(p.Backup.MinRetentionDays):
		problem = fmt.Sprintf("kept %s, below the policy minimum of %d", plural(*d, "day"), p.Backup.MinRetentionDays)
	case d != nil && lockMin != nil && *d < *lockMin:
		problem = fmt.Sprintf("kept %s, below the vault lock minimum of %d", plural(*d, "day"), *lockMin)
	case d == nil && lockMax != nil:
		problem = fmt.Sprintf("kept forever (no lifecycle), above the vault lock maximum of %d days", *lockMax)
		want = *lockMax
	case d != nil && lockMax != nil && *d > *lockMax:
		problem = fmt.Sprintf("kept %s, above the vault lock maximum of %d", plural(*d, "day"), *lockMax)
		want = *lockMax
	}
	if problem == "" {
		summary := "kept until deleted by hand (no lifecycle)"
		if d != nil {
			summary = fmt.Sprintf("kept %s (policy: at least %d)", plural(*d, "day"), p.Backup.MinRetentionDays)
		}
		return finding(check, notify.StatusPass, rp.ARN, TypeRecoveryPoint, summary, obs, "")
	}
	return finding(check, notify.StatusFail, rp.ARN, TypeRecoveryPoint, "recovery point "+problem, obs, lifecycleFix(rp, locked, want))
}

// lifecycleFix: a recovery point in a locked vault cannot have its
// lifecycle changed, so the fix is the plan rule that makes the next ones.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
func lifecycleFix(rp RecoveryPointState, locked bool, want int64) string {
	region := RegionOf(rp.ARN)
	if locked || rp.Continuous() {
		plan := rp.PlanID
		if plan == "" {
			plan = "<plan id>"
		}
		return fmt.Sprintf("set Lifecycle.DeleteAfterDays to %d in the rule that made it (aws backup get-backup-plan --backup-plan-id %s --region %s, edit, aws backup update-backup-plan)", want, plan, region)
	}
	return fmt.Sprintf("aws backup update-recovery-point-lifecycle --backup-vault-name %s --recovery-point-arn %s --lifecycle DeleteAfterDays=%d --region %s", rp.VaultName, rp.ARN, want, region)
}

// RecoveryPointEncrypted: the recovery point is encrypted.
func RecoveryPointEncrypted(rp RecoveryPointState) notify.Finding {
	return about(recoveryPointEncrypted(rp), rp.ResourceARN, rp.ResourceType)
}

func recoveryPointEncrypted(rp RecoveryPointState) notify.Finding {
	obs := map[string]string{"isEncrypted": yes(rp.IsEncrypted), "encryptionKeyArn": rp.EncryptionKeyARN, "resourceType": rp.ResourceType}
	if rp.NotFound {
		obs["exists"] = "false"
		return finding(CheckRecoveryPointEncrypted, notify.StatusNotApplicable, rp.ARN, TypeRecoveryPoint,
			"recovery point no longer exists", obs, "")
	}
	if rp.IsEncrypted {
		return finding(CheckRecoveryPointEncrypted, notify.StatusPass, rp.ARN, TypeRecoveryPoint, "recovery point encrypted", obs, "")
	}
	return finding(CheckRecoveryPointEncrypted, notify.StatusFail, rp.ARN, TypeRecoveryPoint,
		"recovery point not encrypted", obs, encryptionFix(rp))
}

// encryptionFix: backups of services that AWS Backup does not fully manage
// (EBS, RDS, …) take the source's encryption, so the source is what needs
// encrypting. https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html
func encryptionFix(rp RecoveryPointState) string {
	region := RegionOf(rp.ARN)
	_, _, res := arnParts(rp.ResourceARN)
	switch rp.ResourceType {
	case "EBS", "EC2":
		return "encrypt new volumes by default, then back up an encrypted copy of the volume: aws ec2 enable-ebs-encryption-by-default --region " + region
	case "RDS", "Aurora":
		return fmt.Sprintf("RDS backups inherit the database's encryption: restore %s from an encrypted snapshot copy (aws rds copy-db-snapshot --kms-key-id alias/aws/rds --region %s) and back that up", res, region)
	}
	return fmt.Sprintf("back up %s into a vault with a KMS key: aws backup create-backup-vault --backup-vault-name <name> --encryption-key-arn <key arn> --region %s", rp.ResourceARN, region)
}
