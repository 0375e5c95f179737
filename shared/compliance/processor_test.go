package compliance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

func sample(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := events.Sample("aws.backup/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A job that did not complete is reported on the protected resource, with
// AWS's own reason, and costs no AWS read.
func TestFailedJobsAreReportedWithTheirReason(t *testing.T) {
	tests := []struct {
		sample   string
		resource string
		want     map[string]notify.Status
		reason   string
	}{
		{"backup-job-state-change--failed.json", dbARN,
			map[string]notify.Status{compliance.CheckBackupJobFailed: notify.StatusFail}, "not authorized to perform rds:CreateDBSnapshot"},
		{"backup-job-state-change--aborted.json", tableARN,
			map[string]notify.Status{compliance.CheckBackupJobFailed: notify.StatusFail}, "Backup job was stopped by user."},
		{"backup-job-state-change--expired.json", tableARN,
			map[string]notify.Status{compliance.CheckBackupJobFailed: notify.StatusFail}, "there was a running job for the same resource"},
		{"copy-job-state-change--failed.json", dbARN,
			map[string]notify.Status{compliance.CheckCopyJobFailed: notify.StatusFail}, "KMS key"},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			h := newHarness(t, config.DefaultPolicy())
			before := h.sim.CallCount()
			h.mustDeliver(sample(t, tt.sample))
			msgs := h.published()
			if len(msgs) != 1 {
				t.Fatalf("%d notifications, want 1", len(msgs))
			}
			if diff := cmp.Diff(tt.want, statuses(msgs[0].Doc.Findings, tt.resource)); diff != "" {
				t.Errorf("findings about %s (-want +got):\n%s", tt.resource, diff)
			}
			mentions(t, "e-mail", msgs[0].Email, tt.reason, "what to do:")
			mentions(t, "subject", msgs[0].Subject, "[selfheal] FAIL")
			for _, c := range h.sim.CallsSince(before) {
				if c.Service == "Backup" || c.Service == "RDS" || c.Operation == "DescribeContinuousBackups" {
					t.Errorf("a failed job cost a %s %s call; the event says it all", c.Service, c.Operation)
				}
			}
		})
	}
}

// A failed copy to the DR region fails the source recovery point's DR
// copy as well, and closes the expected copy so the sweep does not report
// it a second time.
func TestFailedCopyFailsTheDRCopy(t *testing.T) {
	h := newHarness(t, config.DefaultPolicy())
	h.mustDeliver(sample(t, "copy-job-state-change--failed.json"))
	msgs := h.published()
	if len(msgs) != 1 {
		t.Fatalf("%d notifications, want 1", len(msgs))
	}
	src := "arn:aws:rds:us-east-1:123456789012:snapshot:awsbackup:job-7a1c3e5b-9d2f-4b6a-8c0e-2f4a6b8d0c1e"
	want := map[string]notify.Status{compliance.CheckCrossRegionCopyCompleted: notify.StatusFail}
	if diff := cmp.Diff(want, statuses(msgs[0].Doc.Findings, src)); diff != "" {
		t.Errorf("findings about the source recovery point (-want +got):\n%s", diff)
	}
	overdue, err := h.env.Deps("probe", nil).Store.OverdueCopies(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(overdue) != 0 {
		t.Errorf("a failed copy left %d copies open for the sweep", len(overdue))
	}
}

func TestDeletedVaultWarns(t *testing.T) {
	h := newHarness(t, config.DefaultPolicy())
	h.mustDeliver(sample(t, "backup-vault-state-change--deleted.json"))
	msgs := h.published()
	if len(msgs) != 1 {
		t.Fatalf("%d notifications, want 1", len(msgs))
	}
	scratch := "arn:aws:backup:us-east-1:123456789012:backup-vault:scratch-vault"
	want := map[string]notify.Status{compliance.CheckVaultDeleted: notify.StatusWarn}
	if diff := cmp.Diff(want, statuses(msgs[0].Doc.Findings, scratch)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Events whose shape cannot be acted on are quarantined with the reason,
// never retried, never notified.
func TestImpossibleEventsAreQuarantined(t *testing.T) {
	at := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		raw    []byte
		reason string
	}{
		{"completed backup job without a recovery point",
			event("e1", "Backup Job State Change", at, nil, map[string]any{
				"backupJobId": "j1", "state": "COMPLETED", "backupVaultArn": vaultARN, "resourceArn": tableARN, "resourceType": "DynamoDB"}),
			"without a recovery point ARN"},
		{"failed backup job without a resource",
			event("e2", "Backup Job State Change", at, nil, map[string]any{"backupJobId": "j2", "state": "FAILED", "backupVaultArn": vaultARN}),
			"names no resourceArn"},
		{"completed copy to something that is not a vault",
			event("e3", "Copy Job State Change", at, []string{rpARN}, map[string]any{
				"copyJobId": "c3", "state": "COMPLETED", "resourceArn": tableARN, "sourceBackupVaultArn": vaultARN,
				"destinationBackupVaultArn": "dr-vault"}),
			"destination vault ARN"},
		{"vault event about something that is not a vault",
			event("e4", "Backup Vault State Change", at, []string{"arn:aws:s3:::bucket"}, map[string]any{"backupVaultName": "x", "state": "MODIFIED"}),
			"not a backup vault ARN"},
		{"recovery point event about something that is not an ARN",
			event("e5", "Recovery Point State Change", at, []string{"rp-1"}, map[string]any{"status": "COMPLETED", "backupVaultName": "prod-vault"}),
			"is not an ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.DefaultPolicy())
			if err := h.deliver(tt.raw); err != nil {
				t.Fatalf("handler returned %v; a quarantined event must not be retried", err)
			}
			q := h.quarantined()
			if len(q) != 1 || !strings.HasPrefix(q[0], "unprocessable: ") {
				t.Fatalf("dead-letter queue holds %q, want one unprocessable event", q)
			}
			mentions(t, "reason", q[0], tt.reason)
			if n := len(h.published()); n != 0 {
				t.Errorf("%d notifications for a quarantined event", n)
			}
		})
	}
}

// States that are not an outcome are logged no-ops.
func TestStatesInProgressAreNoOps(t *testing.T) {
	at := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		raw  []byte
	}{
		{"backup job running", event("n1", "Backup Job State Change", at, nil, map[string]any{
			"backupJobId": "j1", "state": "RUNNING", "backupVaultArn": vaultARN, "resourceArn": tableARN})},
		{"copy job created (no id yet)", event("n2", "Copy Job State Change", at, []string{rpARN}, map[string]any{
			"state": "CREATED", "resourceArn": tableARN, "sourceBackupVaultArn": vaultARN, "destinationBackupVaultArn": drVault})},
		{"recovery point deleting", event("n3", "Recovery Point State Change", at, []string{rpARN}, map[string]any{
			"status": "DELETING", "backupVaultName": "prod-vault", "resourceArn": tableARN})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.DefaultPolicy())
			before := h.sim.CallCount()
			h.mustDeliver(tt.raw)
			if l := h.lastLog(); l.Status != "processed" || !strings.HasPrefix(l.Decision, "no-op") {
				t.Errorf("logged %s %q, want a processed no-op", l.Status, l.Decision)
			}
			if n := len(h.published()); n != 0 {
				t.Errorf("%d notifications for a no-op", n)
			}
			for _, c := range h.sim.CallsSince(before) {
				if c.Service != "DynamoDB" || (c.Operation != "PutItem" && c.Operation != "UpdateItem") {
					t.Errorf("a no-op called %s %s", c.Service, c.Operation)
				}
			}
		})
	}
}
