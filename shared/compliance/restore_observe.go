package compliance

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// RestoreJob describes a restore job in region.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeRestoreJob.html
func (o *Observer) RestoreJob(ctx context.Context, region, id string) (RestoreJobState, error) {
	out, err := o.backup.For(region).DescribeRestoreJob(ctx, &backup.DescribeRestoreJobInput{RestoreJobId: aws.String(id)})
	switch {
	case IsNotFound(err):
		return RestoreJobState{ID: id, NotFound: true}, nil
	case err != nil:
		return RestoreJobState{ID: id}, fmt.Errorf("describe restore job %s in %s: %w", id, region, err)
	}
	j := RestoreJobState{
		ID: aws.ToString(out.RestoreJobId), Status: string(out.Status), StatusMessage: aws.ToString(out.StatusMessage),
		RecoveryPointARN: aws.ToString(out.RecoveryPointArn), VaultARN: aws.ToString(out.BackupVaultArn),
		SourceResourceARN: aws.ToString(out.SourceResourceArn), CreatedResourceARN: aws.ToString(out.CreatedResourceArn),
		ResourceType: aws.ToString(out.ResourceType), BackupSizeInBytes: aws.ToInt64(out.BackupSizeInBytes),
		ValidationStatus: string(out.ValidationStatus), ValidationMessage: aws.ToString(out.ValidationStatusMessage),
	}
	if c := out.CreatedBy; c != nil {
		j.TestingPlanARN = aws.ToString(c.RestoreTestingPlanArn)
	}
	if j.ID == "" {
		j.ID = id
	}
	if t := utc(out.CreationDate); t != nil {
		j.Created = *t
	}
	if t := utc(out.CompletionDate); t != nil {
		j.Completed = *t
	}
	if t := utc(out.RecoveryPointCreationDate); t != nil {
		j.RecoveryPointCreated = *t
	}
	return j, nil
}

// PutValidation tells AWS Backup the outcome of a restore test: the one
// write the function makes outside its own state.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutRestoreValidationResult.html
func (o *Observer) PutValidation(ctx context.Context, region, jobID string, ok bool, message string) error {
	status := backuptypes.RestoreValidationStatusFailed
	if ok {
		status = backuptypes.RestoreValidationStatusSuccessful
	}
	_, err := o.backup.For(region).PutRestoreValidationResult(ctx, &backup.PutRestoreValidationResultInput{
		RestoreJobId: aws.String(jobID), ValidationStatus: status, ValidationStatusMessage: aws.String(message),
	})
	if err != nil {
		return fmt.Errorf("put validation result of restore job %s: %w", jobID, err)
	}
	return nil
}

// Restored reads what a restore made, only reading: a DynamoDB table's
// status and item count and one item, an RDS instance's or Aurora
// cluster's status. Kinds it does not read come back as they are.
func (o *Observer) Restored(ctx context.Context, createdARN string, kind RestoredKind) (RestoredState, error) {
	r := RestoredState{ARN: createdARN, Kind: kind}
	region, name := RegionOf(createdARN), resourceName(createdARN)
	switch kind {
	case RestoredTable:
		client := o.ddb.For(region)
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if IsNotFound(err) {
			r.NotFound = true
			return r, nil
		}
		if err != nil {
			return r, fmt.Errorf("describe restored table %s: %w", name, err)
		}
		r.Status, r.ItemCount = string(out.Table.TableStatus), aws.ToInt64(out.Table.ItemCount)
		if r.Status != "ACTIVE" {
			return r, nil
		}
		// One item proves the data is there and readable; a count of the
		// whole table would scan it all.
		scan, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(name), Limit: aws.Int32(1)})
		if err != nil {
			return r, fmt.Errorf("read restored table %s: %w", name, err)
		}
		r.Read, r.ItemRead = true, len(scan.Items) > 0
	case RestoredInstance:
		out, err := o.rds.For(region).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(name)})
		if IsNotFound(err) || (err == nil && len(out.DBInstances) == 0) {
			r.NotFound = true
			return r, nil
		}
		if err != nil {
			return r, fmt.Errorf("describe restored DB instance %s: %w", name, err)
		}
		r.Status = aws.ToString(out.DBInstances[0].DBInstanceStatus)
	case RestoredCluster:
		out, err := o.rds.For(region).DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(name)})
		if IsNotFound(err) || (err == nil && len(out.DBClusters) == 0) {
			r.NotFound = true
			return r, nil
		}
		if err != nil {
			return r, fmt.Errorf("describe restored DB cluster %s: %w", name, err)
		}
		r.Status = aws.ToString(out.DBClusters[0].Status)
	}
	return r, nil
}

// Tags reads the tags of a protected resource selfheal reads tags of: a
// DynamoDB table, an RDS instance, an Aurora cluster (the databases'
// describe calls carry them). Others have none here: the policy's targets
// apply. A resource that is gone has none.
func (o *Observer) Tags(ctx context.Context, resourceARN, backupType string) (map[string]string, error) {
	region, name := RegionOf(resourceARN), resourceName(resourceARN)
	tags := map[string]string{}
	switch PITRKindOf(resourceARN, backupType) {
	case PITRDynamoDB:
		var token *string
		for {
			page, err := o.ddb.For(region).ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String(resourceARN), NextToken: token})
			if IsNotFound(err) {
				return tags, nil
			}
			if err != nil {
				return tags, fmt.Errorf("list tags of %s: %w", resourceARN, err)
			}
			for _, t := range page.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if token = page.NextToken; token == nil {
				break
			}
		}
	case PITRRDSInstance:
		out, err := o.rds.For(region).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(name)})
		if IsNotFound(err) {
			return tags, nil
		}
		if err != nil {
			return tags, fmt.Errorf("describe DB instance %s: %w", name, err)
		}
		for _, db := range out.DBInstances {
			addRDSTags(tags, db.TagList)
		}
	case PITRAurora:
		out, err := o.rds.For(region).DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(name)})
		if IsNotFound(err) {
			return tags, nil
		}
		if err != nil {
			return tags, fmt.Errorf("describe DB cluster %s: %w", name, err)
		}
		for _, c := range out.DBClusters {
			addRDSTags(tags, c.TagList)
		}
	}
	return tags, nil
}

func addRDSTags(m map[string]string, tags []rdstypes.Tag) {
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
}

// RestoreTestTag is the tag AWS Backup restore testing puts on what it
// restores (IAM policies of restore validators condition on it).
const RestoreTestTag = "awsbackup-restore-test"

// IsRestoreTestResource reports whether a name is one AWS Backup restore
// testing gives what it restores (awsbackup-restore-test-…).
func IsRestoreTestResource(name string) bool {
	return strings.HasPrefix(name, "awsbackup-restore-test")
}
