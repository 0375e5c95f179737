package eventbridge

import (
	"bytes"
	"slices"

	"github.com/aws/aws-lambda-go/events"
)

// The ARC zonal autoshift practice run kinds: a practice run zonal shift,
// started by ARC about weekly or on demand by a person, and its outcome.
var (
	KindPracticeRunStarted     = Kind{"aws.arc-zonal-shift", "Practice Run Started"}
	KindPracticeRunSucceeded   = Kind{"aws.arc-zonal-shift", "Practice Run Succeeded"}
	KindPracticeRunFailed      = Kind{"aws.arc-zonal-shift", "Practice Run Failed"}
	KindPracticeRunInterrupted = Kind{"aws.arc-zonal-shift", "Practice Run Interrupted"}
)

// PracticeRunEvent is the detail of an aws.arc-zonal-shift "Practice Run
// Started", "Practice Run Succeeded", "Practice Run Failed" or "Practice
// Run Interrupted".
//
// Shape: https://docs.aws.amazon.com/r53recovery/latest/dg/eventbridge-zonal-autoshift.html
type PracticeRunEvent struct {
	// Outcome is PENDING for "Practice Run Started", else the outcome the
	// detail-type names (the API's PracticeRunOutcome values).
	Outcome PracticeRunOutcome
	// AwayFrom is the zone's ID, e.g. "use1-az1", not its name.
	AwayFrom string
	// FailureInfo is data.additionalFailureInfo: why a practice run was
	// interrupted or failed ("The blocking alarm entered ALARM state.").
	FailureInfo string
	Resources   []string
}

// PracticeRunOutcome is a practice run's outcome.
type PracticeRunOutcome string

// Practice run outcomes.
const (
	PracticeRunPending     PracticeRunOutcome = "PENDING"
	PracticeRunSucceeded   PracticeRunOutcome = "SUCCEEDED"
	PracticeRunFailed      PracticeRunOutcome = "FAILED"
	PracticeRunInterrupted PracticeRunOutcome = "INTERRUPTED"
)

func decodePracticeRun(env *events.EventBridgeEvent, d object) any {
	p := &PracticeRunEvent{
		Outcome:     PracticeRunPending,
		AwayFrom:    d.Object("metadata").RequiredString("awayFrom"),
		FailureInfo: dataObject(d).String("additionalFailureInfo"),
		Resources:   slices.Clone(env.Resources),
	}
	switch env.DetailType {
	case KindPracticeRunSucceeded.DetailType:
		p.Outcome = PracticeRunSucceeded
	case KindPracticeRunFailed.DetailType:
		p.Outcome = PracticeRunFailed
	case KindPracticeRunInterrupted.DetailType:
		p.Outcome = PracticeRunInterrupted
	}
	return p
}

// dataObject reads an ARC event's data: "" in most events, an object in
// practice run outcomes.
func dataObject(d object) object {
	if v, ok := d.raw("data"); ok && bytes.Equal(v, []byte(`""`)) {
		return d.r.readObject(d.sub("data"), nil)
	}
	return d.Object("data")
}
