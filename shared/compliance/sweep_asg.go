package compliance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

// Auto Scaling posture: pure checks of the way a group is set up, from
// what DescribeAutoScalingGroups shows (the sweep converts it: this
// package does not import the Auto Scaling client, which backup-compliance
// never calls).

// TypeAutoScalingGroup is the CloudFormation type of a group.
const TypeAutoScalingGroup = "AWS::AutoScaling::AutoScalingGroup"

// EvacuatedFromTag is the tag the rebalancer (shared/rebalance,
// TagEvacuatedFrom) puts on a group it moved out of an AZ, naming the AZs:
// while it is there, AZRebalance is suspended on purpose.
const EvacuatedFromTag = "selfheal:evacuated-from"

// ProcessAZRebalance is the Auto Scaling process that evens instances out
// across AZs.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-suspend-resume-processes.html
const ProcessAZRebalance = "AZRebalance"

// GroupState is an Auto Scaling group as DescribeAutoScalingGroups shows
// it.
type GroupState struct {
	ARN  string
	Name string
	// MinSize, MaxSize and DesiredCapacity as Auto Scaling reports them.
	MinSize, MaxSize, DesiredCapacity int32
	// AZs the group launches into, sorted.
	AZs []string
	// Instances counts the group's live instances (in service, or on the
	// way to it) per AZ.
	Instances map[string]int
	// HealthCheckTypes are HealthCheckType's comma-separated values
	// (EC2, ELB, VPC_LATTICE, EBS).
	HealthCheckTypes []string
	GracePeriod      time.Duration
	// TargetGroups and LoadBalancers attached (ARNs, Classic Load
	// Balancer names).
	TargetGroups  []string
	LoadBalancers []string
	// Suspended maps each suspended process to its reason.
	Suspended map[string]string
	Tags      map[string]string
	// ImpairmentPolicy is AvailabilityZoneImpairmentPolicy; nil when the
	// group has none.
	ImpairmentPolicy *ImpairmentPolicy
}

// ImpairmentPolicy is a group's Availability Zone impairment policy: what
// Auto Scaling does in an AZ with an active zonal shift.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AvailabilityZoneImpairmentPolicy.html
type ImpairmentPolicy struct {
	ZonalShiftEnabled bool
	// ImpairedZoneHealthCheckBehavior is ReplaceUnhealthy or
	// IgnoreUnhealthy.
	ImpairedZoneHealthCheckBehavior string
}

// EvacuatedFrom is the AZs the rebalancer evacuated the group from, by its
// tag.
func (g GroupState) EvacuatedFrom() []string {
	v := strings.TrimSpace(g.Tags[EvacuatedFromTag])
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

func (g GroupState) rebalanceSuspended() bool {
	_, ok := g.Suspended[ProcessAZRebalance]
	return ok
}

// counts lists the live instances of each of the group's AZs, in AZ order.
func (g GroupState) counts() []int {
	out := make([]int, len(g.AZs))
	for i, az := range g.AZs {
		out[i] = g.Instances[az]
	}
	return out
}

func (g GroupState) observed() map[string]string {
	parts := make([]string, len(g.AZs))
	for i, az := range g.AZs {
		parts[i] = fmt.Sprintf("%s=%d", az, g.Instances[az])
	}
	suspended := make([]string, 0, len(g.Suspended))
	for p := range g.Suspended {
		suspended = append(suspended, p)
	}
	slices.Sort(suspended)
	return map[string]string{
		"availabilityZones":  strings.Join(g.AZs, ","),
		"instancesPerAZ":     strings.Join(parts, ","),
		"minSize":            fmt.Sprint(g.MinSize),
		"maxSize":            fmt.Sprint(g.MaxSize),
		"desiredCapacity":    fmt.Sprint(g.DesiredCapacity),
		"healthCheckType":    strings.Join(g.HealthCheckTypes, ","),
		"gracePeriod":        g.GracePeriod.String(),
		"targetGroups":       itoa(len(g.TargetGroups)),
		"loadBalancers":      itoa(len(g.LoadBalancers)),
		"suspendedProcesses": strings.Join(suspended, ","),
		"evacuatedFrom":      g.Tags[EvacuatedFromTag],
	}
}

func (g GroupState) update(args string) string {
	return fmt.Sprintf("aws autoscaling update-auto-scaling-group --auto-scaling-group-name %s %s --region %s", g.Name, args, RegionOf(g.ARN))
}

func groupFinding(check string, st notify.Status, g GroupState, summary string, obs map[string]string, fix string) notify.Finding {
	return sweepFinding(check, st, g.ARN, TypeAutoScalingGroup, summary, obs, fix)
}

// ASGMultiAZ: the group launches into at least two AZs, so losing one
// leaves capacity.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-availability-zone-balanced.html
func ASGMultiAZ(g GroupState) notify.Finding {
	obs := g.observed()
	if len(g.AZs) >= 2 {
		return groupFinding(CheckASGMultiAZ, notify.StatusPass, g, fmt.Sprintf("spans %d AZs", len(g.AZs)), obs, "")
	}
	return groupFinding(CheckASGMultiAZ, notify.StatusFail, g,
		fmt.Sprintf("launches into %s only: an AZ event takes all its capacity", orPlaceholder(strings.Join(g.AZs, ""), "no AZ")),
		obs, g.update("--vpc-zone-identifier <subnet-a>,<subnet-b>,<subnet-c> (one subnet in each of at least two AZs)"))
}

// ASGAZBalance: the group's live instances per AZ differ by at most one.
// Auto Scaling evens them out by itself unless AZRebalance is suspended,
// so an imbalance with AZRebalance running is a WARN (it should pass) and
// with AZRebalance suspended a FAIL (nothing will fix it).
func ASGAZBalance(g GroupState) notify.Finding {
	obs := g.observed()
	if len(g.AZs) < 2 || g.DesiredCapacity == 0 {
		return groupFinding(CheckASGAZBalance, notify.StatusNotApplicable, g, "nothing to balance (fewer than two AZs, or no capacity)", obs, "")
	}
	counts := g.counts()
	lo, hi := slices.Min(counts), slices.Max(counts)
	if hi-lo <= 1 {
		return groupFinding(CheckASGAZBalance, notify.StatusPass, g, "balanced across its AZs ("+obs["instancesPerAZ"]+")", obs, "")
	}
	summary := fmt.Sprintf("unbalanced: %s (a spread of %d)", obs["instancesPerAZ"], hi-lo)
	if !g.rebalanceSuspended() {
		return groupFinding(CheckASGAZBalance, notify.StatusWarn, g, summary+"; AZRebalance should even it out",
			obs, fmt.Sprintf("if it persists, look for failed launches in the AZ with the fewest: aws autoscaling describe-scaling-activities --auto-scaling-group-name %s --region %s", g.Name, RegionOf(g.ARN)))
	}
	if len(g.EvacuatedFrom()) > 0 {
		return groupFinding(CheckASGAZBalance, notify.StatusWarn, g, summary+"; selfheal evacuated "+g.Tags[EvacuatedFromTag]+" and restores the balance when the AZ recovers",
			obs, "none while the evacuation lasts; selfheal resumes AZRebalance when it restores the group")
	}
	return groupFinding(CheckASGAZBalance, notify.StatusFail, g, summary+"; AZRebalance is suspended, so nothing evens it out",
		obs, fmt.Sprintf("aws autoscaling resume-processes --auto-scaling-group-name %s --scaling-processes %s --region %s", g.Name, ProcessAZRebalance, RegionOf(g.ARN)))
}

// ASGHeadroom: MaxSize is above the desired capacity, so Auto Scaling can
// launch a replacement before it terminates (rebalancing, instance
// refresh, and an evacuation that keeps capacity up all need room).
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-capacity-limits.html
func ASGHeadroom(g GroupState) notify.Finding {
	obs := g.observed()
	if g.DesiredCapacity == 0 {
		return groupFinding(CheckASGHeadroom, notify.StatusNotApplicable, g, "no capacity to replace", obs, "")
	}
	if g.MaxSize > g.DesiredCapacity {
		return groupFinding(CheckASGHeadroom, notify.StatusPass, g,
			fmt.Sprintf("room for %d more instances (max %d, desired %d)", g.MaxSize-g.DesiredCapacity, g.MaxSize, g.DesiredCapacity), obs, "")
	}
	// Room for one AZ's share of the capacity is what an evacuation needs.
	share := g.DesiredCapacity
	if n := int32(len(g.AZs)); n > 0 {
		share = (g.DesiredCapacity + n - 1) / n
	}
	return groupFinding(CheckASGHeadroom, notify.StatusFail, g,
		fmt.Sprintf("MaxSize %d is not above the desired %d: no room to launch a replacement before terminating", g.MaxSize, g.DesiredCapacity),
		obs, g.update(fmt.Sprintf("--max-size %d", g.DesiredCapacity+share)))
}

// ASGELBHealthCheck: a group behind a load balancer uses its health
// checks, so an instance the load balancer finds unhealthy is replaced.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-checks-overview.html
func ASGELBHealthCheck(g GroupState) notify.Finding {
	obs := g.observed()
	if len(g.TargetGroups)+len(g.LoadBalancers) == 0 {
		return groupFinding(CheckASGELBHealthCheck, notify.StatusNotApplicable, g, "not attached to a load balancer", obs, "")
	}
	if slices.Contains(g.HealthCheckTypes, "ELB") {
		return groupFinding(CheckASGELBHealthCheck, notify.StatusPass, g, "uses the load balancer's health checks", obs, "")
	}
	return groupFinding(CheckASGELBHealthCheck, notify.StatusFail, g,
		"attached to a load balancer but replaces instances on EC2 status checks only: an instance failing its load balancer health check stays in service",
		obs, g.update("--health-check-type ELB"))
}

// ASGGracePeriod: the health-check grace period is within the policy's
// bounds: too short and new instances are replaced before they finish
// starting, too long and a failed instance stays in service.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-check-grace-period.html
func ASGGracePeriod(g GroupState, p config.Posture) notify.Finding {
	obs := g.observed()
	lo, hi := p.MinHealthCheckGracePeriod.Duration, p.MaxHealthCheckGracePeriod.Duration
	obs["policy.minHealthCheckGracePeriod"] = lo.String()
	obs["policy.maxHealthCheckGracePeriod"] = hi.String()
	fix := g.update(fmt.Sprintf("--health-check-grace-period %d", int(max(lo, min(5*time.Minute, hi)).Seconds())))
	switch {
	case g.GracePeriod < lo:
		return groupFinding(CheckASGGracePeriod, notify.StatusFail, g,
			fmt.Sprintf("health-check grace period %s is below the policy's %s: instances may be replaced before they finish starting", g.GracePeriod, lo), obs, fix)
	case hi > 0 && g.GracePeriod > hi:
		return groupFinding(CheckASGGracePeriod, notify.StatusFail, g,
			fmt.Sprintf("health-check grace period %s is above the policy's %s: a failed instance stays in service that long", g.GracePeriod, hi), obs, fix)
	}
	return groupFinding(CheckASGGracePeriod, notify.StatusPass, g, "health-check grace period "+g.GracePeriod.String()+" is within policy", obs, "")
}

// ASGAZRebalance: AZRebalance is not suspended, unless selfheal suspended
// it while the group is evacuated from an AZ (its tag says so).
func ASGAZRebalance(g GroupState) notify.Finding {
	obs := g.observed()
	switch {
	case !g.rebalanceSuspended():
		return groupFinding(CheckASGAZRebalance, notify.StatusPass, g, "AZRebalance is active", obs, "")
	case len(g.EvacuatedFrom()) > 0:
		return groupFinding(CheckASGAZRebalance, notify.StatusPass, g,
			"AZRebalance suspended by selfheal while the group is evacuated from "+g.Tags[EvacuatedFromTag], obs, "")
	}
	obs["suspensionReason"] = g.Suspended[ProcessAZRebalance]
	return groupFinding(CheckASGAZRebalance, notify.StatusFail, g,
		"AZRebalance is suspended: after an AZ recovers the group stays unbalanced",
		obs, fmt.Sprintf("aws autoscaling resume-processes --auto-scaling-group-name %s --scaling-processes %s --region %s", g.Name, ProcessAZRebalance, RegionOf(g.ARN)))
}

// ASGImpairmentPolicy reports the group's Availability Zone impairment
// policy. It is informational: without zonal shift enabled the group is
// not registered with ARC zonal shift, so a zonal shift or autoshift does
// not make Auto Scaling treat the AZ as impaired ("the Auto Scaling group
// treats the Availability Zone with an active zonal shift as impaired"),
// which is the case the rebalancer's evacuation covers. A group without it
// is NOT_APPLICABLE, never a failure.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-zonal-shift.html
func ASGImpairmentPolicy(g GroupState) notify.Finding {
	obs := g.observed()
	ip := g.ImpairmentPolicy
	if ip == nil || !ip.ZonalShiftEnabled {
		obs["zonalShiftEnabled"] = "false"
		return groupFinding(CheckASGImpairmentPolicy, notify.StatusNotApplicable, g,
			"no AZ impairment policy: zonal shift is not enabled for this group", obs, "")
	}
	obs["zonalShiftEnabled"] = "true"
	obs["impairedZoneHealthCheckBehavior"] = ip.ImpairedZoneHealthCheckBehavior
	return groupFinding(CheckASGImpairmentPolicy, notify.StatusPass, g,
		"zonal shift enabled; in an impaired AZ unhealthy instances are "+behaviourText(ip.ImpairedZoneHealthCheckBehavior), obs, "")
}

func behaviourText(b string) string {
	switch b {
	case "IgnoreUnhealthy":
		return "left in place (IgnoreUnhealthy)"
	case "ReplaceUnhealthy":
		return "replaced (ReplaceUnhealthy)"
	}
	return "handled as " + orPlaceholder(b, "the default")
}

// ASGPosture is every posture check of one group.
func ASGPosture(g GroupState, p config.Posture) []notify.Finding {
	return []notify.Finding{
		ASGMultiAZ(g), ASGAZBalance(g), ASGHeadroom(g), ASGELBHealthCheck(g),
		ASGGracePeriod(g, p), ASGAZRebalance(g), ASGImpairmentPolicy(g),
	}
}
