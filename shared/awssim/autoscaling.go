package awssim

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// The Auto Scaling processes SuspendProcesses and ResumeProcesses accept.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-suspend-resume-processes.html
const (
	processLaunch           = "Launch"
	processTerminate        = "Terminate"
	processAZRebalance      = "AZRebalance"
	processHealthCheck      = "HealthCheck"
	processReplaceUnhealthy = "ReplaceUnhealthy"
)

var scalingProcesses = []string{
	"Launch", "Terminate", "AddToLoadBalancer", "AlarmNotification", "AZRebalance",
	"HealthCheck", "InstanceRefresh", "ReplaceUnhealthy", "ScheduledActions",
}

const (
	healthHealthy   = "Healthy"
	healthUnhealthy = "Unhealthy"

	// The instance type every simulated launch template resolves to.
	simInstanceType = "m7g.large"

	// Tags a group may carry.
	// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-tagging.html
	maxGroupTags = 50
)

type groupKey struct{ region, name string }

type asgState struct {
	s          *Sim
	groups     map[groupKey]*asgGroup
	activities []*asgActivity // every region, in start order

	// statusCheckDelay is how long an instance must fail its EC2 status
	// checks before Auto Scaling marks it Unhealthy. EC2 runs status checks
	// every minute; the sim waits for two failed checks, which is also the
	// window in which a remediation that reacts to the first signal can
	// still launch replacements before anything is terminated.
	// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-system-instance-status-check.html
	statusCheckDelay time.Duration
}

func newASGState(s *Sim) *asgState {
	return &asgState{s: s, groups: map[groupKey]*asgGroup{}, statusCheckDelay: 2 * time.Minute}
}

// asgGroup is one Auto Scaling group.
type asgGroup struct {
	region, name, arn string
	created           time.Time

	min, max, desired int
	subnets           []string // VPCZoneIdentifier, in the order given
	usesVPC           bool     // false when created from AvailabilityZones only

	healthCheckType string
	grace           time.Duration
	cooldown        time.Duration
	targetGroupARNs []string
	launchTemplate  *astypes.LaunchTemplateSpecification
	launchConfig    string
	mixed           *astypes.MixedInstancesPolicy
	// impairmentPolicy with ZonalShiftEnabled registers the group with ARC
	// zonal shift (arczonalshift.go); its ImpairedZoneHealthCheckBehavior
	// says whether unhealthy instances of a shifted-away AZ are replaced.
	impairmentPolicy *astypes.AvailabilityZoneImpairmentPolicy
	// shifted is the AZ an applied ARC zonal shift moves the group away
	// from ("" for none), refreshed at each reconcile: the group launches
	// nothing there.
	shifted string
	// azDistribution's balanced-only strategy keeps a launch in the AZ
	// that should get it instead of trying the others.
	azDistribution *astypes.AvailabilityZoneDistribution
	// capacityRebal (Spot capacity rebalancing) and terminationPols are
	// kept and described; the sim launches On-Demand instances only and
	// always applies the default termination policy.
	capacityRebal   bool
	terminationPols []string

	tags      map[string]groupTag
	suspended map[string]string // process → reason
	instances []*asgInstance    // attach order
	refreshes []*instanceRefresh

	// userCause is the latest user request that changed the desired
	// capacity, quoted at the start of the activities it causes, as AWS
	// does, until the group reaches it.
	userCause string
	// lastScaling is when the last scaling activity ended: cooldowns run
	// from it.
	lastScaling time.Time
	backoff     map[string]*launchBackoff // by AZ
}

type groupTag struct {
	value     string
	propagate bool
}

// asgInstance is an instance as its group sees it.
type asgInstance struct {
	id, az, subnet string
	state          astypes.LifecycleState
	health         string
	launched       time.Time
	inServiceAt    time.Time
	failingSince   time.Time // first tick its status checks failed; zero while passing
	activity       *asgActivity
}

type instanceRefresh struct {
	id         string
	status     astypes.InstanceRefreshStatus
	reason     string
	start, end time.Time
	toUpdate   int32
}

type launchBackoff struct {
	until time.Time
	delay time.Duration
}

func (s *Sim) registerAutoScaling() {
	x := s.asg
	handle(s, ServiceAutoScaling, "CreateAutoScalingGroup", x.createAutoScalingGroup)
	handle(s, ServiceAutoScaling, "DescribeAutoScalingGroups", x.describeAutoScalingGroups)
	handle(s, ServiceAutoScaling, "UpdateAutoScalingGroup", x.updateAutoScalingGroup)
	handle(s, ServiceAutoScaling, "SetDesiredCapacity", x.setDesiredCapacity)
	handle(s, ServiceAutoScaling, "TerminateInstanceInAutoScalingGroup", x.terminateInstanceInAutoScalingGroup)
	handle(s, ServiceAutoScaling, "SuspendProcesses", x.suspendProcesses)
	handle(s, ServiceAutoScaling, "ResumeProcesses", x.resumeProcesses)
	handle(s, ServiceAutoScaling, "CreateOrUpdateTags", x.createOrUpdateTags)
	handle(s, ServiceAutoScaling, "DeleteTags", x.deleteTags)
	handle(s, ServiceAutoScaling, "DescribeScalingActivities", x.describeScalingActivities)
	handle(s, ServiceAutoScaling, "DescribeInstanceRefreshes", x.describeInstanceRefreshes)
}

// asgValidation is the error Auto Scaling answers bad parameters with: the
// service models no type for it, so callers see the code ValidationError.
func asgValidation(format string, args ...any) error {
	return apiError(http.StatusBadRequest, "ValidationError", fmt.Sprintf(format, args...))
}

func groupNotFound(name string) error {
	return asgValidation("AutoScalingGroup name not found - AutoScalingGroup %s not found", name)
}

func (x *asgState) group(region, name string) *asgGroup {
	return x.groups[groupKey{region, name}]
}

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html
func (x *asgState) createAutoScalingGroup(r *Region, in *autoscaling.CreateAutoScalingGroupInput) (*autoscaling.CreateAutoScalingGroupOutput, error) {
	name := aws.ToString(in.AutoScalingGroupName)
	if name == "" || len(name) > 255 {
		return nil, asgValidation("AutoScalingGroupName must be between 1 and 255 characters")
	}
	if x.group(r.Name, name) != nil {
		return nil, &astypes.AlreadyExistsFault{Message: aws.String(fmt.Sprintf("AutoScalingGroup by this name already exists - A group with the name %s already exists", name))}
	}
	sources := 0
	for _, set := range []bool{in.LaunchTemplate != nil, in.LaunchConfigurationName != nil, in.MixedInstancesPolicy != nil, in.InstanceId != nil} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return nil, asgValidation("Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.")
	}
	if lt := in.LaunchTemplate; lt != nil && (lt.LaunchTemplateId == nil) == (lt.LaunchTemplateName == nil) {
		return nil, asgValidation("Valid requests must contain either launchTemplateId or launchTemplateName")
	}
	minSize, maxSize := int(aws.ToInt32(in.MinSize)), int(aws.ToInt32(in.MaxSize))
	desired := minSize
	if in.DesiredCapacity != nil {
		desired = int(*in.DesiredCapacity)
	}
	if err := checkSizes(minSize, maxSize, desired); err != nil {
		return nil, err
	}
	subnets, usesVPC, err := resolveSubnets(r, in.VPCZoneIdentifier, in.AvailabilityZones)
	if err != nil {
		return nil, err
	}
	if len(subnets) == 0 {
		return nil, asgValidation("At least one Availability Zone or VPC Subnet is required.")
	}
	hcType := "EC2"
	if in.HealthCheckType != nil {
		if err := checkHealthCheckType(*in.HealthCheckType); err != nil {
			return nil, err
		}
		hcType = *in.HealthCheckType
	}
	if aws.ToInt32(in.HealthCheckGracePeriod) < 0 || aws.ToInt32(in.DefaultCooldown) < 0 {
		return nil, asgValidation("HealthCheckGracePeriod and DefaultCooldown must not be negative")
	}
	tags := map[string]groupTag{}
	for _, t := range in.Tags {
		if id := aws.ToString(t.ResourceId); id != "" && id != name {
			return nil, asgValidation("Tag resource id %s does not match the group name %s", id, name)
		}
		tags[aws.ToString(t.Key)] = groupTag{value: aws.ToString(t.Value), propagate: aws.ToBool(t.PropagateAtLaunch)}
	}
	if len(tags) > maxGroupTags {
		return nil, &astypes.LimitExceededFault{Message: aws.String(fmt.Sprintf("The number of tags (%d) exceeds the limit of %d tags per Auto Scaling group", len(tags), maxGroupTags))}
	}

	g := &asgGroup{
		region: r.Name, name: name, created: x.s.now,
		arn: fmt.Sprintf("arn:aws:autoscaling:%s:%s:autoScalingGroup:%s:autoScalingGroupName/%s", r.Name, x.s.accountID, x.s.uuid(), name),
		min: minSize, max: maxSize, desired: desired,
		subnets: subnets, usesVPC: usesVPC,
		healthCheckType:  hcType,
		grace:            time.Duration(aws.ToInt32(in.HealthCheckGracePeriod)) * time.Second,
		cooldown:         300 * time.Second,
		targetGroupARNs:  slices.Clone(in.TargetGroupARNs),
		launchConfig:     aws.ToString(in.LaunchConfigurationName),
		mixed:            in.MixedInstancesPolicy,
		impairmentPolicy: in.AvailabilityZoneImpairmentPolicy,
		azDistribution:   in.AvailabilityZoneDistribution,
		capacityRebal:    aws.ToBool(in.CapacityRebalance),
		terminationPols:  slices.Clone(in.TerminationPolicies),
		tags:             tags,
		suspended:        map[string]string{},
		backoff:          map[string]*launchBackoff{},
	}
	if in.DefaultCooldown != nil {
		g.cooldown = time.Duration(*in.DefaultCooldown) * time.Second
	}
	if in.LaunchTemplate != nil {
		lt := *in.LaunchTemplate
		if lt.Version == nil {
			lt.Version = aws.String("$Default")
		}
		g.launchTemplate = &lt
	}
	if desired > 0 {
		g.userCause = fmt.Sprintf("At %s a user request created an AutoScalingGroup changing the desired capacity from 0 to %d.", causeTime(x.s.now), desired)
	}
	x.groups[groupKey{r.Name, name}] = g
	return &autoscaling.CreateAutoScalingGroupOutput{}, nil
}

// checkSizes applies the group size rules of CreateAutoScalingGroup and
// UpdateAutoScalingGroup, with the messages Auto Scaling uses.
func checkSizes(minSize, maxSize, desired int) error {
	if minSize < 0 || maxSize < 0 {
		return asgValidation("MinSize and MaxSize must not be negative")
	}
	if maxSize < minSize {
		return asgValidation("Max bound, %d, must be greater than or equal to min bound, %d", maxSize, minSize)
	}
	if desired < minSize || desired > maxSize {
		return asgValidation("Desired capacity:%d must be between the specified min size:%d and max size:%d", desired, minSize, maxSize)
	}
	return nil
}

// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-health-checks.html
func checkHealthCheckType(v string) error {
	for _, t := range strings.Split(v, ",") {
		switch strings.TrimSpace(t) {
		case "EC2", "ELB", "VPC_LATTICE", "EBS":
		default:
			return asgValidation("Invalid health check type %q: valid types are EC2, ELB, VPC_LATTICE and EBS", t)
		}
	}
	return nil
}

// resolveSubnets reads VPCZoneIdentifier (a comma-separated subnet list) or,
// without it, AvailabilityZones (launching into the AZ's default subnet).
func resolveSubnets(r *Region, vpcZone *string, azs []string) ([]string, bool, error) {
	if vpcZone != nil && strings.TrimSpace(*vpcZone) != "" {
		var out []string
		for _, id := range strings.Split(*vpcZone, ",") {
			id = strings.TrimSpace(id)
			if id == "" || slices.Contains(out, id) {
				continue
			}
			if _, ok := r.subnet(id); !ok {
				return nil, false, asgValidation("The subnet ID '%s' does not exist", id)
			}
			out = append(out, id)
		}
		return out, true, nil
	}
	var out []string
	for _, name := range azs {
		var found bool
		for _, sn := range r.Subnets {
			if sn.AZ == name {
				if !slices.Contains(out, sn.ID) {
					out = append(out, sn.ID)
				}
				found = true
				break
			}
		}
		if !found {
			return nil, false, asgValidation("The availability zone %s is not legal", name)
		}
	}
	return out, false, nil
}

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html
func (x *asgState) updateAutoScalingGroup(r *Region, in *autoscaling.UpdateAutoScalingGroupInput) (*autoscaling.UpdateAutoScalingGroupOutput, error) {
	name := aws.ToString(in.AutoScalingGroupName)
	g := x.group(r.Name, name)
	if g == nil {
		return nil, groupNotFound(name)
	}
	minSize, maxSize, desired := g.min, g.max, g.desired
	if in.MinSize != nil {
		minSize = int(*in.MinSize)
	}
	if in.MaxSize != nil {
		maxSize = int(*in.MaxSize)
	}
	if in.DesiredCapacity != nil {
		desired = int(*in.DesiredCapacity)
	} else {
		// "If you specify a new value for MinSize without specifying a value
		// for DesiredCapacity, and the new MinSize is larger than the current
		// size of the group, this sets the group's DesiredCapacity to the new
		// MinSize value", and the same for a smaller MaxSize.
		desired = min(max(desired, minSize), maxSize)
	}
	if err := checkSizes(minSize, maxSize, desired); err != nil {
		return nil, err
	}
	var subnets []string
	usesVPC := g.usesVPC
	if in.VPCZoneIdentifier != nil || len(in.AvailabilityZones) > 0 {
		var err error
		subnets, usesVPC, err = resolveSubnets(r, in.VPCZoneIdentifier, in.AvailabilityZones)
		if err != nil {
			return nil, err
		}
		if len(subnets) == 0 {
			return nil, asgValidation("At least one Availability Zone or VPC Subnet is required.")
		}
	}
	if in.HealthCheckType != nil {
		if err := checkHealthCheckType(*in.HealthCheckType); err != nil {
			return nil, err
		}
	}
	if aws.ToInt32(in.HealthCheckGracePeriod) < 0 || aws.ToInt32(in.DefaultCooldown) < 0 {
		return nil, asgValidation("HealthCheckGracePeriod and DefaultCooldown must not be negative")
	}

	// Valid: apply it all.
	if desired != g.desired {
		g.userCause = fmt.Sprintf("At %s a user request update of AutoScalingGroup constraints to min: %d, max: %d, desired: %d changing the desired capacity from %d to %d.",
			causeTime(x.s.now), minSize, maxSize, desired, g.desired, desired)
	}
	g.min, g.max, g.desired = minSize, maxSize, desired
	if subnets != nil {
		g.subnets, g.usesVPC = subnets, usesVPC
	}
	if in.HealthCheckType != nil {
		g.healthCheckType = *in.HealthCheckType
	}
	if in.HealthCheckGracePeriod != nil {
		g.grace = time.Duration(*in.HealthCheckGracePeriod) * time.Second
	}
	if in.DefaultCooldown != nil {
		g.cooldown = time.Duration(*in.DefaultCooldown) * time.Second
	}
	if in.LaunchTemplate != nil {
		lt := *in.LaunchTemplate
		g.launchTemplate, g.launchConfig, g.mixed = &lt, "", nil
	}
	if in.AvailabilityZoneImpairmentPolicy != nil {
		g.impairmentPolicy = in.AvailabilityZoneImpairmentPolicy
	}
	if in.AvailabilityZoneDistribution != nil {
		g.azDistribution = in.AvailabilityZoneDistribution
	}
	if in.CapacityRebalance != nil {
		g.capacityRebal = *in.CapacityRebalance
	}
	if in.TerminationPolicies != nil {
		g.terminationPols = slices.Clone(in.TerminationPolicies)
	}
	return &autoscaling.UpdateAutoScalingGroupOutput{}, nil
}

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetDesiredCapacity.html
func (x *asgState) setDesiredCapacity(r *Region, in *autoscaling.SetDesiredCapacityInput) (*autoscaling.SetDesiredCapacityOutput, error) {
	name := aws.ToString(in.AutoScalingGroupName)
	g := x.group(r.Name, name)
	if g == nil {
		return nil, groupNotFound(name)
	}
	desired := int(aws.ToInt32(in.DesiredCapacity))
	if desired > g.max {
		return nil, asgValidation("New SetDesiredCapacity value %d is above max value %d for the AutoScalingGroup.", desired, g.max)
	}
	if desired < g.min {
		return nil, asgValidation("New SetDesiredCapacity value %d is below min value %d for the AutoScalingGroup.", desired, g.min)
	}
	// "By default, Amazon EC2 Auto Scaling does not honor the cooldown
	// period during manual scaling activities."
	if aws.ToBool(in.HonorCooldown) && !g.lastScaling.IsZero() && x.s.now.Before(g.lastScaling.Add(g.cooldown)) {
		return nil, &astypes.ScalingActivityInProgressFault{Message: aws.String(fmt.Sprintf(
			"The Auto Scaling group %s is in its cooldown period until %s", name, causeTime(g.lastScaling.Add(g.cooldown))))}
	}
	if desired != g.desired {
		g.userCause = fmt.Sprintf("At %s a user request explicitly set group desired capacity changing the desired capacity from %d to %d.",
			causeTime(x.s.now), g.desired, desired)
		g.desired = desired
	}
	return &autoscaling.SetDesiredCapacityOutput{}, nil
}

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_TerminateInstanceInAutoScalingGroup.html
func (x *asgState) terminateInstanceInAutoScalingGroup(r *Region, in *autoscaling.TerminateInstanceInAutoScalingGroupInput) (*autoscaling.TerminateInstanceInAutoScalingGroupOutput, error) {
	ids := in.InstanceIds
	if len(ids) > 0 {
		if in.InstanceId != nil {
			return nil, asgValidation("Specify either InstanceId or InstanceIds, not both")
		}
		if in.AutoScalingGroupName == nil {
			return nil, asgValidation("AutoScalingGroupName is required when InstanceIds is specified")
		}
		if len(ids) > 100 {
			return nil, asgValidation("You can specify up to 100 instance IDs")
		}
	} else {
		if in.InstanceId == nil {
			return nil, asgValidation("Either InstanceId or InstanceIds is required")
		}
		ids = []string{*in.InstanceId}
	}
	decrement := aws.ToBool(in.ShouldDecrementDesiredCapacity)

	// Resolve every instance before changing anything.
	type target struct {
		g  *asgGroup
		in *asgInstance
	}
	var targets []target
	newDesired := map[*asgGroup]int{}
	for _, id := range ids {
		g, inst := x.findInstance(r.Name, id)
		if inst == nil || (in.AutoScalingGroupName != nil && g.name != *in.AutoScalingGroupName) {
			return nil, asgValidation("Instance Id not found - No managed instance found for instance ID: %s", id)
		}
		if _, seen := newDesired[g]; !seen {
			newDesired[g] = g.desired
		}
		if decrement && inst.state != astypes.LifecycleStateTerminating {
			if newDesired[g]-1 < g.min {
				return nil, asgValidation("Currently, desiredSize equals minSize (%d). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.", g.min)
			}
			newDesired[g]--
		}
		targets = append(targets, target{g, inst})
	}

	now := x.s.now
	out := &autoscaling.TerminateInstanceInAutoScalingGroupOutput{}
	for _, t := range targets {
		if t.in.state == astypes.LifecycleStateTerminating {
			// Already on its way out: answer with the activity doing it.
			out.Activities = append(out.Activities, t.in.activity.describe())
			continue
		}
		cause := fmt.Sprintf("At %s instance %s was taken out of service in response to a user request.", causeTime(now), t.in.id)
		if decrement {
			cause = fmt.Sprintf("At %s instance %s was taken out of service in response to a user request, shrinking the capacity from %d to %d.",
				causeTime(now), t.in.id, t.g.desired, t.g.desired-1)
			t.g.desired--
		}
		act := x.startTerminate(t.g, t.in, cause)
		out.Activities = append(out.Activities, act.describe())
	}
	if in.InstanceId != nil {
		out.Activity = &out.Activities[0]
		out.Activities = nil
	}
	return out, nil
}

func (x *asgState) findInstance(region, id string) (*asgGroup, *asgInstance) {
	for k, g := range x.groups {
		if k.region != region {
			continue
		}
		for _, in := range g.instances {
			if in.id == id {
				return g, in
			}
		}
	}
	return nil, nil
}

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SuspendProcesses.html
func (x *asgState) suspendProcesses(r *Region, in *autoscaling.SuspendProcessesInput) (*autoscaling.SuspendProcessesOutput, error) {
	g, procs, err := x.processRequest(r, in.AutoScalingGroupName, in.ScalingProcesses)
	if err != nil {
		return nil, err
	}
	for _, p := range procs {
		if _, ok := g.suspended[p]; !ok {
			g.suspended[p] = fmt.Sprintf("User suspended at %s", causeTime(x.s.now))
		}
	}
	return &autoscaling.SuspendProcessesOutput{}, nil
}

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_ResumeProcesses.html
func (x *asgState) resumeProcesses(r *Region, in *autoscaling.ResumeProcessesInput) (*autoscaling.ResumeProcessesOutput, error) {
	g, procs, err := x.processRequest(r, in.AutoScalingGroupName, in.ScalingProcesses)
	if err != nil {
		return nil, err
	}
	for _, p := range procs {
		delete(g.suspended, p)
	}
	return &autoscaling.ResumeProcessesOutput{}, nil
}

// processRequest resolves the group and process list of Suspend/Resume: an
// empty list means every process.
func (x *asgState) processRequest(r *Region, name *string, procs []string) (*asgGroup, []string, error) {
	g := x.group(r.Name, aws.ToString(name))
	if g == nil {
		return nil, nil, groupNotFound(aws.ToString(name))
	}
	if len(procs) == 0 {
		return g, scalingProcesses, nil
	}
	for _, p := range procs {
		if !slices.Contains(scalingProcesses, p) {
			return nil, nil, asgValidation("Process type %s is not a valid scaling process", p)
		}
	}
	return g, procs, nil
}

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateOrUpdateTags.html
func (x *asgState) createOrUpdateTags(r *Region, in *autoscaling.CreateOrUpdateTagsInput) (*autoscaling.CreateOrUpdateTagsOutput, error) {
	groups, err := x.tagTargets(r, in.Tags)
	if err != nil {
		return nil, err
	}
	added := map[*asgGroup]int{}
	for i, t := range in.Tags {
		if _, ok := groups[i].tags[aws.ToString(t.Key)]; !ok {
			added[groups[i]]++
		}
	}
	for g, n := range added {
		if len(g.tags)+n > maxGroupTags {
			return nil, &astypes.LimitExceededFault{Message: aws.String(fmt.Sprintf("The number of tags for %s would exceed the limit of %d tags per Auto Scaling group", g.name, maxGroupTags))}
		}
	}
	for i, t := range in.Tags {
		groups[i].tags[aws.ToString(t.Key)] = groupTag{value: aws.ToString(t.Value), propagate: aws.ToBool(t.PropagateAtLaunch)}
	}
	return &autoscaling.CreateOrUpdateTagsOutput{}, nil
}

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DeleteTags.html
func (x *asgState) deleteTags(r *Region, in *autoscaling.DeleteTagsInput) (*autoscaling.DeleteTagsOutput, error) {
	groups, err := x.tagTargets(r, in.Tags)
	if err != nil {
		return nil, err
	}
	for i, t := range in.Tags {
		delete(groups[i].tags, aws.ToString(t.Key))
	}
	return &autoscaling.DeleteTagsOutput{}, nil
}

func (x *asgState) tagTargets(r *Region, tags []astypes.Tag) ([]*asgGroup, error) {
	out := make([]*asgGroup, len(tags))
	for i, t := range tags {
		if rt := aws.ToString(t.ResourceType); rt != "auto-scaling-group" {
			return nil, asgValidation("Invalid resource type %q: tags apply to resource type auto-scaling-group", rt)
		}
		if aws.ToString(t.Key) == "" {
			return nil, asgValidation("Tag key must not be empty")
		}
		g := x.group(r.Name, aws.ToString(t.ResourceId))
		if g == nil {
			return nil, groupNotFound(aws.ToString(t.ResourceId))
		}
		out[i] = g
	}
	return out, nil
}

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingGroups.html
func (x *asgState) describeAutoScalingGroups(r *Region, in *autoscaling.DescribeAutoScalingGroupsInput) (*autoscaling.DescribeAutoScalingGroupsOutput, error) {
	if in.MaxRecords != nil && (*in.MaxRecords < 1 || *in.MaxRecords > 100) {
		return nil, asgValidation("MaxRecords must be between 1 and 100")
	}
	for _, f := range in.Filters {
		n := aws.ToString(f.Name)
		if n != "tag-key" && n != "tag-value" && !strings.HasPrefix(n, "tag:") {
			return nil, asgValidation("Filter name %s is not valid: valid filters are tag-key, tag-value and tag:<key>", n)
		}
	}
	var matched []*asgGroup
	for _, g := range x.regionGroups(r.Name) {
		if len(in.AutoScalingGroupNames) > 0 && !slices.Contains(in.AutoScalingGroupNames, g.name) {
			continue
		}
		if g.matchesTagFilters(in.Filters) {
			matched = append(matched, g)
		}
	}
	pg, next, err := page(matched, in.MaxRecords, in.NextToken, 50, 100, "InvalidNextToken")
	if err != nil {
		return nil, err
	}
	out := &autoscaling.DescribeAutoScalingGroupsOutput{NextToken: next, AutoScalingGroups: []astypes.AutoScalingGroup{}}
	for _, g := range pg {
		out.AutoScalingGroups = append(out.AutoScalingGroups, g.describe(r, x.s.accountID, in.IncludeInstances == nil || *in.IncludeInstances))
	}
	return out, nil
}

// regionGroups lists a region's groups by name, as AWS lists them.
func (x *asgState) regionGroups(region string) []*asgGroup {
	var out []*asgGroup
	for k, g := range x.groups {
		if k.region == region {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// matchesTagFilters applies DescribeAutoScalingGroups filters: values of one
// filter are ORed, filters are ANDed, matches are exact.
func (g *asgGroup) matchesTagFilters(filters []astypes.Filter) bool {
	for _, f := range filters {
		name := aws.ToString(f.Name)
		ok := false
		for k, t := range g.tags {
			switch {
			case name == "tag-key":
				ok = slices.Contains(f.Values, k)
			case name == "tag-value":
				ok = slices.Contains(f.Values, t.value)
			default:
				ok = k == strings.TrimPrefix(name, "tag:") && slices.Contains(f.Values, t.value)
			}
			if ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (g *asgGroup) describe(r *Region, accountID string, withInstances bool) astypes.AutoScalingGroup {
	out := astypes.AutoScalingGroup{
		AutoScalingGroupName:             aws.String(g.name),
		AutoScalingGroupARN:              aws.String(g.arn),
		CreatedTime:                      aws.Time(g.created),
		MinSize:                          aws.Int32(int32(g.min)),
		MaxSize:                          aws.Int32(int32(g.max)),
		DesiredCapacity:                  aws.Int32(int32(g.desired)),
		DefaultCooldown:                  aws.Int32(int32(g.cooldown / time.Second)),
		HealthCheckType:                  aws.String(g.healthCheckType),
		HealthCheckGracePeriod:           aws.Int32(int32(g.grace / time.Second)),
		TargetGroupARNs:                  slices.Clone(g.targetGroupARNs),
		LoadBalancerNames:                []string{},
		LaunchTemplate:                   g.launchTemplateCopy(),
		MixedInstancesPolicy:             g.mixed,
		AvailabilityZoneImpairmentPolicy: g.impairmentPolicy,
		AvailabilityZoneDistribution:     g.azDistribution,
		CapacityRebalance:                aws.Bool(g.capacityRebal),
		NewInstancesProtectedFromScaleIn: aws.Bool(false),
		ServiceLinkedRoleARN:             aws.String(fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling", accountID)),
		TerminationPolicies:              g.terminationPolicies(),
		EnabledMetrics:                   []astypes.EnabledMetric{},
		SuspendedProcesses:               []astypes.SuspendedProcess{},
		Tags:                             []astypes.TagDescription{},
		Instances:                        []astypes.Instance{},
	}
	if g.launchConfig != "" {
		out.LaunchConfigurationName = aws.String(g.launchConfig)
	}
	if g.usesVPC {
		out.VPCZoneIdentifier = aws.String(strings.Join(g.subnets, ","))
	}
	for _, az := range r.AZs { // sorted by name; ids in the same order
		for _, e := range g.enabledAZs(r) {
			if e.name == az.Name {
				out.AvailabilityZones = append(out.AvailabilityZones, az.Name)
				out.AvailabilityZoneIds = append(out.AvailabilityZoneIds, az.ID)
			}
		}
	}
	for _, p := range sortedKeys(g.suspended) {
		out.SuspendedProcesses = append(out.SuspendedProcesses, astypes.SuspendedProcess{ProcessName: aws.String(p), SuspensionReason: aws.String(g.suspended[p])})
	}
	for _, k := range sortedKeys(g.tags) {
		t := g.tags[k]
		out.Tags = append(out.Tags, astypes.TagDescription{
			Key: aws.String(k), Value: aws.String(t.value), PropagateAtLaunch: aws.Bool(t.propagate),
			ResourceId: aws.String(g.name), ResourceType: aws.String("auto-scaling-group"),
		})
	}
	if withInstances {
		for _, in := range g.instances {
			az, _ := r.az(in.az)
			out.Instances = append(out.Instances, astypes.Instance{
				InstanceId:           aws.String(in.id),
				AvailabilityZone:     aws.String(in.az),
				AvailabilityZoneId:   aws.String(az.ID),
				HealthStatus:         aws.String(in.health),
				LifecycleState:       in.state,
				InstanceType:         aws.String(simInstanceType),
				LaunchTemplate:       g.launchTemplateCopy(),
				ProtectedFromScaleIn: aws.Bool(false),
			})
		}
	}
	return out
}

func (g *asgGroup) launchTemplateCopy() *astypes.LaunchTemplateSpecification {
	if g.launchTemplate == nil {
		return nil
	}
	lt := *g.launchTemplate
	return &lt
}

func (g *asgGroup) terminationPolicies() []string {
	if len(g.terminationPols) == 0 {
		return []string{"Default"}
	}
	return slices.Clone(g.terminationPols)
}

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeScalingActivities.html
func (x *asgState) describeScalingActivities(r *Region, in *autoscaling.DescribeScalingActivitiesInput) (*autoscaling.DescribeScalingActivitiesOutput, error) {
	if in.MaxRecords != nil && (*in.MaxRecords < 1 || *in.MaxRecords > 100) {
		return nil, asgValidation("MaxRecords must be between 1 and 100")
	}
	var matched []*asgActivity
	// Newest first, as Auto Scaling lists them.
	for i := len(x.activities) - 1; i >= 0; i-- {
		a := x.activities[i]
		if a.region != r.Name {
			continue
		}
		if in.AutoScalingGroupName != nil && a.group != *in.AutoScalingGroupName {
			continue
		}
		if len(in.ActivityIds) > 0 && !slices.Contains(in.ActivityIds, a.id) {
			continue
		}
		matched = append(matched, a)
	}
	pg, next, err := page(matched, in.MaxRecords, in.NextToken, 100, 100, "InvalidNextToken")
	if err != nil {
		return nil, err
	}
	out := &autoscaling.DescribeScalingActivitiesOutput{NextToken: next, Activities: []astypes.Activity{}}
	for _, a := range pg {
		out.Activities = append(out.Activities, a.describe())
	}
	return out, nil
}

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeInstanceRefreshes.html
func (x *asgState) describeInstanceRefreshes(r *Region, in *autoscaling.DescribeInstanceRefreshesInput) (*autoscaling.DescribeInstanceRefreshesOutput, error) {
	if in.MaxRecords != nil && (*in.MaxRecords < 1 || *in.MaxRecords > 100) {
		return nil, asgValidation("MaxRecords must be between 1 and 100")
	}
	out := &autoscaling.DescribeInstanceRefreshesOutput{InstanceRefreshes: []astypes.InstanceRefresh{}}
	g := x.group(r.Name, aws.ToString(in.AutoScalingGroupName))
	if g == nil {
		return out, nil
	}
	var matched []*instanceRefresh
	for i := len(g.refreshes) - 1; i >= 0; i-- { // newest first
		if len(in.InstanceRefreshIds) == 0 || slices.Contains(in.InstanceRefreshIds, g.refreshes[i].id) {
			matched = append(matched, g.refreshes[i])
		}
	}
	pg, next, err := page(matched, in.MaxRecords, in.NextToken, 50, 100, "InvalidNextToken")
	if err != nil {
		return nil, err
	}
	out.NextToken = next
	for _, ir := range pg {
		d := astypes.InstanceRefresh{
			AutoScalingGroupName: aws.String(g.name),
			InstanceRefreshId:    aws.String(ir.id),
			Status:               ir.status,
			StartTime:            aws.Time(ir.start),
			InstancesToUpdate:    aws.Int32(ir.toUpdate),
			PercentageComplete:   aws.Int32(0),
			Strategy:             astypes.RefreshStrategyRolling,
		}
		if ir.reason != "" {
			d.StatusReason = aws.String(ir.reason)
		}
		if !ir.end.IsZero() {
			d.EndTime = aws.Time(ir.end)
			if ir.status == astypes.InstanceRefreshStatusSuccessful {
				d.PercentageComplete, d.InstancesToUpdate = aws.Int32(100), aws.Int32(0)
			}
		}
		out.InstanceRefreshes = append(out.InstanceRefreshes, d)
	}
	return out, nil
}

// causeTime formats an instant the way activity causes quote it.
func causeTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
