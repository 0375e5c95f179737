package eventbridge_test

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/selfheal/selfheal/events"
	eb "github.com/selfheal/selfheal/shared/eventbridge"
)

// The sample story's shared values (see events/README.md).
const (
	acct       = "123456789012"
	prodVault  = "arn:aws:backup:us-east-1:123456789012:backup-vault:prod-vault"
	drVault    = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-vault"
	backupRole = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"
	orders     = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
	payments   = "arn:aws:rds:us-east-1:123456789012:db:payments"
	ordersRP   = "arn:aws:backup:us-east-1:123456789012:recovery-point:5c0a4d1e-7b2f-4a96-9f3e-2d8c1b6a0e47"
	issueARN   = "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_3ea48547-a68d-4fd9-af9f-f18ebf53d6c1"
	azAlarmARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-unhealthy-hosts-us-east-1a"
	// The restore test of 2026-03-03 (restore-job-state-change--*.json).
	restoreJobID       = "C8A1E5F2-4B7D-4E19-A3C6-9F0D2B8E6A17"
	restoreTestingPlan = "arn:aws:backup:us-east-1:123456789012:restore-testing-plan:weekly_restore_test-7d1e4b2a-5c3f-4e8a-9b6d-0f2a1c3e5b7d"
	paymentsSnapshot   = "arn:aws:rds:us-east-1:123456789012:snapshot:awsbackup:job-4d2f8a61-0c7e-4b39-a5d1-6e9f3b2c8a04"
	webASGARN          = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:5f7c2a1e-3b4d-4c8e-9a6f-0d1e2f3a4b5c:autoScalingGroupName/web-asg"
)

var plan = eb.BackupCreatedBy{
	BackupPlanID:      "8a5e2c47-3f1b-4d6a-9e0c-7b2d1f4a6c93",
	BackupPlanARN:     "arn:aws:backup:us-east-1:123456789012:backup-plan:8a5e2c47-3f1b-4d6a-9e0c-7b2d1f4a6c93",
	BackupPlanVersion: "ZGM2MjZiZGQtNzU2Yi00ZjM0LWI0OGQtN2UxNDdmNGJhZDAx",
	BackupRuleID:      "1f97bafa-14d6-4f39-94fd-94b51bd6d0d5",
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err) // a typo in a test literal
	}
	return t.UTC()
}

func sample(t testing.TB, path string) []byte {
	t.Helper()
	b, err := events.Sample(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Prose the tests need not spell out; everything else is compared.
var ignoreProse = cmp.Options{
	cmpopts.IgnoreFields(eb.AlarmState{}, "Reason", "ReasonData"),
	cmpopts.IgnoreFields(eb.HealthDescription{}, "LatestDescription"),
	cmpopts.IgnoreFields(eb.LaunchUnsuccessful{}, "Cause"),
	cmpopts.EquateEmpty(),
}

// Every sample in the catalogue decodes into its typed detail, with the
// values a handler acts on. A sample added without an entry here fails.
func TestDecodeSamples(t *testing.T) {
	healthEntities := func(status eb.HealthEntityStatus, updated string) []eb.HealthAffectedEntity {
		return []eb.HealthAffectedEntity{
			{EntityValue: "i-0abc1234def567890", Status: status, LastUpdatedTime: ts(updated)},
			{EntityValue: "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc1234def567891", Status: status, LastUpdatedTime: ts(updated)},
		}
	}
	en := []eb.HealthDescription{{Language: "en_US"}}
	azMetric := eb.AlarmMetric{
		ID: "m1", ReturnData: true, Namespace: "AWS/ApplicationELB", Name: "UnHealthyHostCount",
		Dimensions: map[string]string{"AvailabilityZone": "us-east-1a", "LoadBalancer": "app/web/50dc6c495c0c9188", "TargetGroup": "targetgroup/web/73e2d6bc24d8a067"},
		Period:     60, Stat: "Maximum",
	}
	elb := func(id, name string) eb.AlarmMetric {
		return eb.AlarmMetric{
			ID: id, Namespace: "AWS/ApplicationELB", Name: name, Period: 60, Stat: "Sum",
			Dimensions: map[string]string{"AvailabilityZone": "us-east-1b", "LoadBalancer": "app/web/50dc6c495c0c9188"},
		}
	}
	azTags := map[string]string{"selfheal:az-signal": "true", "team": "web"}
	shiftNotes := "AWS has started an autoshift for an impaired Availability Zone. This notification is separate from autoshift notifications for resources, if any, that you have configured for zonal autoshift. For details, see the Developer Guide."

	tests := map[string]struct {
		id     string
		kind   eb.Kind
		detail any
	}{
		"aws.health/aws-health-event--ec2-issue-account.json": {"0c81d847-ef62-4277-9504-69422737778f", eb.KindHealth, &eb.HealthEvent{
			EventARN: issueARN, Service: "EC2", EventTypeCode: "AWS_EC2_OPERATIONAL_ISSUE",
			EventTypeCategory: eb.HealthCategoryIssue, EventScopeCode: eb.HealthScopeAccountSpecific,
			CommunicationID: "4f1c2a9e7d0b3c6e8a5f1d2b9c0e7a4d6b3f8e1c-1", StatusCode: eb.HealthStatusOpen,
			StartTime: ts("2026-03-04T08:52:00Z"), LastUpdatedTime: ts("2026-03-04T09:14:05Z"),
			EventRegion: "us-east-1", Descriptions: en, AffectedEntities: healthEntities(eb.HealthEntityImpaired, "2026-03-04T09:10:00Z"),
			AffectedAccount: acct, Page: 1, TotalPages: 1,
		}},
		"aws.health/aws-health-event--ec2-issue-closed.json": {"bc283ed7-317e-4c35-8477-3f6a56da1f80", eb.KindHealth, &eb.HealthEvent{
			EventARN: issueARN, Service: "EC2", EventTypeCode: "AWS_EC2_OPERATIONAL_ISSUE",
			EventTypeCategory: eb.HealthCategoryIssue, EventScopeCode: eb.HealthScopeAccountSpecific,
			CommunicationID: "4f1c2a9e7d0b3c6e8a5f1d2b9c0e7a4d6b3f8e1c-1", StatusCode: eb.HealthStatusClosed,
			StartTime: ts("2026-03-04T08:52:00Z"), EndTime: ts("2026-03-04T11:30:00Z"), LastUpdatedTime: ts("2026-03-04T11:32:40Z"),
			EventRegion: "us-east-1", Descriptions: en, AffectedEntities: healthEntities(eb.HealthEntityResolved, "2026-03-04T11:30:00Z"),
			AffectedAccount: acct, Page: 1, TotalPages: 1,
		}},
		"aws.health/aws-health-event--ec2-issue-public.json": {"1798269f-dcc8-4eeb-90b8-242307c1fddf", eb.KindHealth, &eb.HealthEvent{
			EventARN:      "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_7f35c8ae-af1f-54e6-a526-d0179ed6d68f",
			Service:       "EC2",
			EventTypeCode: "AWS_EC2_OPERATIONAL_ISSUE", EventTypeCategory: eb.HealthCategoryIssue, EventScopeCode: eb.HealthScopePublic,
			CommunicationID: "01b0993207d81a09dcd552ebd1e633e36cf1f09a-1", StatusCode: eb.HealthStatusOpen,
			// The sample's times end in "\n".
			StartTime: ts("2026-03-04T08:40:00Z"), LastUpdatedTime: ts("2026-03-04T09:01:22Z"),
			EventRegion: "us-east-1", Descriptions: en, AffectedAccount: acct, Page: 1, TotalPages: 1,
		}},
		"aws.health/aws-health-event--ec2-retirement-scheduled.json": {"aa649503-4589-4e6c-9ac7-2f26f9e52db3", eb.KindHealth, &eb.HealthEvent{
			EventARN:      "arn:aws:health:us-east-1::event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED_2b216c18-5fbf-474d-afcb-38491a7d0415",
			Service:       "EC2",
			EventTypeCode: "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED", EventTypeCategory: eb.HealthCategoryScheduledChange,
			EventScopeCode: eb.HealthScopeAccountSpecific, CommunicationID: "1234abc01232a4012345678-1", StatusCode: eb.HealthStatusUpcoming,
			StartTime: ts("2026-03-19T14:00:00Z"), LastUpdatedTime: ts("2026-03-03T16:20:11Z"), EventRegion: "us-east-1", Descriptions: en,
			AffectedEntities: []eb.HealthAffectedEntity{{
				EntityValue: "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc1234def567892", Status: eb.HealthEntityPending,
				LastUpdatedTime: ts("2026-03-03T16:20:11Z"),
			}},
			AffectedAccount: acct, Page: 1, TotalPages: 1,
		}},

		"aws.cloudwatch/cloudwatch-alarm-state-change--az-alarm.json": {"2329f839-a654-48f3-a0db-057b00555949", eb.KindAlarmStateChange, &eb.AlarmStateChange{
			AlarmARN: azAlarmARN, AlarmName: "web-unhealthy-hosts-us-east-1a", Description: "Unhealthy web targets in us-east-1a",
			State:         eb.AlarmState{Value: eb.AlarmStateAlarm, Timestamp: ts("2026-03-04T08:56:40.989Z")},
			PreviousState: eb.AlarmState{Value: eb.AlarmStateOK, Timestamp: ts("2026-03-04T08:48:12.404Z")},
			Metrics:       []eb.AlarmMetric{azMetric}, Tags: azTags, TagsStatus: "SUCCESS",
		}},
		"aws.cloudwatch/cloudwatch-alarm-state-change--az-ok.json": {"fe3b1813-ab02-4ef6-a42c-942c0cec379a", eb.KindAlarmStateChange, &eb.AlarmStateChange{
			AlarmARN: azAlarmARN, AlarmName: "web-unhealthy-hosts-us-east-1a", Description: "Unhealthy web targets in us-east-1a",
			State:         eb.AlarmState{Value: eb.AlarmStateOK, Timestamp: ts("2026-03-04T11:41:06.515Z")},
			PreviousState: eb.AlarmState{Value: eb.AlarmStateAlarm, Timestamp: ts("2026-03-04T08:56:40.989Z")},
			Metrics:       []eb.AlarmMetric{azMetric}, Tags: azTags, TagsStatus: "SUCCESS",
		}},
		"aws.cloudwatch/cloudwatch-alarm-state-change--metric-math.json": {"d14a67cb-eb47-4d71-b1a7-0a65addd6d7d", eb.KindAlarmStateChange, &eb.AlarmStateChange{
			AlarmARN:      "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx-rate-us-east-1b",
			AlarmName:     "web-5xx-rate-us-east-1b",
			Description:   "Share of 5xx responses from web targets in us-east-1b above 5%",
			State:         eb.AlarmState{Value: eb.AlarmStateAlarm, Timestamp: ts("2026-03-04T09:03:48.554Z")},
			PreviousState: eb.AlarmState{Value: eb.AlarmStateInsufficientData, Timestamp: ts("2026-03-01T10:20:03.642Z")},
			Metrics: []eb.AlarmMetric{
				{ID: "e1", Label: "5xx rate (%)", ReturnData: true, Expression: "100 * m1 / m2"},
				elb("m1", "HTTPCode_Target_5XX_Count"),
				elb("m2", "RequestCount"),
			},
		}},
		"aws.cloudwatch/cloudwatch-alarm-state-change--composite.json": {"8b4acad6-5b45-4521-ab21-ad51bd45be6b", eb.KindAlarmStateChange, &eb.AlarmStateChange{
			AlarmARN: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-az-impaired", AlarmName: "web-az-impaired",
			State:             eb.AlarmState{Value: eb.AlarmStateAlarm, Timestamp: ts("2026-03-04T09:03:49.012Z")},
			PreviousState:     eb.AlarmState{Value: eb.AlarmStateOK, Timestamp: ts("2026-03-01T10:25:14.552Z")},
			AlarmRule:         `ALARM("web-unhealthy-hosts-us-east-1a") OR ALARM("web-5xx-rate-us-east-1b")`,
			ActionsSuppressor: "web-maintenance-window",
		}},
		"aws.cloudwatch/cloudwatch-alarm-state-change--insufficient-data.json": {"d16469c8-1cf7-4884-a863-a714ebb03f12", eb.KindAlarmStateChange, &eb.AlarmStateChange{
			AlarmARN: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-latency-p99", AlarmName: "web-latency-p99",
			Description:   "p99 target response time above 2 s",
			State:         eb.AlarmState{Value: eb.AlarmStateInsufficientData, Timestamp: ts("2026-03-04T09:20:02.121Z")},
			PreviousState: eb.AlarmState{Value: eb.AlarmStateOK, Timestamp: ts("2026-03-04T09:14:02.118Z")},
			Metrics: []eb.AlarmMetric{{
				ID: "m1", ReturnData: true, Namespace: "AWS/ApplicationELB", Name: "TargetResponseTime",
				Dimensions: map[string]string{"LoadBalancer": "app/web/50dc6c495c0c9188"}, Period: 60, Stat: "p99",
			}},
		}},

		"aws.backup/backup-job-state-change--completed.json": {"052c90c8-0a5f-4416-b1d6-6e5b963f035f", eb.KindBackupJob, &eb.BackupJobStateChange{
			BackupJobID: "a827233a-d405-4a86-a440-759fa94f34dd", State: eb.BackupJobCompleted,
			BackupVaultName: "prod-vault", BackupVaultARN: prodVault, RecoveryPointARN: ordersRP,
			ResourceARN: orders, ResourceType: "DynamoDB", IAMRoleARN: backupRole, CreatedBy: plan,
			CreationDate: ts("2026-03-02T05:40:31.207Z"), CompletionDate: ts("2026-03-02T05:41:05.921Z"), StartBy: ts("2026-03-02T13:40:31.207Z"),
			BackupSizeInBytes: 36048, BytesTransferred: 36048, PercentDone: 100, // sizes arrive as strings
		}},
		"aws.backup/backup-job-state-change--failed.json": {"397eb0d2-1d5f-4873-8d5d-27dcd593af80", eb.KindBackupJob, &eb.BackupJobStateChange{
			BackupJobID: "34176239-e96d-4e1d-9fad-529dbb3c3556", State: eb.BackupJobFailed,
			StatusMessage:   "Backup job failed because the IAM role arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole is not authorized to perform rds:CreateDBSnapshot.",
			BackupVaultName: "prod-vault", BackupVaultARN: prodVault, ResourceARN: payments, ResourceType: "RDS", IAMRoleARN: backupRole,
			CreationDate: ts("2026-03-02T05:45:07.392Z"), StartBy: ts("2026-03-02T13:45:07.392Z"),
		}},
		"aws.backup/backup-job-state-change--aborted.json": {"627ca221-c5c2-4689-ab14-19751a302cf8", eb.KindBackupJob, &eb.BackupJobStateChange{
			BackupJobID: "58cdef95-7680-4c74-80d5-1b64093999c8", State: eb.BackupJobAborted,
			StatusMessage:   "Backup job was stopped by user.",
			BackupVaultName: "prod-vault", BackupVaultARN: prodVault, ResourceARN: orders, ResourceType: "DynamoDB", IAMRoleARN: backupRole,
			CreationDate: ts("2026-03-02T06:33:00.803Z"), CompletionDate: ts("2026-03-02T06:33:01.621Z"), StartBy: ts("2026-03-02T14:33:00.803Z"),
		}},
		"aws.backup/backup-job-state-change--expired.json": {"6b0e3f52-8d4a-4c71-9e2b-1f5a7c3d9e08", eb.KindBackupJob, &eb.BackupJobStateChange{
			BackupJobID: "01EE26DC-7107-4D8E-0C54-EAC27C662BA4", State: eb.BackupJobExpired,
			StatusMessage:   "Backup job failed because there was a running job for the same resource.",
			BackupVaultName: "prod-vault", BackupVaultARN: prodVault, ResourceARN: orders, ResourceType: "DynamoDB", IAMRoleARN: backupRole,
			CreatedBy:    plan,
			CreationDate: ts("2026-03-03T05:10:20.077Z"), CompletionDate: ts("2026-03-03T13:02:15.234Z"), StartBy: ts("2026-03-03T13:00:00Z"),
		}},
		"aws.backup/copy-job-state-change--completed.json": {"e2c4a6b8-0d1f-4e3a-9b5c-7d9e1f3a5b7c", eb.KindCopyJob, &eb.CopyJobStateChange{
			CopyJobID: "0175DE71-5784-589F-D8AC-541ACCB4CAC8", State: eb.CopyJobCompleted,
			SourceRecoveryPointARN: ordersRP, SourceBackupVaultARN: prodVault, DestinationBackupVaultARN: drVault,
			DestinationRecoveryPointARN: "arn:aws:backup:us-west-2:123456789012:recovery-point:9e4b7c21-0d5a-4f3e-8b6c-1a2f3d4e5b6c",
			ResourceARN:                 orders, ResourceType: "DynamoDB", IAMRoleARN: backupRole, CreatedBy: plan,
			CreationDate: ts("2026-03-02T05:45:12.118Z"), CompletionDate: ts("2026-03-02T06:02:48.530Z"),
			BackupSizeInBytes: 36048, // a number here
		}},
		"aws.backup/copy-job-state-change--failed.json": {"4660bc92-a44d-c939-4542-cda503f14855", eb.KindCopyJob, &eb.CopyJobStateChange{
			CopyJobID: "47C8EF56-74D8-059D-1301-C5BE1D5C926E", State: eb.CopyJobFailed,
			StatusMessage:          "Access denied: the destination vault's KMS key arn:aws:kms:us-west-2:123456789012:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d is not accessible to the copy role",
			SourceRecoveryPointARN: "arn:aws:rds:us-east-1:123456789012:snapshot:awsbackup:job-7a1c3e5b-9d2f-4b6a-8c0e-2f4a6b8d0c1e",
			SourceBackupVaultARN:   prodVault, DestinationBackupVaultARN: drVault,
			DestinationRecoveryPointARN: "", // {} in the event
			ResourceARN:                 payments, ResourceType: "RDS", IAMRoleARN: backupRole, CreatedBy: plan,
			CreationDate: ts("2026-03-02T07:36:13.239Z"), CompletionDate: ts("2026-03-02T07:37:28.704Z"),
			BackupSizeInBytes: 22548578304,
		}},
		"aws.backup/recovery-point-state-change--completed.json": {"ab32977c-378d-4122-a985-0f84596f0709", eb.KindRecoveryPoint, &eb.RecoveryPointStateChange{
			RecoveryPointARN: ordersRP, Status: eb.RecoveryPointCompleted,
			BackupVaultName: "prod-vault", BackupVaultARN: prodVault, ResourceARN: orders, ResourceType: "DynamoDB", IAMRoleARN: backupRole,
			IsEncrypted: true, StorageClass: "WARM", CreatedBy: plan, // isEncrypted is the string "true"
			CreationDate: ts("2026-03-02T05:40:31.207Z"), CompletionDate: ts("2026-03-02T05:41:05.921Z"),
			Lifecycle: eb.BackupLifecycle{DeleteAfterDays: 35}, DeleteAt: ts("2026-04-06T05:40:31.207Z"),
		}},
		"aws.backup/recovery-point-state-change--continuous-stopped.json": {"c7e9f1a3-5b7d-4f9e-8a2c-4e6a8c0e2a4b", eb.KindRecoveryPoint, &eb.RecoveryPointStateChange{
			RecoveryPointARN: "arn:aws:backup:us-east-1:123456789012:recovery-point:continuous:db-7kq3vxm2lwn5r8tbh4yjg6cdpe-4c1e9a2b",
			Status:           eb.RecoveryPointStopped,
			StatusMessage:    "Continuous backup stopped: AWS Backup no longer has the permissions it needs on the resource.",
			BackupVaultName:  "prod-vault", BackupVaultARN: prodVault, ResourceARN: payments, ResourceType: "RDS", IAMRoleARN: backupRole,
			IsEncrypted: true, StorageClass: "WARM", CreatedBy: plan, // isEncrypted is the boolean true
			CreationDate: ts("2026-02-10T03:00:12.440Z"), Lifecycle: eb.BackupLifecycle{DeleteAfterDays: 14},
		}},
		"aws.backup/backup-vault-state-change--created.json": {"d415609e-5f35-4a92-96d1-613683e4e024", eb.KindBackupVault, &eb.BackupVaultStateChange{
			BackupVaultName: "audit-vault", BackupVaultARN: "arn:aws:backup:us-east-1:123456789012:backup-vault:audit-vault", State: eb.VaultCreated,
		}},
		"aws.backup/backup-vault-state-change--modified-locked.json": {"1a2b3cd4-5e6f-4a8b-9c0d-123456a7b890", eb.KindBackupVault, &eb.BackupVaultStateChange{
			BackupVaultName: "prod-vault", BackupVaultARN: prodVault, State: eb.VaultModified, IsLocked: true,
		}},
		"aws.backup/backup-vault-state-change--deleted.json": {"344bccc1-6d2e-4a93-8adf-b3f82460294d", eb.KindBackupVault, &eb.BackupVaultStateChange{
			BackupVaultName: "scratch-vault", BackupVaultARN: "arn:aws:backup:us-east-1:123456789012:backup-vault:scratch-vault", State: eb.VaultDeleted,
		}},

		"aws.backup/backup-plan-state-change--created.json": {"b64fb2d0-ae16-4f9a-9aed-0bdd0d4bfdef", eb.KindBackupPlan, &eb.BackupPlanStateChange{
			BackupPlanID: plan.BackupPlanID, BackupPlanARN: plan.BackupPlanARN, VersionID: "ZGM2MjZiZGQtNzU2Yi00ZjM0LWI0OGQtN2UxNDdmNGJhZDAx",
			State: eb.PlanCreated, When: ts("2026-02-20T10:14:15.318Z"),
		}},
		"aws.backup/backup-plan-state-change--modified.json": {"2895aefb-dd4a-4a23-8071-2652abd92c3f", eb.KindBackupPlan, &eb.BackupPlanStateChange{
			BackupPlanID: plan.BackupPlanID, BackupPlanARN: plan.BackupPlanARN, VersionID: "NjIwNDFjMDEtNmZlNC00M2JmLTkzZDgtNzNkZjQyNzkxNDk0",
			State: eb.PlanModified, When: ts("2026-03-02T14:22:19.168Z"),
		}},
		"aws.backup/backup-plan-state-change--deleted.json": {"33fc5c1d-6db2-43d9-9e70-1c9a2c23645c", eb.KindBackupPlan, &eb.BackupPlanStateChange{
			BackupPlanID: plan.BackupPlanID, BackupPlanARN: plan.BackupPlanARN, VersionID: "NjIwNDFjMDEtNmZlNC00M2JmLTkzZDgtNzNkZjQyNzkxNDk0",
			State: eb.PlanDeleted, When: ts("2026-03-05T09:03:19.411Z"),
		}},

		// The documented CREATED restore event says "state", the others "status".
		"aws.backup/restore-job-state-change--created.json": {"5e1b7c2a-9d4f-4a63-8e0b-3c6f2a9d1e84", eb.KindRestoreJob, &eb.RestoreJobStateChange{
			RestoreJobID: restoreJobID, Status: eb.RestoreJobCreated, RecoveryPointARN: ordersRP, CreationDate: ts("2026-03-03T06:00:04.512Z"),
		}},
		"aws.backup/restore-job-state-change--pending.json": {"a0d6e3f1-2c8b-4d75-b9e4-61f7c0a2d3b8", eb.KindRestoreJob, &eb.RestoreJobStateChange{
			RestoreJobID: restoreJobID, Status: eb.RestoreJobPending, RecoveryPointARN: ordersRP, ResourceType: "DynamoDB",
			IAMRoleARN: backupRole, RestoreTestingPlanARN: restoreTestingPlan, CreationDate: ts("2026-03-03T06:00:04.512Z"), BackupSizeInBytes: 36048,
		}},
		"aws.backup/restore-job-state-change--running.json": {"3f9c2b7e-6a1d-4f08-8c5b-d2e4a7f1b096", eb.KindRestoreJob, &eb.RestoreJobStateChange{
			RestoreJobID: restoreJobID, Status: eb.RestoreJobRunning, RecoveryPointARN: ordersRP, ResourceType: "DynamoDB",
			IAMRoleARN: backupRole, RestoreTestingPlanARN: restoreTestingPlan, CreationDate: ts("2026-03-03T06:00:04.512Z"), BackupSizeInBytes: 36048,
		}},
		"aws.backup/restore-job-state-change--completed.json": {"7b4e0c9d-1f3a-4e62-a8d5-0c9b3e6f2a71", eb.KindRestoreJob, &eb.RestoreJobStateChange{
			RestoreJobID: restoreJobID, Status: eb.RestoreJobCompleted, RecoveryPointARN: ordersRP,
			BackupVaultARN: "arn:aws:backup:us-east-1:123456789012:backup-vault:prod-vault", SourceResourceARN: orders,
			CreatedResourceARN: "arn:aws:dynamodb:us-east-1:123456789012:table/awsbackup-restore-test-c8a1e5f2", ResourceType: "DynamoDB",
			IAMRoleARN: backupRole, RestoreTestingPlanARN: restoreTestingPlan, CreationDate: ts("2026-03-03T06:00:04.512Z"),
			CompletionDate: ts("2026-03-03T06:12:31.907Z"), BackupSizeInBytes: 36048, PercentDone: 100,
		}},
		// resources names the RDS snapshot, as in the documented sample.
		"aws.backup/restore-job-state-change--completed-rds.json": {"e2a5c8f0-6b3d-4c17-9a4e-8d1f0b7c3e56", eb.KindRestoreJob, &eb.RestoreJobStateChange{
			RestoreJobID: "4F0B9D37-A2E6-4C81-B5F4-07D3E9A1C62B", Status: eb.RestoreJobCompleted, RecoveryPointARN: paymentsSnapshot,
			BackupVaultARN: "arn:aws:backup:us-east-1:123456789012:backup-vault:prod-vault", SourceResourceARN: payments,
			CreatedResourceARN: "arn:aws:rds:us-east-1:123456789012:db:awsbackup-restore-test-4f0b9d37", ResourceType: "RDS",
			IAMRoleARN: backupRole, RestoreTestingPlanARN: restoreTestingPlan, CreationDate: ts("2026-03-03T06:00:05.118Z"),
			CompletionDate: ts("2026-03-03T06:41:49.376Z"),
		}},
		"aws.backup/restore-job-state-change--failed.json": {"9d3f6a1c-4e8b-4b2d-8f7a-2c5e0d9b1f63", eb.KindRestoreJob, &eb.RestoreJobStateChange{
			RestoreJobID: "1B7E3C95-D0A4-4F62-8E1B-5C9A2D7F0E38", Status: eb.RestoreJobFailed, RecoveryPointARN: paymentsSnapshot,
			BackupVaultARN: "arn:aws:backup:us-east-1:123456789012:backup-vault:prod-vault", SourceResourceARN: payments,
			StatusMessage: "The specified DB subnet group does not exist: restore-test-subnets.", ResourceType: "RDS",
			IAMRoleARN: backupRole, RestoreTestingPlanARN: restoreTestingPlan, CreationDate: ts("2026-03-03T06:00:06.303Z"), BackupSizeInBytes: 22548578304,
		}},
		"aws.backup/restore-job-state-change--aborted.json": {"c4b8e2d7-0f5a-4a19-b3c6-7e1d9f2a0b45", eb.KindRestoreJob, &eb.RestoreJobStateChange{
			RestoreJobID: "6E2D0A84-F1B9-4C73-9A5E-3B8C7D1F4E20", Status: eb.RestoreJobAborted, StatusMessage: "Restore job was stopped by user.",
			RecoveryPointARN: ordersRP, BackupVaultARN: "arn:aws:backup:us-east-1:123456789012:backup-vault:prod-vault", SourceResourceARN: orders,
			ResourceType: "DynamoDB", IAMRoleARN: backupRole, RestoreTestingPlanARN: restoreTestingPlan,
			CreationDate: ts("2026-03-03T06:00:04.512Z"), BackupSizeInBytes: 36048,
		}},

		"aws.rds/rds-db-instance-event--backups-disabled.json": {"8c2e5a10-3f7d-4b96-a1e4-9d0c6b2f7e35", eb.KindRDSInstance, &eb.RDSInstanceEvent{
			EventID: eb.RDSEventBackupsDisabled, EventCategories: []string{"configuration change"}, SourceType: "DB_INSTANCE",
			SourceARN: payments, SourceIdentifier: "payments", Message: "Disabled automated backups.", Date: ts("2026-03-04T16:20:03.293Z"),
		}},
		"aws.rds/rds-db-instance-event--backups-enabled.json": {"0e7a3d91-5c2b-4f68-b8d0-1a6e4c9f3b72", eb.KindRDSInstance, &eb.RDSInstanceEvent{
			EventID: eb.RDSEventBackupsEnabled, EventCategories: []string{"configuration change"}, SourceType: "DB_INSTANCE",
			SourceARN: payments, SourceIdentifier: "payments", Message: "Enabled automated backups.", Date: ts("2026-03-04T17:05:41.293Z"),
		}},
		"aws.rds/rds-db-instance-event--stopped.json": {"f3b91c6e-8d24-4a07-9e5f-2b7d0c4a8e19", eb.KindRDSInstance, &eb.RDSInstanceEvent{
			EventID: "RDS-EVENT-0087", EventCategories: []string{"notification"}, SourceType: "DB_INSTANCE",
			SourceARN: payments, SourceIdentifier: "payments", Message: "DB instance stopped", Date: ts("2026-03-04T18:30:12.293Z"),
		}},

		"aws.autoscaling/ec2-instance-launch-unsuccessful--insufficient-capacity.json": {"3f9a1c7e-2b4d-4e6f-8a0c-5d7e9f1b3a6c", eb.KindLaunchUnsuccessful, &eb.LaunchUnsuccessful{
			AutoScalingGroupName: "web-asg", AutoScalingGroupARN: webASGARN,
			ActivityID: "87654321-4321-4321-4321-210987654321", RequestID: "12345678-1234-1234-1234-123456789012", StatusCode: "Failed",
			StatusMessage:    "Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have sufficient m5.large capacity in the Availability Zone you requested (us-east-1a). Our system will be working on provisioning additional capacity. You can currently get m5.large capacity by not specifying an Availability Zone in your request or choosing us-east-1b, us-east-1c. Launching EC2 instance failed.",
			AvailabilityZone: "us-east-1a", SubnetID: "subnet-0a1b2c3d4e5f60718",
			StartTime: ts("2026-03-04T09:02:11.980Z"), EndTime: ts("2026-03-04T09:02:13.112Z"),
		}},
		"aws.autoscaling/ec2-instance-launch-unsuccessful--security-group-missing.json": {"9c2e4a6b-8d0f-4b1a-a3c5-e7f9b1d3f5a7", eb.KindLaunchUnsuccessful, &eb.LaunchUnsuccessful{
			AutoScalingGroupName: "batch-asg",
			AutoScalingGroupARN:  "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:8e0a2c4e-6a8c-4e0a-b2c4-6e8a0c2e4a6c:autoScalingGroupName/batch-asg",
			ActivityID:           "1b3d5f7a-9c1e-4a3c-b5d7-f9b1d3f5a7c9", RequestID: "2c4e6a8c-0e2a-4c6e-9a0c-2e4a6c8e0a2c", StatusCode: "Failed",
			StatusMessage:    "The security group 'sg-0123456789abcdef0' does not exist. Launching EC2 instance failed.",
			AvailabilityZone: "us-east-1b", SubnetID: "subnet-0f1e2d3c4b5a69788",
			StartTime: ts("2026-03-04T10:15:38Z"), EndTime: ts("2026-03-04T10:15:39Z"),
		}},

		"aws.arc-zonal-shift/autoshift-in-progress.json": {"05d4d2d5-9c76-4fea-92d2-d4614802adb4", eb.KindAutoshiftStarted, &eb.AutoshiftEvent{
			Status: eb.AutoshiftActive, AwayFrom: "use1-az1", Resources: []string{"web-2026-03-04-08-58-11-1"},
		}},
		"aws.arc-zonal-shift/autoshift-in-progress--observer.json": {"7e1a3c5e-9b2d-4f6a-8c0e-3a5c7e9b1d3f", eb.KindAutoshiftStarted, &eb.AutoshiftEvent{
			Status: eb.AutoshiftActive, AwayFrom: "use1-az1", Notes: shiftNotes,
		}},
		"aws.arc-zonal-shift/autoshift-completed.json": {"a4c6e8a0-2c4e-4a6c-8e0a-4c6e8a0c2e4a", eb.KindAutoshiftCompleted, &eb.AutoshiftEvent{
			Status: eb.AutoshiftCompleted, AwayFrom: "use1-az1", Resources: []string{"web-2026-03-04-08-58-11-1"},
		}},
		"aws.arc-zonal-shift/manual-shift-started.json": {"3b8d0f2a-4c6e-4a8b-9d1f-3b5d7f9a1c3e", eb.KindManualShiftStarted, &eb.ManualShiftEvent{
			Change: eb.ManualShiftStarted, AwayFrom: "use1-az1", Resources: []string{"web-2026-03-04-09-20-03-7"},
		}},
		"aws.arc-zonal-shift/manual-shift-updated.json": {"5d0f2b4c-6e8a-4c0d-8f3b-5d7f9b1c3e5a", eb.KindManualShiftUpdated, &eb.ManualShiftEvent{
			Change: eb.ManualShiftUpdated, AwayFrom: "use1-az1", Resources: []string{"web-2026-03-04-09-20-03-7"},
		}},
		"aws.arc-zonal-shift/manual-shift-canceled.json": {"7f2b4d6e-8a0c-4e2f-9b5d-7f9b1d3e5a7c", eb.KindManualShiftCanceled, &eb.ManualShiftEvent{
			Change: eb.ManualShiftCanceled, AwayFrom: "use1-az1", Resources: []string{"web-2026-03-04-09-20-03-7"},
		}},
		"aws.arc-zonal-shift/practice-run-started.json": {"9b4d6f8a-0c2e-4a4b-8d7f-9b1d3f5a7c9e", eb.KindPracticeRunStarted, &eb.PracticeRunEvent{
			Outcome: eb.PracticeRunPending, AwayFrom: "use1-az2", Resources: []string{"web-2026-03-02-14-00-08-2"},
		}},
		"aws.arc-zonal-shift/practice-run-succeeded.json": {"1d6f8b0c-2e4a-4c6d-9f9b-1d3f5b7c9e1a", eb.KindPracticeRunSucceeded, &eb.PracticeRunEvent{
			Outcome: eb.PracticeRunSucceeded, AwayFrom: "use1-az2", Resources: []string{"web-2026-03-02-14-00-08-2"},
		}},
		"aws.arc-zonal-shift/practice-run-failed.json": {"3f8b0d2e-4a6c-4e8f-8b1d-3f5b7d9e1a3c", eb.KindPracticeRunFailed, &eb.PracticeRunEvent{
			Outcome: eb.PracticeRunFailed, AwayFrom: "use1-az2", FailureInfo: "Practice run failed. The outcome alarm entered ALARM state.",
			Resources: []string{"web-2026-03-02-14-00-08-2"},
		}},
		"aws.arc-zonal-shift/practice-run-interrupted.json": {"5b0d2f4a-6c8e-4a0b-9d3f-5b7d9f1a3c5e", eb.KindPracticeRunInterrupted, &eb.PracticeRunEvent{
			Outcome: eb.PracticeRunInterrupted, AwayFrom: "use1-az2", FailureInfo: "Practice run interrupted. The blocking alarm entered ALARM state.",
			Resources: []string{"web-2026-03-04-08-41-50-4"},
		}},
		"aws.arc-zonal-shift/fis-experiment-autoshift-in-progress.json": {"7d2f4b6c-8e0a-4c2d-8f5b-7d9f1b3c5e7a", eb.KindFISAutoshiftStarted, &eb.FISAutoshiftEvent{
			Status: eb.FISAutoshiftActive, AwayFrom: "use1-az3", Resources: []string{"web-2026-03-03-16-00-40-9"},
		}},
		"aws.arc-zonal-shift/fis-experiment-autoshift-completed.json": {"9f4b6d8e-0a2c-4e4f-9b7d-9f1b3d5e7a9c", eb.KindFISAutoshiftCompleted, &eb.FISAutoshiftEvent{
			Status: eb.FISAutoshiftCompleted, AwayFrom: "use1-az3", Resources: []string{"web-2026-03-03-16-00-40-9"},
		}},
		"aws.arc-zonal-shift/fis-experiment-autoshift-canceled.json": {"1b6d8f0a-2c4e-4a6b-8d9f-1b3d5f7a9c1e", eb.KindFISAutoshiftCanceled, &eb.FISAutoshiftEvent{
			Status: eb.FISAutoshiftCanceled, AwayFrom: "use1-az3", Resources: []string{"web-2026-03-03-16-00-40-9"},
		}},
		"aws.events/scheduled-event.json": {"89d1a02d-5ec7-412e-82f5-13505f849b41", eb.KindScheduled, &eb.ScheduledEvent{
			Rule: "arn:aws:events:us-east-1:123456789012:rule/selfheal-compliance-sweep",
		}},
	}

	samples, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range samples {
		seen[s.Path] = true
		t.Run(s.Path, func(t *testing.T) {
			want, ok := tests[s.Path]
			if !ok {
				t.Fatal("no expected values for this sample: add it to the table")
			}
			ev, err := eb.Decode(s.JSON)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if ev.Kind != want.kind || ev.Envelope.ID != want.id || ev.Envelope.AccountID != acct || ev.Envelope.Region != "us-east-1" {
				t.Errorf("Kind, id, account, region = %v, %s, %s, %s; want %v, %s, %s, us-east-1",
					ev.Kind, ev.Envelope.ID, ev.Envelope.AccountID, ev.Envelope.Region, want.kind, want.id, acct)
			}
			if ev.Envelope.Time.IsZero() {
				t.Error("envelope time not read")
			}
			if diff := cmp.Diff(want.detail, ev.Detail, ignoreProse); diff != "" {
				t.Errorf("detail (-want +got):\n%s", diff)
			}
		})
	}
	for path := range tests {
		if !seen[path] {
			t.Errorf("%s is in the table but not in the catalogue", path)
		}
	}
}

// Kinds lists exactly the kinds the catalogue has samples of.
func TestKindsMatchCatalogue(t *testing.T) {
	samples, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}
	var inCatalogue []eb.Kind
	for _, s := range samples {
		k := eb.Kind{Source: s.Source, DetailType: s.DetailType}
		if !slices.Contains(inCatalogue, k) {
			inCatalogue = append(inCatalogue, k)
		}
	}
	sortKinds := cmpopts.SortSlices(func(a, b eb.Kind) bool { return a.String() < b.String() })
	if diff := cmp.Diff(inCatalogue, eb.Kinds(), sortKinds); diff != "" {
		t.Errorf("kinds (-catalogue +decoders):\n%s", diff)
	}
}

func TestHelpers(t *testing.T) {
	decode := func(path string) any {
		t.Helper()
		ev, err := eb.Decode(sample(t, path))
		if err != nil {
			t.Fatal(err)
		}
		return ev.Detail
	}
	t.Run("AlarmStateChange.AvailabilityZones", func(t *testing.T) {
		for path, want := range map[string][]string{
			"aws.cloudwatch/cloudwatch-alarm-state-change--az-alarm.json":          {"us-east-1a"},
			"aws.cloudwatch/cloudwatch-alarm-state-change--metric-math.json":       {"us-east-1b"}, // two metrics, one zone
			"aws.cloudwatch/cloudwatch-alarm-state-change--composite.json":         nil,
			"aws.cloudwatch/cloudwatch-alarm-state-change--insufficient-data.json": nil,
		} {
			a := decode(path).(*eb.AlarmStateChange)
			if diff := cmp.Diff(want, a.AvailabilityZones()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", path, diff)
			}
		}
		multi := &eb.AlarmStateChange{Metrics: []eb.AlarmMetric{
			{Dimensions: map[string]string{"AvailabilityZone": "us-east-1c"}},
			{Expression: "m1+m2+m3"},
			{Dimensions: map[string]string{"AvailabilityZone": "us-east-1a"}},
			{Dimensions: map[string]string{"AvailabilityZone": "us-east-1c"}},
		}}
		if diff := cmp.Diff([]string{"us-east-1a", "us-east-1c"}, multi.AvailabilityZones()); diff != "" {
			t.Errorf("distinct, sorted zones (-want +got):\n%s", diff)
		}
	})
	t.Run("AlarmStateChange.IsComposite", func(t *testing.T) {
		if !decode("aws.cloudwatch/cloudwatch-alarm-state-change--composite.json").(*eb.AlarmStateChange).IsComposite() {
			t.Error("composite alarm: IsComposite() = false")
		}
		if decode("aws.cloudwatch/cloudwatch-alarm-state-change--metric-math.json").(*eb.AlarmStateChange).IsComposite() {
			t.Error("metric math alarm: IsComposite() = true")
		}
	})
	t.Run("HealthEvent.InstanceIDs", func(t *testing.T) {
		h := decode("aws.health/aws-health-event--ec2-issue-account.json").(*eb.HealthEvent)
		if diff := cmp.Diff([]string{"i-0abc1234def567890", "i-0abc1234def567891"}, h.InstanceIDs()); diff != "" {
			t.Errorf("IDs from an ID and an ARN (-want +got):\n%s", diff)
		}
		h = &eb.HealthEvent{AffectedEntities: []eb.HealthAffectedEntity{
			{EntityValue: "i-1"}, {EntityValue: "vol-1"}, {EntityValue: "arn:aws:ec2:us-east-1:1:instance/i-1"},
			{EntityValue: "arn:aws:ec2:us-east-1:1:volume/vol-2"}, {EntityValue: "i-"}, {EntityValue: "i-2"},
		}}
		if diff := cmp.Diff([]string{"i-1", "i-2"}, h.InstanceIDs()); diff != "" {
			t.Errorf("only distinct instances (-want +got):\n%s", diff)
		}
	})
	t.Run("CopyJobStateChange regions", func(t *testing.T) {
		c := decode("aws.backup/copy-job-state-change--completed.json").(*eb.CopyJobStateChange)
		if c.SourceRegion() != "us-east-1" || c.DestinationRegion() != "us-west-2" {
			t.Errorf("regions = %s → %s, want us-east-1 → us-west-2", c.SourceRegion(), c.DestinationRegion())
		}
		if r := (&eb.CopyJobStateChange{DestinationBackupVaultARN: "not-an-arn"}).DestinationRegion(); r != "" {
			t.Errorf("region of a non-ARN = %q, want empty", r)
		}
	})
}

// edit decodes a sample, lets f change it as a generic JSON map, and
// returns the re-encoded event.
func edit(t testing.TB, path string, f func(ev map[string]any)) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(sample(t, path), &ev); err != nil {
		t.Fatal(err)
	}
	f(ev)
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// at returns the object at a dotted path ("detail.state") of ev.
func at(ev map[string]any, path string) map[string]any {
	m := ev
	for _, k := range strings.Split(path, ".") {
		m = m[k].(map[string]any)
	}
	return m
}

func TestDecodeQuirks(t *testing.T) {
	const (
		job    = "aws.backup/backup-job-state-change--completed.json"
		health = "aws.health/aws-health-event--ec2-issue-account.json"
		rp     = "aws.backup/recovery-point-state-change--completed.json"
		rjob   = "aws.backup/restore-job-state-change--completed.json"
		rds    = "aws.rds/rds-db-instance-event--backups-disabled.json"
	)
	tests := []struct {
		name   string
		sample string
		change func(ev map[string]any)
		check  func(t *testing.T, detail any)
	}{
		{"size as a number", job, func(ev map[string]any) { at(ev, "detail")["backupSizeInBytes"] = 36048 },
			func(t *testing.T, d any) { wantInt(t, d.(*eb.BackupJobStateChange).BackupSizeInBytes, 36048) }},
		{"size in exponent form", job, func(ev map[string]any) { at(ev, "detail")["backupSizeInBytes"] = json.RawMessage("3.6048e4") },
			func(t *testing.T, d any) { wantInt(t, d.(*eb.BackupJobStateChange).BackupSizeInBytes, 36048) }},
		{"size as an empty string", job, func(ev map[string]any) { at(ev, "detail")["backupSizeInBytes"] = "" },
			func(t *testing.T, d any) { wantInt(t, d.(*eb.BackupJobStateChange).BackupSizeInBytes, 0) }},
		{"size absent", job, func(ev map[string]any) { delete(at(ev, "detail"), "backupSizeInBytes") },
			func(t *testing.T, d any) { wantInt(t, d.(*eb.BackupJobStateChange).BackupSizeInBytes, 0) }},
		{"{} for a string", job, func(ev map[string]any) { at(ev, "detail")["statusMessage"] = map[string]any{} },
			func(t *testing.T, d any) { wantString(t, d.(*eb.BackupJobStateChange).StatusMessage, "") }},
		{"null for a string", job, func(ev map[string]any) { at(ev, "detail")["resourceType"] = nil },
			func(t *testing.T, d any) { wantString(t, d.(*eb.BackupJobStateChange).ResourceType, "") }},
		{"backupRuleId spelling", job, func(ev map[string]any) {
			c := at(ev, "detail.createdBy")
			c["backupRuleId"] = c["backupPlanRuleId"]
			delete(c, "backupPlanRuleId")
		}, func(t *testing.T, d any) {
			wantString(t, d.(*eb.BackupJobStateChange).CreatedBy.BackupRuleID, plan.BackupRuleID)
		}},
		{"expectedCompletionDate in Backup's US format", job, func(ev map[string]any) {
			at(ev, "detail")["expectedCompletionDate"] = "Jul 15, 2020 9:39:07 PM"
		}, func(t *testing.T, d any) {
			wantTime(t, d.(*eb.BackupJobStateChange).ExpectedCompletionDate, ts("2020-07-15T21:39:07Z"))
		}},
		{"recoveryPointArn in the detail wins over resources", job, func(ev map[string]any) {
			at(ev, "detail")["recoveryPointArn"] = "arn:aws:backup:us-east-1:123456789012:recovery-point:other"
		}, func(t *testing.T, d any) {
			wantString(t, d.(*eb.BackupJobStateChange).RecoveryPointARN, "arn:aws:backup:us-east-1:123456789012:recovery-point:other")
		}},
		{"restore testing plan under createdBy, as DescribeRestoreJob has it", rjob, func(ev map[string]any) {
			d := at(ev, "detail")
			d["createdBy"] = map[string]any{"restoreTestingPlanArn": d["restoreTestingPlanArn"]}
			delete(d, "restoreTestingPlanArn")
		}, func(t *testing.T, d any) {
			wantString(t, d.(*eb.RestoreJobStateChange).RestoreTestingPlanARN, restoreTestingPlan)
		}},
		{"restore job without recoveryPointArn takes a recovery point from resources", rjob, func(ev map[string]any) {
			delete(at(ev, "detail"), "recoveryPointArn")
		}, func(t *testing.T, d any) { wantString(t, d.(*eb.RestoreJobStateChange).RecoveryPointARN, ordersRP) }},
		{"restore job outcome as state", rjob, func(ev map[string]any) {
			d := at(ev, "detail")
			d["state"] = d["status"]
			delete(d, "status")
		}, func(t *testing.T, d any) {
			if s := d.(*eb.RestoreJobStateChange).Status; s != eb.RestoreJobCompleted || !s.Ended() {
				t.Errorf("status = %q (ended %v), want COMPLETED", s, s.Ended())
			}
		}},
		{"RDS event without EventID (older shape)", rds, func(ev map[string]any) { delete(at(ev, "detail"), "EventID") },
			func(t *testing.T, d any) {
				e := d.(*eb.RDSInstanceEvent)
				wantString(t, e.EventID, "")
				wantString(t, e.Message, "Disabled automated backups.")
			}},
		{"RDS event without SourceArn names the database by resources", rds, func(ev map[string]any) { delete(at(ev, "detail"), "SourceArn") },
			func(t *testing.T, d any) { wantString(t, d.(*eb.RDSInstanceEvent).SourceARN, payments) }},
		{"isEncrypted false as a string", rp, func(ev map[string]any) { at(ev, "detail")["isEncrypted"] = "false" },
			func(t *testing.T, d any) { wantBool(t, d.(*eb.RecoveryPointStateChange).IsEncrypted, false) }},
		{"isEncrypted in capitals", rp, func(ev map[string]any) { at(ev, "detail")["isEncrypted"] = "TRUE" },
			func(t *testing.T, d any) { wantBool(t, d.(*eb.RecoveryPointStateChange).IsEncrypted, true) }},
		{"RFC 1123, one-digit day, trailing newline", health, func(ev map[string]any) {
			at(ev, "detail")["startTime"] = "Fri, 3 Jun 2022 05:01:10 GMT\n"
		}, func(t *testing.T, d any) { wantTime(t, d.(*eb.HealthEvent).StartTime, ts("2022-06-03T05:01:10Z")) }},
		{"RFC 1123 with a numeric zone", health, func(ev map[string]any) {
			at(ev, "detail")["startTime"] = "Fri, 27 Jan 2023 07:02:51 +0100"
		}, func(t *testing.T, d any) { wantTime(t, d.(*eb.HealthEvent).StartTime, ts("2023-01-27T06:02:51Z")) }},
		{"RFC 3339 in a Health event", health, func(ev map[string]any) {
			at(ev, "detail")["startTime"] = "2023-01-27T06:02:51Z"
		}, func(t *testing.T, d any) { wantTime(t, d.(*eb.HealthEvent).StartTime, ts("2023-01-27T06:02:51Z")) }},
		{"empty time", health, func(ev map[string]any) { at(ev, "detail")["endTime"] = "" },
			func(t *testing.T, d any) { wantTime(t, d.(*eb.HealthEvent).EndTime, time.Time{}) }},
		{"page counts as numbers", health, func(ev map[string]any) { at(ev, "detail")["page"] = 2; at(ev, "detail")["totalPages"] = 3 },
			func(t *testing.T, d any) {
				h := d.(*eb.HealthEvent)
				wantInt(t, h.Page, 2)
				wantInt(t, h.TotalPages, 3)
			}},
		{"availabilityZone, entity tags and metadata when present", health, func(ev map[string]any) {
			at(ev, "detail")["availabilityZone"] = "us-east-1a"
			at(ev, "detail")["eventMetadata"] = map[string]any{"truncated": "true", "count": 2}
			e := at(ev, "detail")["affectedEntities"].([]any)[0].(map[string]any)
			e["tags"] = map[string]any{"aws:autoscaling:groupName": "web-asg"}
		}, func(t *testing.T, d any) {
			h := d.(*eb.HealthEvent)
			wantString(t, h.AvailabilityZone, "us-east-1a")
			if diff := cmp.Diff(map[string]string{"truncated": "true", "count": "2"}, h.Metadata); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]string{"aws:autoscaling:groupName": "web-asg"}, h.AffectedEntities[0].Tags); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
		}},
		{"copy job CREATED has no copyJobId yet", "aws.backup/copy-job-state-change--completed.json", func(ev map[string]any) {
			d := at(ev, "detail")
			d["state"] = "CREATED"
			delete(d, "copyJobId")
		}, func(t *testing.T, d any) { wantString(t, string(d.(*eb.CopyJobStateChange).State), "CREATED") }},
		{"a state the package does not list is kept", job, func(ev map[string]any) { at(ev, "detail")["state"] = "COMPLETED_WITH_ISSUES" },
			func(t *testing.T, d any) {
				wantString(t, string(d.(*eb.BackupJobStateChange).State), "COMPLETED_WITH_ISSUES")
			}},
		{"unknown extra fields are ignored", job, func(ev map[string]any) {
			ev["new-envelope-field"] = []any{1, 2}
			at(ev, "detail")["someNewField"] = map[string]any{"x": 1}
		}, func(t *testing.T, d any) {
			wantString(t, d.(*eb.BackupJobStateChange).BackupJobID, "a827233a-d405-4a86-a440-759fa94f34dd")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := eb.Decode(edit(t, tt.sample, tt.change))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			tt.check(t, ev.Detail)
		})
	}
}

func wantInt(t *testing.T, got, want int64) {
	t.Helper()
	if got != want {
		t.Errorf("got %d, want %d", got, want)
	}
}

func wantString(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func wantBool(t *testing.T, got, want bool) {
	t.Helper()
	if got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

func wantTime(t *testing.T, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// malformed asserts err is a *MalformedError for kind whose message holds
// reason.
func malformed(t *testing.T, err error, kind eb.Kind, reason string) {
	t.Helper()
	var me *eb.MalformedError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v (%T), want a *MalformedError", err, err)
	}
	if !errors.Is(err, eb.ErrMalformed) || errors.Is(err, eb.ErrUnknownKind) {
		t.Errorf("errors.Is(err, ErrMalformed) = %v, errors.Is(err, ErrUnknownKind) = %v; want true, false",
			errors.Is(err, eb.ErrMalformed), errors.Is(err, eb.ErrUnknownKind))
	}
	if me.Kind != kind {
		t.Errorf("Kind = %v, want %v", me.Kind, kind)
	}
	if !strings.Contains(me.Error(), reason) {
		t.Errorf("error %q does not say %q", me.Error(), reason)
	}
}

// A handler must be able to tell which field was missing from the error it
// logs with the quarantined event.
func TestDecodeMissingRequiredField(t *testing.T) {
	del := func(path, key string) func(map[string]any) {
		return func(ev map[string]any) {
			if path == "" {
				delete(ev, key)
				return
			}
			delete(at(ev, path), key)
		}
	}
	tests := []struct {
		sample, path, key string
		kind              eb.Kind
		field             string
	}{
		{"aws.backup/backup-job-state-change--completed.json", "detail", "backupJobId", eb.KindBackupJob, "detail.backupJobId"},
		{"aws.backup/backup-job-state-change--completed.json", "detail", "state", eb.KindBackupJob, "detail.state"},
		{"aws.backup/copy-job-state-change--completed.json", "detail", "copyJobId", eb.KindCopyJob, "detail.copyJobId"},
		{"aws.backup/copy-job-state-change--completed.json", "detail", "state", eb.KindCopyJob, "detail.state"},
		{"aws.backup/recovery-point-state-change--completed.json", "detail", "status", eb.KindRecoveryPoint, "detail.status"},
		{"aws.backup/recovery-point-state-change--completed.json", "", "resources", eb.KindRecoveryPoint, "event.resources"},
		{"aws.backup/backup-vault-state-change--modified-locked.json", "detail", "backupVaultName", eb.KindBackupVault, "detail.backupVaultName"},
		{"aws.backup/backup-vault-state-change--modified-locked.json", "detail", "state", eb.KindBackupVault, "detail.state"},
		{"aws.backup/backup-plan-state-change--modified.json", "detail", "backupPlanId", eb.KindBackupPlan, "detail.backupPlanId"},
		{"aws.backup/backup-plan-state-change--modified.json", "detail", "state", eb.KindBackupPlan, "detail.state"},
		{"aws.backup/restore-job-state-change--completed.json", "detail", "restoreJobId", eb.KindRestoreJob, "detail.restoreJobId"},
		{"aws.backup/restore-job-state-change--completed.json", "detail", "status", eb.KindRestoreJob, "detail.status"},
		{"aws.cloudwatch/cloudwatch-alarm-state-change--az-alarm.json", "detail", "alarmName", eb.KindAlarmStateChange, "detail.alarmName"},
		{"aws.cloudwatch/cloudwatch-alarm-state-change--az-alarm.json", "detail.state", "value", eb.KindAlarmStateChange, "detail.state.value"},
		{"aws.cloudwatch/cloudwatch-alarm-state-change--az-alarm.json", "detail", "state", eb.KindAlarmStateChange, "detail.state.value"},
		{"aws.health/aws-health-event--ec2-issue-account.json", "detail", "eventArn", eb.KindHealth, "detail.eventArn"},
		{"aws.health/aws-health-event--ec2-issue-account.json", "detail", "statusCode", eb.KindHealth, "detail.statusCode"},
		{"aws.health/aws-health-event--ec2-issue-account.json", "detail", "eventTypeCategory", eb.KindHealth, "detail.eventTypeCategory"},
		{"aws.autoscaling/ec2-instance-launch-unsuccessful--insufficient-capacity.json", "detail", "AutoScalingGroupName", eb.KindLaunchUnsuccessful, "detail.AutoScalingGroupName"},
		{"aws.arc-zonal-shift/autoshift-in-progress.json", "detail.metadata", "awayFrom", eb.KindAutoshiftStarted, "detail.metadata.awayFrom"},
		{"aws.arc-zonal-shift/manual-shift-canceled.json", "detail.metadata", "awayFrom", eb.KindManualShiftCanceled, "detail.metadata.awayFrom"},
		{"aws.arc-zonal-shift/practice-run-interrupted.json", "detail.metadata", "awayFrom", eb.KindPracticeRunInterrupted, "detail.metadata.awayFrom"},
		{"aws.arc-zonal-shift/fis-experiment-autoshift-in-progress.json", "detail.metadata", "awayFrom", eb.KindFISAutoshiftStarted, "detail.metadata.awayFrom"},
		{"aws.backup/backup-job-state-change--completed.json", "", "id", eb.KindBackupJob, "event.id"},
		{"aws.backup/backup-job-state-change--completed.json", "", "account", eb.KindBackupJob, "event.account"},
		{"aws.backup/backup-job-state-change--completed.json", "", "region", eb.KindBackupJob, "event.region"},
		{"aws.backup/backup-job-state-change--completed.json", "", "time", eb.KindBackupJob, "event.time"},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			_, err := eb.Decode(edit(t, tt.sample, del(tt.path, tt.key)))
			malformed(t, err, tt.kind, "missing required field "+tt.field)
		})
	}
}

// A bad detail is quarantined by its event id: the envelope comes back with
// the error.
func TestDecodeMalformedDetailKeepsEnvelope(t *testing.T) {
	raw := edit(t, "aws.backup/backup-job-state-change--completed.json", func(ev map[string]any) {
		delete(at(ev, "detail"), "backupJobId")
	})
	ev, err := eb.Decode(raw)
	if !errors.Is(err, eb.ErrMalformed) {
		t.Fatalf("err = %v, want malformed", err)
	}
	if ev.Envelope.ID != "052c90c8-0a5f-4416-b1d6-6e5b963f035f" || ev.Kind != eb.KindBackupJob || ev.Detail != nil {
		t.Errorf("event = id %q, kind %v, detail %v; want the envelope's id and kind, no detail", ev.Envelope.ID, ev.Kind, ev.Detail)
	}
}

func TestDecodeWrongTypes(t *testing.T) {
	set := func(path, key string, v any) func(map[string]any) {
		return func(ev map[string]any) {
			if path == "" {
				ev[key] = v
				return
			}
			at(ev, path)[key] = v
		}
	}
	const (
		job    = "aws.backup/backup-job-state-change--completed.json"
		health = "aws.health/aws-health-event--ec2-issue-account.json"
		alarm  = "aws.cloudwatch/cloudwatch-alarm-state-change--az-alarm.json"
	)
	tests := []struct {
		name   string
		sample string
		change func(map[string]any)
		kind   eb.Kind
		reason string
	}{
		{"size is a boolean", job, set("detail", "backupSizeInBytes", true), eb.KindBackupJob, "detail.backupSizeInBytes: want an integer, got true"},
		{"size is not a whole number", job, set("detail", "backupSizeInBytes", 1.5), eb.KindBackupJob, "detail.backupSizeInBytes: want an integer"},
		{"size is words", job, set("detail", "backupSizeInBytes", "lots"), eb.KindBackupJob, "detail.backupSizeInBytes: want an integer"},
		{"state is a number", job, set("detail", "state", 3), eb.KindBackupJob, "detail.state: want a string, got a number"},
		{"job id is an object with keys", job, set("detail", "backupJobId", map[string]any{"id": "x"}), eb.KindBackupJob, "detail.backupJobId: want a string, got an object"},
		{"createdBy is a string", job, set("detail", "createdBy", "plan"), eb.KindBackupJob, "detail.createdBy: want an object, got a string"},
		{"time is not a time", job, set("detail", "creationDate", "yesterday"), eb.KindBackupJob, `detail.creationDate: time "yesterday" is in no known format`},
		{"time is a number", job, set("detail", "creationDate", 1700000000), eb.KindBackupJob, "detail.creationDate: want a string, got a number"},
		{"isLocked is neither true nor false", "aws.backup/backup-vault-state-change--modified-locked.json", set("detail", "isLocked", "maybe"), eb.KindBackupVault, "detail.isLocked: want a boolean"},
		{"entities is an object", health, set("detail", "affectedEntities", map[string]any{}), eb.KindHealth, "detail.affectedEntities: want an array, got an object"},
		{"entity is a string", health, set("detail", "affectedEntities", []any{"i-1"}), eb.KindHealth, "detail.affectedEntities[0]: want an object, got a string"},
		{"tags hold an object", health, func(ev map[string]any) {
			at(ev, "detail")["affectedEntities"].([]any)[0].(map[string]any)["tags"] = map[string]any{"k": map[string]any{}}
		}, eb.KindHealth, "detail.affectedEntities[0].tags.k: want a string, got an object"},
		{"alarm state is a string", alarm, set("detail", "state", "ALARM"), eb.KindAlarmStateChange, "detail.state: want an object, got a string"},
		{"dimensions is an array", alarm, func(ev map[string]any) {
			m := at(ev, "detail.configuration")["metrics"].([]any)[0].(map[string]any)
			m["metricStat"].(map[string]any)["metric"].(map[string]any)["dimensions"] = []any{"AvailabilityZone"}
		}, eb.KindAlarmStateChange, "detail.configuration.metrics[0].metricStat.metric.dimensions: want an object, got an array"},
		{"ARC data is a number", "aws.arc-zonal-shift/practice-run-interrupted.json", set("detail", "data", 7), eb.KindPracticeRunInterrupted, "detail.data: want an object, got a number"},
		{"ARC data is a non-empty string", "aws.arc-zonal-shift/practice-run-failed.json", set("detail", "data", "alarm"), eb.KindPracticeRunFailed, "detail.data: want an object, got a string"},
		{"failure info is an object", "aws.arc-zonal-shift/practice-run-failed.json", set("detail.data", "additionalFailureInfo", map[string]any{"a": 1}), eb.KindPracticeRunFailed, "detail.data.additionalFailureInfo: want a string, got an object"},
		{"detail is an array", job, set("", "detail", []any{}), eb.KindBackupJob, "event.detail: want an object, got an array"},
		{"resources is a string", job, set("", "resources", "arn:aws:backup:x"), eb.KindBackupJob, "event.resources: want an array, got a string"},
		{"a resource is a number", job, set("", "resources", []any{1}), eb.KindBackupJob, "event.resources[0]: want a string"},
		{"envelope time is not RFC 3339", job, set("", "time", "now"), eb.KindBackupJob, `event.time: time "now"`},
		{"envelope time is empty", job, set("", "time", ""), eb.KindBackupJob, "missing required field event.time"},
		{"id is a number", job, set("", "id", 7), eb.KindBackupJob, "event.id: want a string, got a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eb.Decode(edit(t, tt.sample, tt.change))
			malformed(t, err, tt.kind, tt.reason)
		})
	}
}

// Input that is not an EventBridge event at all is malformed, with no Kind.
func TestDecodeNotAnEnvelope(t *testing.T) {
	direct, err := os.ReadFile("testdata/cloudwatch-alarm-lambda-action.json")
	if err != nil {
		t.Fatal(err)
	}
	// An EventBridge event delivered through SNS: the event is a string.
	snsWrapped, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"EventSource": "aws:sns", "Sns": map[string]any{"Message": string(sample(t, "aws.backup/backup-job-state-change--completed.json"))},
	}}})
	tooBig := append([]byte(`{"pad":"`), make([]byte, eb.MaxEventSize)...)
	for i := 8; i < len(tooBig); i++ {
		tooBig[i] = 'x'
	}
	tooBig = append(tooBig, `"}`...)

	tests := []struct {
		name   string
		raw    []byte
		reason string
	}{
		{"CloudWatch alarm's direct Lambda payload", direct, "not an EventBridge event: no detail-type, detail"},
		{"SNS-wrapped event", snsWrapped, "not an EventBridge event: no source, detail-type, detail"},
		{"empty input", nil, "not JSON"},
		{"white space", []byte(" \n"), "not JSON"},
		{"null", []byte("null"), "want a JSON object, got null"},
		{"array", []byte(`[{"source":"aws.backup"}]`), "want a JSON object, got an array"},
		{"string", []byte(`"aws.backup"`), "want a JSON object, got a string"},
		{"two objects", []byte(`{} {}`), "not JSON"},
		{"over the EventBridge size limit", tooBig, "over the EventBridge limit of 262144"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eb.Decode(tt.raw)
			malformed(t, err, eb.Kind{}, tt.reason)
		})
	}
}

// Every truncation of every sample is malformed: a half-delivered event is
// quarantined, never half-processed.
func TestDecodeTruncated(t *testing.T) {
	samples, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		body := strings.TrimRight(string(s.JSON), " \n")
		step := max(1, len(body)/300)
		for n := 0; n < len(body); n += step {
			_, err := eb.Decode([]byte(body[:n]))
			var me *eb.MalformedError
			if !errors.As(err, &me) || !errors.Is(err, eb.ErrMalformed) {
				t.Fatalf("%s cut at %d/%d: err = %v, want a *MalformedError", s.Path, n, len(body), err)
			}
		}
	}
}

func TestDecodeHugeArrays(t *testing.T) {
	many := func(n int, v any) []any {
		a := make([]any, n)
		for i := range a {
			a[i] = v
		}
		return a
	}
	tests := []struct {
		name   string
		sample string
		change func(map[string]any)
		kind   eb.Kind
		reason string
	}{
		{"resources", "aws.backup/backup-job-state-change--completed.json",
			func(ev map[string]any) { ev["resources"] = many(5000, "r") }, eb.KindBackupJob, "event.resources: 5000 items, over the limit of 4096"},
		{"affected entities", "aws.health/aws-health-event--ec2-issue-account.json",
			func(ev map[string]any) { at(ev, "detail")["affectedEntities"] = many(5000, map[string]any{}) }, eb.KindHealth, "detail.affectedEntities: 5000 items"},
		{"alarm metrics", "aws.cloudwatch/cloudwatch-alarm-state-change--az-alarm.json",
			func(ev map[string]any) { at(ev, "detail.configuration")["metrics"] = many(4097, 0) }, eb.KindAlarmStateChange, "detail.configuration.metrics: 4097 items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eb.Decode(edit(t, tt.sample, tt.change))
			malformed(t, err, tt.kind, tt.reason)
		})
	}
	// The limit itself is fine: a real event could carry that many.
	ev, err := eb.Decode(edit(t, "aws.backup/backup-job-state-change--completed.json", func(ev map[string]any) {
		ev["resources"] = many(4096, "r")
	}))
	if err != nil || len(ev.Envelope.Resources) != 4096 {
		t.Errorf("4096 resources: err = %v, len = %d; want nil, 4096", err, len(ev.Envelope.Resources))
	}
}

// A well-formed event of a kind the suite does not handle is a no-op: the
// error says which kind, and the envelope is still there to log.
func TestDecodeUnknownKind(t *testing.T) {
	tests := []struct {
		name   string
		change func(map[string]any)
		kind   eb.Kind
	}{
		{"another aws.backup detail-type", func(ev map[string]any) { ev["detail-type"] = "Region Setting State Change" },
			eb.Kind{Source: "aws.backup", DetailType: "Region Setting State Change"}},
		{"another source", func(ev map[string]any) { ev["source"] = "aws.ec2" },
			eb.Kind{Source: "aws.ec2", DetailType: "Backup Job State Change"}},
		{"detail-type differs only in case", func(ev map[string]any) { ev["detail-type"] = "backup job state change" },
			eb.Kind{Source: "aws.backup", DetailType: "backup job state change"}},
		// An unknown kind's detail is not read, so its shape does not matter.
		{"unknown kind with an odd detail", func(ev map[string]any) {
			ev["detail-type"] = "Recovery Point Index State Change"
			ev["detail"] = map[string]any{"backupSizeInBytes": true}
		}, eb.Kind{Source: "aws.backup", DetailType: "Recovery Point Index State Change"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := eb.Decode(edit(t, "aws.backup/backup-job-state-change--completed.json", tt.change))
			var uk *eb.UnknownKindError
			if !errors.As(err, &uk) || !errors.Is(err, eb.ErrUnknownKind) || errors.Is(err, eb.ErrMalformed) {
				t.Fatalf("err = %v (%T), want an *UnknownKindError only", err, err)
			}
			if uk.Kind != tt.kind || ev.Kind != tt.kind {
				t.Errorf("error kind %v, event kind %v; want %v", uk.Kind, ev.Kind, tt.kind)
			}
			if ev.Envelope.ID != "052c90c8-0a5f-4416-b1d6-6e5b963f035f" || ev.Detail != nil {
				t.Errorf("envelope id %q, detail %v; want the event's id and no detail", ev.Envelope.ID, ev.Detail)
			}
			if !strings.Contains(err.Error(), tt.kind.String()) {
				t.Errorf("error %q does not name %v", err, tt.kind)
			}
		})
	}
}

// Decode keeps its own copy of the detail: a caller reusing its buffer does
// not change a decoded event.
func TestDecodeDoesNotAliasInput(t *testing.T) {
	raw := sample(t, "aws.backup/backup-job-state-change--completed.json")
	ev, err := eb.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	before := string(ev.Envelope.Detail)
	clear(raw)
	if string(ev.Envelope.Detail) != before {
		t.Error("Envelope.Detail changed when the input buffer was reused")
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&eb.MalformedError{Reason: "not JSON", Err: errors.New("unexpected end of JSON input")}, "malformed event: not JSON: unexpected end of JSON input"},
		{&eb.MalformedError{Kind: eb.KindBackupJob, Reason: "missing required field detail.state"}, "malformed aws.backup/Backup Job State Change event: missing required field detail.state"},
		{&eb.UnknownKindError{Kind: eb.Kind{Source: "aws.ec2", DetailType: "X"}}, "no decoder for aws.ec2/X"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	inner := errors.New("inner")
	if !errors.Is(&eb.MalformedError{Err: inner}, inner) {
		t.Error("MalformedError does not unwrap to its cause")
	}
}
