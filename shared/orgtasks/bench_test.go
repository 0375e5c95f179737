package orgtasks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/orgsweep"
	"github.com/selfheal/selfheal/shared/orgtasks"
)

// The organization sweep at scale: members × 3 regions, each
// account-region the compliance sweep's goal account (10,000 recovery
// points, 1,000 groups, 500 tables, 200 vaults: shared/sweep's 1x), the
// hub swept too (selfheal's own resources), every call 10 ms of sim time
// under AWS-like per-account rate limits. Each hub region runs its own
// state machine over its region (as the CDK app deploys it); the three run
// at once, so the sweep takes as long as the longest.
//
// The sim holds one member's workload at a time: a member is built on its
// own clock, in the past, just before the map reaches it, linked in, and
// released (with its finding states in the hub's table, the next run's
// dedupe memory) once its sweep is done; its open-failures index stays for
// the digest. Calls are counted as they happen, not kept.
//
//	go test -run '^$' -bench 'BenchmarkOrganizationSweep/members=100' -benchtime 1x -timeout 3h ./shared/orgtasks/
func BenchmarkOrganizationSweep(b *testing.B) {
	for _, members := range []int{3, 100} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			for range b.N {
				runOrganizationSweep(b, members, 20)
			}
		})
	}
}

const benchLatency = 10 * time.Millisecond

var benchRegions = []string{"eu-west-1", "us-east-1", "us-west-2"}

// awsLikeLimits are shared/sweep's benchmark limits (see its
// bench_test.go), per account: DynamoDB control plane 2,500/s, Auto
// Scaling 20/s (100 burst), RDS 20/s (40), AWS Backup 10/s (20).
func awsLikeLimits(sim *awssim.Sim) {
	for _, op := range []string{"ListTables", "DescribeContinuousBackups", "ListTagsOfResource"} {
		sim.SetRateLimit(awssim.ServiceDynamoDB, op, 2500, 2500)
	}
	sim.SetRateLimit(awssim.ServiceAutoScaling, "", 20, 100)
	sim.SetRateLimit(awssim.ServiceRDS, "", 20, 40)
	sim.SetRateLimit(awssim.ServiceBackup, "", 10, 20)
}

// tally counts the calls of one account, once on.
type tally struct {
	on                                                  bool
	calls, throttled, sts, stateReads, stateWrites, sns int
}

func (t *tally) add(c awssim.Call) {
	if !t.on {
		return
	}
	t.calls++
	if c.Err != nil {
		t.throttled++
	}
	switch {
	case c.Service == awssim.ServiceSTS:
		t.sts++
	case c.Service == awssim.ServiceSNS:
		t.sns++
	case c.Service == awssim.ServiceDynamoDB && c.Region != "" && isStateTable(c):
		if c.IsRead() {
			t.stateReads++
		} else {
			t.stateWrites++
		}
	}
}

// isStateTable tells the hub's state table calls from the audit's
// DynamoDB reads (ListTables, DescribeContinuousBackups, tags).
func isStateTable(c awssim.Call) bool {
	return !slices.Contains([]string{"ListTables", "DescribeContinuousBackups", "ListTagsOfResource"}, c.Operation)
}

func runOrganizationSweep(b *testing.B, members, concurrency int) {
	ctx := context.Background()
	hubCalls := &tally{on: true}
	hub := awssim.New(awssim.WithRegions(benchRegions...), awssim.WithCallLatency(benchLatency),
		awssim.WithCallObserver(hubCalls.add))
	ids := make([]string, members)
	memberCalls := map[string]*tally{}
	for i := range ids {
		ids[i] = fmt.Sprintf("%012d", 100000000001+i)
		hub.AddMember(ids[i])
		memberCalls[ids[i]] = &tally{}
	}
	root := hub.CreateOrganization(orgID)
	ou := must(hub.CreateOU(root, "workloads"))
	for _, id := range ids {
		if err := hub.MoveAccount(id, ou); err != nil {
			b.Fatal(err)
		}
		m, _ := hub.Member(id)
		m.CreateRole(config.DefaultMemberRoleName, awssim.RoleTrust{Principals: []string{awssim.DefaultPrincipal(hub.AccountID())}, OrgID: orgID})
	}
	org := config.DefaultOrganization()
	org.ID, org.MemberOUs, org.Regions, org.SweepConcurrency = orgID, []string{ou}, benchRegions, concurrency

	var longest time.Duration
	var worst orgsweep.MapRun // the map of the longest execution
	var transitions, lambdaInvocations int
	var lambdaTime time.Duration
	var report []string
	var peakHeap uint64 // live heap with one member's workload in the sim, at its largest
	b.ResetTimer()
	for _, region := range benchRegions {
		env, err := simenv.New(ctx, hub, region, config.DefaultPolicy())
		if err != nil {
			b.Fatal(err)
		}
		env.Config.Organization = &org
		deps := env.Deps("org-sweep", &bytes.Buffer{})
		h, err := orgtasks.New(deps, organizations.NewFromConfig(hub.Config(region)))
		if err != nil {
			b.Fatal(err)
		}
		fn := "arn:aws:lambda:" + region + ":" + hub.AccountID() + ":function:selfheal-org-sweep"
		def, err := orgsweep.Definition(orgsweep.Tasks{ListAccounts: fn, SweepAccount: fn, Aggregate: fn}, org)
		if err != nil {
			b.Fatal(err)
		}
		var built string // the member whose workload the sim holds
		var requests int
		rt := orgsweep.Runtime{
			Now: hub.Now, Sleep: hub.Sleep,
			Invoke: func(ctx context.Context, fn string, payload []byte) ([]byte, error) {
				var p orgtasks.Payload
				_ = json.Unmarshal(payload, &p)
				if p.Task == orgsweep.TaskSweep && p.Account != hub.AccountID() && p.Account != built {
					b.StopTimer()
					if built != "" {
						peakHeap = max(peakHeap, heapInUse())
						release(b, hub, region, built)
					}
					buildMember(b, hub, p.Account, region, memberCalls[p.Account])
					built = p.Account
					b.StartTimer()
				}
				requests++
				ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: fmt.Sprintf("req-%d", requests), InvokedFunctionArn: fn})
				ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
				defer cancel()
				return h.Handle(ctx, payload)
			},
		}
		event := `{"id":"sweep-` + region + `","detail-type":"Scheduled Event","source":"aws.events","account":"` + hub.AccountID() +
			`","region":"` + region + `","time":"2026-11-02T03:00:00Z","resources":[],"detail":{}}`
		ex, err := orgsweep.Execute(ctx, rt, def, "run-"+region, []byte(event))
		if err != nil {
			b.Fatal(err)
		}
		if ex.Status != orgsweep.StatusSucceeded {
			b.Fatalf("%s: execution %s %s", region, ex.Error, ex.Cause)
		}
		var out struct {
			Complete   bool `json:"complete"`
			NotCovered int  `json:"notCovered"`
		}
		if err := json.Unmarshal(ex.Output, &out); err != nil || !out.Complete {
			b.Fatalf("%s: the digest is not complete (%d not covered): %s", region, out.NotCovered, ex.Output)
		}
		m := ex.Maps[0]
		if ex.Duration > longest {
			longest, worst = ex.Duration, m
		}
		transitions += ex.Transitions
		lambdaInvocations += 2 // list, aggregate
		for _, c := range m.Children {
			lambdaInvocations += c.Attempts
			lambdaTime += c.Duration
		}
		report = append(report, fmt.Sprintf("%s: execution %v, map %v at %d (serial %v, longest child %v), %d items, %d transitions",
			region, ex.Duration.Round(time.Second), m.Duration.Round(time.Second), m.MaxConcurrency, m.Serial.Round(time.Second),
			m.Longest.Round(time.Second), m.Items, ex.Transitions))
		if built != "" {
			peakHeap = max(peakHeap, heapInUse())
			release(b, hub, region, built)
		}
	}
	b.StopTimer()
	var perMember tally
	for _, t := range memberCalls {
		perMember.calls += t.calls
		perMember.throttled += t.throttled
		perMember.sts += t.sts
	}
	n := float64(members)
	b.ReportMetric(longest.Seconds(), "sweep-sim-s")
	b.ReportMetric(worst.Duration.Seconds(), "map-sim-s")
	b.ReportMetric(worst.Longest.Seconds(), "longest-child-sim-s")
	b.ReportMetric(worst.Serial.Seconds(), "serial-sim-s")
	b.ReportMetric(float64(transitions), "transitions")
	b.ReportMetric(float64(lambdaInvocations), "invocations")
	b.ReportMetric(lambdaTime.Seconds(), "child-lambda-s")
	b.ReportMetric(float64(perMember.calls)/n, "calls/member")
	b.ReportMetric(float64(perMember.throttled)/n, "throttled/member")
	b.ReportMetric(float64(hubCalls.sts)/n, "assume-role/member")
	b.ReportMetric(float64(hubCalls.stateWrites), "state-writes")
	b.ReportMetric(float64(hubCalls.stateReads), "state-reads")
	b.ReportMetric(float64(hubCalls.calls), "hub-calls")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
	if rss, ok := peakRSS(); ok {
		b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MB")
	}
	b.Logf("%d members × %d regions:\n%s", members, len(benchRegions), strings.Join(report, "\n"))
}

// buildMember builds account's workload in region on a Sim of its own,
// starting days enough in the past for its vaults' locks to be past their
// grace time when the sweep reaches it, and links it into the
// organization. Its role and organization membership are the hub's.
func buildMember(b *testing.B, hub *awssim.Sim, account, region string, calls *tally) {
	calls.on = false
	m := awssim.New(awssim.WithAccountID(account), awssim.WithRegions(region), awssim.WithCallLatency(benchLatency),
		awssim.WithStart(hub.Now().Add(-3*24*time.Hour-6*time.Hour)), awssim.WithTick(time.Minute), awssim.WithCallObserver(calls.add))
	buildGoalAccount(b, m, region)
	awsLikeLimits(m)
	if err := hub.ReplaceMember(m); err != nil {
		b.Fatal(err)
	}
	calls.on = true
}

// release drops a swept member's workload and its finding states in the
// hub's state table.
func release(b *testing.B, hub *awssim.Sim, region, account string) {
	prefix := "account#" + account + "#finding#"
	hub.DropDynamoDBItems(region, simenv.TableName, func(key map[string]ddbtypes.AttributeValue) bool {
		pk, _ := key["pk"].(*ddbtypes.AttributeValueMemberS)
		return pk != nil && strings.HasPrefix(pk.Value, prefix)
	})
	empty := awssim.New(awssim.WithAccountID(account), awssim.WithRegions(region), awssim.WithStart(hub.Now().Add(-time.Minute)))
	if err := hub.ReplaceMember(empty); err != nil {
		b.Fatal(err)
	}
}

// buildGoalAccount is shared/sweep's 1x account in region: 200 vaults
// (every tenth unlocked), 500 tables (every tenth without PITR) each with
// a backup and 19 copies into other vaults (10,000 recovery points), 20
// plans (every fifth without a DR copy), 1,000 groups over 3 AZs (every
// tenth without room above desired).
func buildGoalAccount(b *testing.B, m *awssim.Sim, region string) {
	ctx := context.Background()
	cfg := m.Config(region)
	bk, ddb := backup.NewFromConfig(cfg), dynamodb.NewFromConfig(cfg)
	account := m.AccountID()
	vault := func(i int) string { return fmt.Sprintf("vault-%05d", i) }
	vaultARN := func(i int) string {
		return fmt.Sprintf("arn:aws:backup:%s:%s:backup-vault:%s", region, account, vault(i))
	}
	check := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	for i := range 200 {
		_, err := bk.CreateBackupVault(ctx, &backup.CreateBackupVaultInput{BackupVaultName: aws.String(vault(i))})
		check(err)
		if i%10 != 0 {
			_, err = bk.PutBackupVaultLockConfiguration(ctx, &backup.PutBackupVaultLockConfigurationInput{
				BackupVaultName: aws.String(vault(i)), MinRetentionDays: aws.Int64(7), MaxRetentionDays: aws.Int64(365), ChangeableForDays: aws.Int64(3),
			})
			check(err)
		}
	}
	m.Advance(3*24*time.Hour + time.Hour)
	role := "arn:aws:iam::" + account + ":role/backup"
	rps := make([]string, 500)
	for i := range rps {
		name := fmt.Sprintf("table-%05d", i)
		out, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String(name),
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
			BillingMode:          ddbtypes.BillingModePayPerRequest,
		})
		check(err)
		if i%10 != 0 {
			_, err = ddb.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String(name),
				PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true), RecoveryPeriodInDays: aws.Int32(35)}})
			check(err)
		}
		job, err := bk.StartBackupJob(ctx, &backup.StartBackupJobInput{BackupVaultName: aws.String(vault(i % 200)),
			ResourceArn: out.TableDescription.TableArn, IamRoleArn: aws.String(role), Lifecycle: &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(35)}})
		check(err)
		rps[i] = aws.ToString(job.RecoveryPointArn)
	}
	m.Settle(time.Hour)
	for i, rp := range rps {
		for k := 1; k < 20; k++ {
			_, err := bk.StartCopyJob(ctx, &backup.StartCopyJobInput{RecoveryPointArn: aws.String(rp), SourceBackupVaultName: aws.String(vault(i % 200)),
				DestinationBackupVaultArn: aws.String(vaultARN((i + k) % 200)), IamRoleArn: aws.String(role),
				Lifecycle: &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(35)}})
			check(err)
		}
	}
	m.Settle(time.Hour)
	for i := range 20 {
		rule := backuptypes.BackupRuleInput{RuleName: aws.String("daily"), TargetBackupVaultName: aws.String(vault(i % 200)),
			ScheduleExpression: aws.String("cron(0 5 ? * * *)"), Lifecycle: &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(35)}}
		if i%5 != 0 {
			rule.CopyActions = []backuptypes.CopyAction{{DestinationBackupVaultArn: aws.String(vaultARN(0)), Lifecycle: &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(35)}}}
		}
		_, err := bk.CreateBackupPlan(ctx, &backup.CreateBackupPlanInput{BackupPlan: &backuptypes.BackupPlanInput{
			BackupPlanName: aws.String(fmt.Sprintf("plan-%05d", i)), Rules: []backuptypes.BackupRuleInput{rule}}})
		check(err)
	}
	var subnets []string
	for _, az := range m.AZs(region)[:3] {
		subnets = append(subnets, m.SubnetIn(region, az.Name))
	}
	for i := range 1000 {
		maxSize := int32(6)
		if i%10 == 0 {
			maxSize = 3
		}
		check(m.CreateGroup(region, &autoscaling.CreateAutoScalingGroupInput{
			AutoScalingGroupName: aws.String(fmt.Sprintf("group-%05d", i)),
			MinSize:              aws.Int32(1), MaxSize: aws.Int32(maxSize), DesiredCapacity: aws.Int32(3),
			VPCZoneIdentifier:      aws.String(strings.Join(subnets, ",")),
			HealthCheckGracePeriod: aws.Int32(300),
			LaunchTemplate:         &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("web"), Version: aws.String("$Latest")},
		}))
	}
	m.Settle(time.Hour)
	m.DrainEvents()
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// peakRSS is the process's peak resident set (Linux VmHWM), the memory
// the whole benchmark needed at its most.
func peakRSS() (uint64, bool) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
