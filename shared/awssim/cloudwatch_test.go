package awssim_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
)

// azAlarm is a per-AZ unhealthy-hosts alarm like the catalogue's sample.
func azAlarm(name, az string, tags map[string]string) *cloudwatch.PutMetricAlarmInput {
	in := &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(name),
		AlarmDescription:   aws.String("Unhealthy web targets in " + az),
		Namespace:          aws.String("AWS/ApplicationELB"),
		MetricName:         aws.String("UnHealthyHostCount"),
		Statistic:          cwtypes.StatisticMaximum,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(3),
		Threshold:          aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		Dimensions: []cwtypes.Dimension{
			{Name: aws.String("AvailabilityZone"), Value: aws.String(az)},
			{Name: aws.String("LoadBalancer"), Value: aws.String("app/web/50dc6c495c0c9188")},
			{Name: aws.String("TargetGroup"), Value: aws.String("targetgroup/web/73e2d6bc24d8a067")},
		},
	}
	for k, v := range tags {
		in.Tags = append(in.Tags, cwtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return in
}

func seedAlarms(t *testing.T, sim *awssim.Sim) {
	t.Helper()
	for _, az := range []string{azA, azB, azC} {
		if err := sim.PutMetricAlarm(region, azAlarm("web-unhealthy-hosts-"+az, az, map[string]string{"selfheal:az-signal": "true", "team": "web"})); err != nil {
			t.Fatal(err)
		}
	}
	if err := sim.PutMetricAlarm(region, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("web-latency-p99"), Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("TargetResponseTime"),
		ExtendedStatistic: aws.String("p99"), Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(2),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
	}); err != nil {
		t.Fatal(err)
	}
	if err := sim.PutCompositeAlarm(region, &cloudwatch.PutCompositeAlarmInput{
		AlarmName:                        aws.String("web-az-impaired"),
		AlarmRule:                        aws.String(`ALARM("web-unhealthy-hosts-us-east-1a") OR ALARM("arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-unhealthy-hosts-us-east-1b")`),
		ActionsSuppressor:                aws.String("web-latency-p99"),
		ActionsSuppressorWaitPeriod:      aws.Int32(120),
		ActionsSuppressorExtensionPeriod: aws.Int32(180),
	}); err != nil {
		t.Fatal(err)
	}
}

func alarmNames(out *cloudwatch.DescribeAlarmsOutput) []string {
	var names []string
	for _, a := range out.MetricAlarms {
		names = append(names, aws.ToString(a.AlarmName))
	}
	for _, a := range out.CompositeAlarms {
		names = append(names, aws.ToString(a.AlarmName))
	}
	return names
}

func TestDescribeAlarmsFilters(t *testing.T) {
	sim := awssim.New()
	seedAlarms(t, sim)
	client := cloudwatch.NewFromConfig(sim.Config(region))
	if err := sim.SetAlarmState(region, "web-unhealthy-hosts-us-east-1b", cwtypes.StateValueAlarm, "Threshold Crossed"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		in   cloudwatch.DescribeAlarmsInput
		want []string
	}{
		{"metric alarms by default", cloudwatch.DescribeAlarmsInput{},
			[]string{"web-latency-p99", "web-unhealthy-hosts-us-east-1a", "web-unhealthy-hosts-us-east-1b", "web-unhealthy-hosts-us-east-1c"}},
		{"composite only", cloudwatch.DescribeAlarmsInput{AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeCompositeAlarm}}, []string{"web-az-impaired"}},
		{"names", cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"web-latency-p99", "web-az-impaired", "missing"}}, []string{"web-latency-p99"}},
		{"prefix", cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("web-unhealthy-hosts-us-east-1")},
			[]string{"web-unhealthy-hosts-us-east-1a", "web-unhealthy-hosts-us-east-1b", "web-unhealthy-hosts-us-east-1c"}},
		{"state", cloudwatch.DescribeAlarmsInput{StateValue: cwtypes.StateValueAlarm,
			AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm}},
			[]string{"web-unhealthy-hosts-us-east-1b", "web-az-impaired"}},
		{"children of a composite", cloudwatch.DescribeAlarmsInput{ChildrenOfAlarmName: aws.String("web-az-impaired")},
			[]string{"web-unhealthy-hosts-us-east-1a", "web-unhealthy-hosts-us-east-1b"}},
		{"parents of an alarm", cloudwatch.DescribeAlarmsInput{ParentsOfAlarmName: aws.String("web-unhealthy-hosts-us-east-1a")}, []string{"web-az-impaired"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			pages := cloudwatch.NewDescribeAlarmsPaginator(client, &tc.in)
			for pages.HasMorePages() {
				out, err := pages.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, alarmNames(out)...)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alarms (-want +got):\n%s", diff)
			}
		})
	}

	_, err := client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a"}, AlarmNamePrefix: aws.String("a")})
	var combo *cwtypes.InvalidParameterCombinationException
	if !errors.As(err, &combo) {
		t.Errorf("AlarmNames with AlarmNamePrefix: got %v, want InvalidParameterCombinationException", err)
	}
}

func TestDescribeAlarmsPagesAndDetails(t *testing.T) {
	sim := awssim.New()
	seedAlarms(t, sim)
	client := cloudwatch.NewFromConfig(sim.Config(region))
	first, err := client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(3)})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.MetricAlarms) != 3 || first.NextToken == nil {
		t.Fatalf("first page: %d alarms, token %v; want 3 and a token", len(first.MetricAlarms), first.NextToken)
	}
	second, err := client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(3), NextToken: first.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(second.MetricAlarms) != 1 || second.NextToken != nil {
		t.Fatalf("second page: %d alarms, token %v; want the last one", len(second.MetricAlarms), second.NextToken)
	}

	a := first.MetricAlarms[1] // web-unhealthy-hosts-us-east-1a
	if aws.ToString(a.AlarmArn) != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-unhealthy-hosts-us-east-1a" {
		t.Errorf("alarm ARN %s", aws.ToString(a.AlarmArn))
	}
	if a.StateValue != cwtypes.StateValueInsufficientData {
		t.Errorf("a new alarm is %s, want INSUFFICIENT_DATA", a.StateValue)
	}
	var az string
	for _, d := range a.Dimensions {
		if aws.ToString(d.Name) == "AvailabilityZone" {
			az = aws.ToString(d.Value)
		}
	}
	if az != azA {
		t.Errorf("AvailabilityZone dimension %q, want %s", az, azA)
	}
}

func TestAlarmTags(t *testing.T) {
	sim := awssim.New()
	seedAlarms(t, sim)
	client := cloudwatch.NewFromConfig(sim.Config(region))
	out, err := client.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{
		ResourceARN: aws.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-unhealthy-hosts-us-east-1c"),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tag := range out.Tags {
		got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	if diff := cmp.Diff(map[string]string{"selfheal:az-signal": "true", "team": "web"}, got); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	_, err = client.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{
		ResourceARN: aws.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:missing"),
	})
	var notFound *cwtypes.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("unknown alarm: got %v, want ResourceNotFoundException", err)
	}
}

func TestAlarmStateChangeEvents(t *testing.T) {
	sim := awssim.New()
	seedAlarms(t, sim)
	if err := sim.SetAlarmState(region, "web-unhealthy-hosts-us-east-1a", cwtypes.StateValueOk, "Threshold Crossed: no datapoints"); err != nil {
		t.Fatal(err)
	}
	sim.DrainEvents()

	if err := sim.SetAlarmState(region, "web-unhealthy-hosts-us-east-1a", cwtypes.StateValueAlarm, "Threshold Crossed: 3 out of the last 3 datapoints"); err != nil {
		t.Fatal(err)
	}
	events := sim.DrainEvents()
	if len(events) != 2 {
		t.Fatalf("%d events, want the metric alarm's and its composite's", len(events))
	}
	var metric, composite map[string]any
	for _, e := range events {
		if e.Source != "aws.cloudwatch" || e.DetailType != "CloudWatch Alarm State Change" {
			t.Errorf("event %s / %s", e.Source, e.DetailType)
		}
		var env map[string]any
		if err := json.Unmarshal(e.JSON, &env); err != nil {
			t.Fatal(err)
		}
		switch env["detail"].(map[string]any)["alarmName"] {
		case "web-unhealthy-hosts-us-east-1a":
			metric = env
		case "web-az-impaired":
			composite = env
		}
	}
	if metric == nil || composite == nil {
		t.Fatalf("events for %v", events)
	}
	// Same fields as the catalogue samples, which follow AWS's.
	if diff := cmp.Diff(jsonShape(readSample(t, "aws.cloudwatch/cloudwatch-alarm-state-change--az-alarm.json")), jsonShape(metric)); diff != "" {
		t.Errorf("metric alarm event shape (-sample +sim):\n%s", diff)
	}
	if diff := cmp.Diff(jsonShape(readSample(t, "aws.cloudwatch/cloudwatch-alarm-state-change--composite.json")), jsonShape(composite)); diff != "" {
		t.Errorf("composite alarm event shape (-sample +sim):\n%s", diff)
	}
	d := metric["detail"].(map[string]any)
	state, prev := d["state"].(map[string]any), d["previousState"].(map[string]any)
	if state["value"] != "ALARM" || prev["value"] != "OK" {
		t.Errorf("transition %v → %v, want OK → ALARM", prev["value"], state["value"])
	}
	dims := d["configuration"].(map[string]any)["metrics"].([]any)[0].(map[string]any)["metricStat"].(map[string]any)["metric"].(map[string]any)["dimensions"].(map[string]any)
	if dims["AvailabilityZone"] != azA {
		t.Errorf("event dimensions %v, want AvailabilityZone %s", dims, azA)
	}
	if got := d["alarmTags"].(map[string]any)["selfheal:az-signal"]; got != "true" {
		t.Errorf("alarmTags %v", d["alarmTags"])
	}
	if st, _ := sim.AlarmState(region, "web-az-impaired"); st != cwtypes.StateValueAlarm {
		t.Errorf("composite is %s, want ALARM once a child is", st)
	}

	// Setting the same state again changes nothing and emits nothing.
	if err := sim.SetAlarmState(region, "web-unhealthy-hosts-us-east-1a", cwtypes.StateValueAlarm, "still"); err != nil {
		t.Fatal(err)
	}
	if n := len(sim.DrainEvents()); n != 0 {
		t.Errorf("%d events for a state that did not change", n)
	}
	// Back to OK: both alarms recover.
	if err := sim.SetAlarmState(region, "web-unhealthy-hosts-us-east-1a", cwtypes.StateValueOk, "recovered"); err != nil {
		t.Fatal(err)
	}
	if n := len(sim.DrainEvents()); n != 2 {
		t.Errorf("%d events on recovery, want 2", n)
	}
	if st, _ := sim.AlarmState(region, "web-az-impaired"); st != cwtypes.StateValueOk {
		t.Errorf("composite is %s after its children recovered, want OK", st)
	}
}

func TestCompositeAlarmRuleValidation(t *testing.T) {
	sim := awssim.New()
	seedAlarms(t, sim)
	client := cloudwatch.NewFromConfig(sim.Config(region))
	cases := []struct {
		rule string
		code string
	}{
		{`ALARM(web-latency-p99) AND NOT (OK("web-unhealthy-hosts-us-east-1c") OR FALSE)`, ""},
		{`ALARM("missing-alarm")`, "ValidationError"},
		{`ALARM("web-latency-p99" OR`, "InvalidParameterValueException"},
		{`AT_LEAST(2, ALARM, ("web-latency-p99", "web-az-impaired"))`, "InvalidParameterValueException"},
	}
	for _, tc := range cases {
		_, err := client.PutCompositeAlarm(ctx, &cloudwatch.PutCompositeAlarmInput{AlarmName: aws.String("c"), AlarmRule: aws.String(tc.rule)})
		if apiCode(err) != tc.code {
			t.Errorf("rule %s: got %v, want %q", tc.rule, err, tc.code)
		}
	}
	// The rule accepted above: latency not in ALARM, so the composite is OK;
	// with latency in ALARM and the 1c alarm not OK, ALARM.
	if st, _ := sim.AlarmState(region, "c"); st != cwtypes.StateValueOk {
		t.Errorf("composite c is %s, want OK", st)
	}
	if err := sim.SetAlarmState(region, "web-latency-p99", cwtypes.StateValueAlarm, "slow"); err != nil {
		t.Fatal(err)
	}
	if st, _ := sim.AlarmState(region, "c"); st != cwtypes.StateValueAlarm {
		t.Errorf("composite c is %s, want ALARM", st)
	}
}
