package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

func newNotifier(t *testing.T) (*notify.Notifier, *awssim.Sim) {
	t.Helper()
	sim := awssim.New()
	env, err := simenv.New(context.Background(), sim, "us-east-1", config.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	return env.Deps("backup-compliance", &bytes.Buffer{}).Notifier, sim
}

func subjects(sim *awssim.Sim) []string {
	var out []string
	for _, p := range sim.Published() {
		out = append(out, p.Subject)
	}
	return out
}

func TestReportDedupesAndResolves(t *testing.T) {
	ctx := context.Background()
	n, sim := newNotifier(t)
	fail := findingsMessage(
		vaultFinding("VAULT_LOCK_PRESENT", notify.StatusFail, "Vault Lock missing"),
		vaultFinding("RECOVERY_POINT_ENCRYPTED", notify.StatusPass, "encrypted"),
	)

	res, err := n.Report(ctx, fail)
	if err != nil || len(res.Sent) != 1 {
		t.Fatalf("first report: sent %d, err %v", len(res.Sent), err)
	}
	sim.Advance(time.Hour)
	res, err = n.Report(ctx, fail)
	if err != nil || len(res.Sent) != 0 || res.Suppressed != 1 {
		t.Fatalf("repeat within the window: sent %d suppressed %d err %v", len(res.Sent), res.Suppressed, err)
	}
	sim.Advance(time.Hour)
	fixed := findingsMessage(
		vaultFinding("VAULT_LOCK_PRESENT", notify.StatusPass, "Vault Lock present"),
		vaultFinding("RECOVERY_POINT_ENCRYPTED", notify.StatusPass, "encrypted"),
	)
	res, err = n.Report(ctx, fixed)
	if err != nil || len(res.Resolved) != 1 {
		t.Fatalf("fixed: resolved %d err %v", len(res.Resolved), err)
	}
	want := []string{
		"[selfheal] FAIL backup vault prod-vault: Vault Lock missing",
		"[selfheal] RESOLVED backup vault prod-vault: Vault Lock present",
	}
	if diff := cmp.Diff(want, subjects(sim)); diff != "" {
		t.Errorf("published (-want +got):\n%s", diff)
	}
	last := sim.Published()[1]
	if last.Structure != "json" || last.Attributes["status"].StringValue != "RESOLVED" {
		t.Errorf("resolved message structure %q attributes %v", last.Structure, last.Attributes)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(last.Message), &body); err != nil || body["default"] == "" || body["email"] == "" {
		t.Errorf("message structure %q: want default and email keys", last.Message)
	}
	// Once resolved, the same PASS says nothing more.
	if res, _ := n.Report(ctx, fixed); len(res.Sent) != 0 {
		t.Errorf("PASS after resolution sent %d messages", len(res.Sent))
	}
}

func TestReminderAfterWindow(t *testing.T) {
	ctx := context.Background()
	n, sim := newNotifier(t)
	m := findingsMessage(vaultFinding("VAULT_LOCK_PRESENT", notify.StatusFail, "Vault Lock missing"))
	if _, err := n.Report(ctx, m); err != nil {
		t.Fatal(err)
	}
	sim.Advance(config.DefaultPolicy().Notify.DedupeWindow.Duration + time.Minute)
	res, err := n.Report(ctx, m)
	if err != nil || len(res.Sent) != 1 {
		t.Errorf("after the dedupe window: sent %d err %v, want a reminder", len(res.Sent), err)
	}
}

func TestFailedPublishIsNotRemembered(t *testing.T) {
	ctx := context.Background()
	n, sim := newNotifier(t)
	m := findingsMessage(vaultFinding("VAULT_LOCK_PRESENT", notify.StatusFail, "Vault Lock missing"))
	remove := sim.InjectFault(awssim.Fault{Service: awssim.ServiceSNS, Operation: "Publish", Code: "AuthorizationError", Probability: 1})
	if _, err := n.Report(ctx, m); err == nil {
		t.Fatal("publish failed but Report succeeded")
	}
	remove()
	res, err := n.Report(ctx, m)
	if err != nil || len(res.Sent) != 1 {
		t.Errorf("retry after a failed publish: sent %d err %v; the notification must not be lost", len(res.Sent), err)
	}
}

func TestActionsAreAlwaysSent(t *testing.T) {
	ctx := context.Background()
	n, sim := newNotifier(t)
	m := notify.Message{Kind: notify.KindRemediation, Region: "us-east-1", Account: "123456789012", Time: at, Actions: []notify.Action{{
		Kind: notify.ActionEvacuate, Outcome: notify.OutcomeDone, Severity: notify.SeverityHigh,
		Resource: "web", ResourceType: "AWS::AutoScaling::AutoScalingGroup", Summary: "web out of us-east-1a",
	}}}
	for range 2 {
		if _, err := n.Report(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(sim.Published()); got != 2 {
		t.Errorf("%d messages for two reported actions, want 2", got)
	}
	if got := sim.Published()[0].Attributes["status"].StringValue; got != "ACTION" {
		t.Errorf("status attribute %q", got)
	}
}

// An action message that could not be published is kept for the event's
// retry, sent once by FlushOutbox, then forgotten.
func TestOutboxKeepsUnsentActions(t *testing.T) {
	ctx := context.Background()
	n, sim := newNotifier(t)
	m := notify.Message{Kind: notify.KindRemediation, EventID: "evt-9", Region: "us-east-1", Account: "123456789012", Time: at,
		Actions: []notify.Action{{Kind: notify.ActionEvacuate, Outcome: notify.OutcomeDone, Severity: notify.SeverityHigh,
			Resource: "web", ResourceType: "AWS::AutoScaling::AutoScalingGroup", Summary: "web out of us-east-1a"}}}
	remove := sim.InjectFault(awssim.Fault{Service: awssim.ServiceSNS, Operation: "Publish", Code: "Throttling", Probability: 1})
	if _, err := n.Report(ctx, m); err == nil {
		t.Fatal("Report succeeded although publishing failed")
	}
	remove()
	if sent, err := n.FlushOutbox(ctx, "other-event"); err != nil || sent != 0 {
		t.Errorf("another event's outbox sent %d (%v)", sent, err)
	}
	sent, err := n.FlushOutbox(ctx, "evt-9")
	if err != nil || sent != 1 {
		t.Fatalf("flush sent %d (%v), want 1", sent, err)
	}
	if again, _ := n.FlushOutbox(ctx, "evt-9"); again != 0 {
		t.Errorf("second flush sent %d; a kept message is sent once", again)
	}
	pub := sim.Published()
	if len(pub) != 1 || pub[0].Subject != "[selfheal] EVACUATE web out of us-east-1a" || pub[0].Attributes["status"].StringValue != "ACTION" {
		t.Errorf("published %+v", pub)
	}
}
