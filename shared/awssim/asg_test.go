package awssim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
)

const region = "us-east-1"

var (
	azA, azB, azC = "us-east-1a", "us-east-1b", "us-east-1c"
	ctx           = context.Background()
)

// groupInput is a valid CreateAutoScalingGroup request over the given AZs.
func groupInput(sim *awssim.Sim, name string, minSize, maxSize, desired int32, azs ...string) *autoscaling.CreateAutoScalingGroupInput {
	var subnets []string
	for _, az := range azs {
		subnets = append(subnets, sim.SubnetIn(region, az))
	}
	return &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(name),
		MinSize:              aws.Int32(minSize),
		MaxSize:              aws.Int32(maxSize),
		DesiredCapacity:      aws.Int32(desired),
		VPCZoneIdentifier:    aws.String(strings.Join(subnets, ",")),
		LaunchTemplate:       &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("web"), Version: aws.String("$Latest")},
	}
}

// newGroup creates a group through the SDK and settles it.
func newGroup(t *testing.T, sim *awssim.Sim, client *autoscaling.Client, in *autoscaling.CreateAutoScalingGroupInput) {
	t.Helper()
	if _, err := client.CreateAutoScalingGroup(ctx, in); err != nil {
		t.Fatalf("CreateAutoScalingGroup: %v", err)
	}
	sim.Settle(30 * time.Minute)
}

func counts(a, b, c int) map[string]int { return map[string]int{azA: a, azB: b, azC: c} }

func inService(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func apiCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// active counts a group's instances that are not terminating.
func active(t *testing.T, sim *awssim.Sim, name string) int {
	t.Helper()
	g, ok := sim.Group(region, name)
	if !ok {
		t.Fatalf("group %s is gone", name)
	}
	n := 0
	for _, in := range g.Instances {
		if in.LifecycleState != astypes.LifecycleStateTerminating {
			n++
		}
	}
	return n
}

func eventsOf(sim *awssim.Sim, detailType string) []map[string]any {
	var out []map[string]any
	for _, e := range sim.Emitted() {
		if e.DetailType != detailType {
			continue
		}
		var env map[string]any
		if err := json.Unmarshal(e.JSON, &env); err != nil {
			panic(err)
		}
		out = append(out, env)
	}
	return out
}

func TestGroupLaunchesEvenlyAcrossAZs(t *testing.T) {
	sim := awssim.New()
	client := autoscaling.NewFromConfig(sim.Config(region))
	newGroup(t, sim, client, groupInput(sim, "web", 3, 9, 7, azA, azB, azC))

	got := sim.GroupAZCounts(region, "web")
	if inService(got) != 7 {
		t.Fatalf("InService per AZ %v, want 7 in all", got)
	}
	for az, n := range got {
		if n < 2 || n > 3 {
			t.Errorf("%s has %d instances; 7 over 3 AZs is 3/2/2 in some order: %v", az, n, got)
		}
	}
	out, err := client.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range out.AutoScalingGroups[0].Instances {
		if in.LifecycleState != astypes.LifecycleStateInService || aws.ToString(in.HealthStatus) != "Healthy" {
			t.Errorf("instance %s is %s/%s, want InService/Healthy", aws.ToString(in.InstanceId), in.LifecycleState, aws.ToString(in.HealthStatus))
		}
	}
	if n := len(eventsOf(sim, "EC2 Instance Launch Successful")); n != 7 {
		t.Errorf("%d launch events, want 7", n)
	}
	// Every instance carries the group tag AWS adds at launch.
	ec := ec2.NewFromConfig(sim.Config(region))
	res, err := ec.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:aws:autoscaling:groupName"), Values: []string{"web"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Reservations) != 7 {
		t.Errorf("%d instances tagged with the group, want 7", len(res.Reservations))
	}
}

// The scenario the suite exists for: an AZ fails, the rebalancer removes
// its subnet at once, and the group moves its capacity without ever
// running below what it had.
func TestAZLossWithSubnetRemovalKeepsCapacity(t *testing.T) {
	sim := awssim.New()
	client := autoscaling.NewFromConfig(sim.Config(region))
	newGroup(t, sim, client, groupInput(sim, "web", 6, 6, 6, azA, azB, azC))
	before := sim.GroupAZCounts(region, "web")
	if diff := cmp.Diff(counts(2, 2, 2), before); diff != "" {
		t.Fatalf("before the loss (-want +got):\n%s", diff)
	}

	sim.ImpairAZ(region, azA)
	_, err := client.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("web"),
		VPCZoneIdentifier:    aws.String(sim.SubnetIn(region, azB) + "," + sim.SubnetIn(region, azC)),
	})
	if err != nil {
		t.Fatal(err)
	}
	for tick := 0; tick < 60; tick++ {
		sim.Advance(awssim.DefaultTick)
		got := sim.GroupAZCounts(region, "web")
		if inService(got) < inService(before) {
			t.Fatalf("tick %d: InService %v dropped below %d", tick, got, inService(before))
		}
		if n := active(t, sim, "web"); n > 6+1 {
			t.Fatalf("tick %d: %d active instances, above max 6 + margin 1", tick, n)
		}
	}
	if diff := cmp.Diff(counts(0, 3, 3), sim.GroupAZCounts(region, "web")); diff != "" {
		t.Errorf("after evacuation (-want +got):\n%s", diff)
	}
}

// Without any action the group loses the AZ's instances once their status
// checks fail, replaces them elsewhere, and keeps trying the impaired AZ,
// emitting one launch failure per attempt.
func TestAZLossWithoutActionKeepsTryingTheAZ(t *testing.T) {
	sim := awssim.New()
	client := autoscaling.NewFromConfig(sim.Config(region))
	newGroup(t, sim, client, groupInput(sim, "web", 6, 6, 6, azA, azB, azC))
	sim.DrainEvents()

	sim.ImpairAZ(region, azA)
	sim.Advance(15 * time.Minute)

	if diff := cmp.Diff(counts(0, 3, 3), sim.GroupAZCounts(region, "web")); diff != "" {
		t.Errorf("InService per AZ (-want +got):\n%s", diff)
	}
	failures := eventsOf(sim, "EC2 Instance Launch Unsuccessful")
	if len(failures) < 3 {
		t.Fatalf("%d launch failures in 15 minutes, want the group to keep retrying the AZ", len(failures))
	}
	for _, e := range failures {
		d := e["detail"].(map[string]any)
		details := d["Details"].(map[string]any)
		if details["Availability Zone"] != azA || details["Subnet ID"] != sim.SubnetIn(region, azA) {
			t.Errorf("failure in %v, want %s", details, azA)
		}
		if msg := d["StatusMessage"].(string); !strings.Contains(msg, "InsufficientInstanceCapacity") {
			t.Errorf("StatusMessage %q does not name InsufficientInstanceCapacity", msg)
		}
	}
	// Backing off: attempts get sparser, never one per tick.
	if len(failures) > 15 {
		t.Errorf("%d launch failures in 15 minutes: the group does not back off", len(failures))
	}
}

func TestLaunchFailureEventHasTheAWSShape(t *testing.T) {
	sim := awssim.New()
	client := autoscaling.NewFromConfig(sim.Config(region))
	sim.ImpairAZ(region, azA)
	newGroup(t, sim, client, groupInput(sim, "web", 3, 3, 3, azA, azB, azC))

	failures := eventsOf(sim, "EC2 Instance Launch Unsuccessful")
	if len(failures) == 0 {
		t.Fatal("no EC2 Instance Launch Unsuccessful event for a launch into an impaired AZ")
	}
	sample := readSample(t, "aws.autoscaling/ec2-instance-launch-unsuccessful--insufficient-capacity.json")
	if diff := cmp.Diff(jsonShape(sample), jsonShape(failures[0])); diff != "" {
		t.Errorf("event shape differs from the AWS sample (-sample +sim):\n%s", diff)
	}
	g, _ := sim.Group(region, "web")
	if res := failures[0]["resources"].([]any); len(res) != 1 || res[0] != g.ARN {
		t.Errorf("resources %v, want the group ARN", res)
	}

	out, err := client.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	var failed int
	for _, a := range out.Activities {
		if a.StatusCode == astypes.ScalingActivityStatusCodeFailed {
			failed++
			if !strings.Contains(aws.ToString(a.StatusMessage), "InsufficientInstanceCapacity") {
				t.Errorf("failed activity message %q", aws.ToString(a.StatusMessage))
			}
			if !strings.Contains(aws.ToString(a.Details), azA) {
				t.Errorf("failed activity details %q do not name %s", aws.ToString(a.Details), azA)
			}
		}
	}
	if failed != len(failures) {
		t.Errorf("%d failed activities, %d failure events: every failure is both", failed, len(failures))
	}
}

func readSample(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("../../events/" + path)
	if err != nil {
		t.Fatalf("read the catalogue sample: %v", err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// jsonShape lists every path of a JSON document with the type at it:
// two events have the same shape when they have the same fields.
func jsonShape(v any) []string {
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(prefix+"."+k, c)
			}
		case []any:
			if len(x) > 0 {
				walk(prefix+"[]", x[0])
			} else {
				out = append(out, prefix+" []")
			}
		default:
			out = append(out, fmt.Sprintf("%s %T", prefix, v))
		}
	}
	walk("", v)
	sort.Strings(out)
	return out
}

func TestSubnetRemovalLaunchesBeforeTerminating(t *testing.T) {
	sim := awssim.New()
	client := autoscaling.NewFromConfig(sim.Config(region))
	newGroup(t, sim, client, groupInput(sim, "web", 2, 12, 6, azA, azB, azC))
	start := len(sim.Emitted())

	if _, err := client.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("web"),
		VPCZoneIdentifier:    aws.String(sim.SubnetIn(region, azA) + "," + sim.SubnetIn(region, azB)),
	}); err != nil {
		t.Fatal(err)
	}
	for range 30 {
		sim.Advance(awssim.DefaultTick)
		if got := inService(sim.GroupAZCounts(region, "web")); got < 6 {
			t.Fatalf("InService fell to %d during the move", got)
		}
	}
	if diff := cmp.Diff(counts(3, 3, 0), sim.GroupAZCounts(region, "web")); diff != "" {
		t.Errorf("after removing %s (-want +got):\n%s", azC, diff)
	}
	// Events in order: both replacements are up before either instance of
	// the removed AZ is gone.
	var order []string
	for _, e := range sim.Emitted()[start:] {
		var env struct {
			Detail struct {
				Details struct {
					AZ string `json:"Availability Zone"`
				}
			} `json:"detail"`
		}
		_ = json.Unmarshal(e.JSON, &env)
		order = append(order, e.DetailType+" "+env.Detail.Details.AZ)
	}
	lastLaunch, firstTerminate := -1, len(order)
	for i, o := range order {
		if strings.HasPrefix(o, "EC2 Instance Launch Successful") {
			lastLaunch = i
		}
		if strings.HasPrefix(o, "EC2 Instance Terminate Successful") && i < firstTerminate {
			firstTerminate = i
		}
	}
	if lastLaunch < 0 || firstTerminate == len(order) || lastLaunch > firstTerminate {
		t.Errorf("event order %v: want every launch before the first termination", order)
	}
	for _, o := range order {
		if strings.HasPrefix(o, "EC2 Instance Terminate Successful") && !strings.HasSuffix(o, azC) {
			t.Errorf("%s: only instances of the removed AZ may go", o)
		}
	}

	// The activities tell the same story: each termination starts after
	// the launches it waited for ended.
	acts, err := client.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("web"), MaxRecords: aws.Int32(4)})
	if err != nil {
		t.Fatal(err)
	}
	var launchesEnd, terminatesStart []time.Time
	for _, a := range acts.Activities {
		if strings.HasPrefix(aws.ToString(a.Description), "Launching") {
			launchesEnd = append(launchesEnd, aws.ToTime(a.EndTime))
		} else {
			terminatesStart = append(terminatesStart, aws.ToTime(a.StartTime))
		}
	}
	if len(launchesEnd) != 2 || len(terminatesStart) != 2 {
		t.Fatalf("latest 4 activities: %d launches, %d terminations; want 2 and 2", len(launchesEnd), len(terminatesStart))
	}
	if slices.MaxFunc(launchesEnd, time.Time.Compare).After(slices.MinFunc(terminatesStart, time.Time.Compare)) {
		t.Errorf("a termination started at %v before the launches ended at %v", terminatesStart, launchesEnd)
	}
}
