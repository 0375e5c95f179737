package awssim

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Instance is a simulated EC2 instance.
type Instance struct {
	ID         string
	Region     string
	AZ         string
	SubnetID   string
	State      ec2types.InstanceStateName
	LaunchTime time.Time
	Tags       map[string]string
	// Impaired instances fail their status checks: their AZ is impaired.
	Impaired bool

	stateSince time.Time
}

type ec2State struct {
	s         *Sim
	instances map[string]*Instance
	order     []string            // launch order, for stable listings
	impaired  map[string]struct{} // "region/az"

	// How long an instance stays pending, and shutting-down, before the
	// next state; AWS takes tens of seconds for each.
	launchDelay    time.Duration
	terminateDelay time.Duration
	// Terminated instances stay visible for about an hour.
	// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/terminating-instances.html
	terminatedVisible time.Duration
}

func newEC2State(s *Sim) *ec2State {
	return &ec2State{
		s:                 s,
		instances:         map[string]*Instance{},
		impaired:          map[string]struct{}{},
		launchDelay:       40 * time.Second,
		terminateDelay:    30 * time.Second,
		terminatedVisible: time.Hour,
	}
}

func (s *Sim) registerEC2() {
	handle(s, ServiceEC2, "DescribeAvailabilityZones", s.ec2.describeAvailabilityZones)
	handle(s, ServiceEC2, "DescribeSubnets", s.ec2.describeSubnets)
	handle(s, ServiceEC2, "DescribeInstances", s.ec2.describeInstances)
}

// ImpairAZ makes an Availability Zone fail: its instances fail their status
// checks and new launches there fail with InsufficientInstanceCapacity.
func (s *Sim) ImpairAZ(region, az string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.impairAZLocked(region, az)
}

// impairAZLocked is ImpairAZ for callers that hold s.mu (Health controls).
func (s *Sim) impairAZLocked(region, az string) {
	s.ec2.impaired[region+"/"+az] = struct{}{}
	for _, id := range s.ec2.order {
		if in := s.ec2.instances[id]; in.Region == region && in.AZ == az && in.State != ec2types.InstanceStateNameTerminated {
			in.Impaired = true
		}
	}
}

// RecoverAZ ends an impairment: launches succeed again and the surviving
// instances pass their status checks.
func (s *Sim) RecoverAZ(region, az string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recoverAZLocked(region, az)
}

// recoverAZLocked is RecoverAZ for callers that hold s.mu.
func (s *Sim) recoverAZLocked(region, az string) {
	delete(s.ec2.impaired, region+"/"+az)
	for _, in := range s.ec2.instances {
		if in.Region == region && in.AZ == az {
			in.Impaired = false
		}
	}
}

// AZImpaired reports whether an AZ is impaired.
func (s *Sim) AZImpaired(region, az string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ec2.isImpaired(region, az)
}

// Instances returns copies of the region's instances that are not yet
// terminated, in launch order.
func (s *Sim) Instances(region string) []Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Instance
	for _, id := range s.ec2.order {
		in := s.ec2.instances[id]
		if in.Region == region && in.State != ec2types.InstanceStateNameTerminated {
			c := *in
			c.Tags = cloneTags(in.Tags)
			out = append(out, c)
		}
	}
	return out
}

// RunInstance launches one instance outside any group (for seeding).
func (s *Sim) RunInstance(region, az string, tags map[string]string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.regions[region]
	if r == nil {
		return "", fmt.Errorf("awssim: no region %q", region)
	}
	for _, sn := range r.Subnets {
		if sn.AZ == az {
			in, err := s.ec2.launch(region, sn.ID, tags)
			if err != nil {
				return "", err
			}
			return in.ID, nil
		}
	}
	return "", fmt.Errorf("awssim: no AZ %q in %s", az, region)
}

func (e *ec2State) isImpaired(region, az string) bool {
	_, ok := e.impaired[region+"/"+az]
	return ok
}

// launch starts a pending instance in a subnet, or fails as EC2 does when
// the AZ has no capacity.
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/troubleshooting-launch.html#troubleshooting-launch-capacity
func (e *ec2State) launch(region, subnetID string, tags map[string]string) (*Instance, error) {
	r := e.s.regions[region]
	if r == nil {
		return nil, fmt.Errorf("awssim: no region %q", region)
	}
	sn, ok := r.subnet(subnetID)
	if !ok {
		return nil, apiError(http.StatusBadRequest, "InvalidSubnetID.NotFound", fmt.Sprintf("The subnet ID '%s' does not exist", subnetID))
	}
	if e.isImpaired(region, sn.AZ) {
		return nil, apiError(http.StatusInternalServerError, "InsufficientInstanceCapacity",
			fmt.Sprintf("We currently do not have sufficient capacity in the Availability Zone you requested (%s). Our system will be working on provisioning additional capacity.", sn.AZ))
	}
	now := e.s.now
	in := &Instance{
		ID: e.s.nextID("i-", 17), Region: region, AZ: sn.AZ, SubnetID: sn.ID,
		State: ec2types.InstanceStateNamePending, LaunchTime: now, stateSince: now,
		Tags: cloneTags(tags),
	}
	e.instances[in.ID] = in
	e.order = append(e.order, in.ID)
	return in, nil
}

// terminate begins shutting an instance down.
func (e *ec2State) terminate(id string) {
	in := e.instances[id]
	if in == nil || in.State == ec2types.InstanceStateNameShuttingDown || in.State == ec2types.InstanceStateNameTerminated {
		return
	}
	in.State = ec2types.InstanceStateNameShuttingDown
	in.stateSince = e.s.now
}

func (e *ec2State) instance(id string) *Instance { return e.instances[id] }

func (e *ec2State) reconcile() {
	now := e.s.now
	kept := e.order[:0]
	for _, id := range e.order {
		in := e.instances[id]
		switch in.State {
		case ec2types.InstanceStateNamePending:
			if now.Sub(in.stateSince) >= e.launchDelay {
				in.State, in.stateSince = ec2types.InstanceStateNameRunning, now
				in.Impaired = e.isImpaired(in.Region, in.AZ)
			}
		case ec2types.InstanceStateNameShuttingDown:
			if now.Sub(in.stateSince) >= e.terminateDelay {
				in.State, in.stateSince = ec2types.InstanceStateNameTerminated, now
			}
		case ec2types.InstanceStateNameTerminated:
			if now.Sub(in.stateSince) >= e.terminatedVisible {
				delete(e.instances, id)
				continue
			}
		}
		kept = append(kept, id)
	}
	e.order = kept
}

func (e *ec2State) busy() bool {
	for _, in := range e.instances {
		if in.State == ec2types.InstanceStateNamePending || in.State == ec2types.InstanceStateNameShuttingDown {
			return true
		}
	}
	return false
}

// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html
func (e *ec2State) describeAvailabilityZones(r *Region, in *ec2.DescribeAvailabilityZonesInput) (*ec2.DescribeAvailabilityZonesOutput, error) {
	out := &ec2.DescribeAvailabilityZonesOutput{}
	for _, az := range r.AZs {
		if len(in.ZoneNames) > 0 && !contains(in.ZoneNames, az.Name) {
			continue
		}
		if len(in.ZoneIds) > 0 && !contains(in.ZoneIds, az.ID) {
			continue
		}
		fields := map[string]string{
			"zone-name": az.Name, "zone-id": az.ID, "region-name": r.Name,
			"state": "available", "zone-type": "availability-zone",
		}
		ok, err := ec2FiltersMatch(in.Filters, fields, nil)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		out.AvailabilityZones = append(out.AvailabilityZones, ec2types.AvailabilityZone{
			ZoneName: aws.String(az.Name), ZoneId: aws.String(az.ID), RegionName: aws.String(r.Name),
			State: ec2types.AvailabilityZoneStateAvailable, ZoneType: aws.String("availability-zone"),
			GroupName: aws.String(r.Name), OptInStatus: ec2types.AvailabilityZoneOptInStatusOptInNotRequired,
		})
	}
	return out, nil
}

// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSubnets.html
func (e *ec2State) describeSubnets(r *Region, in *ec2.DescribeSubnetsInput) (*ec2.DescribeSubnetsOutput, error) {
	for _, id := range in.SubnetIds {
		if _, ok := r.subnet(id); !ok {
			return nil, apiError(http.StatusBadRequest, "InvalidSubnetID.NotFound", fmt.Sprintf("The subnet ID '%s' does not exist", id))
		}
	}
	var matched []ec2types.Subnet
	for _, sn := range r.Subnets {
		if len(in.SubnetIds) > 0 && !contains(in.SubnetIds, sn.ID) {
			continue
		}
		fields := map[string]string{
			"subnet-id": sn.ID, "vpc-id": sn.VPCID, "availability-zone": sn.AZ,
			"availability-zone-id": sn.AZID, "cidr-block": sn.CIDR, "state": "available",
		}
		ok, err := ec2FiltersMatch(in.Filters, fields, nil)
		if err != nil {
			return nil, err
		}
		if ok {
			matched = append(matched, ec2types.Subnet{
				SubnetId: aws.String(sn.ID), VpcId: aws.String(sn.VPCID), AvailabilityZone: aws.String(sn.AZ),
				AvailabilityZoneId: aws.String(sn.AZID), CidrBlock: aws.String(sn.CIDR), State: ec2types.SubnetStateAvailable,
			})
		}
	}
	if in.MaxResults != nil && (*in.MaxResults < 5 || *in.MaxResults > 1000) {
		return nil, apiError(http.StatusBadRequest, "InvalidParameterValue", "MaxResults must be between 5 and 1000")
	}
	pg, next, err := page(matched, in.MaxResults, in.NextToken, 1000, 1000, "InvalidNextToken")
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeSubnetsOutput{Subnets: pg, NextToken: next}, nil
}

// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
func (e *ec2State) describeInstances(r *Region, in *ec2.DescribeInstancesInput) (*ec2.DescribeInstancesOutput, error) {
	if len(in.InstanceIds) > 0 && in.MaxResults != nil {
		// "You cannot specify this parameter and the instance IDs parameter in the same request."
		return nil, apiError(http.StatusBadRequest, "InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
	}
	if in.MaxResults != nil && (*in.MaxResults < 5 || *in.MaxResults > 1000) {
		return nil, apiError(http.StatusBadRequest, "InvalidParameterValue", "MaxResults must be between 5 and 1000")
	}
	var missing []string
	for _, id := range in.InstanceIds {
		if i := e.instances[id]; i == nil || i.Region != r.Name {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, apiError(http.StatusBadRequest, "InvalidInstanceID.NotFound",
			fmt.Sprintf("The instance IDs '%s' do not exist", strings.Join(missing, ", ")))
	}
	var matched []ec2types.Reservation
	for _, id := range e.order {
		i := e.instances[id]
		if i.Region != r.Name || (len(in.InstanceIds) > 0 && !contains(in.InstanceIds, id)) {
			continue
		}
		fields := map[string]string{
			"instance-id": i.ID, "availability-zone": i.AZ, "subnet-id": i.SubnetID,
			"instance-state-name": string(i.State), "vpc-id": r.VPCID,
		}
		ok, err := ec2FiltersMatch(in.Filters, fields, i.Tags)
		if err != nil {
			return nil, err
		}
		if ok {
			// One reservation per instance: the sim launches one at a time,
			// as Auto Scaling does.
			matched = append(matched, ec2types.Reservation{
				ReservationId: aws.String("r-" + strings.TrimPrefix(i.ID, "i-")),
				OwnerId:       aws.String(e.s.accountID),
				Instances:     []ec2types.Instance{i.describe(r)},
			})
		}
	}
	pg, next, err := page(matched, in.MaxResults, in.NextToken, 1000, 1000, "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeInstancesOutput{Reservations: pg, NextToken: next}, nil
}

var instanceStateCodes = map[ec2types.InstanceStateName]int32{
	ec2types.InstanceStateNamePending: 0, ec2types.InstanceStateNameRunning: 16,
	ec2types.InstanceStateNameShuttingDown: 32, ec2types.InstanceStateNameTerminated: 48,
	ec2types.InstanceStateNameStopping: 64, ec2types.InstanceStateNameStopped: 80,
}

func (i *Instance) describe(r *Region) ec2types.Instance {
	az, _ := r.az(i.AZ)
	var tags []ec2types.Tag
	for _, k := range sortedKeys(i.Tags) {
		tags = append(tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(i.Tags[k])})
	}
	return ec2types.Instance{
		InstanceId:   aws.String(i.ID),
		InstanceType: ec2types.InstanceTypeM7gLarge,
		LaunchTime:   aws.Time(i.LaunchTime),
		Placement:    &ec2types.Placement{AvailabilityZone: aws.String(i.AZ), AvailabilityZoneId: aws.String(az.ID)},
		SubnetId:     aws.String(i.SubnetID),
		VpcId:        aws.String(r.VPCID),
		State:        &ec2types.InstanceState{Name: i.State, Code: aws.Int32(instanceStateCodes[i.State])},
		Tags:         tags,
	}
}

// ec2FiltersMatch applies EC2 filters: values within a filter are ORed,
// filters are ANDed, and "*" in a value matches any run of characters.
// Filter names the sim does not know are refused, as EC2 refuses them.
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Filtering.html
func ec2FiltersMatch(filters []ec2types.Filter, fields, tags map[string]string) (bool, error) {
	for _, f := range filters {
		name := aws.ToString(f.Name)
		var have []string
		switch {
		case strings.HasPrefix(name, "tag:"):
			if v, ok := tags[strings.TrimPrefix(name, "tag:")]; ok {
				have = []string{v}
			}
		case name == "tag-key":
			have = sortedKeys(tags)
		default:
			v, ok := fields[name]
			if !ok {
				return false, apiError(http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("The filter '%s' is invalid", name))
			}
			have = []string{v}
		}
		if !anyWildcardMatch(f.Values, have) {
			return false, nil
		}
	}
	return true, nil
}

func anyWildcardMatch(patterns, values []string) bool {
	for _, p := range patterns {
		for _, v := range values {
			if wildcardMatch(p, v) {
				return true
			}
		}
	}
	return false
}

// wildcardMatch matches "*" (any run) and "?" (one character).
func wildcardMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if wildcardMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && wildcardMatch(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && wildcardMatch(pattern[1:], s[1:])
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func cloneTags(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
