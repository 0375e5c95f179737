package eventbridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// MaxEventSize is the largest event Decode and Matches accept: EventBridge's
// own limit on an event entry (256 KiB).
const MaxEventSize = 256 << 10

// Kind names what an event is: its source and detail-type.
type Kind struct {
	Source, DetailType string
}

func (k Kind) String() string { return k.Source + "/" + k.DetailType }

// The kinds the suite handles, one decoder each.
var (
	KindHealth             = Kind{"aws.health", "AWS Health Event"}
	KindAlarmStateChange   = Kind{"aws.cloudwatch", "CloudWatch Alarm State Change"}
	KindBackupJob          = Kind{"aws.backup", "Backup Job State Change"}
	KindCopyJob            = Kind{"aws.backup", "Copy Job State Change"}
	KindRecoveryPoint      = Kind{"aws.backup", "Recovery Point State Change"}
	KindBackupVault        = Kind{"aws.backup", "Backup Vault State Change"}
	KindBackupPlan         = Kind{"aws.backup", "Backup Plan State Change"}
	KindRestoreJob         = Kind{"aws.backup", "Restore Job State Change"}
	KindRDSInstance        = Kind{"aws.rds", "RDS DB Instance Event"}
	KindLaunchUnsuccessful = Kind{"aws.autoscaling", "EC2 Instance Launch Unsuccessful"}
	KindAutoshiftStarted   = Kind{"aws.arc-zonal-shift", "Autoshift In Progress"}
	KindAutoshiftCompleted = Kind{"aws.arc-zonal-shift", "Autoshift Completed"}
)

// decoder reads one kind's detail. It reports problems through d's reader
// and may return anything when it did.
type decoder func(env *events.EventBridgeEvent, d object) any

var registry = map[Kind]decoder{
	KindHealth:             decodeHealth,
	KindAlarmStateChange:   decodeAlarm,
	KindBackupJob:          decodeBackupJob,
	KindCopyJob:            decodeCopyJob,
	KindRecoveryPoint:      decodeRecoveryPoint,
	KindBackupVault:        decodeBackupVault,
	KindBackupPlan:         decodeBackupPlan,
	KindRestoreJob:         decodeRestoreJob,
	KindRDSInstance:        decodeRDSInstance,
	KindLaunchUnsuccessful: decodeLaunchUnsuccessful,
	KindAutoshiftStarted:   decodeAutoshift,
	KindAutoshiftCompleted: decodeAutoshift,
	KindScheduled:          decodeScheduled,

	KindManualShiftStarted:     decodeManualShift,
	KindManualShiftUpdated:     decodeManualShift,
	KindManualShiftCanceled:    decodeManualShift,
	KindPracticeRunStarted:     decodePracticeRun,
	KindPracticeRunSucceeded:   decodePracticeRun,
	KindPracticeRunFailed:      decodePracticeRun,
	KindPracticeRunInterrupted: decodePracticeRun,
	KindFISAutoshiftStarted:    decodeFISAutoshift,
	KindFISAutoshiftCompleted:  decodeFISAutoshift,
	KindFISAutoshiftCanceled:   decodeFISAutoshift,
}

// Kinds returns every kind Decode handles, sorted by source and detail-type.
func Kinds() []Kind {
	out := make([]Kind, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b Kind) int {
		if c := strings.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return strings.Compare(a.DetailType, b.DetailType)
	})
	return out
}

// Event is a decoded EventBridge event.
type Event struct {
	// Envelope is the event as aws-lambda-go reads it; Envelope.Detail keeps
	// the raw detail.
	Envelope events.EventBridgeEvent
	Kind     Kind
	// Detail is one of *HealthEvent, *AlarmStateChange,
	// *BackupJobStateChange, *CopyJobStateChange, *RecoveryPointStateChange,
	// *BackupVaultStateChange, *BackupPlanStateChange,
	// *RestoreJobStateChange, *RDSInstanceEvent, *LaunchUnsuccessful, *AutoshiftEvent,
	// *ManualShiftEvent, *PracticeRunEvent, *FISAutoshiftEvent or
	// *ScheduledEvent, according to Kind. It is nil when Decode returns an error.
	Detail any
}

// Decode reads one EventBridge event and its detail.
//
// It returns a *MalformedError (errors.Is(err, ErrMalformed)) for input that
// can never be processed: larger than MaxEventSize, not JSON, not an
// EventBridge envelope (such as the payload a CloudWatch alarm sends straight
// to Lambda), or a detail with a value of the wrong type or without a
// required field. It returns an *UnknownKindError (errors.Is(err,
// ErrUnknownKind)) for a well-formed event of a kind it has no decoder for.
// With either error, the returned Event carries the Envelope and Kind
// whenever the envelope itself was readable (only the detail was bad, or
// the kind is unknown), so a caller can log or quarantine the event by its
// id. Decode never panics.
func Decode(raw []byte) (Event, error) {
	env, err := decodeEnvelope(raw)
	if err != nil {
		return Event{}, err
	}
	ev := Event{Envelope: env, Kind: Kind{env.Source, env.DetailType}}
	dec, ok := registry[ev.Kind]
	if !ok {
		return ev, &UnknownKindError{Kind: ev.Kind}
	}
	r := &reader{}
	d := r.readObject("detail", env.Detail)
	detail := dec(&ev.Envelope, d)
	if r.err != nil {
		return ev, &MalformedError{Kind: ev.Kind, Reason: r.err.Error()}
	}
	ev.Detail = detail
	return ev, nil
}

// decodeEnvelope reads and checks the fields every EventBridge event has.
func decodeEnvelope(raw []byte) (events.EventBridgeEvent, error) {
	var env events.EventBridgeEvent
	if len(raw) > MaxEventSize {
		return env, &MalformedError{Reason: fmt.Sprintf("event is %d bytes, over the EventBridge limit of %d", len(raw), MaxEventSize)}
	}
	trimmed := bytes.TrimSpace(raw)
	if !json.Valid(trimmed) {
		// json.Unmarshal says where the syntax breaks.
		var probe any
		err := json.Unmarshal(trimmed, &probe)
		return env, &MalformedError{Reason: "not JSON", Err: err}
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return env, &MalformedError{Reason: "not an EventBridge event: want a JSON object, got " + kindOf(trimmed)}
	}
	r := &reader{}
	top := r.readObject("event", trimmed)
	if r.err != nil {
		return env, &MalformedError{Reason: r.err.Error()}
	}
	// Without these three it is some other payload (an SNS message, a
	// CloudWatch alarm's direct Lambda invocation), not EventBridge's.
	var missing []string
	for _, k := range []string{"source", "detail-type", "detail"} {
		if !top.Has(k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return env, &MalformedError{Reason: "not an EventBridge event: no " + strings.Join(missing, ", ")}
	}
	// Kind first: once a read fails the rest read as zero, and errors
	// should still say what kind of event was bad.
	env.Source = top.RequiredString("source")
	env.DetailType = top.RequiredString("detail-type")
	env.Version = top.String("version")
	env.ID = top.RequiredString("id")
	env.AccountID = top.RequiredString("account")
	env.Region = top.RequiredString("region")
	if env.Time = top.Time("time"); env.Time.IsZero() {
		r.fail("event.time", "missing")
	}
	env.Resources = top.Strings("resources")
	if d, _ := top.raw("detail"); r.err == nil {
		if d[0] != '{' {
			r.fail("event.detail", "want an object, got %s", kindOf(d))
		}
		env.Detail = slices.Clone(d) // not an alias of the caller's buffer
	}
	if r.err != nil {
		return events.EventBridgeEvent{}, &MalformedError{Kind: Kind{env.Source, env.DetailType}, Reason: r.err.Error()}
	}
	return env, nil
}

// firstResource returns the event's first resource, or "".
func firstResource(env *events.EventBridgeEvent) string {
	if len(env.Resources) == 0 {
		return ""
	}
	return env.Resources[0]
}
