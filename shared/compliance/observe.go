package compliance

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/selfheal/selfheal/shared/awsapi"
)

// Observer reads what the checks look at, with one client per service and
// region. It only reads. A resource AWS says does not exist comes back
// with NotFound set and no error; any other error is returned (IsDenied
// tells a refusal from a failure worth retrying).
type Observer struct {
	backup *awsapi.PerRegion[BackupAPI]
	ddb    *awsapi.PerRegion[DynamoDBAPI]
	rds    *awsapi.PerRegion[RDSAPI]
}

// NewObserver builds an Observer on cfg; clients for other regions are
// made from cfg on first use.
func NewObserver(cfg aws.Config) *Observer {
	return &Observer{
		backup: awsapi.NewPerRegion(cfg, func(c aws.Config) BackupAPI { return backup.NewFromConfig(c) }),
		ddb:    awsapi.NewPerRegion(cfg, func(c aws.Config) DynamoDBAPI { return dynamodb.NewFromConfig(c) }),
		rds:    awsapi.NewPerRegion(cfg, func(c aws.Config) RDSAPI { return rds.NewFromConfig(c) }),
	}
}

// Vault describes the vault vaultARN names, with a client for its region.
func (o *Observer) Vault(ctx context.Context, vaultARN string) (VaultState, error) {
	name, region := VaultNameOf(vaultARN), RegionOf(vaultARN)
	out, err := o.backup.For(region).DescribeBackupVault(ctx, &backup.DescribeBackupVaultInput{BackupVaultName: aws.String(name)})
	switch {
	case IsNotFound(err):
		return VaultState{ARN: vaultARN, Name: name, NotFound: true}, nil
	case err != nil:
		return VaultState{ARN: vaultARN, Name: name}, fmt.Errorf("describe vault %s in %s: %w", name, region, err)
	}
	v := VaultFromDescribe(out)
	if v.ARN == "" {
		v.ARN = vaultARN
	}
	return v, nil
}

// VaultFromDescribe converts DescribeBackupVault's answer.
func VaultFromDescribe(out *backup.DescribeBackupVaultOutput) VaultState {
	return VaultState{
		ARN:              aws.ToString(out.BackupVaultArn),
		Name:             aws.ToString(out.BackupVaultName),
		VaultType:        string(out.VaultType),
		Locked:           aws.ToBool(out.Locked),
		LockDate:         utc(out.LockDate),
		MinRetentionDays: out.MinRetentionDays,
		MaxRetentionDays: out.MaxRetentionDays,
		EncryptionKeyARN: aws.ToString(out.EncryptionKeyArn),
		RecoveryPoints:   out.NumberOfRecoveryPoints,
	}
}

// VaultFromListMember converts one vault of ListBackupVaults, which carries
// the same lock fields: a sweep needs no describe call per vault.
func VaultFromListMember(m backuptypes.BackupVaultListMember) VaultState {
	return VaultState{
		ARN:              aws.ToString(m.BackupVaultArn),
		Name:             aws.ToString(m.BackupVaultName),
		VaultType:        string(m.VaultType),
		Locked:           aws.ToBool(m.Locked),
		LockDate:         utc(m.LockDate),
		MinRetentionDays: m.MinRetentionDays,
		MaxRetentionDays: m.MaxRetentionDays,
		EncryptionKeyARN: aws.ToString(m.EncryptionKeyArn),
		RecoveryPoints:   m.NumberOfRecoveryPoints,
	}
}

// RecoveryPoint describes a recovery point in vaultName, with a client for
// the recovery point's region.
func (o *Observer) RecoveryPoint(ctx context.Context, vaultName, recoveryPointARN string) (RecoveryPointState, error) {
	region := RegionOf(recoveryPointARN)
	out, err := o.backup.For(region).DescribeRecoveryPoint(ctx, &backup.DescribeRecoveryPointInput{
		BackupVaultName: aws.String(vaultName), RecoveryPointArn: aws.String(recoveryPointARN),
	})
	switch {
	case IsNotFound(err):
		return RecoveryPointState{ARN: recoveryPointARN, VaultName: vaultName, NotFound: true}, nil
	case err != nil:
		return RecoveryPointState{ARN: recoveryPointARN, VaultName: vaultName}, fmt.Errorf("describe recovery point %s: %w", recoveryPointARN, err)
	}
	rp := RecoveryPointFromDescribe(out)
	if rp.ARN == "" {
		rp.ARN = recoveryPointARN
	}
	if rp.VaultName == "" {
		rp.VaultName = vaultName
	}
	return rp, nil
}

// RecoveryPointFromDescribe converts DescribeRecoveryPoint's answer.
func RecoveryPointFromDescribe(out *backup.DescribeRecoveryPointOutput) RecoveryPointState {
	rp := RecoveryPointState{
		ARN:              aws.ToString(out.RecoveryPointArn),
		VaultARN:         aws.ToString(out.BackupVaultArn),
		VaultName:        aws.ToString(out.BackupVaultName),
		ResourceARN:      aws.ToString(out.ResourceArn),
		ResourceType:     aws.ToString(out.ResourceType),
		Status:           string(out.Status),
		StatusMessage:    aws.ToString(out.StatusMessage),
		IsEncrypted:      out.IsEncrypted,
		EncryptionKeyARN: aws.ToString(out.EncryptionKeyArn),
	}
	if l := out.Lifecycle; l != nil && aws.ToInt64(l.DeleteAfterDays) > 0 {
		rp.DeleteAfterDays = l.DeleteAfterDays
	}
	if c := out.CalculatedLifecycle; c != nil {
		rp.DeleteAt = utc(c.DeleteAt)
	}
	if c := out.CreatedBy; c != nil {
		rp.PlanID, rp.RuleID = aws.ToString(c.BackupPlanId), aws.ToString(c.BackupRuleId)
	}
	return rp
}

// Plan reads the current version of a backup plan.
func (o *Observer) Plan(ctx context.Context, region, planID string) (PlanState, error) {
	out, err := o.backup.For(region).GetBackupPlan(ctx, &backup.GetBackupPlanInput{BackupPlanId: aws.String(planID)})
	switch {
	case IsNotFound(err):
		return PlanState{ID: planID, NotFound: true}, nil
	case err != nil:
		return PlanState{ID: planID}, fmt.Errorf("get backup plan %s in %s: %w", planID, region, err)
	}
	return PlanFromOutput(out), nil
}

// PlanFromOutput converts GetBackupPlan's answer.
func PlanFromOutput(out *backup.GetBackupPlanOutput) PlanState {
	p := PlanState{
		ARN:       aws.ToString(out.BackupPlanArn),
		ID:        aws.ToString(out.BackupPlanId),
		VersionID: aws.ToString(out.VersionId),
		Deleted:   utc(out.DeletionDate),
	}
	if out.BackupPlan == nil {
		return p
	}
	p.Name = aws.ToString(out.BackupPlan.BackupPlanName)
	for _, r := range out.BackupPlan.Rules {
		rs := RuleState{
			ID:              aws.ToString(r.RuleId),
			Name:            aws.ToString(r.RuleName),
			TargetVaultName: aws.ToString(r.TargetBackupVaultName),
			Continuous:      aws.ToBool(r.EnableContinuousBackup),
			DeleteAfterDays: lifecycleDays(r.Lifecycle),
		}
		for _, c := range r.CopyActions {
			rs.Copies = append(rs.Copies, CopyTarget{
				DestinationVaultARN: aws.ToString(c.DestinationBackupVaultArn),
				DeleteAfterDays:     lifecycleDays(c.Lifecycle),
			})
		}
		p.Rules = append(p.Rules, rs)
	}
	return p
}

func lifecycleDays(l *backuptypes.Lifecycle) *int64 {
	if l == nil || aws.ToInt64(l.DeleteAfterDays) <= 0 {
		return nil
	}
	return l.DeleteAfterDays
}

// PITR reads the point-in-time recovery of a protected resource from the
// service that provides it, with a client for the resource's region
// (region, for ARNs without one: S3). A type without PITR costs no call.
func (o *Observer) PITR(ctx context.Context, resourceARN, backupType, region string) (PITRState, error) {
	s := PITRState{ResourceARN: resourceARN, ResourceType: ResourceType(backupType, resourceARN), Kind: PITRKindOf(resourceARN, backupType)}
	if r := RegionOf(resourceARN); r != "" {
		region = r
	}
	name := resourceName(resourceARN)
	switch s.Kind {
	case PITRDynamoDB:
		out, err := o.ddb.For(region).DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(name)})
		if err != nil {
			return o.pitrError(s, err, "describe continuous backups of table "+name)
		}
		return PITRFromContinuousBackups(s, out.ContinuousBackupsDescription), nil
	case PITRRDSInstance:
		out, err := o.rds.For(region).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(name)})
		if err == nil && len(out.DBInstances) == 0 {
			s.NotFound = true
			return s, nil
		}
		if err != nil {
			return o.pitrError(s, err, "describe DB instance "+name)
		}
		return PITRFromDBInstance(s, out.DBInstances[0]), nil
	case PITRAurora:
		out, err := o.rds.For(region).DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(name)})
		if err == nil && len(out.DBClusters) == 0 {
			s.NotFound = true
			return s, nil
		}
		if err != nil {
			return o.pitrError(s, err, "describe DB cluster "+name)
		}
		return PITRFromDBCluster(s, out.DBClusters[0]), nil
	case PITRS3:
		return o.s3PITR(ctx, s, region)
	}
	return s, nil
}

func (o *Observer) pitrError(s PITRState, err error, what string) (PITRState, error) {
	if IsNotFound(err) {
		s.NotFound = true
		return s, nil
	}
	return s, fmt.Errorf("%s: %w", what, err)
}

// PITRFromContinuousBackups converts DescribeContinuousBackups' answer.
// RecoveryPeriodInDays, when absent, is AWS's default of 35.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PointInTimeRecoverySpecification.html
func PITRFromContinuousBackups(s PITRState, d *ddbtypes.ContinuousBackupsDescription) PITRState {
	if d == nil || d.PointInTimeRecoveryDescription == nil {
		return s
	}
	p := d.PointInTimeRecoveryDescription
	s.Status = string(p.PointInTimeRecoveryStatus)
	s.Enabled = p.PointInTimeRecoveryStatus == ddbtypes.PointInTimeRecoveryStatusEnabled
	if s.Enabled {
		window := int64(35)
		if p.RecoveryPeriodInDays != nil {
			window = int64(*p.RecoveryPeriodInDays)
		}
		s.WindowDays = &window
		s.LatestRestorable = utc(p.LatestRestorableDateTime)
	}
	return s
}

// PITRFromDBInstance converts one DB instance: automated backups with a
// retention of 1 day or more give point-in-time recovery.
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html
func PITRFromDBInstance(s PITRState, db rdstypes.DBInstance) PITRState {
	return rdsPITR(s, db.BackupRetentionPeriod, db.LatestRestorableTime, aws.ToString(db.DBInstanceStatus))
}

// PITRFromDBCluster converts one Aurora cluster.
func PITRFromDBCluster(s PITRState, c rdstypes.DBCluster) PITRState {
	return rdsPITR(s, c.BackupRetentionPeriod, c.LatestRestorableTime, aws.ToString(c.Status))
}

func rdsPITR(s PITRState, retention *int32, latest *time.Time, status string) PITRState {
	n := int64(aws.ToInt32(retention))
	s.Status = status
	s.Enabled = n > 0
	if s.Enabled {
		s.WindowDays = &n
		s.LatestRestorable = utc(latest)
	}
	return s
}

// s3PITR finds the bucket's continuous recovery point: AVAILABLE means
// point-in-time recovery, its retention is the window. The bucket's
// recovery points are listed (a page holds a month of daily snapshots),
// then the continuous one described for its lifecycle.
func (o *Observer) s3PITR(ctx context.Context, s PITRState, region string) (PITRState, error) {
	client := o.backup.For(region)
	var found *backuptypes.RecoveryPointByResource
	p := backup.NewListRecoveryPointsByResourcePaginator(client, &backup.ListRecoveryPointsByResourceInput{ResourceArn: aws.String(s.ResourceARN)})
	for p.HasMorePages() && found == nil {
		page, err := p.NextPage(ctx)
		if err != nil {
			return o.pitrError(s, err, "list recovery points of "+s.ResourceARN)
		}
		for i, rp := range page.RecoveryPoints {
			if IsContinuousRecoveryPoint(aws.ToString(rp.RecoveryPointArn)) {
				found = &page.RecoveryPoints[i]
				break
			}
		}
	}
	if found == nil {
		return s, nil
	}
	rp, err := o.RecoveryPoint(ctx, aws.ToString(found.BackupVaultName), aws.ToString(found.RecoveryPointArn))
	if err != nil {
		return s, err
	}
	return PITRFromContinuousRecoveryPoint(s, rp), nil
}

// PITRFromContinuousRecoveryPoint reads an S3 bucket's point-in-time
// recovery from its continuous recovery point: on while AVAILABLE (a
// continuous backup that can no longer be kept up turns STOPPED).
func PITRFromContinuousRecoveryPoint(s PITRState, rp RecoveryPointState) PITRState {
	s.RecoveryPointARN = rp.ARN
	s.Status = rp.Status
	s.Enabled = !rp.NotFound && rp.Status == string(backuptypes.RecoveryPointStatusAvailable)
	if s.Enabled {
		s.WindowDays = rp.DeleteAfterDays
	}
	return s
}

func utc(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
