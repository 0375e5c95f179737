package rebalance

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/health"
)

// AutoScaling is the part of the Auto Scaling client the rebalancer uses.
// Its writes are the only changes selfheal makes to a customer's compute.
type AutoScaling interface {
	autoscaling.DescribeAutoScalingGroupsAPIClient
	DescribeInstanceRefreshes(ctx context.Context, in *autoscaling.DescribeInstanceRefreshesInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DescribeInstanceRefreshesOutput, error)
	UpdateAutoScalingGroup(ctx context.Context, in *autoscaling.UpdateAutoScalingGroupInput, optFns ...func(*autoscaling.Options)) (*autoscaling.UpdateAutoScalingGroupOutput, error)
	ResumeProcesses(ctx context.Context, in *autoscaling.ResumeProcessesInput, optFns ...func(*autoscaling.Options)) (*autoscaling.ResumeProcessesOutput, error)
	CreateOrUpdateTags(ctx context.Context, in *autoscaling.CreateOrUpdateTagsInput, optFns ...func(*autoscaling.Options)) (*autoscaling.CreateOrUpdateTagsOutput, error)
	DeleteTags(ctx context.Context, in *autoscaling.DeleteTagsInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DeleteTagsOutput, error)
}

// EC2 is the part of the EC2 client the rebalancer uses: read-only look-ups
// of where things are.
type EC2 interface {
	ec2.DescribeInstancesAPIClient
	ec2.DescribeSubnetsAPIClient
	DescribeAvailabilityZones(ctx context.Context, in *ec2.DescribeAvailabilityZonesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeAvailabilityZonesOutput, error)
}

// Health is the part of the AWS Health client the rebalancer uses.
type Health interface {
	health.DescribeEventsAPIClient
}

// CloudWatch is the part of the CloudWatch client the rebalancer uses.
type CloudWatch interface {
	ListTagsForResource(ctx context.Context, in *cloudwatch.ListTagsForResourceInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.ListTagsForResourceOutput, error)
}

// ZonalShift is the part of the ARC zonal shift client the rebalancer
// uses: one list call tells every enrolled group's active shifts, and its
// writes are the zonal shifts selfheal starts, extends and cancels.
type ZonalShift interface {
	arczonalshift.ListManagedResourcesAPIClient
	StartZonalShift(ctx context.Context, in *arczonalshift.StartZonalShiftInput, optFns ...func(*arczonalshift.Options)) (*arczonalshift.StartZonalShiftOutput, error)
	UpdateZonalShift(ctx context.Context, in *arczonalshift.UpdateZonalShiftInput, optFns ...func(*arczonalshift.Options)) (*arczonalshift.UpdateZonalShiftOutput, error)
	CancelZonalShift(ctx context.Context, in *arczonalshift.CancelZonalShiftInput, optFns ...func(*arczonalshift.Options)) (*arczonalshift.CancelZonalShiftOutput, error)
}

var (
	_ ZonalShift  = (*arczonalshift.Client)(nil)
	_ AutoScaling = (*autoscaling.Client)(nil)
	_ EC2         = (*ec2.Client)(nil)
	_ Health      = (*health.Client)(nil)
	_ CloudWatch  = (*cloudwatch.Client)(nil)
)
