package rebalance_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/rebalance"
	"github.com/selfheal/selfheal/shared/state"
)

// enrolled seeds an opted-in group with zonal shift enabled.
func (r *rig) enrolled(name string, size int32, behavior astypes.ImpairedZoneHealthCheckBehavior) {
	r.t.Helper()
	var subnets []string
	for _, az := range abc {
		subnets = append(subnets, r.sim.SubnetIn(region, az))
	}
	err := r.sim.CreateGroup(region, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(name),
		MinSize:              aws.Int32(size), MaxSize: aws.Int32(size), DesiredCapacity: aws.Int32(size),
		VPCZoneIdentifier: aws.String(strings.Join(subnets, ",")),
		LaunchTemplate:    &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String(name), Version: aws.String("$Latest")},
		Tags:              []astypes.Tag{{Key: aws.String("selfheal:managed"), Value: aws.String("true")}},
		AvailabilityZoneImpairmentPolicy: &astypes.AvailabilityZoneImpairmentPolicy{
			ZonalShiftEnabled: aws.Bool(true), ImpairedZoneHealthCheckBehavior: behavior,
		},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.sim.Settle(30 * time.Minute)
	r.sim.DrainEvents()
}

// arcWrites lists the rebalancer's successful ARC writes.
func (r *rig) arcWrites() []string {
	var ops []string
	for _, c := range r.sim.Writes(awssim.ServiceARCZonalShift) {
		ops = append(ops, c.Operation)
	}
	return ops
}

func (r *rig) idOf(az string) string {
	for _, z := range r.sim.AZs(region) {
		if z.Name == az {
			return z.ID
		}
	}
	r.t.Fatalf("no AZ %s", az)
	return ""
}

// An enrolled group is moved out with an ARC zonal shift, the other one by
// subnets, both for the same Health issue. The shift changes no setting of
// the group (its subnets and MaxSize stay), the group launches its
// replacements elsewhere by itself, the shift is extended while the issue
// holds and cancelled when it closes; the ledger, the tag and the
// notifications treat it as one more kind of evacuation.
func TestZonalShiftEvacuatesAnEnrolledGroup(t *testing.T) {
	r := newRig(t, nil)
	r.enrolled("web", 6, astypes.ImpairedZoneHealthCheckBehaviorReplaceUnhealthy)
	r.group("api", 6, 6, 6, abc)
	before := r.snapshot("web")

	arn := r.sim.RaiseAZIssue(region, azA, "EC2")
	r.pump()
	if diff := cmp.Diff([]string{"EVACUATE/DONE", "ZONAL_SHIFT/DONE"}, kinds(r.actions())); diff != "" {
		t.Errorf("notified (-want +got):\n%s", diff)
	}
	shift := actionOf(t, r.actions(), notify.ActionZonalShift)
	if shift.AZ != azA || shift.Details["awayFrom"] != r.idOf(azA) || shift.Details["zonalShiftId"] == "" {
		t.Errorf("zonal shift action %+v: want %s (%s) and the shift's id", shift, azA, r.idOf(azA))
	}
	web := r.snapshot("web")
	if !slices.Equal(web.Subnets, before.Subnets) || web.Max != 6 || web.Tags[rebalance.TagEvacuatedFrom] != azA {
		t.Errorf("web: subnets %v max %d tag %q; want its subnets and MaxSize unchanged, tagged %s", web.Subnets, web.Max, web.Tags[rebalance.TagEvacuatedFrom], azA)
	}
	records, err := r.store.Evacuations(ctx, "web")
	if err != nil || len(records) != 1 || records[0].Method != state.MethodZonalShift || records[0].ZonalShiftID != shift.Details["zonalShiftId"] {
		t.Fatalf("ledger %+v %v: want the zonal shift recorded", records, err)
	}
	shifts := r.sim.ZonalShifts(region)
	if len(shifts) != 1 || shifts[0].Status != "ACTIVE" || shifts[0].AwayFrom != r.idOf(azA) || !strings.HasPrefix(shifts[0].Comment, "selfheal ") {
		t.Fatalf("ARC shifts %+v", shifts)
	}
	// The group obeys the shift: the AZ's failing instances are replaced in
	// the others, and nothing is launched there.
	r.watch(30*time.Minute, func() {}, func() bool { return r.settled("web", map[string]int{azA: 0, azB: 3, azC: 3}) })

	// The schedule extends the shift once less than half of its hour is
	// left, and only then.
	for i := range 6 {
		r.sim.Advance(5 * time.Minute)
		if err := r.deliver(r.tick("tick-" + string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"StartZonalShift", "UpdateZonalShift"}, r.arcWrites()); diff != "" {
		t.Errorf("ARC writes after an hour (-want +got):\n%s", diff)
	}
	if got := r.sim.ZonalShifts(region)[0]; got.Expiry.Sub(r.sim.Now()) < 30*time.Minute {
		t.Errorf("shift expires at %v, %v from now: not extended", got.Expiry, got.Expiry.Sub(r.sim.Now()))
	}

	if err := r.sim.CloseHealthEvent(arn); err != nil {
		t.Fatal(err)
	}
	r.pump()
	if len(r.errs) > 0 {
		t.Fatalf("function errors: %v", r.errs)
	}
	if diff := cmp.Diff([]string{"StartZonalShift", "UpdateZonalShift", "CancelZonalShift"}, r.arcWrites()); diff != "" {
		t.Errorf("ARC writes (-want +got):\n%s", diff)
	}
	restore := r.actions()[len(r.actions())-1]
	if restore.Kind != notify.ActionRestore || !strings.Contains(restore.Summary, "zonal shift cancelled") {
		t.Errorf("last action %+v, want web's restore cancelling its shift", restore)
	}
	if records, _ := r.store.Evacuations(ctx, "web"); len(records) != 0 {
		t.Errorf("ledger not cleared: %+v", records)
	}
	if _, tagged := r.snapshot("web").Tags[rebalance.TagEvacuatedFrom]; tagged {
		t.Error("tag left behind")
	}
	r.watch(45*time.Minute, func() {}, func() bool { return r.settled("web", map[string]int{azA: 2, azB: 2, azC: 2}) })
	// Exactly: web's three ARC calls and its tag; no Auto Scaling change to
	// web itself.
	for _, c := range r.asgWrites("UpdateAutoScalingGroup") {
		if in := c.Input.(*autoscaling.UpdateAutoScalingGroupInput); aws.ToString(in.AutoScalingGroupName) == "web" {
			t.Errorf("web was updated: %+v", in)
		}
	}
}

// Dry-run plans the zonal shift and makes no write: no ARC call, no
// ledger, no tag.
func TestZonalShiftDryRunWritesNothing(t *testing.T) {
	r := newRig(t, func(p *config.Policy) { p.DryRun = true })
	r.enrolled("web", 6, astypes.ImpairedZoneHealthCheckBehaviorReplaceUnhealthy)
	r.sim.RaiseAZIssue(region, azA, "EC2")
	r.pump()
	if diff := cmp.Diff([]string{"ZONAL_SHIFT/PLANNED"}, kinds(r.actions())); diff != "" {
		t.Errorf("notified (-want +got):\n%s", diff)
	}
	if w := r.sim.Writes(awssim.ServiceARCZonalShift, awssim.ServiceAutoScaling); len(w) != 0 {
		t.Errorf("dry-run wrote %d times: %+v", len(w), w[0])
	}
	if records, _ := r.store.Evacuations(ctx, "web"); len(records) != 0 {
		t.Errorf("dry-run recorded %+v", records)
	}
}

// A person who takes selfheal's shift over (a new comment, a longer
// expiry) owns it: when the issue closes selfheal does not cancel it, says
// once that it holds the AZ, and restores when the person ends it.
func TestZonalShiftTakenOverHoldsTheRestore(t *testing.T) {
	r := newRig(t, nil)
	r.enrolled("web", 6, astypes.ImpairedZoneHealthCheckBehaviorReplaceUnhealthy)
	arn := r.sim.RaiseAZIssue(region, azA, "EC2")
	r.pump()
	r.sim.Advance(10 * time.Minute)
	if err := r.sim.UpdateZonalShiftOf(region, "web", 3*time.Hour, "holding 1a out until the vendor confirms"); err != nil {
		t.Fatal(err)
	}
	r.pump()
	if err := r.sim.CloseHealthEvent(arn); err != nil {
		t.Fatal(err)
	}
	r.pump()
	held := actionOf(t, r.actions(), notify.ActionSkip)
	if held.Details["reason"] != string(rebalance.SkipHeldByZonalShift) || !strings.Contains(held.Reason, "vendor confirms") {
		t.Errorf("skip %+v: want the restore held by the person's shift, named", held)
	}
	n := len(r.messages())
	for i := range 3 {
		r.sim.Advance(5 * time.Minute)
		if err := r.deliver(r.tick("tick-" + string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.messages()) != n {
		t.Errorf("the hold was notified again on the schedule: %v", kinds(r.actions()))
	}
	if err := r.sim.CancelZonalShiftOf(region, "web"); err != nil {
		t.Fatal(err)
	}
	r.pump()
	if len(r.errs) > 0 {
		t.Fatalf("function errors: %v", r.errs)
	}
	last := r.actions()[len(r.actions())-1]
	if last.Kind != notify.ActionRestore || !strings.Contains(last.Summary, "already ended") {
		t.Errorf("last action %+v, want the restore once the person's shift ended", last)
	}
	if diff := cmp.Diff([]string{"StartZonalShift"}, r.arcWrites()); diff != "" {
		t.Errorf("selfheal's ARC writes (-want +got):\n%s", diff)
	}
	if records, _ := r.store.Evacuations(ctx, "web"); len(records) != 0 {
		t.Errorf("ledger not cleared: %+v", records)
	}
}

// A shift a person started on the group wins: selfheal starts none of its
// own over it and says why.
func TestZonalShiftRespectsAPersonsShift(t *testing.T) {
	r := newRig(t, nil)
	r.enrolled("web", 6, astypes.ImpairedZoneHealthCheckBehaviorIgnoreUnhealthy)
	if _, err := r.sim.StartZonalShiftOf(region, "web", azB, 2*time.Hour, "db migration in 1b"); err != nil {
		t.Fatal(err)
	}
	r.pump()
	r.sim.RaiseAZIssue(region, azA, "EC2")
	r.pump()
	skip := actionOf(t, r.actions(), notify.ActionSkip)
	if skip.Details["reason"] != string(rebalance.SkipHeldByZonalShift) || !strings.Contains(skip.Reason, "db migration") {
		t.Errorf("skip %+v: want the person's shift named", skip)
	}
	if w := r.arcWrites(); len(w) != 0 {
		t.Errorf("selfheal wrote to ARC: %v", w)
	}
}
