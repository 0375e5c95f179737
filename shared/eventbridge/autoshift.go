package eventbridge

import (
	"slices"

	"github.com/aws/aws-lambda-go/events"
)

// AutoshiftEvent is the detail of an aws.arc-zonal-shift "Autoshift In
// Progress" or "Autoshift Completed": AWS moving traffic away from an
// impaired Availability Zone, and ending that.
//
// Shape: https://docs.aws.amazon.com/r53recovery/latest/dg/eventbridge-zonal-autoshift.html
type AutoshiftEvent struct {
	// Status is ACTIVE for "Autoshift In Progress" and COMPLETED for
	// "Autoshift Completed" (the API's AutoshiftSummary status).
	Status AutoshiftStatus
	// AwayFrom is the zone's ID, e.g. "use1-az1" — not its name: map it to
	// this account's zone name with EC2 DescribeAvailabilityZones.
	AwayFrom string
	Notes    string
	// Resources are the event's resources as sent: identifiers of the
	// shifted resources, empty for an autoshift observer notification.
	Resources []string
}

// AutoshiftStatus is an autoshift's status.
type AutoshiftStatus string

const (
	AutoshiftActive    AutoshiftStatus = "ACTIVE"
	AutoshiftCompleted AutoshiftStatus = "COMPLETED"
)

func decodeAutoshift(env *events.EventBridgeEvent, d object) any {
	meta := d.Object("metadata")
	a := &AutoshiftEvent{
		Status:    AutoshiftActive,
		AwayFrom:  meta.RequiredString("awayFrom"),
		Notes:     meta.String("notes"),
		Resources: slices.Clone(env.Resources),
	}
	if env.DetailType == KindAutoshiftCompleted.DetailType {
		a.Status = AutoshiftCompleted
	}
	return a
}
