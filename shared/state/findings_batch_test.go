package state_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/state"
)

func resourceARN(i int) string {
	return fmt.Sprintf("arn:aws:backup:us-east-1:123456789012:recovery-point:rp-%04d", i)
}

// seedFindings saves states for every other resource of 0..n-1 (the
// others stay unknown) and returns what was saved.
func seedFindings(t *testing.T, s *state.Store, sim *awssim.Sim, n int) map[string]map[string]state.CheckState {
	t.Helper()
	now := sim.Now().Truncate(time.Millisecond)
	saved := map[string]map[string]state.CheckState{}
	for i := 0; i < n; i += 2 {
		rf, err := s.LoadFindings(ctx, resourceARN(i))
		if err != nil {
			t.Fatal(err)
		}
		rf.Checks["RECOVERY_POINT_ENCRYPTED"] = state.CheckState{Status: "PASS", Since: now}
		if i%4 == 0 {
			rf.Checks["VAULT_LOCK_PRESENT"] = state.CheckState{Status: "FAIL", Since: now, NotifiedAt: now}
		}
		if err := s.SaveFindings(ctx, rf); err != nil {
			t.Fatal(err)
		}
		saved[rf.Resource] = rf.Checks
	}
	return saved
}

func batchGets(sim *awssim.Sim, since int) (calls, failed int) {
	for _, c := range sim.CallsSince(since) {
		if c.Operation == "BatchGetItem" {
			calls++
			if c.Err != nil {
				failed++
			}
		}
	}
	return calls, failed
}

// A batch load reads what LoadFindings reads, for every resource asked
// for, in one call per 100 resources, and the versions it reads make the
// next saves succeed.
func TestLoadFindingsBatchReadsWhatLoadFindingsReads(t *testing.T) {
	s, sim, _ := newStore(t)
	saved := seedFindings(t, s, sim, 250)
	var resources []string
	for i := range 250 {
		resources = append(resources, resourceARN(i))
	}
	resources = append(resources, resourceARN(3), resourceARN(4)) // named twice: read once

	before := sim.CallCount()
	got, err := s.LoadFindingsBatch(ctx, resources)
	if err != nil {
		t.Fatal(err)
	}
	if calls, _ := batchGets(sim, before); calls != 3 {
		t.Errorf("%d BatchGetItem calls for 250 resources, want 3", calls)
	}
	if len(got) != 250 {
		t.Fatalf("%d resources loaded, want 250", len(got))
	}
	for _, r := range resources {
		one, err := s.LoadFindings(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(one.Checks, got[r].Checks); diff != "" {
			t.Errorf("%s: batch load differs from LoadFindings (-one +batch):\n%s", r, diff)
		}
		if diff := cmp.Diff(saved[r], got[r].Checks, cmpopts.EquateEmpty()); diff != "" || got[r].Resource != r {
			t.Errorf("%s: loaded %q (-saved +loaded):\n%s", r, got[r].Resource, diff)
		}
	}
	// The versions read are current: saving every loaded resource succeeds
	// (a new one must not exist yet, a known one must be unchanged).
	for _, r := range resources[:250] {
		rf := got[r]
		rf.Checks["BACKUP_PLAN"] = state.CheckState{Status: "PASS", Since: sim.Now()}
		if err := s.SaveFindings(ctx, rf); err != nil {
			t.Fatalf("save after batch load of %s: %v", r, err)
		}
	}
	// …and stale once saved.
	if err := s.SaveFindings(ctx, got[resourceARN(0)]); !errors.Is(err, state.ErrConflict) {
		t.Errorf("save of a stale batch load: %v, want ErrConflict", err)
	}
}

// States past their memory are forgotten, but the item's version is kept,
// so the next save replaces the expired item instead of conflicting with
// it.
func TestLoadFindingsBatchForgetsExpiredStates(t *testing.T) {
	// Hour-long reconcile steps: the test lives half a year.
	sim := awssim.New(awssim.WithTick(time.Hour))
	env, err := simenv.New(ctx, sim, "us-east-1", config.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	s := state.New(dynamodb.NewFromConfig(sim.Config("us-east-1")), env.Config.TableName, sim.Now, state.WithSleep(sim.Sleep))
	sim.SetDynamoDBTTLDelay(72 * time.Hour) // AWS deletes expired items late
	seedFindings(t, s, sim, 2)
	sim.AdvanceTo(sim.Now().Add(181 * 24 * time.Hour))

	got, err := s.LoadFindingsBatch(ctx, []string{resourceARN(0)})
	if err != nil {
		t.Fatal(err)
	}
	rf := got[resourceARN(0)]
	if len(rf.Checks) != 0 {
		t.Errorf("expired states loaded: %v", rf.Checks)
	}
	rf.Checks["VAULT_LOCK_PRESENT"] = state.CheckState{Status: "FAIL", Since: sim.Now()}
	if err := s.SaveFindings(ctx, rf); err != nil {
		t.Errorf("save over an expired item: %v", err)
	}
}

// Keys DynamoDB leaves unprocessed are asked for again until every
// resource is read.
func TestLoadFindingsBatchRetriesUnprocessedKeys(t *testing.T) {
	s, sim, _ := newStore(t)
	saved := seedFindings(t, s, sim, 250)
	var resources []string
	for i := range 250 {
		resources = append(resources, resourceARN(i))
	}
	sim.SetDynamoDBUnprocessedKeys(0.3)
	before := sim.CallCount()
	got, err := s.LoadFindingsBatch(ctx, resources)
	if err != nil {
		t.Fatal(err)
	}
	if calls, _ := batchGets(sim, before); calls <= 3 {
		t.Fatalf("%d BatchGetItem calls with 30%% of keys unprocessed: nothing was retried", calls)
	}
	for _, r := range resources {
		if diff := cmp.Diff(saved[r], got[r].Checks, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-saved +loaded):\n%s", r, diff)
		}
	}
}

// A table that keeps answering only part of the keys makes the load fail
// after a bounded number of calls, rather than return states it did not
// read or wait forever.
func TestLoadFindingsBatchGivesUp(t *testing.T) {
	s, sim, _ := newStore(t)
	seedFindings(t, s, sim, 100)
	var resources []string
	for i := range 100 {
		resources = append(resources, resourceARN(i))
	}
	sim.SetDynamoDBUnprocessedKeys(0.95)
	before := sim.CallCount()
	got, err := s.LoadFindingsBatch(ctx, resources)
	if err == nil || got != nil {
		t.Fatalf("load with 95%% of keys unprocessed: %d resources, err %v; want an error", len(got), err)
	}
	if calls, failed := batchGets(sim, before); calls-failed > 8 {
		t.Errorf("%d answered BatchGetItem calls before giving up, want at most 8", calls-failed)
	}
}
