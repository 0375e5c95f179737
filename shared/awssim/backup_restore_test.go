package awssim_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/eventbridge"
)

// restoreFixture is the plan fixture with three items in orders, backed
// up once, and a daily restore testing plan (06:00 UTC) of every DynamoDB
// table with a validation window of hours.
type restoreFixture struct {
	planFixture
	ddb     *dynamodb.Client
	rtpArn  string
	backups string // the recovery point the first run made
}

func newRestoreFixture(t *testing.T, hours int32) restoreFixture {
	t.Helper()
	f := restoreFixture{planFixture: newPlanFixture(t, nil)}
	ctx := context.Background()
	f.ddb = dynamodb.NewFromConfig(f.sim.Config("us-east-1"))
	for i := range 3 {
		if _, err := f.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: map[string]ddbtypes.AttributeValue{
			"pk": &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("order-%d", i)},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	plan, err := f.east.CreateRestoreTestingPlan(ctx, &backup.CreateRestoreTestingPlanInput{RestoreTestingPlan: &backuptypes.RestoreTestingPlanForCreate{
		RestoreTestingPlanName: aws.String("daily_restore_test"), ScheduleExpression: aws.String("cron(0 6 ? * * *)"),
		RecoveryPointSelection: &backuptypes.RestoreTestingRecoveryPointSelection{
			Algorithm: backuptypes.RestoreTestingRecoveryPointSelectionAlgorithmLatestWithinWindow, IncludeVaults: []string{"*"},
			RecoveryPointTypes: []backuptypes.RestoreTestingRecoveryPointType{backuptypes.RestoreTestingRecoveryPointTypeSnapshot},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.rtpArn = aws.ToString(plan.RestoreTestingPlanArn)
	if _, err := f.east.CreateRestoreTestingSelection(ctx, &backup.CreateRestoreTestingSelectionInput{
		RestoreTestingPlanName: aws.String("daily_restore_test"),
		RestoreTestingSelection: &backuptypes.RestoreTestingSelectionForCreate{
			RestoreTestingSelectionName: aws.String("tables"), ProtectedResourceType: aws.String("DynamoDB"),
			IamRoleArn: aws.String(backupRole), ProtectedResourceArns: []string{"*"}, ValidationWindowHours: aws.Int32(hours),
		},
	}); err != nil {
		t.Fatal(err)
	}
	f.firstRun(t) // the backup at 05:00
	pts, err := f.east.ListRecoveryPointsByResource(ctx, &backup.ListRecoveryPointsByResourceInput{ResourceArn: aws.String(f.tableArn)})
	if err != nil || len(pts.RecoveryPoints) != 1 {
		t.Fatalf("recovery points of orders: %v, %v", pts, err)
	}
	f.backups = aws.ToString(pts.RecoveryPoints[0].RecoveryPointArn)
	f.sim.DrainEvents()
	return f
}

// restoreEvents are the Restore Job State Changes drained, as "STATE".
func restoreEvents(t *testing.T, f restoreFixture) ([]string, []backupEvent) {
	t.Helper()
	var lines []string
	var out []backupEvent
	for _, e := range drainBackupEvents(t, f.sim) {
		if e.detailType == "Restore Job State Change" {
			lines, out = append(lines, e.state), append(out, e)
		}
	}
	return lines, out
}

// On its schedule the plan restores the latest recovery point of orders
// into a new table that holds the backed-up items, emits the documented
// events, and deletes the table once a validation result is put.
func TestRestoreTestingRestoresValidatesAndDeletes(t *testing.T) {
	f := newRestoreFixture(t, 4)
	ctx := context.Background()
	f.sim.AdvanceTo(time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC))
	f.sim.Settle(2 * time.Hour)
	lines, evs := restoreEvents(t, f)
	if diff := cmp.Diff([]string{"CREATED", "PENDING", "RUNNING", "COMPLETED"}, lines); diff != "" {
		t.Fatalf("restore events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sampleDetailKeys(t, "aws.backup/restore-job-state-change--created.json"), detailKeys(evs[0].detail, "")); diff != "" {
		t.Errorf("CREATED event keys (-sample +sim):\n%s", diff)
	}
	if diff := cmp.Diff(sampleDetailKeys(t, "aws.backup/restore-job-state-change--completed.json"), detailKeys(evs[3].detail, "")); diff != "" {
		t.Errorf("COMPLETED event keys (-sample +sim):\n%s", diff)
	}
	ev, err := eventbridge.Decode(evs[3].raw)
	if err != nil {
		t.Fatal(err)
	}
	done := ev.Detail.(*eventbridge.RestoreJobStateChange)
	if done.RestoreTestingPlanARN != f.rtpArn || done.SourceResourceARN != f.tableArn || done.RecoveryPointARN != f.backups {
		t.Errorf("completed event = %+v, want the plan, orders and its recovery point", done)
	}

	job, err := f.east.DescribeRestoreJob(ctx, &backup.DescribeRestoreJobInput{RestoreJobId: aws.String(done.RestoreJobID)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(job.CreatedBy.RestoreTestingPlanArn) != f.rtpArn || job.Status != backuptypes.RestoreJobStatusCompleted ||
		job.RecoveryPointCreationDate.IsZero() || !job.RecoveryPointCreationDate.Before(*job.CreationDate) {
		t.Errorf("DescribeRestoreJob = %+v", job)
	}
	// Base 10m + start delay 1m for a small table.
	if d := job.CompletionDate.Sub(*job.CreationDate); d < 11*time.Minute || d > 12*time.Minute {
		t.Errorf("restore took %s, want about 11m", d)
	}
	name := done.CreatedResourceARN[len("arn:aws:dynamodb:us-east-1:123456789012:table/"):]
	desc, err := f.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if desc.Table.TableStatus != ddbtypes.TableStatusActive || aws.ToInt64(desc.Table.ItemCount) != 3 {
		t.Errorf("restored table %s: %s, %d items; want ACTIVE with the 3 backed-up items", name, desc.Table.TableStatus, aws.ToInt64(desc.Table.ItemCount))
	}
	scan, err := f.ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(name), Limit: aws.Int32(1)})
	if err != nil || scan.Count != 1 {
		t.Errorf("scan of the restored table: %v, %v", scan, err)
	}

	if _, err := f.east.PutRestoreValidationResult(ctx, &backup.PutRestoreValidationResultInput{
		RestoreJobId: aws.String(done.RestoreJobID), ValidationStatus: backuptypes.RestoreValidationStatusSuccessful,
		ValidationStatusMessage: aws.String("ok"),
	}); err != nil {
		t.Fatal(err)
	}
	var nf *ddbtypes.ResourceNotFoundException
	if _, err := f.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}); !errors.As(err, &nf) {
		t.Errorf("restored table after validation: %v, want ResourceNotFoundException (deleted)", err)
	}
	job, _ = f.east.DescribeRestoreJob(ctx, &backup.DescribeRestoreJobInput{RestoreJobId: aws.String(done.RestoreJobID)})
	if job.ValidationStatus != backuptypes.RestoreValidationStatusSuccessful || job.DeletionStatus != backuptypes.RestoreDeletionStatusSuccessful {
		t.Errorf("after validation: validation %s, deletion %s", job.ValidationStatus, job.DeletionStatus)
	}
	var invalid *backuptypes.InvalidParameterValueException
	if _, err := f.east.PutRestoreValidationResult(ctx, &backup.PutRestoreValidationResultInput{
		RestoreJobId: aws.String(done.RestoreJobID), ValidationStatus: backuptypes.RestoreValidationStatusTimedOut,
	}); !errors.As(err, &invalid) {
		t.Errorf("putting TIMED_OUT: %v, want InvalidParameterValueException", err)
	}
	list, err := f.east.ListRestoreJobs(ctx, &backup.ListRestoreJobsInput{ByRestoreTestingPlanArn: aws.String(f.rtpArn)})
	if err != nil || len(list.RestoreJobs) != 1 {
		t.Errorf("ListRestoreJobs by plan: %v, %v", list, err)
	}
}

// Unvalidated, the restored table is deleted when the window ends and the
// validation TIMED_OUT; a result cannot be put after that.
func TestRestoreValidationWindowTimesOut(t *testing.T) {
	f := newRestoreFixture(t, 1)
	ctx := context.Background()
	f.sim.AdvanceTo(time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC))
	f.sim.Advance(3 * time.Hour)
	_, evs := restoreEvents(t, f)
	id := evs[0].detail["restoreJobId"].(string)
	job, err := f.east.DescribeRestoreJob(ctx, &backup.DescribeRestoreJobInput{RestoreJobId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if job.ValidationStatus != backuptypes.RestoreValidationStatusTimedOut || job.DeletionStatus != backuptypes.RestoreDeletionStatusSuccessful {
		t.Errorf("after the window: validation %q, deletion %q; want TIMED_OUT and deleted", job.ValidationStatus, job.DeletionStatus)
	}
	var invalid *backuptypes.InvalidRequestException
	if _, err := f.east.PutRestoreValidationResult(ctx, &backup.PutRestoreValidationResultInput{
		RestoreJobId: aws.String(id), ValidationStatus: backuptypes.RestoreValidationStatusSuccessful,
	}); !errors.As(err, &invalid) {
		t.Errorf("late validation: %v, want InvalidRequestException", err)
	}
}

// Faults: a failed job says why and restores nothing; a broken restore
// completes with an empty table; a slow one takes its delay longer; a
// large table takes a minute per GiB longer.
func TestRestoreFaultsAndDuration(t *testing.T) {
	tests := []struct {
		name     string
		fault    *awssim.RestoreFault
		bulkGiB  int64
		status   backuptypes.RestoreJobStatus
		items    int64
		duration time.Duration
	}{
		{"fails", &awssim.RestoreFault{Mode: awssim.RestoreFail, Message: "no subnet group"}, 0, backuptypes.RestoreJobStatusFailed, -1, 0},
		{"aborted", &awssim.RestoreFault{Mode: awssim.RestoreAbort}, 0, backuptypes.RestoreJobStatusAborted, -1, 0},
		{"broken", &awssim.RestoreFault{Mode: awssim.RestoreBroken}, 0, backuptypes.RestoreJobStatusCompleted, 0, 11 * time.Minute},
		{"slow", &awssim.RestoreFault{Mode: awssim.RestoreSlow, Delay: time.Hour}, 0, backuptypes.RestoreJobStatusCompleted, 3, 71 * time.Minute},
		{"large", nil, 120, backuptypes.RestoreJobStatusCompleted, 3 + 1000, 131 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRestoreFixture(t, 24)
			ctx := context.Background()
			if tt.fault != nil {
				if _, err := f.sim.InjectRestoreFault(*tt.fault); err != nil {
					t.Fatal(err)
				}
			}
			if tt.bulkGiB > 0 {
				// The backup holds the size the table had when it ran.
				if err := f.sim.SetDynamoDBTableData("us-east-1", "orders", tt.bulkGiB<<30, 1000); err != nil {
					t.Fatal(err)
				}
				f.sim.AdvanceTo(time.Date(2026, 11, 3, 5, 0, 0, 0, time.UTC))
				f.sim.Settle(time.Hour)
				f.sim.DrainEvents()
			}
			ids, err := f.sim.RunRestoreTestingPlan("us-east-1", "daily_restore_test")
			if err != nil || len(ids) != 1 {
				t.Fatalf("run: %v, %v", ids, err)
			}
			f.sim.Settle(6 * time.Hour)
			job, err := f.east.DescribeRestoreJob(ctx, &backup.DescribeRestoreJobInput{RestoreJobId: aws.String(ids[0])})
			if err != nil {
				t.Fatal(err)
			}
			if job.Status != tt.status {
				t.Fatalf("status %s (%s), want %s", job.Status, aws.ToString(job.StatusMessage), tt.status)
			}
			if tt.items < 0 {
				if job.CreatedResourceArn != nil || aws.ToString(job.StatusMessage) == "" {
					t.Errorf("a failed restore: created %v, message %q; want none and a reason", job.CreatedResourceArn, aws.ToString(job.StatusMessage))
				}
				return
			}
			if d := job.CompletionDate.Sub(*job.CreationDate); d < tt.duration || d > tt.duration+time.Minute {
				t.Errorf("took %s, want %s", d, tt.duration)
			}
			name := aws.ToString(job.CreatedResourceArn)[len("arn:aws:dynamodb:us-east-1:123456789012:table/"):]
			desc, err := f.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToInt64(desc.Table.ItemCount); got != tt.items {
				t.Errorf("restored table holds %d items, want %d", got, tt.items)
			}
		})
	}
}

// A plan's edits and deletion emit their events; a deleted plan keeps
// answering GetBackupPlan with its deletion date, leaves ListBackupPlans
// and runs no more; its selections must go first.
func TestBackupPlanChangesEmitEvents(t *testing.T) {
	f := newPlanFixture(t, nil)
	ctx := context.Background()
	got, err := f.east.GetBackupPlan(ctx, &backup.GetBackupPlanInput{BackupPlanId: aws.String(f.planID)})
	if err != nil {
		t.Fatal(err)
	}
	in := &backuptypes.BackupPlanInput{BackupPlanName: aws.String("prod"), Rules: []backuptypes.BackupRuleInput{{
		RuleName: aws.String("daily"), TargetBackupVaultName: aws.String("prod-vault"), ScheduleExpression: aws.String("cron(0 5 ? * * *)"),
		Lifecycle: &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(35)}, // the copy is gone
	}}}
	up, err := f.east.UpdateBackupPlan(ctx, &backup.UpdateBackupPlanInput{BackupPlanId: aws.String(f.planID), BackupPlan: in})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := f.east.GetBackupPlan(ctx, &backup.GetBackupPlanInput{BackupPlanId: aws.String(f.planID)})
	if aws.ToString(up.VersionId) == f.version || len(after.BackupPlan.Rules[0].CopyActions) != 0 ||
		aws.ToString(after.BackupPlan.Rules[0].RuleId) != aws.ToString(got.BackupPlan.Rules[0].RuleId) {
		t.Errorf("after the update: version %s (was %s), rule %+v", aws.ToString(up.VersionId), f.version, after.BackupPlan.Rules[0])
	}
	var invalid *backuptypes.InvalidRequestException
	if _, err := f.east.DeleteBackupPlan(ctx, &backup.DeleteBackupPlanInput{BackupPlanId: aws.String(f.planID)}); !errors.As(err, &invalid) {
		t.Errorf("deleting a plan with a selection: %v, want InvalidRequestException", err)
	}
	sels, _ := f.east.ListBackupSelections(ctx, &backup.ListBackupSelectionsInput{BackupPlanId: aws.String(f.planID)})
	for _, s := range sels.BackupSelectionsList {
		if _, err := f.east.DeleteBackupSelection(ctx, &backup.DeleteBackupSelectionInput{BackupPlanId: aws.String(f.planID), SelectionId: s.SelectionId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.east.DeleteBackupPlan(ctx, &backup.DeleteBackupPlanInput{BackupPlanId: aws.String(f.planID)}); err != nil {
		t.Fatal(err)
	}
	evs := drainBackupEvents(t, f.sim)
	if diff := cmp.Diff([]string{"us-east-1 Backup Plan State Change MODIFIED", "us-east-1 Backup Plan State Change DELETED"}, eventLines(evs)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	for i, sample := range []string{"aws.backup/backup-plan-state-change--modified.json", "aws.backup/backup-plan-state-change--deleted.json"} {
		if diff := cmp.Diff(sampleDetailKeys(t, sample), detailKeys(evs[i].detail, "")); diff != "" {
			t.Errorf("%s keys (-sample +sim):\n%s", sample, diff)
		}
	}
	gone, err := f.east.GetBackupPlan(ctx, &backup.GetBackupPlanInput{BackupPlanId: aws.String(f.planID)})
	if err != nil || gone.DeletionDate == nil {
		t.Errorf("GetBackupPlan of the deleted plan: %v, %v; want its DeletionDate", gone, err)
	}
	list, _ := f.east.ListBackupPlans(ctx, &backup.ListBackupPlansInput{})
	all, _ := f.east.ListBackupPlans(ctx, &backup.ListBackupPlansInput{IncludeDeleted: aws.Bool(true)})
	if len(list.BackupPlansList) != 0 || len(all.BackupPlansList) != 1 {
		t.Errorf("ListBackupPlans: %d live, %d with deleted; want 0 and 1", len(list.BackupPlansList), len(all.BackupPlansList))
	}
	f.firstRun(t)
	if evs := drainBackupEvents(t, f.sim); len(evs) != 0 {
		t.Errorf("a deleted plan ran: %v", eventLines(evs))
	}
}

// Turning an instance's automated backups off and on emits RDS-EVENT-0028
// and RDS-EVENT-0032, shaped like the catalogue's samples.
func TestRDSRetentionChangesEmitEvents(t *testing.T) {
	sim := awssim.New()
	ctx := context.Background()
	c := rds.NewFromConfig(sim.Config("us-east-1"))
	if _, err := c.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("payments"), Engine: aws.String("postgres"), DBInstanceClass: aws.String("db.t4g.medium"),
		BackupRetentionPeriod: aws.Int32(7),
	}); err != nil {
		t.Fatal(err)
	}
	sim.Settle(time.Hour)
	sim.DrainEvents()
	for _, days := range []int32{3, 0, 7} {
		if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
			DBInstanceIdentifier: aws.String("payments"), BackupRetentionPeriod: aws.Int32(days), ApplyImmediately: aws.Bool(true),
		}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for _, e := range sim.DrainEvents() {
		ev, err := eventbridge.Decode(e.JSON)
		if err != nil {
			t.Fatal(err)
		}
		d := ev.Detail.(*eventbridge.RDSInstanceEvent)
		if d.SourceIdentifier != "payments" || d.SourceARN != "arn:aws:rds:us-east-1:123456789012:db:payments" {
			t.Errorf("event about %s %s", d.SourceIdentifier, d.SourceARN)
		}
		ids = append(ids, d.EventID)
	}
	// 7 → 3 days changes no more than the window: no event.
	if diff := cmp.Diff([]string{"RDS-EVENT-0028", "RDS-EVENT-0032"}, ids); diff != "" {
		t.Errorf("event ids (-want +got):\n%s", diff)
	}
}
