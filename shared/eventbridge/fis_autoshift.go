package eventbridge

import (
	"slices"

	"github.com/aws/aws-lambda-go/events"
)

// The ARC kinds of an AWS FIS experiment's aws:arc:start-zonal-autoshift
// action: a person testing how resources behave while one AZ is shifted
// away.
var (
	KindFISAutoshiftStarted   = Kind{"aws.arc-zonal-shift", "FIS Experiment Autoshift In Progress"}
	KindFISAutoshiftCompleted = Kind{"aws.arc-zonal-shift", "FIS Experiment Autoshift Completed"}
	KindFISAutoshiftCanceled  = Kind{"aws.arc-zonal-shift", "FIS Experiment Autoshift Canceled"}
)

// FISAutoshiftEvent is the detail of an aws.arc-zonal-shift "FIS
// Experiment Autoshift In Progress", "… Completed" or "… Canceled".
//
// Shape: https://docs.aws.amazon.com/r53recovery/latest/dg/eventbridge-zonal-autoshift.html
type FISAutoshiftEvent struct {
	Status FISAutoshiftStatus
	// AwayFrom is the zone's ID, e.g. "use1-az1", not its name.
	AwayFrom  string
	Notes     string
	Resources []string
}

// FISAutoshiftStatus is an experiment autoshift's status.
type FISAutoshiftStatus string

// FIS experiment autoshift statuses, one per detail-type.
const (
	FISAutoshiftActive    FISAutoshiftStatus = "ACTIVE"
	FISAutoshiftCompleted FISAutoshiftStatus = "COMPLETED"
	FISAutoshiftCanceled  FISAutoshiftStatus = "CANCELED"
)

func decodeFISAutoshift(env *events.EventBridgeEvent, d object) any {
	meta := d.Object("metadata")
	f := &FISAutoshiftEvent{
		Status:    FISAutoshiftActive,
		AwayFrom:  meta.RequiredString("awayFrom"),
		Notes:     meta.String("notes"),
		Resources: slices.Clone(env.Resources),
	}
	switch env.DetailType {
	case KindFISAutoshiftCompleted.DetailType:
		f.Status = FISAutoshiftCompleted
	case KindFISAutoshiftCanceled.DetailType:
		f.Status = FISAutoshiftCanceled
	}
	return f
}
