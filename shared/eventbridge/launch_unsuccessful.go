package eventbridge

import (
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// LaunchUnsuccessful is the detail of an aws.autoscaling "EC2 Instance
// Launch Unsuccessful": a scaling activity that could not launch an
// instance.
//
// Shape: https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html
type LaunchUnsuccessful struct {
	AutoScalingGroupName string
	// AutoScalingGroupARN is the event's autoScalingGroup resource, if any.
	AutoScalingGroupARN string
	ActivityID          string
	RequestID           string
	StatusCode          string // "Failed"
	// StatusMessage is EC2's reason, e.g. "… InsufficientInstanceCapacity
	// - We currently do not have sufficient m5.large capacity in the
	// Availability Zone you requested (us-east-1a) …".
	StatusMessage string
	Description   string
	Cause         string
	// AvailabilityZone and SubnetID are Details["Availability Zone"] and
	// Details["Subnet ID"]: where the launch was attempted.
	AvailabilityZone string
	SubnetID         string
	// EC2InstanceID is usually empty: no instance was launched.
	EC2InstanceID string
	StartTime     time.Time
	EndTime       time.Time
}

func decodeLaunchUnsuccessful(env *events.EventBridgeEvent, d object) any {
	details := d.Object("Details")
	l := &LaunchUnsuccessful{
		AutoScalingGroupName: d.RequiredString("AutoScalingGroupName"),
		ActivityID:           d.String("ActivityId"),
		RequestID:            d.String("RequestId"),
		StatusCode:           d.String("StatusCode"),
		StatusMessage:        d.String("StatusMessage"),
		Description:          d.String("Description"),
		Cause:                d.String("Cause"),
		AvailabilityZone:     details.String("Availability Zone"),
		SubnetID:             details.String("Subnet ID"),
		EC2InstanceID:        d.String("EC2InstanceId"),
		StartTime:            d.Time("StartTime"),
		EndTime:              d.Time("EndTime"),
	}
	for _, r := range env.Resources {
		if strings.HasPrefix(r, "arn:") && strings.Contains(r, ":autoScalingGroup:") {
			l.AutoScalingGroupARN = r
			break
		}
	}
	return l
}
