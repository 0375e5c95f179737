package rebalance_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/rebalance"
)

var abc = []string{azA, azB, azC}

// The seed's story: six instances over three AZs with MaxSize = desired;
// us-east-1a fails with an account-specific Health issue naming the
// instances there. The group ends 0/3/3 and never has fewer than six in
// service on the way; when the issue closes it gets back exactly the
// subnets and MaxSize it had, and ends 2/2/2, again never below six.
func TestSeedStory(t *testing.T) {
	r := newRig(t, nil)
	r.group("web", 6, 6, 6, abc)
	before := r.snapshot("web")

	arn := r.sim.RaiseAZIssue(region, azA, "EC2")
	if n := r.pump(); n != 1 {
		t.Fatalf("%d events delivered, want the Health event", n)
	}
	if len(r.errs) > 0 {
		t.Fatalf("function errors: %v", r.errs)
	}
	if diff := cmp.Diff([]string{"EVACUATE/DONE"}, kinds(r.actions())); diff != "" {
		t.Errorf("notified (-want +got):\n%s", diff)
	}
	ev := r.snapshot("web")
	if diff := cmp.Diff(before.Subnets[1:], ev.Subnets); diff != "" {
		t.Errorf("subnets after the evacuation (-want +got):\n%s", diff)
	}
	if ev.Max != 8 || ev.Desired != 6 {
		t.Errorf("MaxSize %d desired %d, want 8 (room for the 2 replacements) and 6", ev.Max, ev.Desired)
	}
	if ev.Tags[rebalance.TagEvacuatedFrom] != azA {
		t.Errorf("tag %s = %q, want %s", rebalance.TagEvacuatedFrom, ev.Tags[rebalance.TagEvacuatedFrom], azA)
	}
	records, err := r.store.Evacuations(ctx, "web")
	if err != nil || len(records) != 1 {
		t.Fatalf("ledger: %+v %v", records, err)
	}
	if rec := records[0]; !slices.Equal(rec.OriginalSubnets, before.Subnets) || rec.OriginalMaxSize != 6 || rec.AZ != azA {
		t.Errorf("ledger record %+v does not hold the original configuration %v / 6", rec, before.Subnets)
	}

	lowest := r.inService("web")
	r.watch(30*time.Minute, func() { lowest = min(lowest, r.inService("web")) },
		func() bool { return r.settled("web", map[string]int{azA: 0, azB: 3, azC: 3}) })
	if lowest < 6 {
		t.Errorf("in service fell to %d during the evacuation", lowest)
	}

	if err := r.sim.CloseHealthEvent(arn); err != nil {
		t.Fatal(err)
	}
	if n := r.pump(); n != 1 {
		t.Fatalf("%d events delivered, want the closed Health event", n)
	}
	if diff := cmp.Diff([]string{"EVACUATE/DONE", "RESTORE/DONE"}, kinds(r.actions())); diff != "" {
		t.Errorf("notified (-want +got):\n%s", diff)
	}
	back := r.snapshot("web")
	if diff := cmp.Diff(before.Subnets, back.Subnets); diff != "" {
		t.Errorf("subnets after the restore, in order (-want +got):\n%s", diff)
	}
	if back.Max != 6 || slices.Contains(back.Suspended, rebalance.ProcessAZRebalance) {
		t.Errorf("MaxSize %d suspended %v, want 6 and AZRebalance running", back.Max, back.Suspended)
	}
	if _, ok := back.Tags[rebalance.TagEvacuatedFrom]; ok {
		t.Errorf("tag %s left behind", rebalance.TagEvacuatedFrom)
	}
	if records, _ := r.store.Evacuations(ctx, "web"); len(records) != 0 {
		t.Errorf("ledger not cleared: %+v", records)
	}
	lowest = r.inService("web")
	r.watch(30*time.Minute, func() { lowest = min(lowest, r.inService("web")) },
		func() bool { return r.settled("web", map[string]int{azA: 2, azB: 2, azC: 2}) })
	if lowest < 6 {
		t.Errorf("in service fell to %d during the restore", lowest)
	}
	if len(r.errs) > 0 {
		t.Errorf("function errors: %v", r.errs)
	}
	// Exactly the writes the story needs: out (group, tag), back (group, tag).
	var ops []string
	for _, c := range r.asgWrites() {
		ops = append(ops, c.Operation)
	}
	want := []string{"UpdateAutoScalingGroup", "CreateOrUpdateTags", "UpdateAutoScalingGroup", "DeleteTags"}
	if diff := cmp.Diff(want, ops); diff != "" {
		t.Errorf("Auto Scaling writes (-want +got):\n%s", diff)
	}
}

func actionOf(t *testing.T, as []notify.Action, kind notify.ActionKind) notify.Action {
	t.Helper()
	for _, a := range as {
		if a.Kind == kind {
			return a
		}
	}
	t.Fatalf("no %s action in %v", kind, kinds(as))
	return notify.Action{}
}
