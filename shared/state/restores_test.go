package state_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/state"
)

// A restore test is recorded once per job: the redelivered event gets the
// first measurements back, and the sweep lists tests by when they ended.
func TestRestoreTestsRecordedOnceAndListedByTime(t *testing.T) {
	ctx := context.Background()
	s, sim := newTestStore(t)
	t0 := sim.Now().Truncate(time.Second)
	orders := "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
	first := state.RestoreTest{
		ResourceARN: orders, ResourceType: "AWS::DynamoDB::Table", RestoreJobID: "JOB-1",
		RecoveryPointARN: "arn:aws:backup:us-east-1:123456789012:recovery-point:rp-1", CreatedResourceARN: "arn:aws:dynamodb:us-east-1:123456789012:table/awsbackup-restore-test-1",
		Succeeded: true, Message: "table ACTIVE, readable, 12 items", At: t0.Add(-48 * time.Hour),
		JobCreated: t0.Add(-49 * time.Hour), RecoveryPointCreated: t0.Add(-60 * time.Hour), ValidatedAt: t0.Add(-48 * time.Hour),
		RTO: time.Hour, RPO: 11 * time.Hour, RTOTarget: 4 * time.Hour, RPOTarget: 26 * time.Hour,
	}
	got, created, err := s.RecordRestoreTest(ctx, first)
	if err != nil || !created {
		t.Fatalf("first record: created %v, err %v", created, err)
	}
	if diff := cmp.Diff(first, got); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}
	again := first
	again.RTO, again.ValidatedAt = 3*time.Hour, t0
	got, created, err = s.RecordRestoreTest(ctx, again)
	if err != nil || created {
		t.Fatalf("redelivery: created %v, err %v; want the first record kept", created, err)
	}
	if got.RTO != time.Hour {
		t.Errorf("redelivery got RTO %s, want the first measurement 1h", got.RTO)
	}
	failed := state.RestoreTest{ResourceARN: orders, RestoreJobID: "JOB-2", Message: "restore job FAILED: no subnet group", At: t0.Add(-time.Hour)}
	if _, _, err := s.RecordRestoreTest(ctx, failed); err != nil {
		t.Fatal(err)
	}
	all, err := s.RestoreTests(ctx, t0.Add(-72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].RestoreJobID != "JOB-1" || all[1].RestoreJobID != "JOB-2" || all[1].Succeeded {
		t.Errorf("tests since 72h ago = %+v, want JOB-1 then the failed JOB-2", all)
	}
	recent, err := s.RestoreTests(ctx, t0.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(recent) != 1 || recent[0].RestoreJobID != "JOB-2" {
		t.Errorf("tests of the last day = %+v, want only JOB-2", recent)
	}
}

// The first evidence of protection stands: a later mark does not move it.
func TestProtectedSinceKeepsTheFirstMark(t *testing.T) {
	ctx := context.Background()
	s, sim := newTestStore(t)
	t0 := sim.Now().Truncate(time.Millisecond)
	a, b := "arn:aws:dynamodb:us-east-1:123456789012:table/a", "arn:aws:rds:us-east-1:123456789012:db:b"
	for _, m := range []struct {
		arn   string
		since time.Time
	}{{a, t0.Add(-30 * 24 * time.Hour)}, {b, t0}, {a, t0}} {
		if err := s.MarkProtected(ctx, m.arn, m.since); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ProtectedSince(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{a: t0.Add(-30 * 24 * time.Hour).UTC(), b: t0.UTC()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("protected since (-want +got):\n%s", diff)
	}
}

// A member account's restore tests and protection marks are its own: the
// hub's sweep of one account does not count another's tests.
func TestRestoreTestsAreTheAccountsOwn(t *testing.T) {
	ctx := context.Background()
	s, sim := newTestStore(t)
	member := s.ForAccount("210987654321")
	at := sim.Now().Truncate(time.Millisecond)
	if _, _, err := member.RecordRestoreTest(ctx, state.RestoreTest{ResourceARN: "arn:aws:dynamodb:us-east-1:210987654321:table/t", RestoreJobID: "M", At: at}); err != nil {
		t.Fatal(err)
	}
	if err := member.MarkProtected(ctx, "arn:aws:dynamodb:us-east-1:210987654321:table/t", at); err != nil {
		t.Fatal(err)
	}
	own, _ := s.RestoreTests(ctx, time.Time{})
	theirs, _ := member.RestoreTests(ctx, time.Time{})
	marks, _ := s.ProtectedSince(ctx)
	if len(own) != 0 || len(theirs) != 1 || len(marks) != 0 {
		t.Errorf("hub sees %d tests and %d marks, the member %d tests; want 0, 0, 1", len(own), len(marks), len(theirs))
	}
}
