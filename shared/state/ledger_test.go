package state_test

import (
	"context"
	"errors"
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

var ctx = context.Background()

// newStore is a state table on a fresh simulated account, on its clock.
func newStore(t *testing.T) (*state.Store, *awssim.Sim, *dynamodb.Client) {
	t.Helper()
	sim := awssim.New(awssim.WithSeed(7))
	env, err := simenv.New(ctx, sim, "us-east-1", config.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(sim.Config("us-east-1"))
	return state.New(db, env.Config.TableName, sim.Now, state.WithSleep(sim.Sleep)), sim, db
}

func evacuation(group, az, event string) state.Evacuation {
	return state.Evacuation{
		Group: group, GroupARN: "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/" + group,
		AZ: az, RemovedSubnets: []string{"subnet-a"}, OriginalSubnets: []string{"subnet-a", "subnet-b", "subnet-c"},
		OriginalMaxSize: 6, MaxSize: 8, Holders: []string{"health#e1"}, EventID: event,
		CreatedAt: awssim.DefaultStart,
	}
}

var ignoreVersion = cmpopts.IgnoreUnexported(state.Evacuation{})

func TestRecordEvacuationKeepsTheOriginal(t *testing.T) {
	s, sim, _ := newStore(t)
	first := evacuation("web", "us-east-1a", "evt-1")
	got, created, err := s.RecordEvacuation(ctx, first)
	if err != nil || !created {
		t.Fatalf("first record: created=%v err=%v", created, err)
	}
	if diff := cmp.Diff(first, got, ignoreVersion); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}

	// A retry, or another event, must never overwrite the original
	// configuration: what is there is returned instead.
	sim.Advance(time.Minute)
	second := evacuation("web", "us-east-1a", "evt-2")
	second.OriginalSubnets, second.OriginalMaxSize = []string{"subnet-b", "subnet-c"}, 8
	got, created, err = s.RecordEvacuation(ctx, second)
	if err != nil || created {
		t.Fatalf("second record: created=%v err=%v, want the existing one", created, err)
	}
	if diff := cmp.Diff(first, got, ignoreVersion); diff != "" {
		t.Errorf("existing record (-want +got):\n%s", diff)
	}

	other := evacuation("api", "us-east-1b", "evt-3")
	if _, _, err := s.RecordEvacuation(ctx, other); err != nil {
		t.Fatal(err)
	}
	b := evacuation("web", "us-east-1b", "evt-4")
	if _, _, err := s.RecordEvacuation(ctx, b); err != nil {
		t.Fatal(err)
	}
	list, err := s.Evacuations(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]state.Evacuation{first, b}, list, ignoreVersion); diff != "" {
		t.Errorf("web's evacuations, by AZ (-want +got):\n%s", diff)
	}
}

func TestHoldEvacuation(t *testing.T) {
	s, _, _ := newStore(t)
	if _, _, err := s.RecordEvacuation(ctx, evacuation("web", "us-east-1a", "evt-1")); err != nil {
		t.Fatal(err)
	}
	added, err := s.HoldEvacuation(ctx, "web", "us-east-1a", "alarm#a1")
	if err != nil || !added {
		t.Fatalf("hold: added=%v err=%v", added, err)
	}
	added, err = s.HoldEvacuation(ctx, "web", "us-east-1a", "alarm#a1")
	if err != nil || added {
		t.Errorf("hold again: added=%v err=%v, want no change", added, err)
	}
	list, err := s.Evacuations(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"alarm#a1", "health#e1"}, list[0].Holders); diff != "" {
		t.Errorf("holders (-want +got):\n%s", diff)
	}
	if _, err := s.HoldEvacuation(ctx, "web", "us-east-1c", "alarm#a1"); !errors.Is(err, state.ErrConflict) {
		t.Errorf("hold of a record that is gone: %v, want ErrConflict", err)
	}
}

func TestClearEvacuation(t *testing.T) {
	s, _, _ := newStore(t)
	rec, _, err := s.RecordEvacuation(ctx, evacuation("web", "us-east-1a", "evt-1"))
	if err != nil {
		t.Fatal(err)
	}
	// Someone holds it after we read it: our clear is stale.
	if _, err := s.HoldEvacuation(ctx, "web", "us-east-1a", "alarm#a1"); err != nil {
		t.Fatal(err)
	}
	if err := s.ClearEvacuation(ctx, rec); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("clear of a changed record: %v, want ErrConflict", err)
	}
	list, _ := s.Evacuations(ctx, "web")
	if len(list) != 1 {
		t.Fatalf("record gone after a refused clear: %+v", list)
	}
	if err := s.ClearEvacuation(ctx, list[0]); err != nil {
		t.Fatalf("clear: %v", err)
	}
	if list, _ := s.Evacuations(ctx, "web"); len(list) != 0 {
		t.Errorf("record still there: %+v", list)
	}
	// A retried restore clears once and then finds nothing: not an error.
	if err := s.ClearEvacuation(ctx, list[0]); err != nil {
		t.Errorf("clear of a record already gone: %v", err)
	}
}

// A zonal-shift evacuation keeps its method and AZ id; the shift it
// started and each extension are recorded on that very record, never on a
// later evacuation of the same group and AZ.
func TestZonalShiftRecord(t *testing.T) {
	s, sim, _ := newStore(t)
	e := evacuation("web", "us-east-1a", "evt-1")
	e.RemovedSubnets, e.OriginalSubnets, e.MaxSize = []string{}, []string{}, e.OriginalMaxSize
	e.Method, e.AZID = state.MethodZonalShift, "use1-az2"
	got, created, err := s.RecordEvacuation(ctx, e)
	if err != nil || !created || got.ZonalShiftID != "" || !got.ByZonalShift() {
		t.Fatalf("record: %+v created=%v err=%v", got, created, err)
	}
	expiry := sim.Now().Add(time.Hour)
	set, err := s.SetZonalShift(ctx, got, "shift-1", expiry)
	if err != nil {
		t.Fatal(err)
	}
	records, err := s.Evacuations(ctx, "web")
	if err != nil || len(records) != 1 {
		t.Fatalf("ledger: %+v %v", records, err)
	}
	want := e
	want.ZonalShiftID, want.ZonalShiftExpiry = "shift-1", expiry
	if diff := cmp.Diff(want, records[0], ignoreVersion); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	if records[0].Version() != set.Version() {
		t.Errorf("version %d read, %d returned by the write", records[0].Version(), set.Version())
	}
	// The extension is on the same record; a clear with the record as now
	// read goes through.
	if _, err := s.SetZonalShift(ctx, records[0], "shift-1", expiry.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	records, _ = s.Evacuations(ctx, "web")
	if !records[0].ZonalShiftExpiry.Equal(expiry.Add(time.Hour)) {
		t.Errorf("expiry %v after the extension", records[0].ZonalShiftExpiry)
	}
	if err := s.ClearEvacuation(ctx, records[0]); err != nil {
		t.Fatal(err)
	}
	// A later evacuation of the same group and AZ is not the record the
	// shift was started for.
	later := e
	later.CreatedAt = e.CreatedAt.Add(time.Hour)
	if _, _, err := s.RecordEvacuation(ctx, later); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetZonalShift(ctx, got, "shift-1", expiry); !errors.Is(err, state.ErrConflict) {
		t.Errorf("set on a record evacuated again: err = %v, want ErrConflict", err)
	}
	// A subnet evacuation is not a zonal shift's record.
	sub := evacuation("api", "us-east-1b", "evt-2")
	if _, _, err := s.RecordEvacuation(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetZonalShift(ctx, sub, "shift-2", expiry); !errors.Is(err, state.ErrConflict) {
		t.Errorf("set on a subnet evacuation: err = %v, want ErrConflict", err)
	}
}

// Two accounts of an organization may both have a group called web in
// us-east-1a: each account's ledger, breaker and expected copies are its
// own, in the same table.
func TestAccountsKeepTheirOwnRecords(t *testing.T) {
	hub, sim, _ := newStore(t)
	member := hub.ForAccount("111111111111")
	if _, created, err := hub.RecordEvacuation(ctx, evacuation("web", "us-east-1a", "evt-hub")); err != nil || !created {
		t.Fatalf("hub: created=%v err=%v", created, err)
	}
	if _, created, err := member.RecordEvacuation(ctx, evacuation("web", "us-east-1a", "evt-member")); err != nil || !created {
		t.Fatalf("member's own web: created=%v err=%v; another account's record must not stand in its way", created, err)
	}
	for name, s := range map[string]*state.Store{"hub": hub, "member": member} {
		evs, err := s.Evacuations(ctx, "web")
		if err != nil || len(evs) != 1 {
			t.Errorf("%s sees %d evacuations of web (%v), want its own one", name, len(evs), err)
		}
	}
	deadline := sim.Now().Add(time.Hour)
	if _, err := member.ExpectCopy(ctx, state.ExpectedCopy{SourceRecoveryPointARN: "rp-m", DestinationVaultARN: "v", Deadline: deadline}); err != nil {
		t.Fatal(err)
	}
	sim.Advance(2 * time.Hour)
	if got, _ := hub.OutstandingCopies(ctx); len(got) != 0 {
		t.Errorf("the hub sees the member's copies: %+v", got)
	}
	if got, _ := member.OutstandingCopies(ctx); len(got) != 1 {
		t.Errorf("the member sees %d of its own outstanding copies, want 1", len(got))
	}
}

// Each account's open failures are read on their own: a digest of one
// account does not read the whole organization's.
func TestOpenFailuresPerAccount(t *testing.T) {
	hub, sim, _ := newStore(t)
	member := hub.ForAccount("111111111111")
	for _, s := range []*state.Store{hub, member} {
		rf, err := s.LoadFindings(ctx, "arn:aws:backup:us-east-1:123456789012:backup-vault:v")
		if err != nil {
			t.Fatal(err)
		}
		rf.Checks["VAULT_LOCK_PRESENT"] = state.CheckState{Status: "FAIL", Since: sim.Now(), NotifiedAt: sim.Now(), Open: true, First: sim.Now(), Notified: 1}
		if err := s.SaveFindings(ctx, rf); err != nil {
			t.Fatal(err)
		}
	}
	for name, s := range map[string]*state.Store{"hub": hub, "member": member} {
		if open, err := s.OpenFailures(ctx); err != nil || len(open) != 1 {
			t.Errorf("%s reads %d open failures (%v), want its own one", name, len(open), err)
		}
	}
}
