//go:build e2e

package e2e_test

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/selfheal/selfheal/events"
)

// group is an Auto Scaling group as moto holds it, reduced to what the
// rebalancer may change.
type group struct {
	Subnets                []string
	Min, Max, Desired      int32
	Tags                   map[string]string
	InstancesPerAZ         map[string]int
	SuspendedProcesses     []string
	AvailabilityZonesCount int
}

// account is the moto account's Auto Scaling and EC2 world for the story.
type world struct {
	t       *testing.T
	asg     *autoscaling.Client
	ec2     *ec2.Client
	subnets map[string]string // AZ → subnet id
}

func newWorld(t *testing.T) *world {
	cfg := harness()
	return &world{t: t, asg: autoscaling.NewFromConfig(cfg), ec2: ec2.NewFromConfig(cfg), subnets: map[string]string{}}
}

// build makes a VPC with a subnet in each of three AZs, a launch template,
// the opted-in group "web" (6 instances, max = desired, as the seed's) and
// the group "batch", which is not opted in.
func (w *world) build() {
	t, ctx := w.t, context.Background()
	vpc, err := w.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.42.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	for i, az := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		sn, err := w.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, AvailabilityZone: aws.String(az),
			CidrBlock: aws.String("10.42." + string(rune('1'+i)) + ".0/24")})
		if err != nil {
			t.Fatal(err)
		}
		w.subnets[az] = aws.ToString(sn.Subnet.SubnetId)
	}
	images, err := w.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"}})
	if err != nil || len(images.Images) == 0 {
		t.Fatalf("moto's images: %v", err)
	}
	if _, err := w.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("e2e-web"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: images.Images[0].ImageId, InstanceType: ec2types.InstanceTypeT3Micro},
	}); err != nil {
		t.Fatal(err)
	}
	all := strings.Join([]string{w.subnets["us-east-1a"], w.subnets["us-east-1b"], w.subnets["us-east-1c"]}, ",")
	for _, g := range []struct {
		name          string
		min, max, des int32
		tags          []astypes.Tag
	}{
		{"web", 3, 6, 6, []astypes.Tag{{Key: aws.String("selfheal:managed"), Value: aws.String("true"), PropagateAtLaunch: aws.Bool(false)},
			{Key: aws.String("team"), Value: aws.String("web"), PropagateAtLaunch: aws.Bool(true)}}},
		{"batch", 3, 3, 3, []astypes.Tag{{Key: aws.String("team"), Value: aws.String("batch"), PropagateAtLaunch: aws.Bool(true)}}},
	} {
		if _, err := w.asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
			AutoScalingGroupName: aws.String(g.name),
			LaunchTemplate:       &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("e2e-web"), Version: aws.String("$Latest")},
			MinSize:              aws.Int32(g.min), MaxSize: aws.Int32(g.max), DesiredCapacity: aws.Int32(g.des),
			VPCZoneIdentifier: aws.String(all),
			Tags:              g.tags,
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func (w *world) group(name string) group {
	w.t.Helper()
	out, err := w.asg.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		w.t.Fatalf("describe group %s: %v", name, err)
	}
	g := out.AutoScalingGroups[0]
	var got group
	got.Subnets = strings.Split(aws.ToString(g.VPCZoneIdentifier), ",")
	sort.Strings(got.Subnets)
	got.Min, got.Max, got.Desired = aws.ToInt32(g.MinSize), aws.ToInt32(g.MaxSize), aws.ToInt32(g.DesiredCapacity)
	got.Tags = map[string]string{}
	for _, tg := range g.Tags {
		got.Tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	got.InstancesPerAZ = map[string]int{}
	for _, in := range g.Instances {
		got.InstancesPerAZ[aws.ToString(in.AvailabilityZone)]++
	}
	for _, p := range g.SuspendedProcesses {
		got.SuspendedProcesses = append(got.SuspendedProcesses, aws.ToString(p.ProcessName))
	}
	got.AvailabilityZonesCount = len(g.AvailabilityZones)
	return got
}

// instancesIn returns the group's instances in an AZ.
func (w *world) instancesIn(name, az string) []string {
	w.t.Helper()
	out, err := w.asg.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		w.t.Fatalf("describe group %s: %v", name, err)
	}
	var ids []string
	for _, in := range out.AutoScalingGroups[0].Instances {
		if aws.ToString(in.AvailabilityZone) == az {
			ids = append(ids, aws.ToString(in.InstanceId))
		}
	}
	return ids
}

func (w *world) subnetsOf(azs ...string) []string {
	var out []string
	for _, az := range azs {
		out = append(out, w.subnets[az])
	}
	sort.Strings(out)
	return out
}

// event is a catalogue sample made this account's and region's, with a
// fresh id and the time now, edited by edit.
func event(t *testing.T, sample string, edit func(ev map[string]any)) []byte {
	t.Helper()
	raw, err := events.Sample(sample)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev["id"], ev["account"], ev["region"] = newID(), account, region
	ev["time"] = time.Now().UTC().Format(time.RFC3339)
	edit(ev)
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// since returns the functions' calls after mark, as "service.Operation".
func functionCalls(mark int) []string {
	var out []string
	for _, c := range moto.Log().Since(mark) {
		if c.Caller == keyFunctions {
			out = append(out, c.Service+"."+c.Operation)
		}
	}
	return out
}

func countOf(calls []string, call string) int {
	n := 0
	for _, c := range calls {
		if c == call {
			n++
		}
	}
	return n
}

// claimOf reads the state table's claim of an event.
func claimOf(t *testing.T, d *deployment, function, eventID string) map[string]ddbtypes.AttributeValue {
	t.Helper()
	out, err := dynamodb.NewFromConfig(harness()).GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      aws.String(d.TableName),
		Key:            map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "event#" + function + "#" + eventID}, "sk": &ddbtypes.AttributeValueMemberS{Value: "claim"}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func str(av ddbtypes.AttributeValue) string {
	if s, ok := av.(*ddbtypes.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// The real functions, on moto, over HTTP: an AWS Health issue opens and
// closes for an opted-in group, a second delivery is a no-op, a CloudWatch
// alarm signals an AZ, a vault without Vault Lock is reported; every
// notification reaches the subscribers the topic's filter policies let it.
func TestFunctionsOnMoto(t *testing.T) {
	d := deployed(t)
	ctx := context.Background()
	w := newWorld(t)
	w.build()
	subs := subscribe(t, d)

	webBefore := w.group("web")
	batchBefore := w.group("batch")
	if webBefore.Desired != 6 || len(webBefore.Subnets) != 3 {
		t.Fatalf("moto's web group before: %+v", webBefore)
	}
	// moto launches every instance of a group into its first subnet and
	// moves none when the subnets change: what Auto Scaling does with the
	// capacity after selfheal's writes is the sim's to show.
	pinned(t, "web's instances per AZ", webBefore.InstancesPerAZ, map[string]int{"us-east-1a": 2, "us-east-1b": 2, "us-east-1c": 2},
		map[string]int{"us-east-1a": 6}, "moto's Auto Scaling launches a group's instances into its first subnet only, and never rebalances them")
	impaired := w.instancesIn("web", "us-east-1a")

	healthOpen := event(t, "aws.health/aws-health-event--ec2-issue-account.json", func(ev map[string]any) {
		ev["resources"] = impaired
		detail := ev["detail"].(map[string]any)
		var entities []any
		for _, id := range impaired {
			entities = append(entities, map[string]any{"entityValue": id, "status": "IMPAIRED"})
		}
		detail["affectedEntities"] = entities
		detail["affectedAccount"] = account
		detail["eventArn"] = "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_e2e-" + newID()
	})
	var openEv struct {
		ID     string `json:"id"`
		Detail struct {
			EventArn string `json:"eventArn"`
		} `json:"detail"`
	}
	_ = json.Unmarshal(healthOpen, &openEv)

	t.Run("health issue opens: evacuate the opted-in group", func(t *testing.T) {
		mark := moto.Log().Len()
		line := invoke(t, "asg-rebalancer", "AWS Health issue open (us-east-1a)", healthOpen)
		if line.Status != "processed" || line.Actions == 0 {
			t.Fatalf("log line %+v", line)
		}
		calls := functionCalls(mark)
		if countOf(calls, "autoscaling.UpdateAutoScalingGroup") != 1 || countOf(calls, "sns.Publish") != 1 {
			t.Errorf("calls %v: want one UpdateAutoScalingGroup and one Publish", calls)
		}
		if countOf(calls, "autoscaling.DescribeInstanceRefreshes") == 0 {
			t.Errorf("calls %v: the rebalancer did not look for instance refreshes", calls)
		}
		web := w.group("web")
		if !slices.Equal(web.Subnets, w.subnetsOf("us-east-1b", "us-east-1c")) {
			t.Errorf("web's subnets %v, want those of us-east-1b and us-east-1c", web.Subnets)
		}
		if web.Max <= webBefore.Max || web.Desired != webBefore.Desired || web.Min != webBefore.Min {
			t.Errorf("web min/max/desired %d/%d/%d, want %d/>%d/%d: MaxSize raised, capacity kept", web.Min, web.Max, web.Desired,
				webBefore.Min, webBefore.Max, webBefore.Desired)
		}
		if got := w.group("batch"); !slices.Equal(got.Subnets, batchBefore.Subnets) || got.Max != batchBefore.Max {
			t.Errorf("batch, not opted in, changed: %+v", got)
		}
		// The event's claim in the deployed table: done, held by this
		// invocation's request id.
		claim := claimOf(t, d, "asg-rebalancer", openEv.ID)
		if str(claim["status"]) != "DONE" || str(claim["holder"]) == "" {
			t.Errorf("claim of the event: status %q, holder %q; want DONE by a request id", str(claim["status"]), str(claim["holder"]))
		}
	})

	t.Run("the same event again is a no-op", func(t *testing.T) {
		mark := moto.Log().Len()
		line := invoke(t, "asg-rebalancer", "AWS Health issue open, again", healthOpen)
		if line.Status != "duplicate" || line.Actions != 0 || line.Notified != 0 {
			t.Errorf("log line %+v, want a duplicate", line)
		}
		for _, c := range functionCalls(mark) {
			if c != "dynamodb.PutItem" && c != "dynamodb.GetItem" && c != "dynamodb.UpdateItem" {
				t.Errorf("the duplicate called %s; only the state table's claim may be read", c)
			}
		}
	})

	t.Run("health issue closes: restore exactly", func(t *testing.T) {
		closed := event(t, "aws.health/aws-health-event--ec2-issue-closed.json", func(ev map[string]any) {
			ev["resources"] = impaired
			detail := ev["detail"].(map[string]any)
			var entities []any
			for _, id := range impaired {
				entities = append(entities, map[string]any{"entityValue": id, "status": "RESOLVED"})
			}
			detail["affectedEntities"] = entities
			detail["affectedAccount"] = account
			detail["eventArn"] = openEv.Detail.EventArn
		})
		mark := moto.Log().Len()
		line := invoke(t, "asg-rebalancer", "AWS Health issue closed", closed)
		if line.Status != "processed" || line.Actions == 0 {
			t.Fatalf("log line %+v", line)
		}
		if n := countOf(functionCalls(mark), "autoscaling.UpdateAutoScalingGroup"); n != 1 {
			t.Errorf("%d UpdateAutoScalingGroup calls, want 1", n)
		}
		web := w.group("web")
		if !slices.Equal(web.Subnets, webBefore.Subnets) || web.Max != webBefore.Max || web.Min != webBefore.Min || web.Desired != webBefore.Desired {
			t.Errorf("web after the restore %+v, want its original subnets and sizes %+v", web, webBefore)
		}
		if !mapsEqual(web.Tags, webBefore.Tags) {
			t.Errorf("web's tags after the restore %v, before %v", web.Tags, webBefore.Tags)
		}
	})

	t.Run("a CloudWatch alarm marks an AZ impaired", func(t *testing.T) {
		// Through the proxy: moto speaks CloudWatch's JSON protocol, the
		// SDK RPCv2 CBOR (see motoserver.Fixtures).
		cw := cloudwatch.NewFromConfig(harness())
		name := "web-unhealthy-hosts-us-east-1b"
		if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String(name), Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("UnHealthyHostCount"),
			Dimensions:         []cwtypes.Dimension{{Name: aws.String("AvailabilityZone"), Value: aws.String("us-east-1b")}},
			Statistic:          cwtypes.StatisticMaximum,
			Period:             aws.Int32(60),
			EvaluationPeriods:  aws.Int32(3),
			Threshold:          aws.Float64(1),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
			Tags:               []cwtypes.Tag{{Key: aws.String("selfheal:az-signal"), Value: aws.String("true")}},
		}); err != nil {
			t.Fatal(err)
		}
		alarms, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
		if err != nil || len(alarms.MetricAlarms) != 1 {
			t.Fatalf("describe alarm: %v", err)
		}
		alarmARN := aws.ToString(alarms.MetricAlarms[0].AlarmArn)
		ev := event(t, "aws.cloudwatch/cloudwatch-alarm-state-change--az-alarm.json", func(ev map[string]any) {
			ev["resources"] = []string{alarmARN}
			detail := ev["detail"].(map[string]any)
			detail["alarmName"] = name
			// Without the tags in the event the rebalancer asks CloudWatch
			// for them, over the wire.
			delete(detail, "alarmTags")
			delete(detail, "alarmTagsStatus")
			metric := detail["configuration"].(map[string]any)["metrics"].([]any)[0].(map[string]any)["metricStat"].(map[string]any)["metric"].(map[string]any)
			metric["dimensions"] = map[string]any{"AvailabilityZone": "us-east-1b"}
		})
		mark := moto.Log().Len()
		line := invoke(t, "asg-rebalancer", "CloudWatch alarm ALARM (us-east-1b)", ev)
		if line.Status != "processed" || line.Actions == 0 {
			t.Fatalf("log line %+v", line)
		}
		calls := functionCalls(mark)
		if countOf(calls, "monitoring.ListTagsForResource") != 1 {
			t.Errorf("calls %v: want the alarm's tags read from CloudWatch", calls)
		}
		if web := w.group("web"); !slices.Equal(web.Subnets, w.subnetsOf("us-east-1a", "us-east-1c")) {
			t.Errorf("web's subnets %v, want those of us-east-1a and us-east-1c", web.Subnets)
		}
	})

	t.Run("a vault without Vault Lock is reported", func(t *testing.T) {
		bk := backup.NewFromConfig(harness())
		if _, err := bk.CreateBackupVault(ctx, &backup.CreateBackupVaultInput{BackupVaultName: aws.String("audit-vault")}); err != nil {
			t.Fatal(err)
		}
		ev := event(t, "aws.backup/backup-vault-state-change--created.json", func(ev map[string]any) {
			ev["resources"] = []string{"arn:aws:backup:" + region + ":" + account + ":backup-vault:audit-vault"}
		})
		mark := moto.Log().Len()
		line := invoke(t, "backup-compliance", "Backup Vault State Change CREATED", ev)
		if line.Status != "processed" || line.Failing == 0 || line.Notified != 1 {
			t.Fatalf("log line %+v, want a failing check notified", line)
		}
		if calls := functionCalls(mark); countOf(calls, "backup.GET /backup-vaults/audit-vault") == 0 {
			t.Logf("calls %v", calls)
		}
	})

	t.Run("notifications reach subscribers as their filter policies say", func(t *testing.T) {
		subs.check(t, moto.Log())
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
