package awssim_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	arctypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/eventbridge"
)

// enrolled creates a group with zonal shift enabled (so registered with
// ARC) and returns its ARN.
func enrolled(t *testing.T, sim *awssim.Sim, name string, behavior astypes.ImpairedZoneHealthCheckBehavior, minSize, maxSize, desired int32) string {
	t.Helper()
	in := groupInput(sim, name, minSize, maxSize, desired, azA, azB, azC)
	in.AvailabilityZoneImpairmentPolicy = &astypes.AvailabilityZoneImpairmentPolicy{
		ZonalShiftEnabled: aws.Bool(true), ImpairedZoneHealthCheckBehavior: behavior,
	}
	newGroup(t, sim, autoscaling.NewFromConfig(sim.Config(region)), in)
	g, _ := sim.Group(region, name)
	return g.ARN
}

func azID(t *testing.T, sim *awssim.Sim, name string) string {
	t.Helper()
	for _, az := range sim.AZs(region) {
		if az.Name == name {
			return az.ID
		}
	}
	t.Fatalf("no AZ %s", name)
	return ""
}

// Only groups with zonal shift enabled are managed resources, listed with
// their AZ ids and weights; the API refuses what AWS refuses, with its
// typed errors and reasons.
func TestZonalShiftValidation(t *testing.T) {
	sim := awssim.New()
	arc := arczonalshift.NewFromConfig(sim.Config(region))
	arn := enrolled(t, sim, "web", astypes.ImpairedZoneHealthCheckBehaviorReplaceUnhealthy, 3, 3, 3)
	newGroup(t, sim, autoscaling.NewFromConfig(sim.Config(region)), groupInput(sim, "plain", 1, 1, 1, azA))
	plain, _ := sim.Group(region, "plain")

	list, err := arc.ListManagedResources(ctx, &arczonalshift.ListManagedResourcesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || aws.ToString(list.Items[0].Arn) != arn || aws.ToString(list.Items[0].Name) != "web" {
		t.Fatalf("managed resources %+v, want the enrolled group only", list.Items)
	}
	ids := []string{azID(t, sim, azA), azID(t, sim, azB), azID(t, sim, azC)}
	slices.Sort(ids)
	if diff := cmp.Diff(ids, list.Items[0].AvailabilityZones); diff != "" {
		t.Errorf("availabilityZones are the AZ ids (-want +got):\n%s", diff)
	}

	start := func(resource, away, expires string) error {
		_, err := arc.StartZonalShift(ctx, &arczonalshift.StartZonalShiftInput{
			ResourceIdentifier: aws.String(resource), AwayFrom: aws.String(away), ExpiresIn: aws.String(expires), Comment: aws.String("test"),
		})
		return err
	}
	a := azID(t, sim, azA)
	var notFound *arctypes.ResourceNotFoundException
	var validation *arctypes.ValidationException
	var conflict *arctypes.ConflictException
	cases := []struct {
		name   string
		err    error
		target any
		reason string
	}{
		{"not an ARN", start("web", a, "1h"), &validation, string(arctypes.ValidationExceptionReasonInvalidResourceIdentifier)},
		{"group without zonal shift", start(plain.ARN, a, "1h"), &notFound, ""},
		{"AZ name instead of id", start(arn, azA, "1h"), &validation, string(arctypes.ValidationExceptionReasonInvalidAz)},
		{"expiry in days", start(arn, a, "3d"), &validation, string(arctypes.ValidationExceptionReasonInvalidExpiresIn)},
		{"expiry over 72 hours", start(arn, a, "73h"), &validation, string(arctypes.ValidationExceptionReasonInvalidExpiresIn)},
		{"expiry of zero", start(arn, a, "0m"), &validation, string(arctypes.ValidationExceptionReasonInvalidExpiresIn)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !errors.As(c.err, c.target) {
				t.Fatalf("err = %v, want %T", c.err, c.target)
			}
			if validation != nil && c.reason != "" && string(validation.Reason) != c.reason {
				t.Errorf("reason %s, want %s", validation.Reason, c.reason)
			}
		})
	}
	if err := start(arn, a, "4320m"); err != nil {
		t.Fatalf("72 hours in minutes: %v", err)
	}
	err = start(arn, azID(t, sim, azB), "1h")
	if !errors.As(err, &conflict) || conflict.Reason != arctypes.ConflictExceptionReasonZonalShiftAlreadyExists {
		t.Errorf("second customer shift: err = %v, want ConflictException ZonalShiftAlreadyExists", err)
	}
	_, err = arc.CancelZonalShift(ctx, &arczonalshift.CancelZonalShiftInput{ZonalShiftId: aws.String("nope")})
	if !errors.As(err, &notFound) {
		t.Errorf("cancel unknown shift: err = %v, want ResourceNotFoundException", err)
	}
}

// A customer's shift: the group launches nothing in the AZ while it holds,
// the shift is extended from now by an update, expires by itself, and a
// cancelled shift cannot be cancelled again. Each change emits its event,
// and every event decodes as the catalogue's samples do.
func TestZonalShiftLifecycleAndEvents(t *testing.T) {
	sim := awssim.New()
	arc := arczonalshift.NewFromConfig(sim.Config(region))
	arn := enrolled(t, sim, "web", astypes.ImpairedZoneHealthCheckBehaviorReplaceUnhealthy, 6, 6, 6)
	a := azID(t, sim, azA)
	sim.DrainEvents()

	out, err := arc.StartZonalShift(ctx, &arczonalshift.StartZonalShiftInput{
		ResourceIdentifier: aws.String(arn), AwayFrom: aws.String(a), ExpiresIn: aws.String("30m"), Comment: aws.String("selfheal"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != arctypes.ZonalShiftStatusActive || !out.ExpiryTime.Equal(sim.Now().Add(30*time.Minute)) {
		t.Errorf("started %s expiring %v, want ACTIVE expiring in 30m", out.Status, out.ExpiryTime)
	}
	got, err := arc.GetManagedResource(ctx, &arczonalshift.GetManagedResourceInput{ResourceIdentifier: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ZonalShifts) != 1 || got.ZonalShifts[0].AppliedStatus != arctypes.AppliedStatusApplied || got.ZonalShifts[0].ShiftType != arctypes.ShiftTypeZonalShift {
		t.Errorf("zonal shifts in resource %+v, want the one shift, applied", got.ZonalShifts)
	}
	if got.AppliedWeights[a] != 0 || got.AppliedWeights[azID(t, sim, azB)] != 1 {
		t.Errorf("applied weights %v, want 0 for %s", got.AppliedWeights, a)
	}

	// The group scales out: everything new goes to the other AZs.
	client := autoscaling.NewFromConfig(sim.Config(region))
	if _, err := client.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("web"), MaxSize: aws.Int32(9), DesiredCapacity: aws.Int32(9),
	}); err != nil {
		t.Fatal(err)
	}
	sim.Settle(20 * time.Minute)
	if c := sim.GroupAZCounts(region, "web"); c[azA] != 2 || inService(c) != 9 {
		t.Errorf("in service per AZ %v: want the 3 new instances outside %s", c, azA)
	}

	// Extended: the new expiry counts from now.
	sim.Advance(25 * time.Minute)
	upd, err := arc.UpdateZonalShift(ctx, &arczonalshift.UpdateZonalShiftInput{ZonalShiftId: out.ZonalShiftId, ExpiresIn: aws.String("1h")})
	if err != nil {
		t.Fatal(err)
	}
	if !upd.ExpiryTime.Equal(sim.Now().Add(time.Hour)) {
		t.Errorf("updated expiry %v, want now + 1h", upd.ExpiryTime)
	}
	sim.Advance(59 * time.Minute)
	if s := sim.ZonalShifts(region)[0]; s.Status != "ACTIVE" {
		t.Fatalf("status %s a minute before the extended expiry", s.Status)
	}
	sim.Advance(2 * time.Minute)
	if s := sim.ZonalShifts(region)[0]; s.Status != "EXPIRED" {
		t.Fatalf("status %s after the expiry, want EXPIRED", s.Status)
	}
	// Free again: AZRebalance evens the group out into the AZ.
	sim.Settle(30 * time.Minute)
	if diff := cmp.Diff(counts(3, 3, 3), sim.GroupAZCounts(region, "web")); diff != "" {
		t.Errorf("after the shift expired (-want +got):\n%s", diff)
	}
	var conflict *arctypes.ConflictException
	_, err = arc.CancelZonalShift(ctx, &arczonalshift.CancelZonalShiftInput{ZonalShiftId: out.ZonalShiftId})
	if !errors.As(err, &conflict) || conflict.Reason != arctypes.ConflictExceptionReasonZonalShiftStatusNotActive {
		t.Errorf("cancel an expired shift: err = %v, want ConflictException ZonalShiftStatusNotActive", err)
	}

	var types []string
	for _, e := range sim.DrainEvents() {
		if e.Source != "aws.arc-zonal-shift" {
			continue
		}
		types = append(types, e.DetailType)
		ev, err := eventbridge.Decode(e.JSON)
		if err != nil {
			t.Errorf("%s does not decode: %v", e.DetailType, err)
			continue
		}
		if m, ok := ev.Detail.(*eventbridge.ManualShiftEvent); !ok || m.AwayFrom != a {
			t.Errorf("%s decodes to %#v, want a manual shift away from %s", e.DetailType, ev.Detail, a)
		}
		sample, err := events.Sample("aws.arc-zonal-shift/" + events.Kebab(e.DetailType) + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(shapeOf(t, sample), shapeOf(t, e.JSON)); diff != "" {
			t.Errorf("%s has not the catalogue's shape (-sample +sim):\n%s", e.DetailType, diff)
		}
	}
	if diff := cmp.Diff([]string{"Manual Shift Started", "Manual Shift Updated"}, types); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// ARC's precedence: a customer's shift interrupts a practice run and
// cancels an FIS experiment's shift, each with its event; a practice run
// does not start over a customer's shift. A practice run that is left
// alone succeeds after 30 minutes.
func TestZonalShiftPrecedence(t *testing.T) {
	sim := awssim.New()
	arc := arczonalshift.NewFromConfig(sim.Config(region))
	arn := enrolled(t, sim, "web", astypes.ImpairedZoneHealthCheckBehaviorReplaceUnhealthy, 3, 3, 3)
	sim.DrainEvents()

	if _, err := sim.StartPracticeRun(region, "web", azB); err != nil {
		t.Fatal(err)
	}
	sim.Advance(31 * time.Minute)
	fis, err := sim.StartFISShift(region, "web", azC, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.StartPracticeRun(region, "web", azB); err == nil {
		t.Error("a practice run started over an FIS experiment's shift")
	}
	out, err := arc.StartZonalShift(ctx, &arczonalshift.StartZonalShiftInput{
		ResourceIdentifier: aws.String(arn), AwayFrom: aws.String(azID(t, sim, azA)), ExpiresIn: aws.String("2h"), Comment: aws.String("person"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.StopFISShift(fis); err == nil {
		t.Error("stopped an FIS shift the customer's shift had already cancelled")
	}
	if _, err := sim.StartPracticeRun(region, "web", azB); err == nil {
		t.Error("a practice run started over a customer's shift")
	}
	list, err := arc.ListZonalShifts(ctx, &arczonalshift.ListZonalShiftsInput{Status: arctypes.ZonalShiftStatusActive})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || aws.ToString(list.Items[0].ZonalShiftId) != aws.ToString(out.ZonalShiftId) {
		t.Errorf("active shifts %+v, want the customer's only", list.Items)
	}
	var kinds []string
	for _, e := range sim.DrainEvents() {
		kinds = append(kinds, e.DetailType)
		if _, err := eventbridge.Decode(e.JSON); err != nil {
			t.Errorf("%s does not decode: %v", e.DetailType, err)
		}
	}
	want := []string{"Practice Run Started", "Practice Run Succeeded", "FIS Experiment Autoshift In Progress",
		"FIS Experiment Autoshift Canceled", "Manual Shift Started"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	var all []string
	for _, z := range sim.ZonalShifts(region) {
		all = append(all, z.Type+" "+z.Status+" "+z.Outcome)
	}
	if diff := cmp.Diff([]string{"PRACTICE_RUN EXPIRED SUCCEEDED", "FIS_EXPERIMENT CANCELED ", "ZONAL_SHIFT ACTIVE "}, all); diff != "" {
		t.Errorf("shifts (-want +got):\n%s", diff)
	}
}

// The group's impairment policy decides what happens to unhealthy
// instances in the shifted-away AZ: ReplaceUnhealthy replaces them in the
// other AZs, IgnoreUnhealthy leaves them.
func TestZonalShiftHealthCheckBehavior(t *testing.T) {
	for _, tt := range []struct {
		behavior astypes.ImpairedZoneHealthCheckBehavior
		want     map[string]int
		inA      int // instances left in us-east-1a, healthy or not
	}{
		{astypes.ImpairedZoneHealthCheckBehaviorReplaceUnhealthy, counts(0, 3, 3), 0},
		{astypes.ImpairedZoneHealthCheckBehaviorIgnoreUnhealthy, counts(2, 2, 2), 2}, // in service, unhealthy
	} {
		t.Run(string(tt.behavior), func(t *testing.T) {
			sim := awssim.New()
			arn := enrolled(t, sim, "web", tt.behavior, 6, 6, 6)
			arc := arczonalshift.NewFromConfig(sim.Config(region))
			if _, err := arc.StartZonalShift(ctx, &arczonalshift.StartZonalShiftInput{
				ResourceIdentifier: aws.String(arn), AwayFrom: aws.String(azID(t, sim, azA)), ExpiresIn: aws.String("3h"), Comment: aws.String("x"),
			}); err != nil {
				t.Fatal(err)
			}
			sim.ImpairAZ(region, azA)
			sim.Settle(time.Hour)
			if diff := cmp.Diff(tt.want, sim.GroupAZCounts(region, "web")); diff != "" {
				t.Errorf("in service per AZ (-want +got):\n%s", diff)
			}
			g, _ := sim.Group(region, "web")
			n := 0
			for _, in := range g.Instances {
				if in.AZ == azA {
					n++
					if in.Healthy {
						t.Errorf("%s in the impaired AZ is healthy", in.ID)
					}
				}
			}
			if n != tt.inA {
				t.Errorf("%d instances left in %s, want %d", n, azA, tt.inA)
			}
		})
	}
}

// shapeOf is the JSON shape of an event (see jsonShape).
func shapeOf(t *testing.T, raw []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return jsonShape(v)
}
