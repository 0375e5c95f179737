package awssim

import (
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// Group is a snapshot of an Auto Scaling group, for assertions and the
// CLI. It records no API call.
type Group struct {
	Name, ARN, Region string
	Min, Max, Desired int
	// Subnets is the VPCZoneIdentifier list; AZs the AZs it enables.
	Subnets []string
	AZs     []string
	// Suspended lists the suspended processes, sorted.
	Suspended []string
	Tags      map[string]string
	Instances []GroupInstance
}

// GroupInstance is one instance of a [Group].
type GroupInstance struct {
	ID, AZ, SubnetID string
	LifecycleState   astypes.LifecycleState
	Healthy          bool
	LaunchTime       time.Time
}

// Group returns a snapshot of a group, or false if it does not exist.
func (s *Sim) Group(region, name string) (Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.asg.group(region, name)
	if g == nil {
		return Group{}, false
	}
	out := Group{
		Name: g.name, ARN: g.arn, Region: g.region,
		Min: g.min, Max: g.max, Desired: g.desired,
		Subnets: slices.Clone(g.subnets), Suspended: sortedKeys(g.suspended),
		Tags: map[string]string{},
	}
	for _, a := range g.enabledAZs(s.regions[region]) {
		out.AZs = append(out.AZs, a.name)
	}
	for k, t := range g.tags {
		out.Tags[k] = t.value
	}
	for _, in := range g.instances {
		out.Instances = append(out.Instances, GroupInstance{
			ID: in.id, AZ: in.az, SubnetID: in.subnet, LifecycleState: in.state,
			Healthy: in.health == healthHealthy, LaunchTime: in.launched,
		})
	}
	return out, true
}

// GroupAZCounts returns how many of a group's instances are InService in
// each AZ of the region, with every AZ of the region present (zero where
// the group has none). It is nil when the group does not exist.
func (s *Sim) GroupAZCounts(region, name string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.asg.group(region, name)
	if g == nil {
		return nil
	}
	out := map[string]int{}
	for _, az := range s.regions[region].AZs {
		out[az.Name] = 0
	}
	for _, in := range g.instances {
		if in.state == astypes.LifecycleStateInService {
			out[in.az]++
		}
	}
	return out
}

// CreateGroup creates an Auto Scaling group for seeding, with the same
// validation as CreateAutoScalingGroup but no entry in the call log.
func (s *Sim) CreateGroup(region string, in *autoscaling.CreateAutoScalingGroupInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.regions[region]
	if r == nil {
		return fmt.Errorf("awssim: no region %q", region)
	}
	_, err := s.asg.createAutoScalingGroup(r, in)
	return err
}

// StartInstanceRefresh marks an instance refresh InProgress for a group, as
// StartInstanceRefresh would, and returns its id. The sim does not replace
// instances for it: it exists so that code can see a refresh in
// DescribeInstanceRefreshes and stay out of its way. It fails with
// InstanceRefreshInProgress when one is already active.
func (s *Sim) StartInstanceRefresh(region, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.asg.group(region, name)
	if g == nil {
		return "", groupNotFound(name)
	}
	for _, ir := range g.refreshes {
		if ir.end.IsZero() {
			return "", &astypes.InstanceRefreshInProgressFault{Message: aws.String(fmt.Sprintf("An Instance Refresh is already in progress and blocks the execution of this Instance Refresh. (Instance Refresh %s)", ir.id))}
		}
	}
	ir := &instanceRefresh{
		id: s.uuid(), status: astypes.InstanceRefreshStatusInProgress, start: s.now,
		toUpdate: int32(g.activeCount()),
	}
	g.refreshes = append(g.refreshes, ir)
	return ir.id, nil
}

// EndInstanceRefresh ends a group's active instance refresh with status
// (Successful, Failed, Cancelled…).
func (s *Sim) EndInstanceRefresh(region, name string, status astypes.InstanceRefreshStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.asg.group(region, name)
	if g == nil {
		return groupNotFound(name)
	}
	for _, ir := range g.refreshes {
		if ir.end.IsZero() {
			ir.status, ir.end = status, s.now
			return nil
		}
	}
	return &astypes.ActiveInstanceRefreshNotFoundFault{Message: aws.String("No in progress or pending Instance Refresh found for Auto Scaling group " + name)}
}

// SetStatusCheckDelay sets how long an instance must fail its EC2 status
// checks before Auto Scaling marks it Unhealthy (default 2 minutes).
func (s *Sim) SetStatusCheckDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asg.statusCheckDelay = d
}
