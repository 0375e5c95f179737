package rebalance

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// groups reads every Auto Scaling group of the region: one call per 100
// groups. Groups out of scope are read too, to report them, never to
// change them.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingGroups.html
func (p *Processor) groups(ctx context.Context) ([]Group, error) {
	var out []Group
	pages := autoscaling.NewDescribeAutoScalingGroupsPaginator(p.asg, &autoscaling.DescribeAutoScalingGroupsInput{
		MaxRecords: aws.Int32(100),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe auto scaling groups: %w", err)
		}
		for _, g := range page.AutoScalingGroups {
			out = append(out, groupFrom(g))
		}
	}
	return out, nil
}

func groupFrom(g astypes.AutoScalingGroup) Group {
	out := Group{
		Name:            aws.ToString(g.AutoScalingGroupName),
		ARN:             aws.ToString(g.AutoScalingGroupARN),
		Tags:            make(map[string]string, len(g.Tags)),
		MinSize:         aws.ToInt32(g.MinSize),
		MaxSize:         aws.ToInt32(g.MaxSize),
		DesiredCapacity: aws.ToInt32(g.DesiredCapacity),
		AZs:             slices.Sorted(slices.Values(g.AvailabilityZones)),
	}
	for _, t := range g.Tags {
		out.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	for _, id := range strings.Split(aws.ToString(g.VPCZoneIdentifier), ",") {
		if id = strings.TrimSpace(id); id != "" {
			out.Subnets = append(out.Subnets, Subnet{ID: id})
		}
	}
	for _, in := range g.Instances {
		out.Instances = append(out.Instances, Instance{
			ID: aws.ToString(in.InstanceId), AZ: aws.ToString(in.AvailabilityZone),
			Lifecycle: string(in.LifecycleState), Healthy: aws.ToString(in.HealthStatus) == "Healthy",
		})
	}
	if zp := g.AvailabilityZoneImpairmentPolicy; zp != nil {
		out.ZonalShiftEnabled = aws.ToBool(zp.ZonalShiftEnabled)
		out.ImpairedZoneHealthCheck = string(zp.ImpairedZoneHealthCheckBehavior)
	}
	for _, sp := range g.SuspendedProcesses {
		if aws.ToString(sp.ProcessName) == ProcessAZRebalance {
			out.AZRebalanceSuspended = true
		}
	}
	return out
}

// locateSubnets fills in the AZ of the subnets of groups[i] for each i in
// which. A subnet never changes AZ, so what is looked up once is kept for
// the life of the process: a warm invocation makes no EC2 call.
// https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html
func (p *Processor) locateSubnets(ctx context.Context, groups []Group, which []int) error {
	var missing []string
	p.mu.Lock()
	for _, i := range which {
		for _, s := range groups[i].Subnets {
			if _, ok := p.subnetAZ[s.ID]; !ok && !slices.Contains(missing, s.ID) {
				missing = append(missing, s.ID)
			}
		}
	}
	p.mu.Unlock()
	// A filter rather than SubnetIds: a subnet deleted under a group must
	// not fail the look-up of the others.
	for chunk := range slices.Chunk(missing, 200) {
		pages := ec2.NewDescribeSubnetsPaginator(p.ec2, &ec2.DescribeSubnetsInput{
			Filters: []ec2types.Filter{{Name: aws.String("subnet-id"), Values: chunk}},
		})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("describe subnets: %w", err)
			}
			p.mu.Lock()
			for _, s := range page.Subnets {
				p.subnetAZ[aws.ToString(s.SubnetId)] = aws.ToString(s.AvailabilityZone)
			}
			p.mu.Unlock()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, i := range which {
		for j, s := range groups[i].Subnets {
			groups[i].Subnets[j].AZ = p.subnetAZ[s.ID]
		}
	}
	return nil
}

// refreshStatus asks Auto Scaling whether an instance refresh is running
// on a group. Pending, rolling back, cancelling and baking count as running:
// instances may be replaced in each.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeInstanceRefreshes.html
func (p *Processor) refreshStatus(ctx context.Context, group string) (RefreshStatus, error) {
	out, err := p.asg.DescribeInstanceRefreshes(ctx, &autoscaling.DescribeInstanceRefreshesInput{
		AutoScalingGroupName: aws.String(group),
	})
	if err != nil {
		return RefreshUnknown, fmt.Errorf("describe instance refreshes of %s: %w", group, err)
	}
	for _, r := range out.InstanceRefreshes {
		switch r.Status {
		case astypes.InstanceRefreshStatusPending, astypes.InstanceRefreshStatusInProgress,
			astypes.InstanceRefreshStatusCancelling, astypes.InstanceRefreshStatusRollbackInProgress,
			astypes.InstanceRefreshStatusBaking:
			return RefreshInProgress, nil
		}
	}
	return RefreshNone, nil
}
