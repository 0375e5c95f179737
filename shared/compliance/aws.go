package compliance

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// BackupAPI is the part of the AWS Backup client the checks read.
type BackupAPI interface {
	DescribeBackupVault(ctx context.Context, in *backup.DescribeBackupVaultInput, optFns ...func(*backup.Options)) (*backup.DescribeBackupVaultOutput, error)
	DescribeRecoveryPoint(ctx context.Context, in *backup.DescribeRecoveryPointInput, optFns ...func(*backup.Options)) (*backup.DescribeRecoveryPointOutput, error)
	GetBackupPlan(ctx context.Context, in *backup.GetBackupPlanInput, optFns ...func(*backup.Options)) (*backup.GetBackupPlanOutput, error)
	ListRecoveryPointsByResource(ctx context.Context, in *backup.ListRecoveryPointsByResourceInput, optFns ...func(*backup.Options)) (*backup.ListRecoveryPointsByResourceOutput, error)
	// A deleted plan's recovery points say what it protected.
	ListRecoveryPointsByBackupVault(ctx context.Context, in *backup.ListRecoveryPointsByBackupVaultInput, optFns ...func(*backup.Options)) (*backup.ListRecoveryPointsByBackupVaultOutput, error)
	// Restore tests: what the job restored, and the validation result,
	// the one write of the function outside its own state.
	DescribeRestoreJob(ctx context.Context, in *backup.DescribeRestoreJobInput, optFns ...func(*backup.Options)) (*backup.DescribeRestoreJobOutput, error)
	PutRestoreValidationResult(ctx context.Context, in *backup.PutRestoreValidationResultInput, optFns ...func(*backup.Options)) (*backup.PutRestoreValidationResultOutput, error)
}

// DynamoDBAPI is the part of the DynamoDB client the PITR checks and the
// restore test validation read.
type DynamoDBAPI interface {
	DescribeContinuousBackups(ctx context.Context, in *dynamodb.DescribeContinuousBackupsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeContinuousBackupsOutput, error)
	// A restored table: ACTIVE, its item count, and one item read.
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	// A protected table's selfheal:rto and selfheal:rpo tags.
	ListTagsOfResource(ctx context.Context, in *dynamodb.ListTagsOfResourceInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ListTagsOfResourceOutput, error)
}

// RDSAPI is the part of the RDS client the PITR checks read.
type RDSAPI interface {
	DescribeDBInstances(ctx context.Context, in *rds.DescribeDBInstancesInput, optFns ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
	DescribeDBClusters(ctx context.Context, in *rds.DescribeDBClustersInput, optFns ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
}

var (
	_ BackupAPI   = (*backup.Client)(nil)
	_ DynamoDBAPI = (*dynamodb.Client)(nil)
	_ RDSAPI      = (*rds.Client)(nil)
)
