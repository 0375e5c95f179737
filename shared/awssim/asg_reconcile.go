package awssim

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// What Auto Scaling does on its own, once per tick, for every group:
//
//  1. follow EC2: Pending instances that run go InService, terminated ones
//     leave the group (each completes its activity and emits its event);
//  2. health checks: instances failing EC2 status checks past the grace
//     period are marked Unhealthy;
//  3. ReplaceUnhealthy: Unhealthy instances are terminated first, and
//     replaced by step 4 ("Amazon EC2 Auto Scaling creates a new scaling
//     activity for terminating the unhealthy instance and then terminates
//     it. Later, another scaling activity launches a new instance to
//     replace the terminated instance."
//     https://docs.aws.amazon.com/autoscaling/ec2/userguide/replace-unhealthy-instance.html);
//  4. launch toward desired capacity into the enabled AZ with the fewest
//     instances, trying the next AZ when a launch fails;
//  5. rebalancing: replace instances of AZs removed from VPCZoneIdentifier
//     and, unless AZRebalance is suspended, even out the enabled AZs —
//     always launching before terminating, and allowed to exceed MaxSize by
//     10 percent or one instance, whichever is greater, meanwhile;
//  6. terminate what exceeds desired capacity per the default termination
//     policy, never taking InService capacity below desired for it.
//
// Rebalancing, the margin above MaxSize and launch-before-terminate:
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/auto-scaling-benefits.html#AutoScalingBehavior.Rebalancing
// Changing the group's AZs is one of the documented rebalancing triggers
// ("You change the Availability Zones associated with your Auto Scaling
// group"), hence replacements in the remaining AZs come before the removed
// AZ's instances are terminated.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-add-availability-zone.html

type activityKind int

const (
	launchActivity activityKind = iota
	terminateActivity
)

// asgActivity is one scaling activity as DescribeScalingActivities lists it.
type asgActivity struct {
	id, requestID           string
	region, group, groupARN string
	kind                    activityKind
	instanceID, az, subnet  string
	cause, description      string
	statusMessage           string
	status                  astypes.ScalingActivityStatusCode
	progress                int32
	start, end              time.Time
}

func (a *asgActivity) details() string {
	d, _ := json.Marshal(activityDetails{SubnetID: a.subnet, AZ: a.az})
	return string(d)
}

type activityDetails struct {
	SubnetID string `json:"Subnet ID"`
	AZ       string `json:"Availability Zone"`
}

func (a *asgActivity) describe() astypes.Activity {
	out := astypes.Activity{
		ActivityId:           aws.String(a.id),
		AutoScalingGroupName: aws.String(a.group),
		AutoScalingGroupARN:  aws.String(a.groupARN),
		Cause:                aws.String(a.cause),
		Description:          aws.String(a.description),
		Details:              aws.String(a.details()),
		StartTime:            aws.Time(a.start),
		StatusCode:           a.status,
		Progress:             aws.Int32(a.progress),
	}
	if a.statusMessage != "" {
		out.StatusMessage = aws.String(a.statusMessage)
	}
	if !a.end.IsZero() {
		out.EndTime = aws.Time(a.end)
	}
	return out
}

func (x *asgState) newActivity(g *asgGroup, kind activityKind, cause string) *asgActivity {
	a := &asgActivity{
		id: x.s.uuid(), requestID: x.s.uuid(), region: g.region, group: g.name, groupARN: g.arn,
		kind: kind, cause: cause, status: astypes.ScalingActivityStatusCodeInProgress, start: x.s.now,
	}
	x.activities = append(x.activities, a)
	return a
}

func (x *asgState) reconcile() {
	keys := make([]groupKey, 0, len(x.groups))
	for k := range x.groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].region != keys[j].region {
			return keys[i].region < keys[j].region
		}
		return keys[i].name < keys[j].name
	})
	for _, k := range keys {
		g := x.groups[k]
		g.shifted = x.s.arc.shiftedAway(g)
		x.followEC2(g)
		x.checkHealth(g)
		x.replaceUnhealthy(g)
		x.scaleOut(g)
		x.rebalance(g)
		x.scaleIn(g)
		if g.activeCount() == g.desired {
			g.userCause = ""
		}
	}
}

// busy reports whether a group has anything in flight or anything it
// would do at the next tick: Settle runs until no group is busy.
func (x *asgState) busy() bool {
	for _, g := range x.groups {
		if x.groupBusy(g) {
			return true
		}
	}
	return false
}

func (x *asgState) groupBusy(g *asgGroup) bool {
	g.shifted = x.s.arc.shiftedAway(g)
	canReplace := !g.isSuspended(processReplaceUnhealthy) && !g.isSuspended(processTerminate)
	for _, in := range g.instances {
		if in.state != astypes.LifecycleStateInService {
			return true
		}
		if in.health == healthUnhealthy && canReplace {
			return true
		}
		if in.health == healthHealthy && !g.isSuspended(processHealthCheck) && x.failingChecks(in) {
			return true
		}
	}
	active := g.activeCount()
	if active > g.desired && !g.isSuspended(processTerminate) {
		return true
	}
	if g.isSuspended(processLaunch) {
		return false
	}
	r := x.s.regions[g.region]
	counts, stranded := g.projectAfter(r, max(active-g.desired, 0))
	az, _, ok := g.pickLaunchAZ(r, counts, nil, x.s.now)
	switch {
	case !ok:
		return false
	case active < g.desired:
		return true
	case active >= g.max+surgeMargin(g.max):
		return false
	case stranded > 0:
		return true
	}
	return !g.isSuspended(processAZRebalance) && counts[az]+1 < maxCount(counts)
}

// followEC2 moves instances along their lifecycle as EC2 reports them.
func (x *asgState) followEC2(g *asgGroup) {
	now := x.s.now
	kept := g.instances[:0]
	for _, in := range g.instances {
		ec := x.s.ec2.instance(in.id)
		gone := ec == nil || ec.State == ec2types.InstanceStateNameShuttingDown || ec.State == ec2types.InstanceStateNameTerminated
		switch in.state {
		case astypes.LifecycleStatePending:
			if ec != nil && ec.State == ec2types.InstanceStateNameRunning {
				in.state, in.inServiceAt = astypes.LifecycleStateInService, now
				x.completeActivity(g, in.activity)
				in.activity = nil
			} else if gone {
				in.health = healthUnhealthy
			}
		case astypes.LifecycleStateTerminating:
			if ec == nil || ec.State == ec2types.InstanceStateNameTerminated {
				x.completeActivity(g, in.activity)
				continue // detached from the group
			}
		}
		kept = append(kept, in)
	}
	clear(g.instances[len(kept):])
	g.instances = kept
}

// failingChecks reports whether EC2 reports the instance not running or
// failing its status checks.
func (x *asgState) failingChecks(in *asgInstance) bool {
	ec := x.s.ec2.instance(in.id)
	return ec == nil || ec.State != ec2types.InstanceStateNameRunning || ec.Impaired
}

// checkHealth marks InService instances Unhealthy when EC2 says so, once
// the health check grace period has passed.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-check-grace-period.html
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-health-checks.html
func (x *asgState) checkHealth(g *asgGroup) {
	if g.isSuspended(processHealthCheck) {
		return
	}
	now := x.s.now
	for _, in := range g.instances {
		if in.state != astypes.LifecycleStateInService || in.health == healthUnhealthy {
			continue
		}
		if !x.failingChecks(in) {
			in.failingSince = time.Time{}
			continue
		}
		if in.failingSince.IsZero() {
			in.failingSince = now
		}
		if now.Before(in.inServiceAt.Add(g.grace)) {
			continue
		}
		ec := x.s.ec2.instance(in.id)
		stopped := ec == nil || ec.State != ec2types.InstanceStateNameRunning
		// An instance that is not running is unhealthy at once; failing
		// status checks take two failed checks.
		if stopped || now.Sub(in.failingSince) >= x.statusCheckDelay {
			in.health = healthUnhealthy
		}
	}
}

func (x *asgState) replaceUnhealthy(g *asgGroup) {
	if g.isSuspended(processReplaceUnhealthy) || g.isSuspended(processTerminate) {
		return
	}
	for _, in := range g.instances {
		if in.health != healthUnhealthy || in.state == astypes.LifecycleStateTerminating {
			continue
		}
		if in.az == g.shifted && g.ignoresUnhealthyWhenShifted() {
			// "Instances will not be replaced in the Availability Zone
			// with the active zonal shift."
			// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-zonal-shift.html
			continue
		}
		reason := "an EC2 instance status checks failure"
		if ec := x.s.ec2.instance(in.id); ec == nil || ec.State != ec2types.InstanceStateNameRunning {
			reason = "an EC2 health check indicating it has been terminated or stopped"
		}
		x.startTerminate(g, in, fmt.Sprintf("At %s an instance was taken out of service in response to %s.", causeTime(x.s.now), reason))
	}
}

func (x *asgState) scaleOut(g *asgGroup) {
	if g.isSuspended(processLaunch) {
		return
	}
	active := g.activeCount()
	if active >= g.desired {
		return
	}
	r := x.s.regions[g.region]
	counts, _ := g.projectAfter(r, 0)
	tried := map[string]bool{}
	from := active
	for active < g.desired {
		az, subnet, ok := g.pickLaunchAZ(r, counts, tried, x.s.now)
		if !ok {
			return
		}
		cause := g.userCause + sep(g.userCause) + fmt.Sprintf(
			"At %s an instance was started in response to a difference between desired and actual capacity, increasing the capacity from %d to %d.",
			causeTime(x.s.now), from, g.desired)
		if !x.launchInto(g, az, subnet, cause) {
			tried[az] = true
			continue
		}
		counts[az]++
		active++
	}
}

func (x *asgState) rebalance(g *asgGroup) {
	if g.isSuspended(processLaunch) {
		return
	}
	r := x.s.regions[g.region]
	limit := g.max + surgeMargin(g.max)
	tried := map[string]bool{}
	for {
		active := g.activeCount()
		if active >= limit {
			return
		}
		counts, stranded := g.projectAfter(r, max(active-g.desired, 0))
		az, subnet, ok := g.pickLaunchAZ(r, counts, tried, x.s.now)
		if !ok {
			return
		}
		var cause string
		switch {
		case stranded > 0:
			cause = fmt.Sprintf("At %s instances were launched to replace instances in Availability Zones removed from the group, resulting in more than desired number of instances in the group.", causeTime(x.s.now))
		case !g.isSuspended(processAZRebalance) && counts[az]+1 < maxCount(counts):
			cause = fmt.Sprintf("At %s instances were launched to balance instances in zones %s with other zones resulting in more than desired number of instances in the group.", causeTime(x.s.now), az)
		default:
			return
		}
		if !x.launchInto(g, az, subnet, cause) {
			tried[az] = true
		}
	}
}

func (x *asgState) scaleIn(g *asgGroup) {
	if g.isSuspended(processTerminate) {
		return
	}
	r := x.s.regions[g.region]
	for {
		active := g.activeCount()
		if active <= g.desired {
			return
		}
		victim := g.terminationOrder(r, 1)[0]
		// Launch before terminate: wait for pending replacements rather
		// than take InService capacity below desired.
		if victim.state == astypes.LifecycleStateInService && g.inServiceCount()-1 < g.desired {
			return
		}
		x.startTerminate(g, victim, g.userCause+sep(g.userCause)+fmt.Sprintf(
			"At %s an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from %d to %d.",
			causeTime(x.s.now), active, active-1))
	}
}

func sep(s string) string {
	if s == "" {
		return ""
	}
	return "  "
}

// launchInto launches one instance for g in a subnet; a failed launch is
// recorded as a Failed activity, emitted as "EC2 Instance Launch
// Unsuccessful" and backs the AZ off.
func (x *asgState) launchInto(g *asgGroup, az, subnet, cause string) bool {
	now := x.s.now
	act := x.newActivity(g, launchActivity, cause)
	act.az, act.subnet = az, subnet
	tags := map[string]string{groupInstanceTag: g.name}
	for k, t := range g.tags {
		if t.propagate {
			tags[k] = t.value
		}
	}
	inst, err := x.s.ec2.launch(g.region, subnet, tags)
	if err != nil {
		act.status, act.progress, act.end = astypes.ScalingActivityStatusCodeFailed, 100, now
		act.statusMessage = launchFailureMessage(err)
		act.description = "Launching a new EC2 instance.  Status Reason: " + act.statusMessage
		x.emitActivity(g, act, "EC2 Instance Launch Unsuccessful")
		b := g.backoff[az]
		if b == nil {
			b = &launchBackoff{delay: x.s.tick}
			g.backoff[az] = b
		} else {
			b.delay = min(2*b.delay, 5*time.Minute)
		}
		b.until = now.Add(b.delay)
		return false
	}
	delete(g.backoff, az)
	act.instanceID, act.progress = inst.ID, 30
	act.description = "Launching a new EC2 instance: " + inst.ID
	g.instances = append(g.instances, &asgInstance{
		id: inst.ID, az: az, subnet: subnet, state: astypes.LifecycleStatePending,
		health: healthHealthy, launched: now, activity: act,
	})
	return true
}

// launchFailureMessage is the StatusMessage Auto Scaling gives a failed
// launch, quoting EC2's error.
func launchFailureMessage(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("Could not launch On-Demand Instances. %s - %s Launching EC2 instance failed.", apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
	return err.Error() + " Launching EC2 instance failed."
}

func (x *asgState) startTerminate(g *asgGroup, in *asgInstance, cause string) *asgActivity {
	act := x.newActivity(g, terminateActivity, cause)
	act.instanceID, act.az, act.subnet = in.id, in.az, in.subnet
	act.description = "Terminating EC2 instance: " + in.id
	in.state, in.activity = astypes.LifecycleStateTerminating, act
	x.s.ec2.terminate(in.id)
	return act
}

// completeActivity ends a launch (the instance is InService) or a
// termination (EC2 reports it terminated) and emits its event.
func (x *asgState) completeActivity(g *asgGroup, act *asgActivity) {
	if act == nil {
		return
	}
	act.status, act.progress, act.end = astypes.ScalingActivityStatusCodeSuccessful, 100, x.s.now
	g.lastScaling = x.s.now
	detailType := "EC2 Instance Launch Successful"
	if act.kind == terminateActivity {
		detailType = "EC2 Instance Terminate Successful"
	}
	x.emitActivity(g, act, detailType)
}

// asgActivityEvent is the detail of the aws.autoscaling launch and
// terminate events, field for field as the AWS samples show it. Successful
// activities carry StatusCode InProgress in AWS's samples, and so here.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html
type asgActivityEvent struct {
	StatusCode           string          `json:"StatusCode"`
	Description          string          `json:"Description,omitempty"`
	AutoScalingGroupName string          `json:"AutoScalingGroupName"`
	ActivityID           string          `json:"ActivityId"`
	Details              activityDetails `json:"Details"`
	RequestID            string          `json:"RequestId"`
	StatusMessage        string          `json:"StatusMessage"`
	EndTime              string          `json:"EndTime"`
	EC2InstanceID        string          `json:"EC2InstanceId"`
	StartTime            string          `json:"StartTime"`
	Cause                string          `json:"Cause"`
	Origin               string          `json:"Origin"`
	Destination          string          `json:"Destination"`
}

const eventMillis = "2006-01-02T15:04:05.000Z"

func (x *asgState) emitActivity(g *asgGroup, act *asgActivity, detailType string) {
	d := asgActivityEvent{
		StatusCode:           string(astypes.ScalingActivityStatusCodeInProgress),
		AutoScalingGroupName: g.name,
		ActivityID:           act.id,
		Details:              activityDetails{SubnetID: act.subnet, AZ: act.az},
		RequestID:            act.requestID,
		StatusMessage:        act.statusMessage,
		EndTime:              act.end.UTC().Format(eventMillis),
		EC2InstanceID:        act.instanceID,
		StartTime:            act.start.UTC().Format(eventMillis),
		Cause:                act.cause,
		Origin:               "EC2",
		Destination:          "AutoScalingGroup",
	}
	resources := []string{g.arn}
	if act.instanceID != "" {
		resources = append(resources, fmt.Sprintf("arn:aws:ec2:%s:%s:instance/%s", g.region, x.s.accountID, act.instanceID))
	}
	switch {
	case act.status == astypes.ScalingActivityStatusCodeFailed:
		d.StatusCode = string(act.status)
	case act.kind == terminateActivity:
		d.Description = act.description
		d.Origin, d.Destination = "AutoScalingGroup", "EC2"
	default:
		d.Description = act.description
	}
	x.s.emitLocked(g.region, "aws.autoscaling", detailType, resources, d)
}

// Planning helpers: pure reads of a group's state.

type azSubnet struct{ name, subnet string }

// enabledAZs lists the AZs of the group's subnets, in VPCZoneIdentifier
// order, each with the first of its subnets.
func (g *asgGroup) enabledAZs(r *Region) []azSubnet {
	var out []azSubnet
	for _, id := range g.subnets {
		sn, ok := r.subnet(id)
		if !ok {
			continue
		}
		dup := false
		for _, a := range out {
			dup = dup || a.name == sn.AZ
		}
		if !dup {
			out = append(out, azSubnet{sn.AZ, sn.ID})
		}
	}
	return out
}

func (g *asgGroup) isSuspended(process string) bool {
	_, ok := g.suspended[process]
	return ok
}

func (g *asgGroup) ignoresUnhealthyWhenShifted() bool {
	return g.impairmentPolicy != nil && g.impairmentPolicy.ImpairedZoneHealthCheckBehavior == astypes.ImpairedZoneHealthCheckBehaviorIgnoreUnhealthy
}

func (g *asgGroup) balancedOnly() bool {
	return g.azDistribution != nil && g.azDistribution.CapacityDistributionStrategy == astypes.CapacityDistributionStrategyBalancedOnly
}

// activeCount counts instances that are or will be capacity: Pending and
// InService, healthy or not.
func (g *asgGroup) activeCount() int {
	n := 0
	for _, in := range g.instances {
		if in.state != astypes.LifecycleStateTerminating {
			n++
		}
	}
	return n
}

func (g *asgGroup) inServiceCount() int {
	n := 0
	for _, in := range g.instances {
		if in.state == astypes.LifecycleStateInService {
			n++
		}
	}
	return n
}

// surgeMargin is how far rebalancing may take a group above MaxSize: "10
// percent or one instance, whichever is greater" (10 percent rounded down).
func surgeMargin(maxSize int) int { return max(1, maxSize/10) }

// terminationOrder returns the first n active instances the default
// termination policy would terminate, one after the other: instances of
// AZs no longer enabled first, then from the enabled AZ with the most
// instances, the oldest instance. AWS orders by oldest launch template,
// then closest to the next billing hour; every simulated instance shares
// one launch template and billing is per second, so the sim takes the
// oldest, then the lowest id.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-termination-policies.html
func (g *asgGroup) terminationOrder(r *Region, n int) []*asgInstance {
	enabled := g.enabledAZs(r)
	isEnabled := map[string]bool{}
	for _, a := range enabled {
		isEnabled[a.name] = true
	}
	var pool []*asgInstance
	counts := map[string]int{}
	for _, in := range g.instances {
		if in.state != astypes.LifecycleStateTerminating {
			pool = append(pool, in)
			counts[in.az]++
		}
	}
	older := func(a, b *asgInstance) bool {
		if !a.launched.Equal(b.launched) {
			return a.launched.Before(b.launched)
		}
		return a.id < b.id
	}
	var out []*asgInstance
	for len(out) < n && len(pool) > 0 {
		pick := -1
		for i, in := range pool { // stranded first
			if !isEnabled[in.az] && (pick < 0 || older(in, pool[pick])) {
				pick = i
			}
		}
		if pick < 0 {
			az, most := "", -1
			for _, a := range enabled {
				if counts[a.name] > most {
					az, most = a.name, counts[a.name]
				}
			}
			for i, in := range pool {
				if in.az == az && (pick < 0 || older(in, pool[pick])) {
					pick = i
				}
			}
		}
		if pick < 0 {
			break
		}
		out = append(out, pool[pick])
		counts[pool[pick].az]--
		pool = append(pool[:pick], pool[pick+1:]...)
	}
	return out
}

// projectAfter returns the active instances per enabled AZ, and how many
// active instances remain in AZs no longer enabled, once the next excess
// terminations per the termination policy have happened.
func (g *asgGroup) projectAfter(r *Region, excess int) (map[string]int, int) {
	leaving := map[*asgInstance]bool{}
	for _, in := range g.terminationOrder(r, excess) {
		leaving[in] = true
	}
	counts := map[string]int{}
	for _, a := range g.enabledAZs(r) {
		counts[a.name] = 0
	}
	stranded := 0
	for _, in := range g.instances {
		if in.state == astypes.LifecycleStateTerminating || leaving[in] {
			continue
		}
		if _, ok := counts[in.az]; ok {
			counts[in.az]++
		} else {
			stranded++
		}
	}
	return counts, stranded
}

// pickLaunchAZ chooses where the next instance goes: the enabled AZ with
// the fewest instances among those not tried this tick and not backing off
// after a failed launch. With the balanced-only strategy no AZ takes more
// than its even share of desired capacity (rounded up), so the share of an
// AZ whose launches fail is not given away: "Auto Scaling will continue to
// attempt to launch instances in the Availability Zone" instead.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-availability-zone-balanced.html
// An AZ a zonal shift moves the group away from gets nothing, and the
// share is of the other AZs: "Auto Scaling will launch all new capacity
// requests in the healthy Availability Zones".
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-zonal-shift.html
func (g *asgGroup) pickLaunchAZ(r *Region, counts map[string]int, tried map[string]bool, now time.Time) (string, string, bool) {
	best, subnet, ok := "", "", false
	enabled := g.enabledAZs(r)
	shares := len(enabled)
	for _, a := range enabled {
		if a.name == g.shifted {
			shares--
			continue
		}
		if tried[a.name] {
			continue
		}
		if b := g.backoff[a.name]; b != nil && now.Before(b.until) {
			continue
		}
		if !ok || counts[a.name] < counts[best] {
			best, subnet, ok = a.name, a.subnet, true
		}
	}
	if ok && g.balancedOnly() && counts[best] >= (g.desired+shares-1)/shares {
		return "", "", false
	}
	return best, subnet, ok
}

func maxCount(counts map[string]int) int {
	m := 0
	for _, c := range counts {
		m = max(m, c)
	}
	return m
}

// groupInstanceTag is the tag Auto Scaling puts on every instance it
// launches.
const groupInstanceTag = "aws:autoscaling:groupName"
