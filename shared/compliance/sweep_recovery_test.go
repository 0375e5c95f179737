package compliance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

const swTableARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"

// A protected resource is on time while its latest recovery point is no
// older than the interval plus the slack (24h + 2h by default), the bound
// included.
func TestLastRecoveryPointCreated(t *testing.T) {
	p := config.DefaultPolicy().Backup
	tests := []struct {
		name     string
		age      time.Duration
		notFound bool
		noTime   bool
		want     notify.Status
		says     string
	}{
		{"an hour ago", time.Hour, false, false, notify.StatusPass, "last recovery point 1h ago"},
		{"exactly at interval plus slack", 26 * time.Hour, false, false, notify.StatusPass, "26h ago"},
		{"a second late", 26*time.Hour + time.Second, false, false, notify.StatusFail, "is 26h old (policy: every 24h, plus 2h slack)"},
		{"days late", 80 * time.Hour, false, false, notify.StatusFail, "is 3d old"},
		{"resource deleted, its backups remain", 80 * time.Hour, true, false, notify.StatusNotApplicable, "orders no longer exists"},
		{"no backup time", 0, false, true, notify.StatusFail, "no backup time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			last := swFrom.Add(-tt.age)
			r := compliance.ProtectedResourceState{
				ResourceARN: swTableARN, ResourceType: "DynamoDB", LastBackup: &last, NotFound: tt.notFound,
				LastVaultARN: "arn:aws:backup:us-east-1:123456789012:backup-vault:prod",
			}
			if tt.noTime {
				r.LastBackup = nil
			}
			f := compliance.LastRecoveryPointCreated(r, p, swFrom)
			if f.Check != compliance.CheckLastRecoveryPointCreated || f.Status != tt.want {
				t.Fatalf("got %s %s, want %s: %s", f.Check, f.Status, tt.want, f.Summary)
			}
			if !strings.Contains(f.Summary, tt.says) {
				t.Errorf("summary %q does not say %q", f.Summary, tt.says)
			}
			if f.ResourceType != "AWS::DynamoDB::Table" || f.Resource != swTableARN {
				t.Errorf("finding about %s %s", f.ResourceType, f.Resource)
			}
			if f.Status == notify.StatusFail && (f.Severity != notify.SeverityHigh || !strings.Contains(f.Remediation, "list-backup-jobs --by-resource-arn "+swTableARN)) {
				t.Errorf("FAIL with severity %s and remediation %q", f.Severity, f.Remediation)
			}
		})
	}
}

// The list member carries what the retention and encryption checks need,
// read the way DescribeRecoveryPoint's answer is.
// A continuous backup is a single recovery point that keeps up with the
// resource: its creation date is not the age of the backup.
func TestLastRecoveryPointContinuous(t *testing.T) {
	started := swFrom.Add(-30 * 24 * time.Hour)
	r := compliance.ProtectedResourceState{
		ResourceARN: "arn:aws:rds:us-east-1:123456789012:db:payments", ResourceType: "RDS", LastBackup: &started,
		LastRecoveryPointARN: "arn:aws:backup:us-east-1:123456789012:recovery-point:continuous:db-abc-1234",
	}
	if f := compliance.LastRecoveryPointCreated(r, config.DefaultPolicy().Backup, swFrom); f.Status != notify.StatusPass {
		t.Errorf("a continuous backup started 30 days ago is %s: %s", f.Status, f.Summary)
	}
	r.LastRecoveryPointARN = "arn:aws:rds:us-east-1:123456789012:snapshot:awsbackup:job-1"
	if f := compliance.LastRecoveryPointCreated(r, config.DefaultPolicy().Backup, swFrom); f.Status != notify.StatusFail {
		t.Errorf("a 30-day-old snapshot is %s", f.Status)
	}
}

func TestRecoveryPointFromListMember(t *testing.T) {
	created := swFrom.Add(-time.Hour)
	m := backuptypes.RecoveryPointByBackupVault{
		RecoveryPointArn: aws.String("arn:aws:backup:us-east-1:123456789012:recovery-point:rp-1"),
		BackupVaultArn:   aws.String("arn:aws:backup:us-east-1:123456789012:backup-vault:prod"),
		BackupVaultName:  aws.String("prod"),
		ResourceArn:      aws.String(swTableARN),
		ResourceType:     aws.String("DynamoDB"),
		Status:           backuptypes.RecoveryPointStatusCompleted,
		IsEncrypted:      true,
		EncryptionKeyArn: aws.String("arn:aws:kms:us-east-1:123456789012:key/k"),
		CreationDate:     &created,
		Lifecycle:        &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(35)},
		CalculatedLifecycle: &backuptypes.CalculatedLifecycle{
			DeleteAt: aws.Time(created.Add(35 * 24 * time.Hour)),
		},
		CreatedBy: &backuptypes.RecoveryPointCreator{BackupPlanId: aws.String("plan-1"), BackupRuleId: aws.String("rule-1")},
	}
	got := compliance.RecoveryPointFromListMember(m)
	keep := int64(35)
	deleteAt := created.Add(35 * 24 * time.Hour)
	want := compliance.RecoveryPointState{
		ARN: "arn:aws:backup:us-east-1:123456789012:recovery-point:rp-1", VaultARN: "arn:aws:backup:us-east-1:123456789012:backup-vault:prod",
		VaultName: "prod", ResourceARN: swTableARN, ResourceType: "DynamoDB", Status: "COMPLETED", IsEncrypted: true,
		EncryptionKeyARN: "arn:aws:kms:us-east-1:123456789012:key/k", DeleteAfterDays: &keep, DeleteAt: &deleteAt,
		PlanID: "plan-1", RuleID: "rule-1", Created: &created,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recovery point (-want +got):\n%s", diff)
	}
	// A lifecycle of 0 days is no lifecycle, as in DescribeRecoveryPoint.
	m.Lifecycle = &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(0)}
	if got := compliance.RecoveryPointFromListMember(m); got.DeleteAfterDays != nil {
		t.Errorf("DeleteAfterDays 0 read as %d", *got.DeleteAfterDays)
	}
}

func TestProtectedResourceFromListMember(t *testing.T) {
	last := swFrom.Add(-time.Hour)
	got := compliance.ProtectedResourceFromListMember(backuptypes.ProtectedResource{
		ResourceArn: aws.String(swTableARN), ResourceType: aws.String("DynamoDB"), LastBackupTime: &last,
		LastRecoveryPointArn: aws.String("rp"), LastBackupVaultArn: aws.String("vault"),
	})
	want := compliance.ProtectedResourceState{ResourceARN: swTableARN, ResourceType: "DynamoDB", LastBackup: &last, LastRecoveryPointARN: "rp", LastVaultARN: "vault"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("protected resource (-want +got):\n%s", diff)
	}
}
