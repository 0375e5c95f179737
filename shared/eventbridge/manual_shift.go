package eventbridge

import (
	"slices"

	"github.com/aws/aws-lambda-go/events"
)

// The ARC zonal shift kinds of customer-initiated zonal shifts: someone (a
// person, or selfheal itself) called StartZonalShift, UpdateZonalShift or
// CancelZonalShift on a managed resource.
var (
	KindManualShiftStarted  = Kind{"aws.arc-zonal-shift", "Manual Shift Started"}
	KindManualShiftUpdated  = Kind{"aws.arc-zonal-shift", "Manual Shift Updated"}
	KindManualShiftCanceled = Kind{"aws.arc-zonal-shift", "Manual Shift Canceled"}
)

// ManualShiftEvent is the detail of an aws.arc-zonal-shift "Manual Shift
// Started", "Manual Shift Updated" or "Manual Shift Canceled".
//
// The event names neither the resource nor who started the shift: its
// resources are opaque identifiers. ARC's ListManagedResources says which
// resource a shift holds, and its comment and id whether it is selfheal's.
//
// Shape: https://docs.aws.amazon.com/r53recovery/latest/dg/eventbridge-zonal-autoshift.html
type ManualShiftEvent struct {
	Change ManualShiftChange
	// AwayFrom is the zone's ID, e.g. "use1-az1", not its name.
	AwayFrom  string
	Notes     string
	Resources []string
}

// ManualShiftChange is what happened to a customer-initiated zonal shift.
type ManualShiftChange string

// Manual shift changes, one per detail-type.
const (
	ManualShiftStarted  ManualShiftChange = "STARTED"
	ManualShiftUpdated  ManualShiftChange = "UPDATED"
	ManualShiftCanceled ManualShiftChange = "CANCELED"
)

func decodeManualShift(env *events.EventBridgeEvent, d object) any {
	meta := d.Object("metadata")
	m := &ManualShiftEvent{
		Change:    ManualShiftStarted,
		AwayFrom:  meta.RequiredString("awayFrom"),
		Notes:     meta.String("notes"),
		Resources: slices.Clone(env.Resources),
	}
	switch env.DetailType {
	case KindManualShiftUpdated.DetailType:
		m.Change = ManualShiftUpdated
	case KindManualShiftCanceled.DetailType:
		m.Change = ManualShiftCanceled
	}
	return m
}
