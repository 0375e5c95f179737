package rebalance_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/config"
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

// azAlarm is an ALB unhealthy-hosts alarm on one AZ, marked as an AZ
// signal when tags say so.
func azAlarm(name string, dims map[string]string, tags map[string]string) *cloudwatch.PutMetricAlarmInput {
	in := &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(name), Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("UnHealthyHostCount"),
		Statistic: cwtypes.StatisticMaximum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(3), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
	}
	for k, v := range dims {
		in.Dimensions = append(in.Dimensions, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(v)})
	}
	for k, v := range tags {
		in.Tags = append(in.Tags, cwtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return in
}

func (r *rig) alarm(name string, st cwtypes.StateValue) {
	r.t.Helper()
	if err := r.sim.SetAlarmState(region, name, st, "test"); err != nil {
		r.t.Fatal(err)
	}
	if n := r.pump(); n != 1 {
		r.t.Fatalf("%d events delivered for alarm %s → %s, want 1", n, name, st)
	}
	if len(r.errs) > 0 {
		r.t.Fatalf("function errors: %v", r.errs)
	}
}

// An alarm on the AZ's unhealthy hosts evacuates; OK restores only once it
// has stayed OK for the hysteresis. A flap ALARM/OK/ALARM within it neither
// restores nor evacuates a second time. CloudWatch sends nothing while an
// alarm stays OK, so the restore comes from the next invocation: here the
// schedule that production fires every few minutes.
func TestAlarmFlappingWithinTheHysteresis(t *testing.T) {
	r := newRig(t, nil) // hysteresis 10m
	r.group("web", 6, 6, 6, abc)
	before := r.snapshot("web")
	const name = "web-unhealthy-hosts-us-east-1a"
	if err := r.sim.PutMetricAlarm(region, azAlarm(name,
		map[string]string{"AvailabilityZone": azA, "LoadBalancer": "app/web/50dc6c495c0c9188"},
		map[string]string{"selfheal:az-signal": "true"})); err != nil {
		t.Fatal(err)
	}
	updates := func() int { return len(r.asgWrites("UpdateAutoScalingGroup")) }

	r.alarm(name, cwtypes.StateValueAlarm)
	if updates() != 1 || !slices.Equal(r.snapshot("web").Subnets, before.Subnets[1:]) {
		t.Fatalf("ALARM: %d updates, subnets %v; want the evacuation", updates(), r.snapshot("web").Subnets)
	}
	r.sim.Advance(2 * time.Minute)
	r.alarm(name, cwtypes.StateValueOk)
	r.sim.Advance(3 * time.Minute)
	r.alarm(name, cwtypes.StateValueAlarm)
	r.sim.Advance(3 * time.Minute)
	r.alarm(name, cwtypes.StateValueOk)
	if updates() != 1 {
		t.Errorf("the flap made %d group updates, want the one evacuation", updates())
	}
	if diff := cmp.Diff([]string{"EVACUATE/DONE"}, kinds(r.actions())); diff != "" {
		t.Errorf("notified (-want +got):\n%s", diff)
	}

	// The schedule fires 9 minutes after the last OK: still held.
	r.sim.Advance(9 * time.Minute)
	if err := r.deliver(r.tick("tick-1")); err != nil {
		t.Fatal(err)
	}
	if updates() != 1 {
		t.Fatalf("restored %d minutes into a %s hysteresis", 9, 10*time.Minute)
	}
	r.sim.Advance(time.Minute)
	if err := r.deliver(r.tick("tick-2")); err != nil {
		t.Fatal(err)
	}
	after := r.snapshot("web")
	if updates() != 2 || !slices.Equal(after.Subnets, before.Subnets) || after.Max != before.Max {
		t.Errorf("after 10 minutes OK: %d updates, subnets %v, MaxSize %d; want the restore to %v and %d",
			updates(), after.Subnets, after.Max, before.Subnets, before.Max)
	}
	if diff := cmp.Diff([]string{"EVACUATE/DONE", "RESTORE/DONE"}, kinds(r.actions())); diff != "" {
		t.Errorf("notified (-want +got):\n%s", diff)
	}
}

// Both an alarm and a Health issue hold us-east-1a: the alarm's recovery
// alone must not bring capacity back while Health still reports the issue.
func TestRestoreWaitsForEverySignal(t *testing.T) {
	r := newRig(t, func(p *config.Policy) { p.Rebalance.RecoveryHysteresis = config.Dur(0) })
	r.group("web", 6, 6, 6, abc)
	const name = "web-unhealthy-hosts-us-east-1a"
	if err := r.sim.PutMetricAlarm(region, azAlarm(name, map[string]string{"AvailabilityZone": azA}, map[string]string{"selfheal:az-signal": "true"})); err != nil {
		t.Fatal(err)
	}
	r.alarm(name, cwtypes.StateValueAlarm)
	arn := r.sim.RaiseAZIssue(region, azA, "EC2")
	r.pump()
	r.alarm(name, cwtypes.StateValueOk)
	if n := len(r.asgWrites("UpdateAutoScalingGroup")); n != 1 {
		t.Fatalf("%d group updates while Health still holds the AZ, want 1", n)
	}
	if err := r.sim.CloseHealthEvent(arn); err != nil {
		t.Fatal(err)
	}
	r.pump()
	if n := len(r.asgWrites("UpdateAutoScalingGroup")); n != 2 {
		t.Errorf("%d group updates once every signal ended, want the restore (2)", n)
	}
	want := []string{"EVACUATE/DONE", "SKIP/SKIPPED already-evacuated", "RESTORE/DONE"}
	if diff := cmp.Diff(want, kinds(r.actions())); diff != "" {
		t.Errorf("notified (-want +got):\n%s", diff)
	}
}

// healthEventFor builds the account-specific Health issue sample naming
// the given instances.
func healthEventFor(t *testing.T, id string, instances ...string) []byte {
	t.Helper()
	raw := sample(t, "aws.health/aws-health-event--ec2-issue-account.json", id)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var entities []any
	for _, in := range instances {
		entities = append(entities, map[string]any{"entityValue": in, "status": "IMPAIRED", "lastUpdatedTime": "Wed, 04 Mar 2026 09:10:00 GMT"})
	}
	detail := m["detail"].(map[string]any)
	detail["affectedEntities"] = entities
	detail["eventArn"] = "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_" + id
	m["resources"] = instances
	out, _ := json.Marshal(m)
	return out
}

func instancesIn(g awssim.Group, azs ...string) []string {
	var ids []string
	for _, in := range g.Instances {
		if slices.Contains(azs, in.AZ) {
			ids = append(ids, in.ID)
		}
	}
	return ids
}

// Each case is a skip with its reason, notified, and no Auto Scaling write.
func TestSkipsWriteNothing(t *testing.T) {
	tests := []struct {
		name   string
		policy func(*config.Policy)
		setup  func(r *rig)
		event  func(t *testing.T, r *rig) []byte
		reason rebalance.SkipReason
	}{
		{
			name:   "single-AZ group",
			setup:  func(r *rig) { r.group("web", 2, 2, 2, []string{azA}) },
			reason: rebalance.SkipSingleAZ,
		},
		{
			name:  "two impaired AZs would leave one, fewer than minHealthyAZs = 2",
			setup: func(r *rig) { r.group("web", 6, 6, 6, abc) },
			event: func(t *testing.T, r *rig) []byte {
				return healthEventFor(t, "two-azs", instancesIn(r.snapshot("web"), azA, azB)...)
			},
			reason: rebalance.SkipMinHealthyAZs,
		},
		{
			name: "instance refresh in progress",
			setup: func(r *rig) {
				r.group("web", 6, 6, 6, abc)
				if _, err := r.sim.StartInstanceRefresh(region, "web"); err != nil {
					r.t.Fatal(err)
				}
			},
			reason: rebalance.SkipRefreshInProgress,
		},
		{
			name:   "not opted in",
			setup:  func(r *rig) { r.group("web", 6, 6, 6, abc, "team=web") },
			reason: rebalance.SkipNotOptedIn,
		},
		{
			name:   "excluded",
			setup:  func(r *rig) { r.group("web", 6, 6, 6, abc, "selfheal:managed=true", "selfheal:exclude=true") },
			reason: rebalance.SkipExcluded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.policy)
			tt.setup(r)
			if tt.event != nil {
				if err := r.deliver(tt.event(t, r)); err != nil {
					t.Fatal(err)
				}
			} else {
				r.sim.RaiseAZIssue(region, azA, "EC2")
				r.pump()
			}
			if len(r.errs) > 0 {
				t.Fatalf("function errors: %v", r.errs)
			}
			if diff := cmp.Diff([]string{"SKIP/SKIPPED " + string(tt.reason)}, kinds(r.actions())); diff != "" {
				t.Errorf("notified (-want +got):\n%s", diff)
			}
			if a := r.actions()[0]; a.Reason == "" || a.Resource == "" {
				t.Errorf("skip %+v does not say why or of what", a)
			}
			if w := r.asgWrites(); len(w) != 0 {
				t.Errorf("Auto Scaling writes: %v", w)
			}
			if recs, _ := r.store.Evacuations(ctx, "web"); len(recs) != 0 {
				t.Errorf("ledger records written: %+v", recs)
			}
		})
	}
}

// A second AZ going bad after the first was evacuated: with minHealthyAZs
// = 2 the group keeps its two remaining AZs and says why.
func TestSecondImpairedAZIsSkipped(t *testing.T) {
	r := newRig(t, nil)
	r.group("web", 6, 6, 6, abc)
	r.sim.RaiseAZIssue(region, azA, "EC2")
	r.pump()
	r.watch(30*time.Minute, func() {}, func() bool { return r.settled("web", map[string]int{azA: 0, azB: 3, azC: 3}) })
	writes := len(r.asgWrites())
	r.sim.RaiseAZIssue(region, azB, "EC2")
	r.pump()
	if n := len(r.asgWrites()); n != writes {
		t.Errorf("%d Auto Scaling writes for the second AZ", n-writes)
	}
	got := kinds(r.actions())
	if diff := cmp.Diff([]string{"EVACUATE/DONE", "SKIP/SKIPPED min-healthy-azs"}, got); diff != "" {
		t.Errorf("notified (-want +got):\n%s", diff)
	}
}

// Every event delivered three times, interleaved with the others, and the
// Health issue once more under a new event id: one evacuation, one
// notification per event that has something to say.
func TestDuplicatesEvacuateOnce(t *testing.T) {
	r := newRig(t, nil)
	r.group("web", 6, 6, 6, abc)
	const name = "web-unhealthy-hosts-us-east-1a"
	if err := r.sim.PutMetricAlarm(region, azAlarm(name, map[string]string{"AvailabilityZone": azA}, map[string]string{"selfheal:az-signal": "true"})); err != nil {
		t.Fatal(err)
	}
	r.sim.RaiseAZIssue(region, azA, "EC2")
	health := r.lastEvent("AWS Health Event")
	if err := r.sim.SetAlarmState(region, name, cwtypes.StateValueAlarm, "test"); err != nil {
		t.Fatal(err)
	}
	alarm := r.lastEvent("CloudWatch Alarm State Change")
	r.sim.DrainEvents()
	for range 3 {
		for _, raw := range [][]byte{health, alarm} {
			if err := r.deliver(raw); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := r.deliver(withID(t, health, "another-delivery")); err != nil {
		t.Fatal(err)
	}
	if n := len(r.asgWrites("UpdateAutoScalingGroup")); n != 1 {
		t.Errorf("%d group updates, want 1", n)
	}
	if diff := cmp.Diff([]string{"EVACUATE/DONE", "SKIP/SKIPPED already-evacuated"}, kinds(r.actions())); diff != "" {
		t.Errorf("notified (-want +got):\n%s", diff)
	}
	if n := len(r.messages()); n != 2 {
		t.Errorf("%d notifications, want 2 (the evacuation; the alarm joining it)", n)
	}
}

// The restore dies at each of its writes and the closed event comes again:
// the group ends as an uninterrupted restore leaves it, each write once.
func TestCrashDuringRestoreThenRetry(t *testing.T) {
	faults := []awssim.Fault{
		{Service: awssim.ServiceAutoScaling, Operation: "UpdateAutoScalingGroup"},
		{Service: awssim.ServiceAutoScaling, Operation: "DeleteTags"},
		{Service: awssim.ServiceDynamoDB, Operation: "DeleteItem"}, // clearing the ledger record
	}
	for _, f := range faults {
		t.Run("fails at "+f.Operation, func(t *testing.T) {
			r := newRig(t, nil)
			r.group("web", 6, 6, 6, abc)
			before := r.snapshot("web")
			arn := r.sim.RaiseAZIssue(region, azA, "EC2")
			r.pump()
			if err := r.sim.CloseHealthEvent(arn); err != nil {
				t.Fatal(err)
			}
			closed := r.lastEvent("AWS Health Event")
			r.sim.DrainEvents()
			updates := len(r.asgWrites("UpdateAutoScalingGroup"))

			f.Code, f.Count = "InternalFailure", rebalance.MaxAttempts
			remove := r.sim.InjectFault(f)
			if err := r.deliver(closed); err == nil {
				t.Fatal("the failed restore returned no error: Lambda would not retry it")
			}
			remove()
			for range 2 {
				if err := r.deliver(closed); err != nil {
					t.Fatalf("retry: %v", err)
				}
			}
			g := r.snapshot("web")
			if !slices.Equal(g.Subnets, before.Subnets) || g.Max != before.Max || g.Tags[rebalance.TagEvacuatedFrom] != "" {
				t.Errorf("after the retry: subnets %v MaxSize %d tag %q, want %v, %d, none", g.Subnets, g.Max, g.Tags[rebalance.TagEvacuatedFrom], before.Subnets, before.Max)
			}
			if n := len(r.asgWrites("UpdateAutoScalingGroup")) - updates; n != 1 {
				t.Errorf("the restore updated the group %d times, want once", n)
			}
			if n := len(r.asgWrites("DeleteTags")); n != 1 {
				t.Errorf("the tag was deleted %d times, want once", n)
			}
			if recs, _ := r.store.Evacuations(ctx, "web"); len(recs) != 0 {
				t.Errorf("ledger not cleared: %+v", recs)
			}
		})
	}
}

// The seed's story with 30 % throttling and 5 % server errors on every
// call of every service. The SDK retries; an event that still fails is
// delivered again, as Lambda does. The end is the same as without faults.
func TestSeedStoryUnderFaults(t *testing.T) {
	r := newRig(t, nil)
	r.group("web", 6, 6, 6, abc)
	before := r.snapshot("web")
	r.sim.InjectFault(awssim.Fault{Code: "Throttling", Probability: 0.30})
	r.sim.InjectFault(awssim.Fault{Code: "InternalFailure", Probability: 0.05})
	deliver := func(raw []byte) {
		t.Helper()
		for attempt := 1; ; attempt++ {
			err := r.deliver(raw)
			if err == nil {
				return
			}
			if attempt == 20 {
				t.Fatalf("still failing after %d deliveries: %v", attempt, err)
			}
		}
	}
	arn := r.sim.RaiseAZIssue(region, azA, "EC2")
	deliver(r.lastEvent("AWS Health Event"))
	r.sim.DrainEvents()
	ev := r.snapshot("web")
	if !slices.Equal(ev.Subnets, before.Subnets[1:]) || ev.Max != 8 {
		t.Fatalf("evacuated: subnets %v MaxSize %d", ev.Subnets, ev.Max)
	}
	r.sim.Settle(30 * time.Minute)
	if err := r.sim.CloseHealthEvent(arn); err != nil {
		t.Fatal(err)
	}
	deliver(r.lastEvent("AWS Health Event"))
	r.sim.ClearFaults()
	back := r.snapshot("web")
	if !slices.Equal(back.Subnets, before.Subnets) || back.Max != 6 || back.Tags[rebalance.TagEvacuatedFrom] != "" {
		t.Errorf("restored: subnets %v MaxSize %d tag %q", back.Subnets, back.Max, back.Tags[rebalance.TagEvacuatedFrom])
	}
	for _, op := range []string{"UpdateAutoScalingGroup", "CreateOrUpdateTags", "DeleteTags"} {
		want := map[string]int{"UpdateAutoScalingGroup": 2, "CreateOrUpdateTags": 1, "DeleteTags": 1}[op]
		if n := len(r.asgWrites(op)); n != want {
			t.Errorf("%s succeeded %d times, want %d", op, n, want)
		}
	}
	var done []string
	for _, a := range r.actions() {
		if a.Outcome == notify.OutcomeDone {
			done = append(done, string(a.Kind))
		}
	}
	if diff := cmp.Diff([]string{"EVACUATE", "RESTORE"}, done); diff != "" {
		t.Errorf("actions notified done (-want +got):\n%s", diff)
	}
	var attempts, failed int
	for _, c := range r.sim.Calls() {
		attempts++
		if c.Err != nil {
			failed++
		}
	}
	t.Logf("%d call attempts, %d failed by injection", attempts, failed)
}

// An AZ event meets a busy control plane: a read throttled through the
// functions' usual attempts is retried inside the invocation, so the group
// is evacuated now, not a minute later on Lambda's retry while the AZ
// takes its instances down.
func TestThrottledReadDoesNotDelayEvacuation(t *testing.T) {
	r := newRig(t, nil)
	r.group("web", 6, 6, 6, abc)
	r.sim.RaiseAZIssue(region, azA, "EC2")
	raw := r.lastEvent("AWS Health Event")
	r.sim.InjectFault(awssim.Fault{Service: awssim.ServiceAutoScaling, Operation: "DescribeInstanceRefreshes", Code: "Throttling", Count: rebalance.MaxAttempts - 1})
	if err := r.deliver(raw); err != nil {
		t.Fatalf("evacuation with a throttled read: %v", err)
	}
	if g := r.snapshot("web"); g.Tags[rebalance.TagEvacuatedFrom] != azA {
		t.Errorf("group after the event: tag %q, want evacuated from %s", g.Tags[rebalance.TagEvacuatedFrom], azA)
	}
	if rebalance.MaxAttempts <= awssim.MaxAttempts {
		t.Errorf("rebalancer tries %d times, no more than the usual %d", rebalance.MaxAttempts, awssim.MaxAttempts)
	}
}

// The function dies after the ledger write, at the group update or at the
// tag, and Lambda runs the event again: the final state is the one an
// uninterrupted run gives, with no write made twice.
func TestCrashThenRetryFinishesOnce(t *testing.T) {
	for _, op := range []string{"UpdateAutoScalingGroup", "CreateOrUpdateTags"} {
		t.Run("fails at "+op, func(t *testing.T) {
			r := newRig(t, nil)
			r.group("web", 6, 6, 6, abc)
			before := r.snapshot("web")
			r.sim.RaiseAZIssue(region, azA, "EC2")
			raw := r.lastEvent("AWS Health Event")

			remove := r.sim.InjectFault(awssim.Fault{Service: awssim.ServiceAutoScaling, Operation: op, Code: "InternalFailure", Count: rebalance.MaxAttempts})
			if err := r.deliver(raw); err == nil {
				t.Fatal("the failed run returned no error: Lambda would not retry it")
			}
			remove()
			recs, err := r.store.Evacuations(ctx, "web")
			if err != nil || len(recs) != 1 {
				t.Fatalf("ledger after the crash: %+v %v, want the record written first", recs, err)
			}
			if err := r.deliver(raw); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if err := r.deliver(raw); err != nil { // and a duplicate after it
				t.Fatal(err)
			}

			for _, op := range []string{"UpdateAutoScalingGroup", "CreateOrUpdateTags"} {
				if n := len(r.asgWrites(op)); n != 1 {
					t.Errorf("%s succeeded %d times, want once", op, n)
				}
			}
			g := r.snapshot("web")
			if !slices.Equal(g.Subnets, before.Subnets[1:]) || g.Max != 8 || g.Tags[rebalance.TagEvacuatedFrom] != azA {
				t.Errorf("group after the retry: subnets %v MaxSize %d tag %q", g.Subnets, g.Max, g.Tags[rebalance.TagEvacuatedFrom])
			}
			recs, _ = r.store.Evacuations(ctx, "web")
			if len(recs) != 1 || !slices.Equal(recs[0].OriginalSubnets, before.Subnets) || recs[0].OriginalMaxSize != 6 {
				t.Errorf("ledger %+v, want the one original record", recs)
			}
			b, _ := r.store.LoadBreaker(ctx, time.Hour)
			if len(b.Evacuations) != 1 {
				t.Errorf("breaker counted %d evacuations, want 1", len(b.Evacuations))
			}
			// The failure was reported, then the evacuation once done.
			if diff := cmp.Diff([]string{"EVACUATE/FAILED", "EVACUATE/DONE"}, kinds(r.actions())); diff != "" {
				t.Errorf("notified (-want +got):\n%s", diff)
			}
		})
	}
}

// A dry run reads what a real run reads, writes nothing to Auto Scaling
// nor to the ledger, and reports the same plan as PLANNED.
func TestDryRunReportsTheSamePlan(t *testing.T) {
	run := func(dry bool) (*rig, []notify.Action) {
		r := newRig(t, func(p *config.Policy) { p.DryRun = dry })
		r.group("web", 6, 6, 6, abc)
		r.group("solo", 2, 2, 2, []string{azA})
		r.sim.RaiseAZIssue(region, azA, "EC2")
		r.pump()
		if len(r.errs) > 0 {
			t.Fatalf("function errors: %v", r.errs)
		}
		return r, r.actions()
	}
	dry, planned := run(true)
	_, done := run(false)
	if w := dry.asgWrites(); len(w) != 0 {
		t.Errorf("dry run wrote to Auto Scaling: %v", w)
	}
	if recs, _ := dry.store.Evacuations(ctx, "web"); len(recs) != 0 {
		t.Errorf("dry run wrote the ledger: %+v", recs)
	}
	if !dry.messages()[0].DryRun {
		t.Error("the dry run's message is not marked dryRun")
	}
	for i := range done {
		if done[i].Outcome == notify.OutcomeDone {
			done[i].Outcome = notify.OutcomePlanned
		}
	}
	if diff := cmp.Diff(done, planned); diff != "" {
		t.Errorf("dry-run plan differs from the real run's (-real +dry):\n%s", diff)
	}
}

// When the AZ cannot be told for sure, the function says so and does
// nothing else.
func TestUnresolvedAZNotifiesAndWritesNothing(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *rig)
		event func(t *testing.T, r *rig) []byte
	}{
		{
			name:  "public Health issue without entities, no Business support",
			setup: func(r *rig) { r.sim.SetSupportPlan(awssim.SupportBasic) },
			event: func(t *testing.T, r *rig) []byte {
				return sample(t, "aws.health/aws-health-event--ec2-issue-public.json", "public-1")
			},
		},
		{
			name:  "Health issue whose instances are all gone, no Business support",
			setup: func(r *rig) { r.sim.SetSupportPlan(awssim.SupportDeveloper) },
			event: func(t *testing.T, r *rig) []byte {
				return healthEventFor(t, "gone-1", "i-0123456789abcdef0")
			},
		},
		{
			name: "alarm without an AZ dimension or tag",
			setup: func(r *rig) {
				if err := r.sim.PutMetricAlarm(region, azAlarm("web-5xx", map[string]string{"LoadBalancer": "app/web/1"}, map[string]string{"selfheal:az-signal": "true"})); err != nil {
					r.t.Fatal(err)
				}
				if err := r.sim.SetAlarmState(region, "web-5xx", cwtypes.StateValueAlarm, "test"); err != nil {
					r.t.Fatal(err)
				}
			},
			event: func(t *testing.T, r *rig) []byte { return r.lastEvent("CloudWatch Alarm State Change") },
		},
		{
			name: "alarm over two AZs",
			setup: func(r *rig) {
				in := azAlarm("web-two", map[string]string{"AvailabilityZone": azA}, map[string]string{"selfheal:az-signal": "true"})
				in.Metrics = nil
				if err := r.sim.PutMetricAlarm(region, in); err != nil {
					r.t.Fatal(err)
				}
			},
			event: func(t *testing.T, r *rig) []byte {
				raw := sample(t, "aws.cloudwatch/cloudwatch-alarm-state-change--az-alarm.json", "two-azs")
				// The same alarm as the sample, watching a second AZ too.
				return []byte(strings.Replace(string(raw), `"metrics":[`,
					`"metrics":[{"id":"m2","metricStat":{"metric":{"dimensions":{"AvailabilityZone":"us-east-1b"},"name":"UnHealthyHostCount","namespace":"AWS/ApplicationELB"},"period":60,"stat":"Maximum"},"returnData":false},`, 1))
			},
		},
		{
			name: "autoshift away from an AZ id this region does not have",
			event: func(t *testing.T, r *rig) []byte {
				return sample(t, "aws.arc-zonal-shift/autoshift-in-progress.json", "shift-1", "use1-az1", "use1-az9")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			r.group("web", 6, 6, 6, abc)
			if tt.setup != nil {
				tt.setup(r)
			}
			if err := r.deliver(tt.event(t, r)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"AZ_UNRESOLVED/SKIPPED"}, kinds(r.actions())); diff != "" {
				t.Errorf("notified (-want +got):\n%s", diff)
			}
			if a := r.actions(); len(a) > 0 && a[0].Reason == "" {
				t.Error("the notification does not say why")
			}
			if w := r.sim.Writes(awssim.ServiceAutoScaling); len(w) != 0 {
				t.Errorf("Auto Scaling writes: %v", w)
			}
			if recs, _ := r.store.Evacuations(ctx, "web"); len(recs) != 0 {
				t.Errorf("ledger written: %+v", recs)
			}
		})
	}
}

// The autoshift names the AZ by id; in this account use1-az2 is
// us-east-1a (names and ids differ per account, and the sim makes sure).
func TestAutoshiftMapsTheZoneID(t *testing.T) {
	r := newRig(t, nil)
	r.group("web", 6, 6, 6, abc)
	var id string
	for _, az := range r.sim.AZs(region) {
		if az.Name == azA {
			id = az.ID
		}
	}
	if id == "use1-az1" {
		t.Fatal("the sim maps us-east-1a to use1-az1: the test would not tell a mapping from a guess")
	}
	if err := r.deliver(sample(t, "aws.arc-zonal-shift/autoshift-in-progress.json", "shift-1", "use1-az1", id)); err != nil {
		t.Fatal(err)
	}
	if err := r.deliver(sample(t, "aws.arc-zonal-shift/autoshift-in-progress--observer.json", "shift-2", "use1-az1", id)); err != nil {
		t.Fatal(err)
	}
	ev := actionOf(t, r.actions(), notify.ActionEvacuate)
	if ev.AZ != azA {
		t.Errorf("evacuated %s, want %s (%s)", ev.AZ, azA, id)
	}
	if err := r.deliver(sample(t, "aws.arc-zonal-shift/autoshift-completed.json", "shift-3", "use1-az1", id)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"EVACUATE/DONE", "RESTORE/DONE"}, kinds(r.actions())); diff != "" {
		t.Errorf("notified (-want +got):\n%s", diff)
	}
}

// An AZ that keeps refusing launches for want of capacity: each failure is
// evidence; past the threshold the group leaves the AZ.
func TestLaunchFailuresPastTheThreshold(t *testing.T) {
	r := newRig(t, nil) // 3 failures within 15 minutes
	r.group("web", 6, 6, 6, abc)
	r.sim.ImpairAZ(region, azA)
	lowest := r.inService("web")
	r.watch(45*time.Minute, func() { lowest = min(lowest, r.inService("web")) },
		func() bool {
			return len(r.asgWrites("UpdateAutoScalingGroup")) == 1 && r.settled("web", map[string]int{azA: 0})
		})
	if len(r.errs) > 0 {
		t.Fatalf("function errors: %v", r.errs)
	}
	ev := actionOf(t, r.actions(), notify.ActionEvacuate)
	if ev.AZ != azA || !strings.Contains(ev.Reason, "capacity launch failures") {
		t.Errorf("evacuation %+v, want us-east-1a for its launch failures", ev)
	}
	var failures int
	for _, e := range r.sim.Emitted() {
		if e.DetailType == "EC2 Instance Launch Unsuccessful" {
			failures++
		}
	}
	if failures < 3 {
		t.Errorf("evacuated after %d launch failures, the threshold is 3", failures)
	}
	t.Logf("evacuated after %d launch failures; lowest in service %d of 6", failures, lowest)
}

// EventBridge does not keep order: a "closed" delivered before its late
// "open" leaves nothing evacuated.
func TestLateOpenAfterCloseChangesNothing(t *testing.T) {
	r := newRig(t, nil)
	r.group("web", 6, 6, 6, abc)
	arn := r.sim.RaiseAZIssue(region, azA, "EC2")
	open := r.lastEvent("AWS Health Event")
	r.sim.Advance(time.Hour)
	if err := r.sim.CloseHealthEvent(arn); err != nil {
		t.Fatal(err)
	}
	closed := r.lastEvent("AWS Health Event")
	r.sim.DrainEvents()
	for _, raw := range [][]byte{closed, open} {
		if err := r.deliver(raw); err != nil {
			t.Fatal(err)
		}
	}
	if w := r.asgWrites(); len(w) != 0 {
		t.Errorf("Auto Scaling writes: %v", w)
	}
}

// More evacuations than the breaker allows: the one past the limit is not
// made, one CRITICAL notification says so, nothing is written while it is
// open, and it closes by itself a window later (announced once) or when a
// human deletes its state item.
func TestBreakerOnTheSim(t *testing.T) {
	setup := func(t *testing.T) *rig {
		r := newRig(t, func(p *config.Policy) {
			p.Rebalance.Breaker = config.Breaker{MaxEvacuations: 2, Window: config.Dur(time.Hour)}
		})
		for _, g := range []string{"g1", "g2", "g3"} {
			r.group(g, 3, 3, 3, abc)
		}
		r.sim.RaiseAZIssue(region, azA, "EC2")
		r.pump()
		want := []string{"BREAKER_OPEN/DONE", "EVACUATE/DONE", "EVACUATE/DONE", "SKIP/SKIPPED breaker-open"}
		if diff := cmp.Diff(want, kinds(r.actions())); diff != "" {
			t.Fatalf("notified (-want +got):\n%s", diff)
		}
		if a := actionOf(t, r.actions(), notify.ActionBreakerOpen); a.Severity != notify.SeverityCritical {
			t.Errorf("breaker opened with severity %s, want CRITICAL", a.Severity)
		}
		if n := len(r.asgWrites("UpdateAutoScalingGroup")); n != 2 {
			t.Fatalf("%d group updates, want the 2 the breaker allows", n)
		}
		return r
	}
	criticals := func(r *rig) int {
		n := 0
		for _, a := range r.actions() {
			if a.Severity == notify.SeverityCritical {
				n++
			}
		}
		return n
	}

	t.Run("closes by time", func(t *testing.T) {
		r := setup(t)
		writes := len(r.asgWrites())
		r.sim.Advance(10 * time.Minute)
		r.sim.RaiseAZIssue(region, azB, "EC2")
		r.pump()
		if n := len(r.asgWrites()); n != writes {
			t.Errorf("%d Auto Scaling writes under an open breaker", n-writes)
		}
		if n := criticals(r); n != 1 {
			t.Errorf("%d CRITICAL notifications, want 1", n)
		}
		r.sim.Advance(time.Hour)
		if err := r.deliver(r.tick("tick-1")); err != nil {
			t.Fatal(err)
		}
		got := kinds(r.actions())
		if got[len(got)-1] != "BREAKER_CLOSED/DONE" {
			t.Errorf("last notified %v, want the breaker closed", got)
		}
		if err := r.deliver(r.tick("tick-2")); err != nil {
			t.Fatal(err)
		}
		if n := len(kinds(r.actions())); n != len(got) {
			t.Errorf("the close was announced again")
		}
	})
	t.Run("closed by a human", func(t *testing.T) {
		r := setup(t)
		_, err := dynamodb.NewFromConfig(r.sim.Config(region)).DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(r.env.Config.TableName),
			Key: map[string]ddbtypes.AttributeValue{
				"pk": &ddbtypes.AttributeValueMemberS{Value: "breaker"}, "sk": &ddbtypes.AttributeValueMemberS{Value: "state"},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		// The same issue again: g3 is evacuated now, g1 and g2 stay as they are.
		if err := r.deliver(withID(t, r.lastEvent("AWS Health Event"), "again")); err != nil {
			t.Fatal(err)
		}
		if n := len(r.asgWrites("UpdateAutoScalingGroup")); n != 3 {
			t.Errorf("%d group updates after the human closed the breaker, want 3", n)
		}
	})
}

// Where a Health issue's AZ comes from, cheapest first: the event itself,
// the instances the groups already list, EC2 for other instances, and the
// Health API when the event names nothing.
func TestHealthAZSources(t *testing.T) {
	stripEntities := func(t *testing.T, raw []byte, az string) []byte {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		d := m["detail"].(map[string]any)
		delete(d, "affectedEntities")
		if az != "" {
			d["availabilityZone"] = az
		}
		m["resources"] = []string{}
		out, _ := json.Marshal(m)
		return out
	}
	tests := []struct {
		name  string
		event func(t *testing.T, r *rig) []byte
		az    string
		calls []string // the look-ups it may make, beyond Auto Scaling's
	}{
		{
			name: "instances of a group",
			event: func(t *testing.T, r *rig) []byte {
				r.sim.RaiseAZIssue(region, azA, "EC2")
				return r.lastEvent("AWS Health Event")
			},
			az:    azA,
			calls: []string{"EC2 DescribeSubnets"},
		},
		{
			name: "an instance in no group",
			event: func(t *testing.T, r *rig) []byte {
				id, err := r.sim.RunInstance(region, azB, map[string]string{"Name": "bastion"})
				if err != nil {
					t.Fatal(err)
				}
				return healthEventFor(t, "bastion", id)
			},
			az:    azB,
			calls: []string{"EC2 DescribeInstances", "EC2 DescribeSubnets"},
		},
		{
			name: "no entities: the Health API",
			event: func(t *testing.T, r *rig) []byte {
				r.sim.RaiseAZIssue(region, azC, "EC2")
				return stripEntities(t, r.lastEvent("AWS Health Event"), "")
			},
			az:    azC,
			calls: []string{"Health DescribeEvents", "EC2 DescribeAvailabilityZones", "EC2 DescribeSubnets"},
		},
		{
			name: "the event's own availabilityZone",
			event: func(t *testing.T, r *rig) []byte {
				r.sim.RaiseAZIssue(region, azC, "EC2")
				return stripEntities(t, r.lastEvent("AWS Health Event"), azC)
			},
			az:    azC,
			calls: []string{"EC2 DescribeAvailabilityZones", "EC2 DescribeSubnets"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			r.group("web", 6, 6, 6, abc)
			raw := tt.event(t, r)
			r.sim.DrainEvents()
			n := r.sim.CallCount()
			if err := r.deliver(raw); err != nil {
				t.Fatal(err)
			}
			if a := actionOf(t, r.actions(), notify.ActionEvacuate); a.AZ != tt.az {
				t.Errorf("evacuated %s, want %s", a.AZ, tt.az)
			}
			var lookups []string
			for _, c := range r.sim.CallsSince(n) {
				if c.Service == awssim.ServiceEC2 || c.Service == awssim.ServiceHealth {
					lookups = append(lookups, c.Service+" "+c.Operation)
				}
			}
			if diff := cmp.Diff(tt.calls, lookups); diff != "" {
				t.Errorf("look-ups (-want +got):\n%s", diff)
			}
		})
	}
}

// A Health issue that keeps sending updates about the same AZ: the group
// that cannot move is reported once, not on every update.
func TestRepeatedSignalSkipsAreNotifiedOnce(t *testing.T) {
	r := newRig(t, nil)
	r.group("web", 2, 2, 2, []string{azA})
	r.sim.RaiseAZIssue(region, azA, "EC2")
	raw := r.lastEvent("AWS Health Event")
	r.sim.DrainEvents()
	for i := range 3 {
		if err := r.deliver(withID(t, raw, fmt.Sprintf("update-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"SKIP/SKIPPED single-az"}, kinds(r.actions())); diff != "" {
		t.Errorf("notified (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.log.String(), "skip web (single-az)") {
		t.Error("the repeated skip is not even logged")
	}
}

// An account with hundreds of groups in the impaired AZ, few of them opted
// in: the opted-in ones move, the others are listed in one action, and the
// notification fits in one SNS message.
func TestLargeAccountFitsOneNotification(t *testing.T) {
	r := newRig(t, nil)
	for i := range 300 {
		r.group(fmt.Sprintf("other-%03d", i), 1, 1, 1, abc, "team=other")
	}
	for i := range 3 {
		r.group(fmt.Sprintf("web-%d", i), 3, 3, 3, abc)
	}
	r.sim.RaiseAZIssue(region, azA, "EC2")
	r.pump()
	if len(r.errs) > 0 {
		t.Fatalf("function errors: %v", r.errs)
	}
	want := []string{"EVACUATE/DONE", "EVACUATE/DONE", "EVACUATE/DONE", "SKIP/SKIPPED not-opted-in"}
	if diff := cmp.Diff(want, kinds(r.actions())); diff != "" {
		t.Errorf("notified (-want +got):\n%s", diff)
	}
	skip := actionOf(t, r.actions(), notify.ActionSkip)
	// The sim's groups span AZs a, b, c; 1 instance each lands in one of
	// them, but every group has a subnet in us-east-1a.
	if skip.Details["count"] != "300" || !strings.Contains(skip.Details["groups"], "other-000") || !strings.HasSuffix(skip.Details["groups"], "and 200 more") {
		t.Errorf("merged skip %+v, want the 300 groups counted and the first 100 listed", skip.Details)
	}
	if w := r.asgWrites("UpdateAutoScalingGroup"); len(w) != 3 {
		t.Errorf("%d group updates, want the 3 opted-in groups", len(w))
	}
}

// An alarm deleted after its state changed signals nothing: the event is a
// no-op, not an error Lambda would retry into the dead-letter queue.
func TestDeletedAlarmIsANoOp(t *testing.T) {
	r := newRig(t, nil)
	r.group("web", 6, 6, 6, []string{"us-east-1a", "us-east-1b", "us-east-1c"})
	raw, err := events.Sample("aws.cloudwatch/cloudwatch-alarm-state-change--metric-math.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.deliver(raw); err != nil {
		t.Fatalf("an event for an alarm that no longer exists returned %v", err)
	}
	if w := r.asgWrites(); len(w) != 0 {
		t.Errorf("%d Auto Scaling writes for a deleted alarm", len(w))
	}
	if !strings.Contains(r.log.String(), "no longer exists") {
		t.Errorf("the log does not say the alarm is gone:\n%s", r.log.String())
	}
}
