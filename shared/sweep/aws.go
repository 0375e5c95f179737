package sweep

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// BackupAPI is the part of the AWS Backup client the sweep reads: list
// calls that carry what the checks need, and the plans, which no list
// carries.
type BackupAPI interface {
	ListBackupVaults(ctx context.Context, in *backup.ListBackupVaultsInput, optFns ...func(*backup.Options)) (*backup.ListBackupVaultsOutput, error)
	ListRecoveryPointsByBackupVault(ctx context.Context, in *backup.ListRecoveryPointsByBackupVaultInput, optFns ...func(*backup.Options)) (*backup.ListRecoveryPointsByBackupVaultOutput, error)
	ListBackupPlans(ctx context.Context, in *backup.ListBackupPlansInput, optFns ...func(*backup.Options)) (*backup.ListBackupPlansOutput, error)
	GetBackupPlan(ctx context.Context, in *backup.GetBackupPlanInput, optFns ...func(*backup.Options)) (*backup.GetBackupPlanOutput, error)
	ListProtectedResources(ctx context.Context, in *backup.ListProtectedResourcesInput, optFns ...func(*backup.Options)) (*backup.ListProtectedResourcesOutput, error)
	// ListCopyJobs tells whether a copy reported missing landed after all.
	ListCopyJobs(ctx context.Context, in *backup.ListCopyJobsInput, optFns ...func(*backup.Options)) (*backup.ListCopyJobsOutput, error)
}

// DynamoDBAPI is the part of the DynamoDB client the PITR checks read.
type DynamoDBAPI interface {
	ListTables(ctx context.Context, in *dynamodb.ListTablesInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ListTablesOutput, error)
	DescribeContinuousBackups(ctx context.Context, in *dynamodb.DescribeContinuousBackupsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeContinuousBackupsOutput, error)
	ListTagsOfResource(ctx context.Context, in *dynamodb.ListTagsOfResourceInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ListTagsOfResourceOutput, error)
}

// RDSAPI is the part of the RDS client the PITR checks read: the describe
// calls carry retention, latest restorable time and tags.
type RDSAPI interface {
	DescribeDBInstances(ctx context.Context, in *rds.DescribeDBInstancesInput, optFns ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
	DescribeDBClusters(ctx context.Context, in *rds.DescribeDBClustersInput, optFns ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
}

// AutoScalingAPI is the part of the Auto Scaling client the posture checks
// read: DescribeAutoScalingGroups carries all of it.
type AutoScalingAPI interface {
	DescribeAutoScalingGroups(ctx context.Context, in *autoscaling.DescribeAutoScalingGroupsInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error)
}

var (
	_ BackupAPI      = (*backup.Client)(nil)
	_ DynamoDBAPI    = (*dynamodb.Client)(nil)
	_ RDSAPI         = (*rds.Client)(nil)
	_ AutoScalingAPI = (*autoscaling.Client)(nil)
)
