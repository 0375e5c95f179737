package eventbridge

import (
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// AlarmStateChange is the detail of an aws.cloudwatch "CloudWatch Alarm
// State Change", for metric, metric-math and composite alarms.
//
// Shapes: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
type AlarmStateChange struct {
	// AlarmARN is the event's first resource.
	AlarmARN      string
	AlarmName     string
	Description   string
	State         AlarmState
	PreviousState AlarmState
	// Metrics are the alarm's metric queries: one for a single-metric
	// alarm, several for metric math (expressions and the metrics they
	// use), none for a composite alarm.
	Metrics []AlarmMetric
	// AlarmRule is a composite alarm's rule, empty for metric alarms.
	AlarmRule string
	// ActionsSuppressor is the alarm that suppresses a composite alarm's
	// actions, if any.
	ActionsSuppressor string
	// Tags are the alarm's tags when it propagates them (alarmTags), and
	// TagsStatus says whether that worked (e.g. "SUCCESS"); see
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-tags-in-notifications.html
	Tags       map[string]string
	TagsStatus string
}

// AlarmState is an alarm's state or previous state.
type AlarmState struct {
	Value AlarmStateValue
	// Reason is CloudWatch's human-readable reason; ReasonData is its JSON
	// detail, kept as the string CloudWatch sends.
	Reason     string
	ReasonData string
	Timestamp  time.Time
	// ActionsSuppressedBy is set when a suppressor held back the actions
	// ("Alarm", "ExtensionPeriod" or "WaitPeriod").
	ActionsSuppressedBy string
}

// AlarmStateValue is an alarm state's value.
type AlarmStateValue string

const (
	AlarmStateOK               AlarmStateValue = "OK"
	AlarmStateAlarm            AlarmStateValue = "ALARM"
	AlarmStateInsufficientData AlarmStateValue = "INSUFFICIENT_DATA"
)

// AlarmMetric is one of an alarm's metric queries: a metric (Namespace,
// Name, Dimensions, Period, Stat) or a metric-math Expression.
type AlarmMetric struct {
	ID         string
	Label      string
	ReturnData bool
	Expression string
	Namespace  string
	Name       string
	Dimensions map[string]string
	Period     int64 // seconds
	Stat       string
}

// AvailabilityZones returns the distinct values of the alarm's
// AvailabilityZone dimensions, sorted: the zones a metric alarm watches.
// It is empty for composite alarms and alarms on zone-less metrics.
func (a *AlarmStateChange) AvailabilityZones() []string {
	var zones []string
	for _, m := range a.Metrics {
		if z := m.Dimensions["AvailabilityZone"]; z != "" && !slices.Contains(zones, z) {
			zones = append(zones, z)
		}
	}
	slices.Sort(zones)
	return zones
}

// IsComposite reports whether the alarm is a composite alarm.
func (a *AlarmStateChange) IsComposite() bool { return a.AlarmRule != "" }

func decodeAlarm(env *events.EventBridgeEvent, d object) any {
	conf := d.Object("configuration")
	a := &AlarmStateChange{
		AlarmARN:          firstResource(env),
		AlarmName:         d.RequiredString("alarmName"),
		State:             alarmState(d.Object("state")),
		PreviousState:     alarmState(d.Object("previousState")),
		Description:       conf.String("description"),
		AlarmRule:         conf.String("alarmRule"),
		ActionsSuppressor: conf.String("actionsSuppressor"),
		Tags:              d.StringMap("alarmTags"),
		TagsStatus:        d.String("alarmTagsStatus"),
	}
	if a.State.Value == "" {
		d.Object("state").RequiredString("value")
	}
	for _, m := range conf.Objects("metrics") {
		stat := m.Object("metricStat")
		metric := stat.Object("metric")
		a.Metrics = append(a.Metrics, AlarmMetric{
			ID:         m.String("id"),
			Label:      m.String("label"),
			ReturnData: m.Bool("returnData"),
			Expression: m.String("expression"),
			Namespace:  metric.String("namespace"),
			Name:       metric.String("name"),
			Dimensions: metric.StringMap("dimensions"),
			Period:     stat.Int("period"),
			Stat:       stat.String("stat"),
		})
	}
	return a
}

func alarmState(s object) AlarmState {
	return AlarmState{
		Value:               AlarmStateValue(s.String("value")),
		Reason:              s.String("reason"),
		ReasonData:          s.String("reasonData"),
		Timestamp:           s.Time("timestamp"),
		ActionsSuppressedBy: s.String("actionsSuppressedBy"),
	}
}
