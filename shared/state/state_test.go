package state_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/state"
)

func newTestStore(t *testing.T) (*state.Store, *awssim.Sim) {
	t.Helper()
	sim := awssim.New()
	if _, err := simenv.New(context.Background(), sim, "us-east-1", config.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	return state.New(dynamodb.NewFromConfig(sim.Config("us-east-1")), simenv.TableName, sim.Now, state.WithSleep(sim.Sleep)), sim
}

func TestClaimEvent(t *testing.T) {
	ctx := context.Background()
	s, sim := newTestStore(t)
	c, err := s.ClaimEvent(ctx, "f", "e1", "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimEvent(ctx, "f", "e1", "", time.Minute); !errors.Is(err, state.ErrInProgress) {
		t.Errorf("second claim while held: %v, want ErrInProgress", err)
	}
	if _, err := s.ClaimEvent(ctx, "other-function", "e1", "", time.Minute); err != nil {
		t.Errorf("another function's claim on the same event: %v", err)
	}
	if err := c.Done(ctx); err != nil {
		t.Fatal(err)
	}
	sim.Advance(2 * time.Minute)
	if _, err := s.ClaimEvent(ctx, "f", "e1", "", time.Minute); !errors.Is(err, state.ErrAlreadyDone) {
		t.Errorf("claim after done: %v, want ErrAlreadyDone even past the lease", err)
	}
}

func TestClaimReleaseAndLeaseTakeover(t *testing.T) {
	ctx := context.Background()
	s, sim := newTestStore(t)
	c, err := s.ClaimEvent(ctx, "f", "e2", "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Release(ctx); err != nil {
		t.Fatal(err)
	}
	crashed, err := s.ClaimEvent(ctx, "f", "e2", "", time.Minute)
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	_ = crashed // the invocation "crashes": neither Done nor Release
	sim.Advance(30 * time.Second)
	if _, err := s.ClaimEvent(ctx, "f", "e2", "", time.Minute); !errors.Is(err, state.ErrInProgress) {
		t.Errorf("within the lease: %v, want ErrInProgress", err)
	}
	sim.Advance(time.Minute)
	if _, err := s.ClaimEvent(ctx, "f", "e2", "", time.Minute); err != nil {
		t.Errorf("after the lease a redelivery must take over: %v", err)
	}
}

func TestConcurrentClaimsOneWins(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.ClaimEvent(ctx, "f", "race", "", time.Minute); err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d of 8 concurrent claims won, want exactly 1", won)
	}
}

func TestFindingsRoundTripAndConflict(t *testing.T) {
	ctx := context.Background()
	s, sim := newTestStore(t)
	const vault = "arn:aws:backup:us-east-1:123456789012:backup-vault:prod-vault"
	rf, err := s.LoadFindings(ctx, vault)
	if err != nil {
		t.Fatal(err)
	}
	if len(rf.Checks) != 0 {
		t.Fatalf("new resource has states %v", rf.Checks)
	}
	now := sim.Now().Truncate(time.Millisecond)
	rf.Checks["VAULT_LOCK_PRESENT"] = state.CheckState{Status: "FAIL", Since: now, NotifiedAt: now}
	rf.Checks["RECOVERY_POINT_ENCRYPTED"] = state.CheckState{Status: "PASS", Since: now}
	if err := s.SaveFindings(ctx, rf); err != nil {
		t.Fatal(err)
	}
	back, err := s.LoadFindings(ctx, vault)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Checks["VAULT_LOCK_PRESENT"]; got.Status != "FAIL" || !got.NotifiedAt.Equal(now) {
		t.Errorf("loaded %+v", got)
	}
	if got := back.Checks["RECOVERY_POINT_ENCRYPTED"]; got.Status != "PASS" || !got.NotifiedAt.IsZero() {
		t.Errorf("loaded %+v", got)
	}
	// Two invocations loaded the same version; only the first save wins.
	other, _ := s.LoadFindings(ctx, vault)
	back.Checks["VAULT_LOCK_PRESENT"] = state.CheckState{Status: "PASS", Since: now}
	if err := s.SaveFindings(ctx, back); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFindings(ctx, other); !errors.Is(err, state.ErrConflict) {
		t.Errorf("stale save: %v, want ErrConflict", err)
	}
}

func TestExpectedCopyLifecycle(t *testing.T) {
	ctx := context.Background()
	s, sim := newTestStore(t)
	const rp, dest = "arn:aws:backup:us-east-1:123456789012:recovery-point:rp-1", "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-vault"
	deadline := sim.Now().Add(24 * time.Hour)
	got, err := s.ExpectCopy(ctx, state.ExpectedCopy{SourceRecoveryPointARN: rp, DestinationVaultARN: dest, Deadline: deadline, BackupJobID: "job-1"})
	if err != nil || got.Status != state.CopyOpen {
		t.Fatalf("expect: %+v, %v", got, err)
	}
	if overdue, _ := s.OverdueCopies(ctx); len(overdue) != 0 {
		t.Errorf("overdue before the deadline: %v", overdue)
	}
	sim.Advance(25 * time.Hour)
	overdue, err := s.OverdueCopies(ctx)
	if err != nil || len(overdue) != 1 || overdue[0].BackupJobID != "job-1" {
		t.Fatalf("overdue after the deadline: %+v, %v", overdue, err)
	}
	first, err := s.MarkCopyOverdue(ctx, rp, dest)
	if err != nil || !first {
		t.Fatalf("first mark: %t, %v", first, err)
	}
	again, err := s.MarkCopyOverdue(ctx, rp, dest)
	if err != nil || again {
		t.Errorf("second mark: %t, %v; an overdue copy is reported once", again, err)
	}
	if overdue, _ := s.OverdueCopies(ctx); len(overdue) != 0 {
		t.Errorf("still listed after being reported: %v", overdue)
	}
	// The copy lands late: it closes the overdue record.
	prev, changed, err := s.CloseCopy(ctx, rp, dest, state.CopyCompleted, "copy-1", "rp-dr")
	if err != nil || !changed || prev.Status != state.CopyOverdue {
		t.Errorf("late completion: prev %+v changed %t err %v", prev, changed, err)
	}
}

func TestCopyClosedBeforeItWasExpected(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	const rp, dest = "rp-2", "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-vault"
	if _, changed, err := s.CloseCopy(ctx, rp, dest, state.CopyFailed, "copy-2", ""); err != nil || !changed {
		t.Fatalf("close first: %t %v", changed, err)
	}
	got, err := s.ExpectCopy(ctx, state.ExpectedCopy{SourceRecoveryPointARN: rp, DestinationVaultARN: dest})
	if err != nil || got.Status != state.CopyFailed {
		t.Errorf("expectation after the outcome: %+v %v; it must not reopen", got, err)
	}
	if _, changed, _ := s.CloseCopy(ctx, rp, dest, state.CopyCompleted, "copy-3", "x"); changed {
		t.Error("a closed copy was closed again by a later event")
	}
}

func TestClaimKnowsARetry(t *testing.T) {
	ctx := context.Background()
	s, sim := newTestStore(t)
	first, err := s.ClaimEvent(ctx, "f", "e3", "", time.Minute)
	if err != nil || first.Retry {
		t.Fatalf("first delivery: retry %v err %v", first != nil && first.Retry, err)
	}
	if err := first.Release(ctx); err != nil {
		t.Fatal(err)
	}
	second, err := s.ClaimEvent(ctx, "f", "e3", "", time.Minute)
	if err != nil || !second.Retry {
		t.Fatalf("delivery after a release: retry %v err %v, want a retry", second != nil && second.Retry, err)
	}
	sim.Advance(2 * time.Minute) // crashed: neither done nor released
	third, err := s.ClaimEvent(ctx, "f", "e3", "", time.Minute)
	if err != nil || !third.Retry {
		t.Errorf("delivery after a lapsed lease: retry %v err %v, want a retry", third != nil && third.Retry, err)
	}
}
