package gameday

import (
	"fmt"
	"strings"
	"time"

	"github.com/selfheal/selfheal/shared/eventbridge"
)

// Offset is a moment of the timeline, counted from its zero. It is written
// as "+hh:mm:ss".
type Offset time.Duration

func (o Offset) String() string {
	d := time.Duration(o)
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	return fmt.Sprintf("%s%02d:%02d:%02d", sign, h, m, s)
}

// MarshalText implements encoding.TextMarshaler.
func (o Offset) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler, for readers of the
// report.
func (o *Offset) UnmarshalText(b []byte) error {
	var sign byte
	var h, m, s int
	if n, err := fmt.Sscanf(string(b), "%c%d:%d:%d", &sign, &h, &m, &s); err != nil || n != 4 || (sign != '+' && sign != '-') ||
		m > 59 || s > 59 || m < 0 || s < 0 || h < 0 {
		return fmt.Errorf("offset %q is not +hh:mm:ss", b)
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second
	if sign == '-' {
		d = -d
	}
	*o = Offset(d)
	return nil
}

func (w *World) offset(t time.Time) Offset { return Offset(t.Sub(w.Start)) }

// DescribeEvent says in a few words what an event is about, for the
// timeline: its kind and the fields that matter.
func DescribeEvent(raw []byte) string {
	ev, err := eventbridge.Decode(raw)
	if ev.Kind.Source == "" {
		if err != nil {
			return "not an EventBridge event: " + firstLine(err.Error())
		}
		return "event"
	}
	head := ev.Kind.DetailType
	if err != nil {
		return head + " (" + firstLine(err.Error()) + ")"
	}
	switch d := ev.Detail.(type) {
	case *eventbridge.HealthEvent:
		where := d.AvailabilityZone
		if where == "" {
			where = d.EventRegion
		}
		return fmt.Sprintf("%s: %s %s %s in %s, %d affected", head, d.Service, d.EventTypeCategory, d.StatusCode, where, len(d.AffectedEntities))
	case *eventbridge.AlarmStateChange:
		return fmt.Sprintf("%s: %s %s → %s", head, d.AlarmName, d.PreviousState.Value, d.State.Value)
	case *eventbridge.BackupJobStateChange:
		return fmt.Sprintf("%s: %s, %s into %s", head, d.State, lastPart(d.ResourceARN), d.BackupVaultName)
	case *eventbridge.CopyJobStateChange:
		return fmt.Sprintf("%s: %s, %s → %s", head, d.State, lastPart(d.ResourceARN), vaultWhere(d.DestinationBackupVaultARN))
	case *eventbridge.RecoveryPointStateChange:
		return fmt.Sprintf("%s: %s, %s in %s", head, d.Status, lastPart(d.ResourceARN), d.BackupVaultName)
	case *eventbridge.BackupVaultStateChange:
		return fmt.Sprintf("%s: %s %s (locked %t)", head, d.BackupVaultName, d.State, d.IsLocked)
	case *eventbridge.LaunchUnsuccessful:
		return fmt.Sprintf("%s: %s in %s", head, d.AutoScalingGroupName, d.AvailabilityZone)
	case *eventbridge.AutoshiftEvent:
		return fmt.Sprintf("%s: away from %s", head, d.AwayFrom)
	case *eventbridge.ScheduledEvent:
		return fmt.Sprintf("%s: %s", head, lastPart(d.Rule))
	}
	return head
}

// lastPart is the name at the end of an ARN.
func lastPart(arn string) string {
	if i := strings.LastIndexAny(arn, ":/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// vaultWhere is "name (region)" of a vault ARN.
func vaultWhere(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return arn
	}
	return lastPart(arn) + " (" + parts[3] + ")"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
