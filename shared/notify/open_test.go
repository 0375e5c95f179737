package notify_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

const ordersARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"

// copyFinding is the sweep's finding about a copy that never came: on the
// recovery point, about the table it protects.
func copyFinding(st notify.Status) notify.Finding {
	summary := "copy to us-west-2 not completed 4h after the backup"
	if st == notify.StatusPass {
		summary = "copied to us-west-2"
	}
	return notify.Finding{
		Check: "CROSS_REGION_COPY_COMPLETED", Status: st, Severity: notify.SeverityHigh,
		Resource: "arn:aws:backup:us-east-1:123456789012:recovery-point:bbef2fbf-4c36-4c9e-a5e4-95a1bd0b39f0", ResourceType: "AWS::Backup::RecoveryPoint",
		Account: "123456789012", Region: "us-east-1", Summary: summary,
		ProtectedResource: &notify.ProtectedResource{Type: "AWS::DynamoDB::Table", Name: "orders", ARN: ordersARN},
	}
}

// Next keeps a bad status open, with when it turned bad, how often it was
// notified and what it said when last notified.
func TestNextKeepsOpenFailures(t *testing.T) {
	t0 := at
	tests := []struct {
		name  string
		prev  state.CheckState
		known bool
		f     notify.Finding
		v     notify.Verdict
		want  state.CheckState
	}{
		{"first sight of a failure", state.CheckState{}, false, copyFinding(notify.StatusFail), notify.Send,
			state.CheckState{Status: "FAIL", Since: t0, NotifiedAt: t0, Open: true, First: t0, Notified: 1, Severity: "HIGH", Summary: "copy to us-west-2 not completed 4h after the backup"}},
		{"suppressed repeat keeps everything",
			state.CheckState{Status: "FAIL", Since: t0.Add(-time.Hour), NotifiedAt: t0.Add(-time.Hour), Open: true, First: t0.Add(-time.Hour), Notified: 1, Severity: "HIGH", Summary: "was"},
			true, copyFinding(notify.StatusFail), notify.Suppress,
			state.CheckState{Status: "FAIL", Since: t0.Add(-time.Hour), NotifiedAt: t0.Add(-time.Hour), Open: true, First: t0.Add(-time.Hour), Notified: 1, Severity: "HIGH", Summary: "was"}},
		{"reminder counts and updates the summary",
			state.CheckState{Status: "FAIL", Since: t0.Add(-25 * time.Hour), NotifiedAt: t0.Add(-25 * time.Hour), Open: true, First: t0.Add(-25 * time.Hour), Notified: 1, Severity: "HIGH", Summary: "was"},
			true, copyFinding(notify.StatusFail), notify.Send,
			state.CheckState{Status: "FAIL", Since: t0.Add(-25 * time.Hour), NotifiedAt: t0, Open: true, First: t0.Add(-25 * time.Hour), Notified: 2, Severity: "HIGH", Summary: "copy to us-west-2 not completed 4h after the backup"}},
		{"a changed bad status stays the same open failure",
			state.CheckState{Status: "WARN", Since: t0.Add(-time.Hour), NotifiedAt: t0.Add(-time.Hour), Open: true, First: t0.Add(-2 * time.Hour), Notified: 3, Severity: "LOW", Summary: "was"},
			true, copyFinding(notify.StatusFail), notify.Send,
			state.CheckState{Status: "FAIL", Since: t0, NotifiedAt: t0, Open: true, First: t0.Add(-2 * time.Hour), Notified: 4, Severity: "HIGH", Summary: "copy to us-west-2 not completed 4h after the backup"}},
		{"a failure notified before open failures were kept joins them",
			state.CheckState{Status: "FAIL", Since: t0.Add(-5 * time.Hour), NotifiedAt: t0.Add(-5 * time.Hour)},
			true, copyFinding(notify.StatusFail), notify.Suppress,
			state.CheckState{Status: "FAIL", Since: t0.Add(-5 * time.Hour), NotifiedAt: t0.Add(-5 * time.Hour), Open: true, First: t0.Add(-5 * time.Hour), Notified: 1, Severity: "HIGH", Summary: "copy to us-west-2 not completed 4h after the backup"}},
		{"resolved closes it",
			state.CheckState{Status: "FAIL", Since: t0.Add(-time.Hour), NotifiedAt: t0.Add(-time.Hour), Open: true, First: t0.Add(-time.Hour), Notified: 1},
			true, copyFinding(notify.StatusPass), notify.Resolve,
			state.CheckState{Status: "PASS", Since: t0, NotifiedAt: t0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := notify.Next(tt.prev, tt.known, tt.f, tt.v, t0)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Next (-want +got):\n%s", diff)
			}
		})
	}
}

// A failure stays open, in the state table, until it is seen good: a
// Report says what is new and what is a reminder, and the index lists the
// failure with the resource its owners know.
func TestReportKeepsFailuresOpenUntilResolved(t *testing.T) {
	ctx := context.Background()
	n, sim := newNotifier(t)
	store := storeOf(t, sim)
	msg := findingsMessage(copyFinding(notify.StatusFail))

	res, err := n.Report(ctx, msg)
	if err != nil || len(res.New) != 1 || len(res.Reminded) != 0 {
		t.Fatalf("first report: new %d reminded %d err %v", len(res.New), len(res.Reminded), err)
	}
	sim.Advance(25 * time.Hour)
	if res, err = n.Report(ctx, msg); err != nil || len(res.New) != 0 || len(res.Reminded) != 1 {
		t.Fatalf("after the window: new %d reminded %d err %v", len(res.New), len(res.Reminded), err)
	}
	open, err := store.OpenFailures(ctx)
	if err != nil || len(open) != 1 {
		t.Fatalf("open failures: %v %v", open, err)
	}
	if o := open[0]; o.Notified != 2 || o.Protected.Name != "orders" || o.Check != "CROSS_REGION_COPY_COMPLETED" || !o.First.Before(o.LastNotified) {
		t.Errorf("open failure %+v", o)
	}
	if _, err := n.Report(ctx, findingsMessage(copyFinding(notify.StatusPass))); err != nil {
		t.Fatal(err)
	}
	if open, _ = store.OpenFailures(ctx); len(open) != 0 {
		t.Errorf("still open after it resolved: %+v", open)
	}
}

// People triage by what they own: the subject and the e-mail lead with the
// protected resource, the recovery point moves to the body, and the JSON
// carries protectedResource.
func TestFindingsNameWhatPeopleOwn(t *testing.T) {
	r, err := notify.Render(findingsMessage(copyFinding(notify.StatusFail)))
	if err != nil {
		t.Fatal(err)
	}
	want := "[selfheal] FAIL DynamoDB table orders: copy to us-west-2 not completed 4h after the backup"
	if r.Subject != want {
		t.Errorf("subject\n got %q\nwant %q", r.Subject, want)
	}
	if len(r.Subject) >= 100 {
		t.Errorf("subject is %d characters; SNS takes fewer than 100", len(r.Subject))
	}
	if !strings.HasPrefix(r.Text, "FAIL: DynamoDB table orders (us-east-1") {
		t.Errorf("e-mail headline: %q", strings.SplitN(r.Text, "\n", 2)[0])
	}
	if !strings.Contains(r.Text, "recovery point: arn:aws:backup:us-east-1:123456789012:recovery-point:bbef2fbf") {
		t.Errorf("the e-mail does not name the recovery point:\n%s", r.Text)
	}
	var doc struct {
		Findings []struct {
			ProtectedResource notify.ProtectedResource `json:"protectedResource"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.JSON), &doc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(notify.ProtectedResource{Type: "AWS::DynamoDB::Table", Name: "orders", ARN: ordersARN}, doc.Findings[0].ProtectedResource); diff != "" {
		t.Errorf("protectedResource (-want +got):\n%s", diff)
	}
}

// A digest reads no better than where things stand: an open failure makes
// it FAIL, and its text lists it with when it began and how often it was
// notified.
func TestDigestCountsOpenFailures(t *testing.T) {
	first := at.Add(-7 * time.Hour)
	open, counts := notify.OpenFailures([]state.OpenFailure{{
		Check: "CROSS_REGION_COPY_COMPLETED", Resource: copyFinding(notify.StatusFail).Resource, ResourceType: "AWS::Backup::RecoveryPoint",
		Account: "123456789012", Region: "us-east-1", Status: "FAIL", Severity: "HIGH",
		Summary: "copy to us-west-2 not completed 4h after the backup", First: first, LastNotified: first, Notified: 1,
		Protected: state.Protected{Type: "AWS::DynamoDB::Table", Name: "orders", ARN: ordersARN},
	}})
	d := notify.Digest{Counts: map[string]map[notify.Status]int{"VAULT_LOCK_PRESENT": {notify.StatusPass: 3}}, Complete: true,
		Open: open, OpenCounts: counts, New: []notify.Finding{}}
	r, err := notify.Render(notify.Message{Kind: notify.KindDigest, Account: "123456789012", Region: "us-east-1", Time: at, Digest: &d,
		Headline: "Sweep us-east-1: 1 FAIL open, 0 new"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Attributes["status"].StringValue == nil || *r.Attributes["status"].StringValue != "FAIL" {
		t.Errorf("digest status attribute %v, want FAIL while a failure is open", r.Attributes["status"].StringValue)
	}
	wantLine := "FAIL  CROSS_REGION_COPY_COMPLETED  DynamoDB table orders: copy to us-west-2 not completed 4h after the backup (since 2026-11-01 20:00 UTC, notified once)"
	if !strings.Contains(r.Text, "Open failures: 1 FAIL (0 new this run)") || !strings.Contains(r.Text, wantLine) {
		t.Errorf("digest text lacks the open failure:\n%s", r.Text)
	}
}

// storeOf is the state table of the notifier's deployment.
func storeOf(t *testing.T, sim *awssim.Sim) *state.Store {
	t.Helper()
	return state.New(dynamodb.NewFromConfig(sim.Config("us-east-1")), simenv.TableName, sim.Now)
}
