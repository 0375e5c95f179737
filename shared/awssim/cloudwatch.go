package awssim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// The sim models CloudWatch alarms, not metrics: alarms change state only
// when told to (SetAlarmState, the API or the control of the same name),
// and composite alarms follow their children.

type cloudwatchState struct {
	s      *Sim
	alarms map[groupKey]*cwAlarm // by region and name
}

type cwAlarm struct {
	region, name, arn string
	metric            *cloudwatch.PutMetricAlarmInput    // metric alarm configuration
	composite         *cloudwatch.PutCompositeAlarmInput // composite alarm configuration
	rule              *alarmRule
	tags              map[string]string
	// metricID is the id AWS gives the single metric of a metric alarm in
	// state change events.
	metricID string

	state                 cwtypes.StateValue
	reason, reasonData    string
	updated, transitioned time.Time
	configUpdated         time.Time
}

func newCloudWatchState(s *Sim) *cloudwatchState {
	return &cloudwatchState{s: s, alarms: map[groupKey]*cwAlarm{}}
}

func (s *Sim) registerCloudWatch() {
	handle(s, ServiceCloudWatch, "DescribeAlarms", s.cw.describeAlarms)
	handle(s, ServiceCloudWatch, "ListTagsForResource", s.cw.listTagsForResource)
	handle(s, ServiceCloudWatch, "PutMetricAlarm", s.cw.putMetricAlarm)
	handle(s, ServiceCloudWatch, "PutCompositeAlarm", s.cw.putCompositeAlarm)
	handle(s, ServiceCloudWatch, "SetAlarmState", s.cw.setAlarmState)
}

func cwInvalid(format string, args ...any) error {
	return &cwtypes.InvalidParameterValueException{Message: aws.String(fmt.Sprintf(format, args...))}
}

func cwMissing(name string) error {
	return &cwtypes.MissingRequiredParameterException{Message: aws.String(fmt.Sprintf("The parameter %s is required.", name))}
}

func cwCombination(format string, args ...any) error {
	return &cwtypes.InvalidParameterCombinationException{Message: aws.String(fmt.Sprintf(format, args...))}
}

func (x *cloudwatchState) alarmARN(region, name string) string {
	return fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", region, x.s.accountID, name)
}

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
func (x *cloudwatchState) putMetricAlarm(r *Region, in *cloudwatch.PutMetricAlarmInput) (*cloudwatch.PutMetricAlarmOutput, error) {
	name := aws.ToString(in.AlarmName)
	if name == "" || len(name) > 255 {
		return nil, cwInvalid("AlarmName must be between 1 and 255 characters")
	}
	if len(in.Metrics) > 0 {
		if in.MetricName != nil || in.Namespace != nil || in.Dimensions != nil || in.Statistic != "" || in.ExtendedStatistic != nil || in.Period != nil {
			return nil, cwCombination("MetricName, Namespace, Dimensions, Statistic, ExtendedStatistic and Period cannot be specified with Metrics")
		}
		returning := 0
		for _, m := range in.Metrics {
			if m.ReturnData == nil || *m.ReturnData {
				returning++
			}
			if (m.Expression == nil) == (m.MetricStat == nil) {
				return nil, cwCombination("Each metric query must have exactly one of Expression and MetricStat")
			}
		}
		if returning != 1 {
			return nil, cwInvalid("Exactly one element of the metrics list should return data.")
		}
	} else {
		switch {
		case in.MetricName == nil:
			return nil, cwMissing("MetricName")
		case in.Namespace == nil:
			return nil, cwMissing("Namespace")
		case in.Period == nil:
			return nil, cwMissing("Period")
		case (in.Statistic == "") == (in.ExtendedStatistic == nil):
			return nil, cwCombination("Exactly one of Statistic and ExtendedStatistic must be specified")
		}
		// "Valid values are 10, 20, 30, and any multiple of 60."
		if p := *in.Period; p <= 0 || (p%60 != 0 && p != 10 && p != 20 && p != 30) {
			return nil, cwInvalid("The parameter Period must be 10, 20, 30 or a multiple of 60.")
		}
	}
	if len(in.Dimensions) > 30 {
		return nil, cwInvalid("The collection Dimensions must not have a size greater than 30.")
	}
	if in.Threshold == nil && in.ThresholdMetricId == nil {
		return nil, cwMissing("Threshold")
	}
	if a := x.alarms[groupKey{r.Name, name}]; a != nil && a.composite != nil {
		return nil, cwInvalid("An alarm named %s already exists as a composite alarm", name)
	}
	cfg := *in
	cfg.Tags = nil
	a := x.upsert(r.Name, name, in.Tags)
	a.metric = &cfg
	if a.metricID == "" {
		a.metricID = x.s.uuid()
	}
	return &cloudwatch.PutMetricAlarmOutput{}, nil
}

// upsert returns the alarm, creating it in INSUFFICIENT_DATA. "When you
// update an existing alarm, its state is left unchanged", and tags given
// on an update are ignored.
func (x *cloudwatchState) upsert(region, name string, tags []cwtypes.Tag) *cwAlarm {
	now := x.s.now
	k := groupKey{region, name}
	a := x.alarms[k]
	if a == nil {
		a = &cwAlarm{
			region: region, name: name, arn: x.alarmARN(region, name), tags: map[string]string{},
			state: cwtypes.StateValueInsufficientData, reason: "Unchecked: Initial alarm creation",
			updated: now, transitioned: now,
		}
		for _, t := range tags {
			a.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		x.alarms[k] = a
	}
	a.configUpdated = now
	return a
}

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html
func (x *cloudwatchState) putCompositeAlarm(r *Region, in *cloudwatch.PutCompositeAlarmInput) (*cloudwatch.PutCompositeAlarmOutput, error) {
	name := aws.ToString(in.AlarmName)
	if name == "" || len(name) > 255 {
		return nil, cwInvalid("AlarmName must be between 1 and 255 characters")
	}
	rule, err := parseAlarmRule(aws.ToString(in.AlarmRule))
	if err != nil {
		return nil, cwInvalid("Invalid AlarmRule: %v", err)
	}
	var missing []string
	for _, ref := range rule.alarms() {
		if ref == name {
			return nil, cwInvalid("The alarm rule of %s must not reference the alarm itself", name)
		}
		if x.alarms[groupKey{r.Name, ref}] == nil {
			missing = append(missing, ref)
		}
	}
	if len(missing) > 0 {
		return nil, apiError(http.StatusBadRequest, "ValidationError",
			fmt.Sprintf("Could not save the composite alarm as alarms [%s] in the alarm rule do not exist", strings.Join(missing, ", ")))
	}
	if a := x.alarms[groupKey{r.Name, name}]; a != nil && a.metric != nil {
		return nil, cwInvalid("An alarm named %s already exists as a metric alarm", name)
	}
	_, existed := x.alarms[groupKey{r.Name, name}]
	cfg := *in
	cfg.Tags = nil
	a := x.upsert(r.Name, name, in.Tags)
	a.composite, a.rule = &cfg, rule
	if !existed {
		// A new composite alarm evaluates its rule at once.
		value := x.evaluate(a)
		a.state, a.updated, a.transitioned = value, x.s.now, x.s.now
		a.reason = fmt.Sprintf("%s was created and its alarm rule evaluates to %s", a.arn, value)
		a.reasonData = x.triggeringData(a, nil)
		return &cloudwatch.PutCompositeAlarmOutput{}, nil
	}
	x.followChildren(r.Name, []*cwAlarm{a})
	return &cloudwatch.PutCompositeAlarmOutput{}, nil
}

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html
func (x *cloudwatchState) setAlarmState(r *Region, in *cloudwatch.SetAlarmStateInput) (*cloudwatch.SetAlarmStateOutput, error) {
	a := x.alarms[groupKey{r.Name, aws.ToString(in.AlarmName)}]
	if a == nil {
		return nil, asHTTPError(&cwtypes.ResourceNotFound{Message: aws.String(fmt.Sprintf("Alarm %s not found", aws.ToString(in.AlarmName)))}, http.StatusNotFound)
	}
	switch in.StateValue {
	case cwtypes.StateValueOk, cwtypes.StateValueAlarm, cwtypes.StateValueInsufficientData:
	default:
		return nil, cwInvalid("Invalid StateValue %q", in.StateValue)
	}
	data := aws.ToString(in.StateReasonData)
	if data != "" && !json.Valid([]byte(data)) {
		return nil, &cwtypes.InvalidFormatFault{Message: aws.String("StateReasonData is not valid JSON")}
	}
	if data == "" && a.metric != nil {
		data = x.metricReasonData(a)
	}
	x.transition(a, in.StateValue, aws.ToString(in.StateReason), data)
	return &cloudwatch.SetAlarmStateOutput{}, nil
}

// transition sets an alarm's state; a change of value is emitted as
// "CloudWatch Alarm State Change" and re-evaluates the composite alarms
// that reference it.
func (x *cloudwatchState) transition(a *cwAlarm, value cwtypes.StateValue, reason, reasonData string) {
	prev := alarmEventState{Value: string(a.state), Reason: a.reason, ReasonData: a.reasonData, Timestamp: a.updated.UTC().Format(alarmTimestamp)}
	changed := value != a.state
	a.state, a.reason, a.reasonData, a.updated = value, reason, reasonData, x.s.now
	if !changed {
		return
	}
	a.transitioned = x.s.now
	x.emit(a, prev)
	x.followChildren(a.region, []*cwAlarm{a})
}

// followChildren re-evaluates, breadth first, every composite alarm that
// references a changed alarm. Rules cannot reference their own alarm, and
// the depth is bounded in case rules form a longer cycle.
func (x *cloudwatchState) followChildren(region string, changed []*cwAlarm) {
	for depth := 0; depth < 16 && len(changed) > 0; depth++ {
		var next []*cwAlarm
		for _, c := range x.regionAlarms(region) {
			if c.rule == nil {
				continue
			}
			var triggers []*cwAlarm
			for _, ch := range changed {
				if ch == c || slices.Contains(c.rule.alarms(), ch.name) {
					triggers = append(triggers, ch)
				}
			}
			if len(triggers) == 0 {
				continue
			}
			value := x.evaluate(c)
			if value == c.state {
				continue
			}
			t := triggers[0]
			prev := alarmEventState{Value: string(c.state), Reason: c.reason, ReasonData: c.reasonData, Timestamp: c.updated.UTC().Format(alarmTimestamp)}
			c.state, c.updated, c.transitioned = value, x.s.now, x.s.now
			c.reason = fmt.Sprintf("%s transitioned to %s at %s", t.arn, t.state, t.updated.UTC().Format("Monday 02 January, 2006 15:04:05 MST"))
			c.reasonData = x.triggeringData(c, triggers)
			x.emit(c, prev)
			next = append(next, c)
		}
		changed = next
	}
}

func (x *cloudwatchState) evaluate(c *cwAlarm) cwtypes.StateValue {
	ok := c.rule.eval(func(name string) cwtypes.StateValue {
		if a := x.alarms[groupKey{c.region, name}]; a != nil {
			return a.state
		}
		return cwtypes.StateValueInsufficientData
	})
	if ok {
		return cwtypes.StateValueAlarm
	}
	return cwtypes.StateValueOk
}

// triggeringData is a composite alarm's reasonData: the alarms that
// triggered the change, or every referenced alarm when none did.
func (x *cloudwatchState) triggeringData(c *cwAlarm, triggers []*cwAlarm) string {
	type entry struct {
		ARN   string `json:"arn"`
		State struct {
			Value     string `json:"value"`
			Timestamp string `json:"timestamp"`
		} `json:"state"`
	}
	if len(triggers) == 0 {
		for _, n := range c.rule.alarms() {
			if a := x.alarms[groupKey{c.region, n}]; a != nil {
				triggers = append(triggers, a)
			}
		}
	}
	var list []entry
	for _, t := range triggers {
		var e entry
		e.ARN, e.State.Value, e.State.Timestamp = t.arn, string(t.state), t.updated.UTC().Format(alarmTimestamp)
		list = append(list, e)
	}
	d, _ := json.Marshal(struct {
		TriggeringAlarms []entry `json:"triggeringAlarms"`
	}{list})
	return string(d)
}

// metricReasonData is the reasonData a metric alarm's evaluation records.
func (x *cloudwatchState) metricReasonData(a *cwAlarm) string {
	m := a.metric
	d, _ := json.Marshal(struct {
		Version          string    `json:"version"`
		QueryDate        string    `json:"queryDate"`
		Statistic        string    `json:"statistic,omitempty"`
		Period           int32     `json:"period,omitempty"`
		RecentDatapoints []float64 `json:"recentDatapoints"`
		Threshold        float64   `json:"threshold"`
	}{"1.0", x.s.now.UTC().Format(alarmTimestamp), metricStat(m), aws.ToInt32(m.Period), []float64{}, aws.ToFloat64(m.Threshold)})
	return string(d)
}

func metricStat(m *cloudwatch.PutMetricAlarmInput) string {
	if m.ExtendedStatistic != nil {
		return *m.ExtendedStatistic
	}
	return string(m.Statistic)
}

// alarmTimestamp is how alarm events and reasonData write instants.
const alarmTimestamp = "2006-01-02T15:04:05.000-0700"

// The "CloudWatch Alarm State Change" detail, as the AWS samples show it.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
type alarmEvent struct {
	AlarmName       string            `json:"alarmName"`
	AlarmTags       map[string]string `json:"alarmTags,omitempty"`
	AlarmTagsStatus string            `json:"alarmTagsStatus,omitempty"`
	State           alarmEventState   `json:"state"`
	PreviousState   alarmEventState   `json:"previousState"`
	Configuration   any               `json:"configuration"`
}

type alarmEventState struct {
	Value      string `json:"value"`
	Reason     string `json:"reason"`
	ReasonData string `json:"reasonData,omitempty"`
	Timestamp  string `json:"timestamp"`
}

type alarmEventMetricConfig struct {
	Description string             `json:"description,omitempty"`
	Metrics     []alarmEventMetric `json:"metrics"`
}

type alarmEventMetric struct {
	ID         string                `json:"id"`
	Expression string                `json:"expression,omitempty"`
	Label      string                `json:"label,omitempty"`
	MetricStat *alarmEventMetricStat `json:"metricStat,omitempty"`
	ReturnData bool                  `json:"returnData"`
}

type alarmEventMetricStat struct {
	Metric struct {
		Dimensions map[string]string `json:"dimensions"`
		Name       string            `json:"name"`
		Namespace  string            `json:"namespace"`
	} `json:"metric"`
	Period int32  `json:"period"`
	Stat   string `json:"stat"`
	Unit   string `json:"unit,omitempty"`
}

type alarmEventCompositeConfig struct {
	AlarmRule                        string `json:"alarmRule"`
	Description                      string `json:"description,omitempty"`
	ActionsSuppressor                string `json:"actionsSuppressor,omitempty"`
	ActionsSuppressorWaitPeriod      int32  `json:"actionsSuppressorWaitPeriod,omitempty"`
	ActionsSuppressorExtensionPeriod int32  `json:"actionsSuppressorExtensionPeriod,omitempty"`
}

func (x *cloudwatchState) emit(a *cwAlarm, prev alarmEventState) {
	d := alarmEvent{
		AlarmName:     a.name,
		State:         alarmEventState{Value: string(a.state), Reason: a.reason, ReasonData: a.reasonData, Timestamp: a.updated.UTC().Format(alarmTimestamp)},
		PreviousState: prev,
	}
	if len(a.tags) > 0 {
		d.AlarmTags, d.AlarmTagsStatus = cloneStringMap(a.tags), "SUCCESS"
	}
	if a.composite != nil {
		c := a.composite
		d.Configuration = alarmEventCompositeConfig{
			AlarmRule: aws.ToString(c.AlarmRule), Description: aws.ToString(c.AlarmDescription),
			ActionsSuppressor:                aws.ToString(c.ActionsSuppressor),
			ActionsSuppressorWaitPeriod:      aws.ToInt32(c.ActionsSuppressorWaitPeriod),
			ActionsSuppressorExtensionPeriod: aws.ToInt32(c.ActionsSuppressorExtensionPeriod),
		}
	} else {
		d.Configuration = x.metricConfig(a)
	}
	x.s.emitLocked(a.region, "aws.cloudwatch", "CloudWatch Alarm State Change", []string{a.arn}, d)
}

func (x *cloudwatchState) metricConfig(a *cwAlarm) alarmEventMetricConfig {
	m := a.metric
	cfg := alarmEventMetricConfig{Description: aws.ToString(m.AlarmDescription), Metrics: []alarmEventMetric{}}
	stat := func(metric *cwtypes.Metric, period int32, s string, unit cwtypes.StandardUnit) *alarmEventMetricStat {
		ms := &alarmEventMetricStat{Period: period, Stat: s, Unit: string(unit)}
		ms.Metric.Dimensions = map[string]string{}
		if metric != nil {
			for _, dim := range metric.Dimensions {
				ms.Metric.Dimensions[aws.ToString(dim.Name)] = aws.ToString(dim.Value)
			}
			ms.Metric.Name, ms.Metric.Namespace = aws.ToString(metric.MetricName), aws.ToString(metric.Namespace)
		}
		return ms
	}
	if len(m.Metrics) == 0 {
		cfg.Metrics = append(cfg.Metrics, alarmEventMetric{
			ID:         a.metricID,
			MetricStat: stat(&cwtypes.Metric{Dimensions: m.Dimensions, MetricName: m.MetricName, Namespace: m.Namespace}, aws.ToInt32(m.Period), metricStat(m), m.Unit),
			ReturnData: true,
		})
		return cfg
	}
	for _, q := range m.Metrics {
		e := alarmEventMetric{ID: aws.ToString(q.Id), Expression: aws.ToString(q.Expression), Label: aws.ToString(q.Label), ReturnData: q.ReturnData == nil || *q.ReturnData}
		if q.MetricStat != nil {
			e.MetricStat = stat(q.MetricStat.Metric, aws.ToInt32(q.MetricStat.Period), aws.ToString(q.MetricStat.Stat), q.MetricStat.Unit)
		}
		cfg.Metrics = append(cfg.Metrics, e)
	}
	return cfg
}

func cloneStringMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// regionAlarms lists a region's alarms by name, as DescribeAlarms does.
func (x *cloudwatchState) regionAlarms(region string) []*cwAlarm {
	var out []*cwAlarm
	for k, a := range x.alarms {
		if k.region == region {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
func (x *cloudwatchState) describeAlarms(r *Region, in *cloudwatch.DescribeAlarmsInput) (*cloudwatch.DescribeAlarmsOutput, error) {
	if in.MaxRecords != nil && (*in.MaxRecords < 1 || *in.MaxRecords > 100) {
		return nil, cwInvalid("The parameter MaxRecords must be between 1 and 100.")
	}
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != nil {
		return nil, cwCombination("AlarmNames and AlarmNamePrefix cannot be specified together")
	}
	family := in.ChildrenOfAlarmName != nil || in.ParentsOfAlarmName != nil
	if family && (len(in.AlarmNames) > 0 || in.AlarmNamePrefix != nil || len(in.AlarmTypes) > 0 || in.StateValue != "" || in.ActionPrefix != nil ||
		(in.ChildrenOfAlarmName != nil && in.ParentsOfAlarmName != nil)) {
		return nil, cwCombination("ChildrenOfAlarmName and ParentsOfAlarmName cannot be combined with other filters but MaxRecords and NextToken")
	}
	types := in.AlarmTypes
	if len(types) == 0 && !family {
		// "If you omit this parameter, only metric alarms are returned,
		// even if composite alarms exist in the account."
		types = []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}
	}
	var matched []*cwAlarm
	for _, a := range x.regionAlarms(r.Name) {
		switch {
		case in.ChildrenOfAlarmName != nil:
			parent := x.alarms[groupKey{r.Name, *in.ChildrenOfAlarmName}]
			if parent == nil || parent.rule == nil || !slices.Contains(parent.rule.alarms(), a.name) {
				continue
			}
		case in.ParentsOfAlarmName != nil:
			if a.rule == nil || !slices.Contains(a.rule.alarms(), *in.ParentsOfAlarmName) {
				continue
			}
		default:
			kind := cwtypes.AlarmTypeMetricAlarm
			if a.composite != nil {
				kind = cwtypes.AlarmTypeCompositeAlarm
			}
			if !slices.Contains(types, kind) ||
				(len(in.AlarmNames) > 0 && !slices.Contains(in.AlarmNames, a.name)) ||
				(in.AlarmNamePrefix != nil && !strings.HasPrefix(a.name, *in.AlarmNamePrefix)) ||
				(in.StateValue != "" && a.state != in.StateValue) ||
				(in.ActionPrefix != nil && !a.hasActionPrefix(*in.ActionPrefix)) {
				continue
			}
		}
		matched = append(matched, a)
	}
	pg, next, err := page(matched, in.MaxRecords, in.NextToken, 50, 100, "InvalidNextToken")
	if err != nil {
		return nil, err
	}
	out := &cloudwatch.DescribeAlarmsOutput{NextToken: next, MetricAlarms: []cwtypes.MetricAlarm{}, CompositeAlarms: []cwtypes.CompositeAlarm{}}
	for _, a := range pg {
		if a.composite != nil {
			out.CompositeAlarms = append(out.CompositeAlarms, a.describeComposite())
		} else {
			out.MetricAlarms = append(out.MetricAlarms, a.describeMetric())
		}
	}
	return out, nil
}

func (a *cwAlarm) hasActionPrefix(prefix string) bool {
	var actions [][]string
	if m := a.metric; m != nil {
		actions = [][]string{m.AlarmActions, m.OKActions, m.InsufficientDataActions}
	} else {
		c := a.composite
		actions = [][]string{c.AlarmActions, c.OKActions, c.InsufficientDataActions}
	}
	for _, list := range actions {
		for _, act := range list {
			if strings.HasPrefix(act, prefix) {
				return true
			}
		}
	}
	return false
}

func (a *cwAlarm) stateFields() (*string, *string, *time.Time, *time.Time) {
	var data *string
	if a.reasonData != "" {
		data = aws.String(a.reasonData)
	}
	return aws.String(a.reason), data, aws.Time(a.updated), aws.Time(a.transitioned)
}

func (a *cwAlarm) describeMetric() cwtypes.MetricAlarm {
	m := a.metric
	reason, data, updated, transitioned := a.stateFields()
	return cwtypes.MetricAlarm{
		AlarmName: aws.String(a.name), AlarmArn: aws.String(a.arn), AlarmDescription: m.AlarmDescription,
		ActionsEnabled: aws.Bool(m.ActionsEnabled == nil || *m.ActionsEnabled),
		AlarmActions:   nonNil(m.AlarmActions), OKActions: nonNil(m.OKActions), InsufficientDataActions: nonNil(m.InsufficientDataActions),
		AlarmConfigurationUpdatedTimestamp: aws.Time(a.configUpdated),
		ComparisonOperator:                 m.ComparisonOperator, DatapointsToAlarm: m.DatapointsToAlarm,
		Dimensions: slices.Clone(m.Dimensions), EvaluationPeriods: m.EvaluationPeriods,
		EvaluateLowSampleCountPercentile: m.EvaluateLowSampleCountPercentile, ExtendedStatistic: m.ExtendedStatistic,
		MetricName: m.MetricName, Metrics: slices.Clone(m.Metrics), Namespace: m.Namespace, Period: m.Period,
		Statistic: m.Statistic, Threshold: m.Threshold, ThresholdMetricId: m.ThresholdMetricId,
		TreatMissingData: m.TreatMissingData, Unit: m.Unit,
		StateValue: a.state, StateReason: reason, StateReasonData: data,
		StateUpdatedTimestamp: updated, StateTransitionedTimestamp: transitioned,
	}
}

func (a *cwAlarm) describeComposite() cwtypes.CompositeAlarm {
	c := a.composite
	reason, data, updated, transitioned := a.stateFields()
	return cwtypes.CompositeAlarm{
		AlarmName: aws.String(a.name), AlarmArn: aws.String(a.arn), AlarmDescription: c.AlarmDescription,
		AlarmRule:      c.AlarmRule,
		ActionsEnabled: aws.Bool(c.ActionsEnabled == nil || *c.ActionsEnabled),
		AlarmActions:   nonNil(c.AlarmActions), OKActions: nonNil(c.OKActions), InsufficientDataActions: nonNil(c.InsufficientDataActions),
		ActionsSuppressor: c.ActionsSuppressor, ActionsSuppressorWaitPeriod: c.ActionsSuppressorWaitPeriod,
		ActionsSuppressorExtensionPeriod:   c.ActionsSuppressorExtensionPeriod,
		AlarmConfigurationUpdatedTimestamp: aws.Time(a.configUpdated),
		StateValue:                         a.state, StateReason: reason, StateReasonData: data,
		StateUpdatedTimestamp: updated, StateTransitionedTimestamp: transitioned,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListTagsForResource.html
func (x *cloudwatchState) listTagsForResource(r *Region, in *cloudwatch.ListTagsForResourceInput) (*cloudwatch.ListTagsForResourceOutput, error) {
	arn := aws.ToString(in.ResourceARN)
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "cloudwatch" {
		return nil, cwInvalid("Invalid ARN %s", arn)
	}
	if parts[5] != "alarm" {
		return nil, fmt.Errorf("awssim: CloudWatch ListTagsForResource on %s resources is not modelled by the simulated account", parts[5])
	}
	a := x.alarms[groupKey{parts[3], parts[6]}]
	if a == nil || parts[3] != r.Name || parts[4] != x.s.accountID {
		return nil, asHTTPError(&cwtypes.ResourceNotFoundException{Message: aws.String("The specified resource does not exist.")}, http.StatusNotFound)
	}
	out := &cloudwatch.ListTagsForResourceOutput{Tags: []cwtypes.Tag{}}
	for _, k := range sortedKeys(a.tags) {
		out.Tags = append(out.Tags, cwtypes.Tag{Key: aws.String(k), Value: aws.String(a.tags[k])})
	}
	return out, nil
}

// PutMetricAlarm seeds a metric alarm (no call is logged), with the
// validation of PutMetricAlarm. It starts in INSUFFICIENT_DATA, as on AWS.
func (s *Sim) PutMetricAlarm(region string, in *cloudwatch.PutMetricAlarmInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.regions[region]
	if r == nil {
		return fmt.Errorf("awssim: no region %q", region)
	}
	_, err := s.cw.putMetricAlarm(r, in)
	return err
}

// PutCompositeAlarm seeds a composite alarm (no call is logged); it
// evaluates its rule at once.
func (s *Sim) PutCompositeAlarm(region string, in *cloudwatch.PutCompositeAlarmInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.regions[region]
	if r == nil {
		return fmt.Errorf("awssim: no region %q", region)
	}
	_, err := s.cw.putCompositeAlarm(r, in)
	return err
}

// SetAlarmState changes an alarm's state as its evaluation would: a new
// value emits "CloudWatch Alarm State Change" and moves the composite
// alarms built on it.
func (s *Sim) SetAlarmState(region, name string, state cwtypes.StateValue, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.regions[region]
	if r == nil {
		return fmt.Errorf("awssim: no region %q", region)
	}
	_, err := s.cw.setAlarmState(r, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(name), StateValue: state, StateReason: aws.String(reason)})
	return err
}

// AlarmState returns an alarm's current state, or false if it does not
// exist.
func (s *Sim) AlarmState(region, name string) (cwtypes.StateValue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.cw.alarms[groupKey{region, name}]
	if a == nil {
		return "", false
	}
	return a.state, true
}
