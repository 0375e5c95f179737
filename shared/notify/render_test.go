package notify_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/notify"
)

var at = time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)

const vaultARN = "arn:aws:backup:us-east-1:123456789012:backup-vault:prod-vault"

func vaultFinding(check string, st notify.Status, summary string) notify.Finding {
	return notify.Finding{
		Check: check, Status: st, Severity: notify.SeverityHigh, Resource: vaultARN,
		ResourceType: "AWS::Backup::BackupVault", Account: "123456789012", Region: "us-east-1",
		Summary: summary, Remediation: "aws backup put-backup-vault-lock-configuration --backup-vault-name prod-vault --min-retention-days 7",
	}
}

func findingsMessage(fs ...notify.Finding) notify.Message {
	return notify.Message{
		Kind: notify.KindFindings, Function: "backup-compliance", EventType: "Backup Job State Change",
		EventID: "evt-1", Account: "123456789012", Region: "us-east-1", Time: at, Findings: fs,
	}
}

func TestSubject(t *testing.T) {
	tests := []struct {
		name string
		msg  notify.Message
		want string
	}{
		{
			"one failure and more",
			findingsMessage(
				vaultFinding("VAULT_LOCK_PRESENT", notify.StatusFail, "Vault Lock missing"),
				vaultFinding("VAULT_LOCK_IMMUTABLE", notify.StatusFail, "no lock to be immutable"),
				vaultFinding("VAULT_LOCK_RETENTION", notify.StatusWarn, "no retention bounds"),
				vaultFinding("RECOVERY_POINT_ENCRYPTED", notify.StatusPass, "encrypted"),
			),
			"[selfheal] FAIL backup vault prod-vault: Vault Lock missing (+2 more)",
		},
		{
			"warn only",
			findingsMessage(vaultFinding("VAULT_LOCK_IMMUTABLE", notify.StatusWarn, "governance mode, 3 days to compliance")),
			"[selfheal] WARN backup vault prod-vault: governance mode, 3 days to compliance",
		},
		{
			"dry-run remediation",
			notify.Message{Kind: notify.KindRemediation, DryRun: true, Region: "us-east-1", Actions: []notify.Action{
				{Kind: notify.ActionEvacuate, Outcome: notify.OutcomePlanned, Severity: notify.SeverityHigh, Resource: "web", Summary: "web out of us-east-1a"},
				{Kind: notify.ActionSkip, Outcome: notify.OutcomeSkipped, Severity: notify.SeverityMedium, Resource: "batch", Summary: "batch spans one AZ"},
			}},
			"[selfheal] [dry-run] EVACUATE web out of us-east-1a (+1 more)",
		},
		{
			"typography spelled in ASCII",
			notify.Message{Kind: notify.KindRemediation, Region: "us-east-1", Actions: []notify.Action{
				{Kind: notify.ActionEvacuate, Outcome: notify.OutcomeDone, Severity: notify.SeverityHigh, Resource: "web", Summary: "web out of us-east-1a: subnets 3 → 2; MaxSize 6 → 8"},
			}},
			"[selfheal] EVACUATE web out of us-east-1a: subnets 3 -> 2; MaxSize 6 -> 8",
		},
		{
			"too long and not ASCII",
			findingsMessage(vaultFinding("VAULT_LOCK_PRESENT", notify.StatusFail, "Vault Lock missing on the vault called «"+strings.Repeat("x", 120)+"»")),
			"[selfheal] FAIL backup vault prod-vault: Vault Lock missing on the vault called ?xxxxxxxxxxxxxxx...",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := notify.Render(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if r.Subject != tt.want {
				t.Errorf("subject\n got %q\nwant %q", r.Subject, tt.want)
			}
			if len(r.Subject) >= 100 {
				t.Errorf("subject is %d characters; SNS wants fewer than 100", len(r.Subject))
			}
			for _, c := range r.Subject {
				if c < 0x20 || c > 0x7e {
					t.Errorf("subject has non-printable-ASCII %q", c)
				}
			}
		})
	}
}

func TestEmailTextSaysWhatIsWrongAndWhatToDo(t *testing.T) {
	r, err := notify.Render(findingsMessage(
		vaultFinding("VAULT_LOCK_PRESENT", notify.StatusFail, "Vault Lock missing"),
		vaultFinding("RECOVERY_POINT_ENCRYPTED", notify.StatusPass, "encrypted"),
	))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"FAIL: backup vault prod-vault (us-east-1, account 123456789012)",
		"FAIL  VAULT_LOCK_PRESENT  backup vault prod-vault: Vault Lock missing",
		"what to do: aws backup put-backup-vault-lock-configuration",
		"Passing: 1 other checks.",
	} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("e-mail text lacks %q:\n%s", want, r.Text)
		}
	}
}

func TestJSONDocumentAndAttributes(t *testing.T) {
	m := findingsMessage(
		vaultFinding("VAULT_LOCK_PRESENT", notify.StatusFail, "Vault Lock missing"),
		vaultFinding("VAULT_LOCK_RETENTION", notify.StatusWarn, "no bounds"),
		vaultFinding("RECOVERY_POINT_ENCRYPTED", notify.StatusPass, "encrypted"),
	)
	r, err := notify.Render(m)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SchemaVersion string           `json:"schemaVersion"`
		Kind          string           `json:"kind"`
		Status        string           `json:"status"`
		Severity      string           `json:"severity"`
		Findings      []notify.Finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.JSON), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != notify.SchemaVersion || doc.Kind != "findings" || doc.Status != "FAIL" || doc.Severity != "HIGH" || len(doc.Findings) != 3 {
		t.Errorf("document header %+v", doc)
	}
	got := map[string]string{}
	for k, v := range r.Attributes {
		got[k] = aws.ToString(v.DataType) + " " + aws.ToString(v.StringValue)
	}
	want := map[string]string{
		"severity":      "String HIGH",
		"status":        "String FAIL",
		"checks":        `String.Array ["VAULT_LOCK_PRESENT","VAULT_LOCK_RETENTION"]`,
		"resource_type": "String AWS::Backup::BackupVault",
		"account":       "String 123456789012",
		"region":        "String us-east-1",
		"event_type":    "String Backup Job State Change",
		"kind":          "String findings",
		"dry_run":       "String false",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
}

func TestHugeMessageFitsSNSLimit(t *testing.T) {
	var fs []notify.Finding
	for i := range 3000 {
		st := notify.StatusPass
		if i%3 == 0 {
			st = notify.StatusFail
		}
		f := vaultFinding("RECOVERY_POINT_RETENTION", st, strings.Repeat("long summary ", 10))
		f.Resource = vaultARN + ":" + strings.Repeat("r", i%50) + string(rune('a'+i%26))
		fs = append(fs, f)
	}
	r, err := notify.Render(findingsMessage(fs...))
	if err != nil {
		t.Fatal(err)
	}
	if size := len(r.JSON) + len(r.Text); size > 256*1024 {
		t.Errorf("rendered %d bytes, SNS allows 262144", size)
	}
	var doc struct {
		Truncated int              `json:"truncated"`
		Findings  []notify.Finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.JSON), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Truncated == 0 || doc.Truncated+len(doc.Findings) != 3000 {
		t.Errorf("kept %d, truncated %d; they must add up to 3000 with some truncated", len(doc.Findings), doc.Truncated)
	}
	for _, f := range doc.Findings {
		if f.Status == notify.StatusPass {
			t.Fatal("a passing finding was kept while failing ones were cut")
		}
	}
	if !strings.Contains(r.Text, "left out to fit the notification size limit") {
		t.Error("e-mail text does not say findings were left out")
	}
}

// The resource_type attribute and the e-mail header name what the subject
// names: the worst finding, wherever it stands in the list.
func TestLeadFindingNamesTypeAndRegion(t *testing.T) {
	table := notify.Finding{
		Check: "PITR_ENABLED", Status: notify.StatusPass, Severity: notify.SeverityHigh,
		Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/orders", ResourceType: "AWS::DynamoDB::Table",
		Account: "123456789012", Region: "us-east-1", Summary: "PITR on",
	}
	dr := vaultFinding("DESTINATION_VAULT_LOCKED", notify.StatusFail, "DR vault not locked")
	dr.Resource, dr.Region = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-vault", "us-west-2"
	r, err := notify.Render(findingsMessage(table, dr))
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(r.Attributes["resource_type"].StringValue); got != "AWS::Backup::BackupVault" {
		t.Errorf("resource_type %q, want the failing vault's type", got)
	}
	if !strings.Contains(r.Text, "FAIL: backup vault dr-vault (us-west-2, account 123456789012)") {
		t.Errorf("e-mail header does not name the DR vault's own region:\n%s", r.Text)
	}
}
