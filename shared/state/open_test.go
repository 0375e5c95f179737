package state_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/state"
)

func openCheck(status string, first time.Time, notified int) state.CheckState {
	return state.CheckState{Status: status, Since: first, NotifiedAt: first, Open: true, First: first, Notified: notified,
		Severity: "HIGH", Summary: "copy to us-west-2 not completed 4h after the backup"}
}

// The open-failures index follows the findings: written with them, in one
// transaction, and never ahead of or behind them.
func TestOpenFailuresFollowTheFindings(t *testing.T) {
	ctx := context.Background()
	s, sim := newTestStore(t)
	const rp = "arn:aws:backup:us-east-1:123456789012:recovery-point:rp-1"
	first := sim.Now().Truncate(time.Millisecond)

	rf, err := s.LoadFindings(ctx, rp)
	if err != nil {
		t.Fatal(err)
	}
	rf.ResourceType, rf.Account, rf.Region = "AWS::Backup::RecoveryPoint", "123456789012", "us-east-1"
	rf.Protected = state.Protected{Type: "AWS::DynamoDB::Table", Name: "orders", ARN: "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}
	rf.Checks["CROSS_REGION_COPY_COMPLETED"] = openCheck("FAIL", first, 1)
	rf.Checks["RECOVERY_POINT_ENCRYPTED"] = state.CheckState{Status: "PASS", Since: first}
	stale, _ := s.LoadFindings(ctx, rp)
	if err := s.SaveFindings(ctx, rf); err != nil {
		t.Fatal(err)
	}
	open, err := s.OpenFailures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []state.OpenFailure{{
		Check: "CROSS_REGION_COPY_COMPLETED", Resource: rp, ResourceType: "AWS::Backup::RecoveryPoint",
		Account: "123456789012", Region: "us-east-1", Protected: rf.Protected, Status: "FAIL", Severity: "HIGH",
		Summary: "copy to us-west-2 not completed 4h after the backup", First: first, LastNotified: first, Notified: 1,
	}}
	if diff := cmp.Diff(want, open); diff != "" {
		t.Fatalf("open failures after the first save (-want +got):\n%s", diff)
	}

	// A save on a stale version changes nothing, the index included.
	stale.Checks["CROSS_REGION_COPY_COMPLETED"] = state.CheckState{Status: "PASS", Since: first}
	stale.Checks["VAULT_LOCK_PRESENT"] = openCheck("WARN", first, 1)
	if err := s.SaveFindings(ctx, stale); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("stale save: %v, want ErrConflict", err)
	}
	if again, _ := s.OpenFailures(ctx); !cmp.Equal(want, again) {
		t.Errorf("a conflicting save changed the index: %v", again)
	}

	// Reminded: the count and time move; then resolved: it leaves the index.
	rf, _ = s.LoadFindings(ctx, rp)
	sim.Advance(25 * time.Hour)
	later := sim.Now().Truncate(time.Millisecond)
	c := rf.Checks["CROSS_REGION_COPY_COMPLETED"]
	c.NotifiedAt, c.Notified = later, 2
	rf.Checks["CROSS_REGION_COPY_COMPLETED"] = c
	if err := s.SaveFindings(ctx, rf); err != nil {
		t.Fatal(err)
	}
	open, _ = s.OpenFailures(ctx)
	if len(open) != 1 || open[0].Notified != 2 || !open[0].LastNotified.Equal(later) || !open[0].First.Equal(first) {
		t.Errorf("after a reminder: %+v", open)
	}
	rf, _ = s.LoadFindings(ctx, rp)
	rf.Checks["CROSS_REGION_COPY_COMPLETED"] = state.CheckState{Status: "PASS", Since: later, NotifiedAt: later}
	if err := s.SaveFindings(ctx, rf); err != nil {
		t.Fatal(err)
	}
	if open, _ = s.OpenFailures(ctx); len(open) != 0 {
		t.Errorf("resolved failure still open: %+v", open)
	}
}

// Saving states that leave the open failures as they were costs one plain
// write, not a transaction.
func TestUnchangedOpenFailuresCostNoTransaction(t *testing.T) {
	ctx := context.Background()
	s, sim := newTestStore(t)
	const vault = "arn:aws:backup:us-east-1:123456789012:backup-vault:v"
	rf, _ := s.LoadFindings(ctx, vault)
	rf.Checks["VAULT_LOCK_PRESENT"] = openCheck("FAIL", sim.Now(), 1)
	if err := s.SaveFindings(ctx, rf); err != nil {
		t.Fatal(err)
	}
	rf, _ = s.LoadFindings(ctx, vault)
	rf.Checks["VAULT_LOCK_IMMUTABLE"] = state.CheckState{Status: "PASS", Since: sim.Now()}
	before := sim.CallCount()
	if err := s.SaveFindings(ctx, rf); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, c := range sim.CallsSince(before) {
		ops = append(ops, c.Operation)
	}
	if diff := cmp.Diff([]string{"PutItem"}, ops); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// Many resources spread over the index's partitions all come back, in
// resource order.
func TestOpenFailuresListsEveryResource(t *testing.T) {
	ctx := context.Background()
	s, sim := newTestStore(t)
	for i := range 60 {
		rf, _ := s.LoadFindings(ctx, fmt.Sprintf("arn:aws:backup:us-east-1:123456789012:backup-vault:v%02d", i))
		rf.Checks["VAULT_LOCK_PRESENT"] = openCheck("FAIL", sim.Now(), 1)
		if err := s.SaveFindings(ctx, rf); err != nil {
			t.Fatal(err)
		}
	}
	queries := sim.CallCount()
	open, err := s.OpenFailures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 60 || open[0].Resource > open[59].Resource {
		t.Fatalf("%d open failures (first %s, last %s), want 60 in order", len(open), open[0].Resource, open[len(open)-1].Resource)
	}
	if n := sim.CallCount() - queries; n != 8 {
		t.Errorf("%d calls to list the index, want one query per partition (8)", n)
	}
	sim.InjectFault(awssim.Fault{Service: awssim.ServiceDynamoDB, Operation: "Query", Code: "InternalServerError", Count: 100})
	if _, err := s.OpenFailures(ctx); err == nil {
		t.Error("a failed read of the index reported no open failures instead of an error")
	}
}
