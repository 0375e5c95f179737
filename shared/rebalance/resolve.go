package rebalance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/health"
	healthtypes "github.com/aws/aws-sdk-go-v2/service/health/types"
	"github.com/aws/smithy-go"

	"github.com/selfheal/selfheal/shared/eventbridge"
)

// Which AZ a signal is about. Every resolver returns the AZ names it is
// sure of, or why it is not sure: the rebalancer never guesses an AZ.

// unresolved is the reason an AZ could not be resolved, for humans.
type unresolved string

// healthAZs finds the AZs of a Health event: the event's own
// availabilityZone when it carries one; else the affected instances' AZs
// (from the groups already read, then EC2 for the rest); else the Health
// API's availabilityZone for the event, which needs a Business support plan
// or better.
// https://docs.aws.amazon.com/health/latest/APIReference/API_Event.html
func (p *Processor) healthAZs(ctx context.Context, h *eventbridge.HealthEvent, groups []Group) ([]string, unresolved, error) {
	if h.AvailabilityZone != "" {
		azs, why, err := p.zoneNames(ctx, []string{h.AvailabilityZone})
		return azs, why, err
	}
	ids := h.InstanceIDs()
	if len(ids) > 0 {
		azs, err := p.instanceAZs(ctx, ids, groups)
		if err != nil {
			return nil, "", err
		}
		if len(azs) > 0 {
			return azs, "", nil
		}
	}
	out, err := p.health.DescribeEvents(ctx, &health.DescribeEventsInput{
		Filter: &healthtypes.EventFilter{EventArns: []string{h.EventARN}},
	})
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "SubscriptionRequiredException":
		return nil, unresolved(fmt.Sprintf("the event names %s, and the AWS Health API that would say its AZ needs a Business, "+
			"Enterprise On-Ramp or Enterprise Support plan (SubscriptionRequiredException)", namedOrNone(ids))), nil
	case err != nil:
		return nil, "", fmt.Errorf("describe health event %s: %w", h.EventARN, err)
	}
	for _, e := range out.Events {
		if az := aws.ToString(e.AvailabilityZone); az != "" {
			return p.zoneNames(ctx, []string{az})
		}
	}
	return nil, unresolved(fmt.Sprintf("the event names %s, and the AWS Health API gives it no availabilityZone", namedOrNone(ids))), nil
}

func namedOrNone(ids []string) string {
	if len(ids) == 0 {
		return "no affected instance"
	}
	return fmt.Sprintf("%d affected instance(s) that no longer exist", len(ids))
}

// instanceAZs returns the distinct AZs of instances, sorted: from the
// groups' instance lists, which Auto Scaling already gave, and from EC2 for
// instances in no group. Instances that no longer exist are left out.
func (p *Processor) instanceAZs(ctx context.Context, ids []string, groups []Group) ([]string, error) {
	var azs, rest []string
	add := func(az string) {
		if az != "" && !slices.Contains(azs, az) {
			azs = append(azs, az)
		}
	}
	known := map[string]string{}
	for _, g := range groups {
		for _, in := range g.Instances {
			known[in.ID] = in.AZ
		}
	}
	for _, id := range ids {
		if az, ok := known[id]; ok {
			add(az)
		} else {
			rest = append(rest, id)
		}
	}
	// A filter rather than InstanceIds: one terminated instance must not
	// fail the look-up of the others.
	for chunk := range slices.Chunk(rest, 200) {
		pages := ec2.NewDescribeInstancesPaginator(p.ec2, &ec2.DescribeInstancesInput{
			Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: chunk}},
		})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describe instances: %w", err)
			}
			for _, r := range page.Reservations {
				for _, in := range r.Instances {
					if in.Placement != nil {
						add(aws.ToString(in.Placement.AvailabilityZone))
					}
				}
			}
		}
	}
	slices.Sort(azs)
	return azs, nil
}

// alarmAZ finds the AZ an alarm watches: its AvailabilityZone dimension,
// or the AZ tag the user put on it (a zone name or id).
func (p *Processor) alarmAZ(ctx context.Context, a *eventbridge.AlarmStateChange, tags map[string]string) ([]string, unresolved, error) {
	dims := a.AvailabilityZones()
	switch {
	case len(dims) == 1:
		return p.zoneNames(ctx, dims)
	case len(dims) > 1:
		return nil, unresolved(fmt.Sprintf("the alarm watches %d AZs (%s): its state does not say which one is impaired",
			len(dims), strings.Join(dims, ", "))), nil
	}
	if v := tags[p.policy.Rebalance.AlarmAZTagKey]; v != "" {
		return p.zoneNames(ctx, []string{v})
	}
	return nil, unresolved(fmt.Sprintf("the alarm has no AvailabilityZone dimension and no %s tag", p.policy.Rebalance.AlarmAZTagKey)), nil
}

// alarmTags returns the alarm's tags: from the event when CloudWatch
// attached them, otherwise from CloudWatch.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-tags-in-notifications.html
func (p *Processor) alarmTags(ctx context.Context, a *eventbridge.AlarmStateChange) (map[string]string, error) {
	if a.TagsStatus == "SUCCESS" {
		return a.Tags, nil
	}
	if a.AlarmARN == "" {
		return nil, nil
	}
	out, err := p.cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(a.AlarmARN)})
	var gone *cwtypes.ResourceNotFoundException
	if errors.As(err, &gone) {
		return nil, errAlarmGone
	}
	if err != nil {
		return nil, fmt.Errorf("list tags of alarm %s: %w", a.AlarmName, err)
	}
	tags := make(map[string]string, len(out.Tags))
	for _, t := range out.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags, nil
}

// zoneNames turns AZ names or AZ ids into this account's AZ names. The
// same id is a different name in every account, so ids are looked up,
// never derived; a value that is neither a name nor an id of the region is
// unresolved.
// https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html
func (p *Processor) zoneNames(ctx context.Context, values []string) ([]string, unresolved, error) {
	if err := p.loadZones(ctx); err != nil {
		return nil, "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, v := range values {
		name := v
		if _, ok := p.zoneIDs[v]; !ok {
			n, ok := p.zoneByID[v]
			if !ok {
				return nil, unresolved(fmt.Sprintf("%q is neither an AZ name nor an AZ id of %s", v, p.region)), nil
			}
			name = n
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, "", nil
}

// loadZones reads the region's AZ names and ids once per process: they do
// not change.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html
func (p *Processor) loadZones(ctx context.Context) error {
	p.mu.Lock()
	loaded := p.zoneIDs != nil
	p.mu.Unlock()
	if loaded {
		return nil
	}
	out, err := p.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		return fmt.Errorf("describe availability zones: %w", err)
	}
	ids, byID := map[string]string{}, map[string]string{}
	for _, z := range out.AvailabilityZones {
		name, id := aws.ToString(z.ZoneName), aws.ToString(z.ZoneId)
		ids[name], byID[id] = id, name
	}
	p.mu.Lock()
	p.zoneIDs, p.zoneByID = ids, byID
	p.mu.Unlock()
	return nil
}

// capacityErrors are the EC2 error codes that mean an AZ has no room for
// the launch, as opposed to a mistake in the group's configuration.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
var capacityErrors = []string{
	"InsufficientInstanceCapacity", "InsufficientHostCapacity", "InsufficientReservedInstanceCapacity",
	"InsufficientCapacity", "UnfulfillableCapacity",
}

// capacityFailure reports whether a launch failed for want of capacity.
// Auto Scaling puts EC2's error code in the status message as a word of
// its own ("… InsufficientInstanceCapacity - We currently do not have …").
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ts-as-capacity.html
func capacityFailure(l *eventbridge.LaunchUnsuccessful) bool {
	words := strings.FieldsFunc(l.StatusMessage, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.')
	})
	return slices.ContainsFunc(words, func(w string) bool { return slices.Contains(capacityErrors, w) })
}

// launchAZ finds the AZ a launch was attempted in: the event says it, or
// its subnet does.
func (p *Processor) launchAZ(ctx context.Context, l *eventbridge.LaunchUnsuccessful) ([]string, unresolved, error) {
	if l.AvailabilityZone != "" {
		return p.zoneNames(ctx, []string{l.AvailabilityZone})
	}
	if l.SubnetID == "" {
		return nil, "the event names neither an AZ nor a subnet", nil
	}
	g := []Group{{Subnets: []Subnet{{ID: l.SubnetID}}}}
	if err := p.locateSubnets(ctx, g, []int{0}); err != nil {
		return nil, "", err
	}
	if az := g[0].Subnets[0].AZ; az != "" {
		return []string{az}, "", nil
	}
	return nil, unresolved(fmt.Sprintf("subnet %s does not exist", l.SubnetID)), nil
}

// errAlarmGone: the alarm was deleted after its state changed. A deleted
// alarm signals nothing, and retrying cannot bring it back.
var errAlarmGone = errors.New("alarm no longer exists")
