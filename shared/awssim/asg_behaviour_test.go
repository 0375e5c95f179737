package awssim_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
)

// surge is the documented margin above MaxSize during rebalancing: 10
// percent or one instance, whichever is greater.
func surge(maxSize int) int { return max(1, maxSize/10) }

func spread(m map[string]int, azs ...string) int {
	lo, hi := -1, 0
	for _, az := range azs {
		if lo < 0 || m[az] < lo {
			lo = m[az]
		}
		hi = max(hi, m[az])
	}
	return hi - lo
}

func TestAZRebalanceRespectsTheSurgeMargin(t *testing.T) {
	for _, size := range []int{10, 20} {
		t.Run(fmt.Sprintf("max %d", size), func(t *testing.T) {
			sim := awssim.New()
			client := autoscaling.NewFromConfig(sim.Config(region))
			n := int32(size)
			newGroup(t, sim, client, groupInput(sim, "web", n, n, n, azA, azB))
			if diff := cmp.Diff(counts(size/2, size/2, 0), sim.GroupAZCounts(region, "web")); diff != "" {
				t.Fatalf("before adding %s (-want +got):\n%s", azC, diff)
			}
			if _, err := client.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
				AutoScalingGroupName: aws.String("web"),
				VPCZoneIdentifier:    aws.String(strings.Join([]string{sim.SubnetIn(region, azA), sim.SubnetIn(region, azB), sim.SubnetIn(region, azC)}, ",")),
			}); err != nil {
				t.Fatal(err)
			}
			peak := 0
			for tick := range 200 {
				sim.Advance(awssim.DefaultTick)
				a := active(t, sim, "web")
				peak = max(peak, a)
				if a > size+surge(size) {
					t.Fatalf("tick %d: %d active instances, above max %d + margin %d", tick, a, size, surge(size))
				}
				if got := inService(sim.GroupAZCounts(region, "web")); got < size {
					t.Fatalf("tick %d: InService %d, below %d: rebalancing terminated before launching", tick, got, size)
				}
			}
			got := sim.GroupAZCounts(region, "web")
			if inService(got) != size || spread(got, azA, azB, azC) > 1 {
				t.Errorf("after rebalancing: %v, want %d evenly over 3 AZs", got, size)
			}
			if peak != size+surge(size) {
				t.Errorf("peak %d active: rebalancing at max should use the whole margin, %d", peak, size+surge(size))
			}
		})
	}

	t.Run("suspended", func(t *testing.T) {
		sim := awssim.New()
		client := autoscaling.NewFromConfig(sim.Config(region))
		newGroup(t, sim, client, groupInput(sim, "web", 4, 4, 4, azA, azB))
		if _, err := client.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("web"), ScalingProcesses: []string{"AZRebalance"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := client.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
			AutoScalingGroupName: aws.String("web"),
			VPCZoneIdentifier:    aws.String(sim.SubnetIn(region, azA) + "," + sim.SubnetIn(region, azB) + "," + sim.SubnetIn(region, azC)),
		}); err != nil {
			t.Fatal(err)
		}
		sim.Advance(30 * time.Minute)
		if diff := cmp.Diff(counts(2, 2, 0), sim.GroupAZCounts(region, "web")); diff != "" {
			t.Errorf("with AZRebalance suspended (-want +got):\n%s", diff)
		}
	})
}

// When an AZ recovers, AZRebalance moves capacity back into it.
func TestRecoveredAZIsRebalancedInto(t *testing.T) {
	sim := awssim.New()
	client := autoscaling.NewFromConfig(sim.Config(region))
	newGroup(t, sim, client, groupInput(sim, "web", 6, 6, 6, azA, azB, azC))
	sim.ImpairAZ(region, azA)
	sim.Advance(10 * time.Minute)
	if diff := cmp.Diff(counts(0, 3, 3), sim.GroupAZCounts(region, "web")); diff != "" {
		t.Fatalf("during the impairment (-want +got):\n%s", diff)
	}
	sim.RecoverAZ(region, azA)
	sim.Advance(30 * time.Minute)
	if diff := cmp.Diff(counts(2, 2, 2), sim.GroupAZCounts(region, "web")); diff != "" {
		t.Errorf("after recovery (-want +got):\n%s", diff)
	}
}

func TestUnhealthyInstanceIsReplacedAfterTheGracePeriod(t *testing.T) {
	sim := awssim.New()
	client := autoscaling.NewFromConfig(sim.Config(region))
	in := groupInput(sim, "web", 3, 3, 3, azA, azB, azC)
	in.HealthCheckGracePeriod = aws.Int32(600)
	newGroup(t, sim, client, in)
	var victim awssim.GroupInstance
	g, _ := sim.Group(region, "web")
	for _, i := range g.Instances {
		if i.AZ == azA {
			victim = i
		}
	}
	inServiceAt := sim.Now() // Settle stops the tick the last instance went InService
	sim.ImpairAZ(region, azA)

	var taken time.Duration
	for taken == 0 && sim.Now().Sub(inServiceAt) < 20*time.Minute {
		sim.Advance(awssim.DefaultTick)
		g, _ := sim.Group(region, "web")
		for _, i := range g.Instances {
			if i.ID != victim.ID || (i.Healthy && i.LifecycleState == astypes.LifecycleStateInService) {
				continue
			}
			taken = sim.Now().Sub(inServiceAt)
			if i.Healthy || i.LifecycleState != astypes.LifecycleStateTerminating {
				t.Errorf("%s is %s/healthy=%v, want Terminating and Unhealthy", i.ID, i.LifecycleState, i.Healthy)
			}
		}
	}
	if taken < 600*time.Second || taken > 600*time.Second+awssim.DefaultTick {
		t.Fatalf("%s was taken out of service %v after going InService, want right after the 600 s grace period", victim.ID, taken)
	}
	sim.Settle(time.Hour)
	if diff := cmp.Diff(counts(0, 2, 1), sim.GroupAZCounts(region, "web")); diff != "" && cmp.Diff(counts(0, 1, 2), sim.GroupAZCounts(region, "web")) != "" {
		t.Errorf("after replacement: %v, want 3 outside %s", sim.GroupAZCounts(region, "web"), azA)
	}

	// Terminate first, then launch: the termination activity starts before
	// any launch that replaces it.
	out, err := client.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	var terminate, replacement *astypes.Activity
	for i := len(out.Activities) - 1; i >= 0; i-- { // oldest first
		a := &out.Activities[i]
		switch {
		case strings.Contains(aws.ToString(a.Description), victim.ID) && strings.HasPrefix(aws.ToString(a.Description), "Terminating"):
			terminate = a
		case terminate != nil && replacement == nil && strings.HasPrefix(aws.ToString(a.Description), "Launching"):
			replacement = a
		}
	}
	if terminate == nil || replacement == nil {
		t.Fatalf("no termination of %s followed by a launch in %d activities", victim.ID, len(out.Activities))
	}
	if !strings.Contains(aws.ToString(terminate.Cause), "status checks failure") {
		t.Errorf("termination cause %q", aws.ToString(terminate.Cause))
	}
}

// With the balanced-best-effort default a failing AZ's share goes to the
// others; with balanced-only it waits for that AZ.
func TestCapacityDistributionStrategies(t *testing.T) {
	for _, tc := range []struct {
		strategy astypes.CapacityDistributionStrategy
		want     map[string]int
	}{
		{astypes.CapacityDistributionStrategyBalancedBestEffort, counts(0, 3, 3)},
		{astypes.CapacityDistributionStrategyBalancedOnly, counts(0, 2, 2)},
	} {
		t.Run(string(tc.strategy), func(t *testing.T) {
			sim := awssim.New()
			client := autoscaling.NewFromConfig(sim.Config(region))
			sim.ImpairAZ(region, azA)
			in := groupInput(sim, "web", 6, 6, 6, azA, azB, azC)
			in.AvailabilityZoneDistribution = &astypes.AvailabilityZoneDistribution{CapacityDistributionStrategy: tc.strategy}
			if _, err := client.CreateAutoScalingGroup(ctx, in); err != nil {
				t.Fatal(err)
			}
			sim.Advance(20 * time.Minute)
			if diff := cmp.Diff(tc.want, sim.GroupAZCounts(region, "web")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if n := len(eventsOf(sim, "EC2 Instance Launch Unsuccessful")); n < 3 {
				t.Errorf("%d launch failures: the group should keep trying %s", n, azA)
			}
		})
	}
}

// A property over random operations: whatever a caller does, the group's
// bounds hold, the API refuses exactly the requests that break them, and
// once the account is healthy again the group settles on its desired
// capacity, evenly spread.
func TestGroupBoundsHoldUnderRandomOperations(t *testing.T) {
	azs := []string{azA, azB, azC}
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			sim := awssim.New(awssim.WithSeed(seed))
			client := autoscaling.NewFromConfig(sim.Config(region))
			newGroup(t, sim, client, groupInput(sim, "g", 2, 8, 4, azs...))
			name := aws.String("g")

			for step := range 60 {
				g, _ := sim.Group(region, "g")
				var what string
				var err error
				var valid bool
				switch rng.IntN(7) {
				case 0:
					d := rng.IntN(12) - 1
					what = fmt.Sprintf("SetDesiredCapacity %d", d)
					_, err = client.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: name, DesiredCapacity: aws.Int32(int32(d))})
					valid = d >= g.Min && d <= g.Max
				case 1:
					lo, hi := rng.IntN(6), rng.IntN(10)
					in := &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: name, MinSize: aws.Int32(int32(lo)), MaxSize: aws.Int32(int32(hi))}
					valid = lo <= hi
					what = fmt.Sprintf("Update min %d max %d", lo, hi)
					if rng.IntN(2) == 0 {
						d := rng.IntN(10)
						in.DesiredCapacity = aws.Int32(int32(d))
						valid = valid && d >= lo && d <= hi
						what += fmt.Sprintf(" desired %d", d)
					}
					_, err = client.UpdateAutoScalingGroup(ctx, in)
				case 2:
					var candidates []string
					for _, i := range g.Instances {
						if i.LifecycleState != astypes.LifecycleStateTerminating {
							candidates = append(candidates, i.ID)
						}
					}
					if len(candidates) == 0 {
						continue
					}
					decrement := rng.IntN(2) == 0
					what = fmt.Sprintf("Terminate decrement=%v", decrement)
					_, err = client.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
						InstanceId: aws.String(candidates[rng.IntN(len(candidates))]), ShouldDecrementDesiredCapacity: aws.Bool(decrement),
					})
					valid = !decrement || g.Desired-1 >= g.Min
				case 3:
					az := azs[rng.IntN(3)]
					if sim.AZImpaired(region, az) {
						sim.RecoverAZ(region, az)
					} else {
						sim.ImpairAZ(region, az)
					}
					continue
				case 4:
					var subnets []string
					for _, az := range azs {
						if rng.IntN(3) > 0 {
							subnets = append(subnets, sim.SubnetIn(region, az))
						}
					}
					if len(subnets) == 0 {
						subnets = []string{sim.SubnetIn(region, azs[rng.IntN(3)])}
					}
					what, valid = "Update subnets", true
					_, err = client.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: name, VPCZoneIdentifier: aws.String(strings.Join(subnets, ","))})
				case 5:
					what, valid = "toggle AZRebalance", true
					procs := []string{"AZRebalance"}
					if len(g.Suspended) > 0 {
						_, err = client.ResumeProcesses(ctx, &autoscaling.ResumeProcessesInput{AutoScalingGroupName: name, ScalingProcesses: procs})
					} else {
						_, err = client.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: name, ScalingProcesses: procs})
					}
				default:
					continue
				}
				if (err == nil) != valid {
					t.Fatalf("step %d: %s on %d/%d/%d: error %v, want an error: %v", step, what, g.Min, g.Desired, g.Max, err, !valid)
				}
				if err != nil && apiCode(err) != "ValidationError" {
					t.Fatalf("step %d: %s: %v, want a ValidationError", step, what, err)
				}
				for range 1 + rng.IntN(6) {
					before, _ := sim.Group(region, "g")
					sim.Advance(awssim.DefaultTick)
					after, _ := sim.Group(region, "g")
					checkBounds(t, step, before, after)
				}
			}

			// Heal everything: the group returns to its desired capacity.
			for _, az := range azs {
				sim.RecoverAZ(region, az)
			}
			if _, err := client.ResumeProcesses(ctx, &autoscaling.ResumeProcessesInput{AutoScalingGroupName: name}); err != nil {
				t.Fatal(err)
			}
			sim.Advance(time.Hour)
			g, _ := sim.Group(region, "g")
			got := sim.GroupAZCounts(region, "g")
			if inService(got) != g.Desired || spread(got, g.AZs...) > 1 {
				t.Errorf("healed: InService %v over %v, want %d evenly", got, g.AZs, g.Desired)
			}
			for _, i := range g.Instances {
				if !i.Healthy || i.LifecycleState != astypes.LifecycleStateInService {
					t.Errorf("healed: %s is %s, healthy=%v", i.ID, i.LifecycleState, i.Healthy)
				}
			}
		})
	}
}

// checkBounds holds across one tick: min ≤ desired ≤ max, and the group
// never grows above max, nor above max + margin, unless it had
// rebalancing to do (instances outside its AZs, or AZs more than one
// instance apart).
func checkBounds(t *testing.T, step int, before, after awssim.Group) {
	t.Helper()
	if after.Min > after.Desired || after.Desired > after.Max {
		t.Fatalf("step %d: min %d desired %d max %d", step, after.Min, after.Desired, after.Max)
	}
	activeIn := func(g awssim.Group) (int, map[string]int, int) {
		n, stranded := 0, 0
		per := map[string]int{}
		for _, az := range g.AZs {
			per[az] = 0
		}
		for _, i := range g.Instances {
			if i.LifecycleState == astypes.LifecycleStateTerminating {
				continue
			}
			n++
			if _, ok := per[i.AZ]; ok {
				per[i.AZ]++
			} else {
				stranded++
			}
		}
		return n, per, stranded
	}
	n0, per0, stranded0 := activeIn(before)
	n1, _, _ := activeIn(after)
	if n1 <= n0 {
		return // no growth: terminations catch up on a lowered max
	}
	if n1 > after.Max+surge(after.Max) {
		t.Fatalf("step %d: grew to %d, above max %d + margin", step, n1, after.Max)
	}
	balanced := stranded0 == 0 && spread(per0, before.AZs...) <= 1
	if balanced && n1 > after.Max {
		t.Fatalf("step %d: grew to %d above max %d with nothing to rebalance (%v)", step, n1, after.Max, per0)
	}
}

func TestAutoScalingConvergesUnder30PercentThrottling(t *testing.T) {
	sim := awssim.New(awssim.WithSeed(3))
	sim.InjectFault(awssim.Fault{Service: awssim.ServiceAutoScaling, Code: "Throttling", Probability: 0.3})
	client := autoscaling.NewFromConfig(sim.Config(region), func(o *autoscaling.Options) { o.RetryMaxAttempts = 10 })
	name := aws.String("web")

	if _, err := client.CreateAutoScalingGroup(ctx, groupInput(sim, "web", 3, 9, 6, azA, azB, azC)); err != nil {
		t.Fatalf("CreateAutoScalingGroup under throttling: %v", err)
	}
	desired := 6
	for i := range 20 {
		sim.Advance(awssim.DefaultTick)
		out, err := client.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"web"}})
		if err != nil {
			t.Fatalf("DescribeAutoScalingGroups under throttling: %v", err)
		}
		if len(out.AutoScalingGroups) != 1 {
			t.Fatal("group not described")
		}
		if i%5 == 4 {
			desired = 3 + (desired+2)%7
			if _, err := client.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: name, DesiredCapacity: aws.Int32(int32(desired))}); err != nil {
				t.Fatalf("SetDesiredCapacity under throttling: %v", err)
			}
		}
	}
	sim.Settle(time.Hour)

	throttled := 0
	for _, c := range sim.Calls() {
		if c.Err != nil && apiCode(c.Err) == "Throttling" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Fatal("no attempt was throttled: the fault did not apply")
	}
	got := sim.GroupAZCounts(region, "web")
	if inService(got) != desired || spread(got, azA, azB, azC) > 1 {
		t.Errorf("after %d throttled attempts: %v, want %d evenly", throttled, got, desired)
	}
}

// scriptedRun drives the sim through every service of this part and
// returns its call log in a comparable form: no pointers, errors as text.
func scriptedRun(t *testing.T, seed uint64) ([]string, []string) {
	t.Helper()
	sim := awssim.New(awssim.WithSeed(seed))
	sim.InjectFault(awssim.Fault{Service: awssim.ServiceAutoScaling, Operation: "DescribeAutoScalingGroups", Code: "Throttling", Probability: 0.3})
	asg := autoscaling.NewFromConfig(sim.Config(region), func(o *autoscaling.Options) { o.RetryMaxAttempts = 10 })
	topics := sns.NewFromConfig(sim.Config(region))
	queues := sqs.NewFromConfig(sim.Config(region))
	alarms := cloudwatch.NewFromConfig(sim.Config(region))
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	must(asg.CreateAutoScalingGroup(ctx, groupInput(sim, "web", 6, 6, 6, azA, azB, azC)))
	sim.Settle(time.Hour)
	if err := sim.PutMetricAlarm(region, azAlarm("web-unhealthy-hosts-us-east-1a", azA, nil)); err != nil {
		t.Fatal(err)
	}
	sim.ImpairAZ(region, azA)
	if err := sim.SetAlarmState(region, "web-unhealthy-hosts-us-east-1a", cwtypes.StateValueAlarm, "Threshold Crossed"); err != nil {
		t.Fatal(err)
	}
	must(alarms.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("web-")}))
	must(asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{}))
	must(asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("web"), VPCZoneIdentifier: aws.String(sim.SubnetIn(region, azB) + "," + sim.SubnetIn(region, azC)),
	}))
	for range 12 {
		sim.Advance(awssim.DefaultTick)
		must(asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"web"}}))
	}
	must(asg.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("web")}))
	topic, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("findings")})
	if err != nil {
		t.Fatal(err)
	}
	must(topics.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Subject: aws.String("evacuated us-east-1a"), Message: aws.String("web moved to 0/3/3")}))
	q, err := queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("quarantine")})
	if err != nil {
		t.Fatal(err)
	}
	must(queues.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("{}")}))
	must(queues.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl}))

	var calls []string
	for _, c := range sim.Calls() {
		in, _ := json.Marshal(c.Input)
		out, _ := json.Marshal(c.Output)
		calls = append(calls, fmt.Sprintf("%d %s %s %s %s attempt %d in=%s out=%s err=%v", c.Seq, c.Time.Format(time.RFC3339Nano), c.Service, c.Operation, c.Region, c.Attempt, in, out, c.Err))
	}
	var events []string
	for _, e := range sim.Emitted() {
		events = append(events, string(e.JSON))
	}
	return calls, events
}

func TestSameSeedGivesTheSameRun(t *testing.T) {
	calls1, events1 := scriptedRun(t, 42)
	calls2, events2 := scriptedRun(t, 42)
	if diff := cmp.Diff(calls1, calls2); diff != "" {
		t.Errorf("call logs of two runs with seed 42 (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(events1, events2); diff != "" {
		t.Errorf("events of two runs with seed 42 (-first +second):\n%s", diff)
	}
	calls3, _ := scriptedRun(t, 43)
	if cmp.Equal(calls1, calls3) {
		t.Error("seeds 42 and 43 gave the same call log: the seed does not reach the run")
	}
	if len(calls1) < 25 || len(events1) < 10 {
		t.Errorf("the scripted run made %d calls and %d events: too small to show anything", len(calls1), len(events1))
	}
}
