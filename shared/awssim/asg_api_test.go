package awssim_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
)

func TestAutoScalingValidationErrors(t *testing.T) {
	sim := awssim.New()
	client := autoscaling.NewFromConfig(sim.Config(region))
	newGroup(t, sim, client, groupInput(sim, "web", 2, 6, 3, azA, azB))

	create := func(mod func(*autoscaling.CreateAutoScalingGroupInput)) func() error {
		return func() error {
			in := groupInput(sim, "new", 1, 4, 2, azA)
			mod(in)
			_, err := client.CreateAutoScalingGroup(ctx, in)
			return err
		}
	}
	update := func(in autoscaling.UpdateAutoScalingGroupInput) func() error {
		return func() error {
			if in.AutoScalingGroupName == nil {
				in.AutoScalingGroupName = aws.String("web")
			}
			_, err := client.UpdateAutoScalingGroup(ctx, &in)
			return err
		}
	}
	setDesired := func(n int32) func() error {
		return func() error {
			_, err := client.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(n)})
			return err
		}
	}
	cases := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"create: desired above max", create(func(in *autoscaling.CreateAutoScalingGroupInput) { in.DesiredCapacity = aws.Int32(5) }),
			"ValidationError", "Desired capacity:5 must be between the specified min size:1 and max size:4"},
		{"create: desired below min", create(func(in *autoscaling.CreateAutoScalingGroupInput) { in.DesiredCapacity = aws.Int32(0) }),
			"ValidationError", "Desired capacity:0 must be between"},
		{"create: max below min", create(func(in *autoscaling.CreateAutoScalingGroupInput) { in.MinSize, in.DesiredCapacity = aws.Int32(5), nil }),
			"ValidationError", "Max bound, 4, must be greater than or equal to min bound, 5"},
		{"create: unknown subnet", create(func(in *autoscaling.CreateAutoScalingGroupInput) {
			in.VPCZoneIdentifier = aws.String("subnet-0000000000000dead")
		}),
			"ValidationError", "subnet-0000000000000dead"},
		{"create: no subnet", create(func(in *autoscaling.CreateAutoScalingGroupInput) { in.VPCZoneIdentifier = nil }),
			"ValidationError", "At least one Availability Zone or VPC Subnet is required"},
		{"create: no launch template", create(func(in *autoscaling.CreateAutoScalingGroupInput) { in.LaunchTemplate = nil }),
			"ValidationError", "LaunchTemplate"},
		{"create: bad health check type", create(func(in *autoscaling.CreateAutoScalingGroupInput) { in.HealthCheckType = aws.String("PING") }),
			"ValidationError", "PING"},
		{"create: existing name", create(func(in *autoscaling.CreateAutoScalingGroupInput) { in.AutoScalingGroupName = aws.String("web") }),
			"AlreadyExists", "already exists"},
		{"update: desired above max", update(autoscaling.UpdateAutoScalingGroupInput{DesiredCapacity: aws.Int32(7)}),
			"ValidationError", "Desired capacity:7 must be between the specified min size:2 and max size:6"},
		{"update: max below min", update(autoscaling.UpdateAutoScalingGroupInput{MaxSize: aws.Int32(1)}),
			"ValidationError", "Max bound, 1, must be greater than or equal to min bound, 2"},
		{"update: unknown group", update(autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("nope"), MaxSize: aws.Int32(1)}),
			"ValidationError", "not found"},
		{"set desired above max", setDesired(7), "ValidationError", "New SetDesiredCapacity value 7 is above max value 6"},
		{"set desired below min", setDesired(1), "ValidationError", "New SetDesiredCapacity value 1 is below min value 2"},
		{"suspend an unknown process", func() error {
			_, err := client.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("web"), ScalingProcesses: []string{"Nap"}})
			return err
		}, "ValidationError", "Nap"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if got := apiCode(err); got != tc.code {
				t.Fatalf("error code %q (%v), want %q", got, err, tc.code)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
	if g, _ := sim.Group(region, "web"); g.Min != 2 || g.Max != 6 || g.Desired != 3 {
		t.Errorf("refused requests changed the group: %d/%d/%d", g.Min, g.Max, g.Desired)
	}
	if _, ok := sim.Group(region, "new"); ok {
		t.Error("a refused CreateAutoScalingGroup created the group")
	}
	var exists *astypes.AlreadyExistsFault
	_, err := client.CreateAutoScalingGroup(ctx, groupInput(sim, "web", 1, 1, 1, azA))
	if !errors.As(err, &exists) {
		t.Errorf("got %T, want *types.AlreadyExistsFault", err)
	}
}

// UpdateAutoScalingGroup without DesiredCapacity moves it into the new
// bounds, as the API reference says.
func TestUpdateClampsDesiredIntoNewBounds(t *testing.T) {
	sim := awssim.New()
	client := autoscaling.NewFromConfig(sim.Config(region))
	newGroup(t, sim, client, groupInput(sim, "web", 1, 6, 3, azA, azB))
	for _, tc := range []struct {
		minSize, maxSize *int32
		want             int
	}{
		{aws.Int32(4), nil, 4},
		{aws.Int32(1), aws.Int32(2), 2},
	} {
		if _, err := client.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
			AutoScalingGroupName: aws.String("web"), MinSize: tc.minSize, MaxSize: tc.maxSize,
		}); err != nil {
			t.Fatal(err)
		}
		sim.Settle(time.Hour)
		g, _ := sim.Group(region, "web")
		if g.Desired != tc.want || inService(sim.GroupAZCounts(region, "web")) != tc.want {
			t.Errorf("min %v max %v: desired %d, InService %v; want %d", aws.ToInt32(tc.minSize), aws.ToInt32(tc.maxSize), g.Desired, sim.GroupAZCounts(region, "web"), tc.want)
		}
	}
}

func TestDescribeAutoScalingGroupsPagesAndTagFilters(t *testing.T) {
	sim := awssim.New()
	client := autoscaling.NewFromConfig(sim.Config(region))
	groups := []struct {
		name string
		tags map[string]string
	}{
		{"api-dev", map[string]string{"team": "api", "env": "dev"}},
		{"api-prod", map[string]string{"team": "api", "env": "prod", "selfheal:opt-in": "true"}},
		{"batch", map[string]string{"team": "batch"}},
		{"web-blue", map[string]string{"team": "web", "env": "prod", "selfheal:opt-in": "true"}},
		{"web-dev", map[string]string{"team": "web", "env": "dev"}},
		{"web-green", map[string]string{"team": "web", "env": "prod", "selfheal:opt-in": "false"}},
		{"worker", nil},
	}
	for _, g := range groups {
		in := groupInput(sim, g.name, 0, 2, 0, azA)
		for k, v := range g.tags {
			in.Tags = append(in.Tags, astypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		if err := sim.CreateGroup(region, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := sim.CreateGroup("us-west-2", &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("elsewhere"), MinSize: aws.Int32(0), MaxSize: aws.Int32(1),
		AvailabilityZones: []string{"us-west-2a"}, LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String("lt-1")},
	}); err != nil {
		t.Fatal(err)
	}

	describe := func(in *autoscaling.DescribeAutoScalingGroupsInput) ([]string, int) {
		t.Helper()
		var names []string
		pages := 0
		p := autoscaling.NewDescribeAutoScalingGroupsPaginator(client, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, g := range out.AutoScalingGroups {
				names = append(names, aws.ToString(g.AutoScalingGroupName))
			}
		}
		return names, pages
	}
	filter := func(name string, values ...string) astypes.Filter {
		return astypes.Filter{Name: aws.String(name), Values: values}
	}

	all, pages := describe(&autoscaling.DescribeAutoScalingGroupsInput{MaxRecords: aws.Int32(3)})
	if diff := cmp.Diff([]string{"api-dev", "api-prod", "batch", "web-blue", "web-dev", "web-green", "worker"}, all); diff != "" {
		t.Errorf("all groups by name (-want +got):\n%s", diff)
	}
	if pages != 3 {
		t.Errorf("%d pages of 3 for 7 groups, want 3", pages)
	}
	cases := []struct {
		name    string
		filters []astypes.Filter
		names   []string
		want    []string
	}{
		{"tag-key", []astypes.Filter{filter("tag-key", "selfheal:opt-in")}, nil, []string{"api-prod", "web-blue", "web-green"}},
		{"tag:key", []astypes.Filter{filter("tag:selfheal:opt-in", "true")}, nil, []string{"api-prod", "web-blue"}},
		{"values are ORed", []astypes.Filter{filter("tag:team", "batch", "api")}, nil, []string{"api-dev", "api-prod", "batch"}},
		{"filters are ANDed", []astypes.Filter{filter("tag:team", "web"), filter("tag:env", "prod")}, nil, []string{"web-blue", "web-green"}},
		{"tag-value", []astypes.Filter{filter("tag-value", "dev")}, nil, []string{"api-dev", "web-dev"}},
		{"exact values only", []astypes.Filter{filter("tag:team", "we*")}, nil, nil},
		{"names and filters", []astypes.Filter{filter("tag:env", "prod")}, []string{"web-blue", "batch", "missing"}, []string{"web-blue"}},
	}
	for _, tc := range cases {
		got, _ := describe(&autoscaling.DescribeAutoScalingGroupsInput{Filters: tc.filters, AutoScalingGroupNames: tc.names, MaxRecords: aws.Int32(2)})
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	_, err := client.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{Filters: []astypes.Filter{filter("instance-id", "i-1")}})
	if apiCode(err) != "ValidationError" {
		t.Errorf("unknown filter: got %v, want ValidationError", err)
	}
	_, err = client.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{NextToken: aws.String("forged")})
	if apiCode(err) != "InvalidNextToken" {
		t.Errorf("forged token: got %v, want InvalidNextToken", err)
	}
}

func TestTerminateInstanceWithAndWithoutDecrement(t *testing.T) {
	sim := awssim.New()
	client := autoscaling.NewFromConfig(sim.Config(region))
	newGroup(t, sim, client, groupInput(sim, "web", 2, 6, 3, azA, azB, azC))
	terminate := func(id string, decrement bool) (*autoscaling.TerminateInstanceInAutoScalingGroupOutput, error) {
		return client.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
			InstanceId: aws.String(id), ShouldDecrementDesiredCapacity: aws.Bool(decrement),
		})
	}
	ids := func() []string {
		g, _ := sim.Group(region, "web")
		var out []string
		for _, in := range g.Instances {
			out = append(out, in.ID)
		}
		return out
	}

	victim := ids()[0]
	out, err := terminate(victim, false)
	if err != nil {
		t.Fatal(err)
	}
	if d := aws.ToString(out.Activity.Description); d != "Terminating EC2 instance: "+victim {
		t.Errorf("activity %q", d)
	}
	sim.Settle(time.Hour)
	g, _ := sim.Group(region, "web")
	if now := ids(); g.Desired != 3 || len(now) != 3 || slices.Contains(now, victim) {
		t.Errorf("without decrement: desired %d, instances %v; want 3 with %s replaced", g.Desired, now, victim)
	}

	victim = ids()[1]
	if _, err := terminate(victim, true); err != nil {
		t.Fatal(err)
	}
	sim.Settle(time.Hour)
	g, _ = sim.Group(region, "web")
	if now := ids(); g.Desired != 2 || len(now) != 2 || slices.Contains(now, victim) {
		t.Errorf("with decrement: desired %d, instances %v; want 2 without %s", g.Desired, now, victim)
	}

	_, err = terminate(ids()[0], true)
	if apiCode(err) != "ValidationError" || !strings.Contains(err.Error(), "min size") {
		t.Errorf("decrement below min: got %v, want ValidationError", err)
	}
	_, err = terminate("i-0000000000000dead", false)
	if apiCode(err) != "ValidationError" || !strings.Contains(err.Error(), "i-0000000000000dead") {
		t.Errorf("unknown instance: got %v, want ValidationError", err)
	}

	// Each launch and termination is one activity, newest first.
	var descriptions []string
	p := autoscaling.NewDescribeScalingActivitiesPaginator(client, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("web"), MaxRecords: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Activities {
			if a.StatusCode != astypes.ScalingActivityStatusCodeSuccessful {
				t.Errorf("activity %q is %s", aws.ToString(a.Description), a.StatusCode)
			}
			descriptions = append(descriptions, strings.Fields(aws.ToString(a.Description))[0])
		}
	}
	if diff := cmp.Diff([]string{"Terminating", "Launching", "Terminating", "Launching", "Launching", "Launching"}, descriptions); diff != "" {
		t.Errorf("activities newest first (-want +got):\n%s", diff)
	}
}

func TestSuspendAndResumeProcesses(t *testing.T) {
	sim := awssim.New()
	client := autoscaling.NewFromConfig(sim.Config(region))
	newGroup(t, sim, client, groupInput(sim, "web", 0, 6, 2, azA, azB))
	suspended := func() []string {
		out, err := client.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"web"}})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range out.AutoScalingGroups[0].SuspendedProcesses {
			names = append(names, aws.ToString(p.ProcessName))
			if !strings.HasPrefix(aws.ToString(p.SuspensionReason), "User suspended at ") {
				t.Errorf("suspension reason %q", aws.ToString(p.SuspensionReason))
			}
		}
		return names
	}

	if _, err := client.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("web"), ScalingProcesses: []string{"Launch"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	sim.Advance(10 * time.Minute)
	if n := inService(sim.GroupAZCounts(region, "web")); n != 2 {
		t.Errorf("%d InService with Launch suspended, want 2", n)
	}
	if diff := cmp.Diff([]string{"Launch"}, suspended()); diff != "" {
		t.Errorf("suspended (-want +got):\n%s", diff)
	}

	// An empty list means every process.
	if _, err := client.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	if n := len(suspended()); n != 9 {
		t.Errorf("%d processes suspended by an empty list, want all 9", n)
	}
	if _, err := client.ResumeProcesses(ctx, &autoscaling.ResumeProcessesInput{AutoScalingGroupName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	if n := len(suspended()); n != 0 {
		t.Errorf("%d processes still suspended after resuming all", n)
	}
	sim.Settle(time.Hour)
	if n := inService(sim.GroupAZCounts(region, "web")); n != 4 {
		t.Errorf("%d InService after resuming Launch, want 4", n)
	}
}

func TestGroupTagsPropagateAtLaunch(t *testing.T) {
	sim := awssim.New()
	client := autoscaling.NewFromConfig(sim.Config(region))
	newGroup(t, sim, client, groupInput(sim, "web", 1, 4, 1, azA))
	tag := func(key, value string, propagate bool) astypes.Tag {
		return astypes.Tag{ResourceId: aws.String("web"), ResourceType: aws.String("auto-scaling-group"), Key: aws.String(key), Value: aws.String(value), PropagateAtLaunch: aws.Bool(propagate)}
	}
	if _, err := client.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: []astypes.Tag{
		tag("team", "web", true), tag("selfheal:opt-in", "true", false),
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	sim.Settle(time.Hour)

	ec := ec2.NewFromConfig(sim.Config(region))
	tagged, err := ec.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("tag:team"), Values: []string{"web"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tagged.Reservations); n != 1 {
		t.Errorf("%d instances carry team=web; only the one launched after the tag was added should", n)
	}
	optIn, err := ec.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{"selfheal:opt-in"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(optIn.Reservations); n != 0 {
		t.Errorf("%d instances carry a tag that does not propagate", n)
	}

	if _, err := client.DeleteTags(ctx, &autoscaling.DeleteTagsInput{Tags: []astypes.Tag{tag("team", "", false)}}); err != nil {
		t.Fatal(err)
	}
	g, _ := sim.Group(region, "web")
	if diff := cmp.Diff(map[string]string{"selfheal:opt-in": "true"}, g.Tags); diff != "" {
		t.Errorf("tags after DeleteTags (-want +got):\n%s", diff)
	}
	_, err = client.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: []astypes.Tag{
		{ResourceId: aws.String("nope"), ResourceType: aws.String("auto-scaling-group"), Key: aws.String("k"), Value: aws.String("v")},
	}})
	if apiCode(err) != "ValidationError" {
		t.Errorf("tagging an unknown group: got %v, want ValidationError", err)
	}
}

func TestInstanceRefreshControl(t *testing.T) {
	sim := awssim.New()
	client := autoscaling.NewFromConfig(sim.Config(region))
	newGroup(t, sim, client, groupInput(sim, "web", 1, 4, 2, azA, azB))
	refreshes := func() []astypes.InstanceRefresh {
		out, err := client.DescribeInstanceRefreshes(ctx, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String("web")})
		if err != nil {
			t.Fatal(err)
		}
		return out.InstanceRefreshes
	}
	if n := len(refreshes()); n != 0 {
		t.Fatalf("%d refreshes before any started", n)
	}
	id, err := sim.StartInstanceRefresh(region, "web")
	if err != nil {
		t.Fatal(err)
	}
	if got := refreshes(); len(got) != 1 || aws.ToString(got[0].InstanceRefreshId) != id || got[0].Status != astypes.InstanceRefreshStatusInProgress {
		t.Fatalf("refreshes %+v, want %s InProgress", got, id)
	}
	_, err = sim.StartInstanceRefresh(region, "web")
	var inProgress *astypes.InstanceRefreshInProgressFault
	if !errors.As(err, &inProgress) {
		t.Errorf("second refresh: got %v, want InstanceRefreshInProgress", err)
	}
	if err := sim.EndInstanceRefresh(region, "web", astypes.InstanceRefreshStatusSuccessful); err != nil {
		t.Fatal(err)
	}
	if got := refreshes(); got[0].Status != astypes.InstanceRefreshStatusSuccessful || got[0].EndTime == nil {
		t.Errorf("after ending: %s, end %v", got[0].Status, got[0].EndTime)
	}
}

func TestSetDesiredCapacityHonorsCooldownOnRequest(t *testing.T) {
	sim := awssim.New()
	client := autoscaling.NewFromConfig(sim.Config(region))
	in := groupInput(sim, "web", 1, 6, 2, azA, azB)
	in.DefaultCooldown = aws.Int32(300)
	newGroup(t, sim, client, in)
	set := func(n int32, honor bool) error {
		_, err := client.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{
			AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(n), HonorCooldown: aws.Bool(honor),
		})
		return err
	}
	var busy *astypes.ScalingActivityInProgressFault
	if err := set(3, true); !errors.As(err, &busy) {
		t.Errorf("HonorCooldown right after scaling: got %v, want ScalingActivityInProgress", err)
	}
	if err := set(3, false); err != nil {
		t.Errorf("without HonorCooldown: %v", err)
	}
	sim.Settle(time.Hour)
	sim.Advance(5 * time.Minute)
	if err := set(4, true); err != nil {
		t.Errorf("HonorCooldown after the cooldown: %v", err)
	}
}

// A group only in Availability Zones (no VPCZoneIdentifier) launches into
// each AZ's default subnet.
func TestGroupFromAvailabilityZones(t *testing.T) {
	sim := awssim.New()
	if err := sim.CreateGroup(region, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("classic"), MinSize: aws.Int32(2), MaxSize: aws.Int32(2),
		AvailabilityZones: []string{azB, azC}, LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String("lt-0abc")},
	}); err != nil {
		t.Fatal(err)
	}
	sim.Settle(time.Hour)
	if diff := cmp.Diff(counts(0, 1, 1), sim.GroupAZCounts(region, "classic")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	out, err := autoscaling.NewFromConfig(sim.Config(region)).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	g := out.AutoScalingGroups[0]
	if g.VPCZoneIdentifier != nil || fmt.Sprint(g.AvailabilityZones) != fmt.Sprint([]string{azB, azC}) {
		t.Errorf("VPCZoneIdentifier %v, AvailabilityZones %v", aws.ToString(g.VPCZoneIdentifier), g.AvailabilityZones)
	}
	if ids := g.AvailabilityZoneIds; fmt.Sprint(ids) != "[use1-az3 use1-az1]" {
		t.Errorf("AvailabilityZoneIds %v: AZ ids are not the AZ names' letters", ids)
	}
}
