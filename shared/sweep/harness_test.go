package sweep_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/sweep"
)

const (
	home    = "us-east-1"
	dr      = "us-west-2"
	account = awssim.DefaultAccountID
)

var bg = context.Background()

// harness is a selfheal deployment on a simulated account: the sweep and
// backup-compliance behind their real handler boundaries, real SDK
// clients, the sim's clock.
type harness struct {
	t          testing.TB
	sim        *awssim.Sim
	env        *simenv.Env
	deps       handler.Deps // the sweep's
	sweep      *handler.Boundary
	compliance *handler.Boundary
	logs       bytes.Buffer
	runs       int
}

// newHarness deploys selfheal in home, sweeping regions (home and dr when
// none are given).
func newHarness(t testing.TB, p config.Policy, regions []string, opts ...awssim.Option) *harness {
	t.Helper()
	h := &harness{t: t, sim: awssim.New(opts...)}
	if len(regions) == 0 {
		regions = []string{home, dr}
	}
	env, err := simenv.New(bg, h.sim, home, p, regions...)
	if err != nil {
		t.Fatal(err)
	}
	h.env = env
	h.deps = env.Deps("compliance-sweep", &h.logs)
	h.sweep = h.deps.Boundary(sweep.New(h.deps), sweep.Kinds...)
	cdeps := env.Deps("backup-compliance", &h.logs)
	h.compliance = cdeps.Boundary(compliance.New(cdeps), compliance.Kinds...)
	return h
}

// scheduled is the schedule's event, as EventBridge delivers it each
// time: a new id and the time it fired.
func (h *harness) scheduled() json.RawMessage {
	h.t.Helper()
	raw, err := events.Sample("aws.events/scheduled-event.json")
	if err != nil {
		h.t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		h.t.Fatal(err)
	}
	h.runs++
	ev["id"] = fmt.Sprintf("sweep-run-%d", h.runs)
	ev["time"] = h.sim.Now().Format(time.RFC3339)
	out, err := json.Marshal(ev)
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// run invokes the sweep once with ctx.
func (h *harness) run(ctx context.Context) error {
	return h.sweep.Handle(ctx, h.scheduled())
}

// mustRun invokes the sweep once and fails the test on an error.
func (h *harness) mustRun() {
	h.t.Helper()
	if err := h.run(bg); err != nil {
		h.t.Fatalf("sweep returned %v\nlogs:\n%s", err, h.logs.String())
	}
}

// deliver hands the home region's new AWS Backup events to
// backup-compliance, as its EventBridge rule would.
func (h *harness) deliver() {
	h.t.Helper()
	for _, e := range h.sim.DrainEvents() {
		if e.Region != home || e.Source != "aws.backup" {
			continue
		}
		if err := h.compliance.Handle(bg, e.JSON); err != nil {
			h.t.Fatalf("backup-compliance on %s: %v", e.DetailType, err)
		}
	}
}

// document is the JSON every machine subscriber gets.
type document struct {
	Kind     notify.Kind      `json:"kind"`
	Function string           `json:"function"`
	Status   notify.Status    `json:"status"`
	EventID  string           `json:"eventId"`
	Region   string           `json:"region"`
	Findings []notify.Finding `json:"findings"`
	Digest   *notify.Digest   `json:"digest"`
}

type sent struct {
	Subject string
	Doc     document
	Email   string
}

// published returns the sweep's notifications so far (backup-compliance's
// left out).
func (h *harness) published() []sent {
	h.t.Helper()
	return h.publishedBy("compliance-sweep")
}

// publishedBy returns the notifications of function so far, every
// function's when it is empty.
func (h *harness) publishedBy(function string) []sent {
	h.t.Helper()
	var out []sent
	for _, m := range h.sim.Published() {
		var structure map[string]string
		if err := json.Unmarshal([]byte(m.Message), &structure); err != nil {
			h.t.Fatalf("message is not a MessageStructure=json body: %v", err)
		}
		var doc document
		if err := json.Unmarshal([]byte(structure["default"]), &doc); err != nil {
			h.t.Fatalf("default message is not the JSON document: %v", err)
		}
		if function == "" || doc.Function == function {
			out = append(out, sent{Subject: m.Subject, Doc: doc, Email: structure["email"]})
		}
	}
	return out
}

// digests returns the sweep's digests so far.
func (h *harness) digests() []sent {
	var out []sent
	for _, s := range h.published() {
		if s.Doc.Kind == notify.KindDigest {
			out = append(out, s)
		}
	}
	return out
}

// lastDigest is the latest run's digest.
func (h *harness) lastDigest() notify.Digest {
	h.t.Helper()
	ds := h.digests()
	if len(ds) != h.runs {
		h.t.Fatalf("%d digests after %d runs\nlogs:\n%s", len(ds), h.runs, h.logs.String())
	}
	return *ds[len(ds)-1].Doc.Digest
}

// recorded is what the sweep concluded about a resource, check by check:
// the dedupe's memory in the state table, where every finding reported
// lands, passing ones included.
func (h *harness) recorded(resource string) map[string]notify.Status {
	h.t.Helper()
	rf, err := h.deps.Store.LoadFindings(bg, resource)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]notify.Status{}
	for check, st := range rf.Checks {
		out[check] = notify.Status(st.Status)
	}
	return out
}

// ---- the account, set up through the SDK ----

func (h *harness) backupClient(region string) *backup.Client {
	return backup.NewFromConfig(h.sim.Config(region))
}

type lockSpec struct {
	min, max   int64
	compliance bool // ChangeableForDays 3; governance mode otherwise
}

// vault creates a vault, locked when lock is not nil, and returns its ARN.
func (h *harness) vault(region, name string, lock *lockSpec) string {
	h.t.Helper()
	c := h.backupClient(region)
	out, err := c.CreateBackupVault(bg, &backup.CreateBackupVaultInput{BackupVaultName: aws.String(name)})
	if err != nil {
		h.t.Fatal(err)
	}
	if lock != nil {
		in := &backup.PutBackupVaultLockConfigurationInput{BackupVaultName: aws.String(name), MinRetentionDays: aws.Int64(lock.min)}
		if lock.max > 0 {
			in.MaxRetentionDays = aws.Int64(lock.max)
		}
		if lock.compliance {
			in.ChangeableForDays = aws.Int64(3)
		}
		if _, err := c.PutBackupVaultLockConfiguration(bg, in); err != nil {
			h.t.Fatal(err)
		}
	}
	return aws.ToString(out.BackupVaultArn)
}

type ruleSpec struct {
	name, vault, schedule string
	keep                  int64
	copyTo                string // destination vault ARN, none when empty
}

// plan creates a backup plan selecting resources, and returns its ARN.
func (h *harness) plan(region, name string, rule ruleSpec, resources ...string) string {
	h.t.Helper()
	c := h.backupClient(region)
	r := backuptypes.BackupRuleInput{
		RuleName: aws.String(rule.name), TargetBackupVaultName: aws.String(rule.vault),
		ScheduleExpression: aws.String(rule.schedule), Lifecycle: &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(rule.keep)},
	}
	if rule.copyTo != "" {
		r.CopyActions = []backuptypes.CopyAction{{DestinationBackupVaultArn: aws.String(rule.copyTo), Lifecycle: &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(rule.keep)}}}
	}
	out, err := c.CreateBackupPlan(bg, &backup.CreateBackupPlanInput{BackupPlan: &backuptypes.BackupPlanInput{
		BackupPlanName: aws.String(name), Rules: []backuptypes.BackupRuleInput{r},
	}})
	if err != nil {
		h.t.Fatal(err)
	}
	if len(resources) > 0 {
		_, err = c.CreateBackupSelection(bg, &backup.CreateBackupSelectionInput{
			BackupPlanId: out.BackupPlanId,
			BackupSelection: &backuptypes.BackupSelection{
				SelectionName: aws.String(name + "-selection"), Resources: resources,
				IamRoleArn: aws.String("arn:aws:iam::" + account + ":role/backup"),
			},
		})
		if err != nil {
			h.t.Fatal(err)
		}
	}
	return aws.ToString(out.BackupPlanArn)
}

// backupNow starts an on-demand backup kept keep days and returns its
// recovery point's ARN.
func (h *harness) backupNow(region, vault, resource string, keep int64) string {
	h.t.Helper()
	out, err := h.backupClient(region).StartBackupJob(bg, &backup.StartBackupJobInput{
		BackupVaultName: aws.String(vault), ResourceArn: aws.String(resource),
		IamRoleArn: aws.String("arn:aws:iam::" + account + ":role/backup"),
		Lifecycle:  &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(keep)},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return aws.ToString(out.RecoveryPointArn)
}

// table creates a DynamoDB table with tags and returns its ARN.
func (h *harness) table(region, name string, tags ...ddbtypes.Tag) string {
	h.t.Helper()
	out, err := dynamodb.NewFromConfig(h.sim.Config(region)).CreateTable(bg, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		Tags:                 tags,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return aws.ToString(out.TableDescription.TableArn)
}

// pitr turns a table's point-in-time recovery on for days.
func (h *harness) pitr(region, name string, days int32) {
	h.t.Helper()
	_, err := dynamodb.NewFromConfig(h.sim.Config(region)).UpdateContinuousBackups(bg, &dynamodb.UpdateContinuousBackupsInput{
		TableName: aws.String(name),
		PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: aws.Bool(true), RecoveryPeriodInDays: aws.Int32(days),
		},
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// db creates an RDS instance, or with an aurora engine an Aurora cluster,
// keeping automated backups retention days; it returns the ARN.
func (h *harness) db(region, id, engine string, retention int32, tags ...rdstypes.Tag) string {
	h.t.Helper()
	c := rds.NewFromConfig(h.sim.Config(region))
	if strings.HasPrefix(engine, "aurora") {
		out, err := c.CreateDBCluster(bg, &rds.CreateDBClusterInput{
			DBClusterIdentifier: aws.String(id), Engine: aws.String(engine), BackupRetentionPeriod: aws.Int32(retention),
			MasterUsername: aws.String("admin"), MasterUserPassword: aws.String("correct-horse-battery"), Tags: tags,
		})
		if err != nil {
			h.t.Fatal(err)
		}
		return aws.ToString(out.DBCluster.DBClusterArn)
	}
	out, err := c.CreateDBInstance(bg, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), Engine: aws.String(engine), DBInstanceClass: aws.String("db.t4g.micro"),
		AllocatedStorage: aws.Int32(20), BackupRetentionPeriod: aws.Int32(retention),
		MasterUsername: aws.String("admin"), MasterUserPassword: aws.String("correct-horse-battery"), Tags: tags,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return aws.ToString(out.DBInstance.DBInstanceArn)
}

// groupInput is a well set-up group over azs of region: room to replace,
// a 5-minute grace period.
func (h *harness) groupInput(region, name string, desired int32, azs ...string) *autoscaling.CreateAutoScalingGroupInput {
	var subnets []string
	for _, az := range azs {
		subnets = append(subnets, h.sim.SubnetIn(region, az))
	}
	return &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName:   aws.String(name),
		MinSize:                aws.Int32(min(desired, 1)),
		MaxSize:                aws.Int32(desired * 2),
		DesiredCapacity:        aws.Int32(desired),
		VPCZoneIdentifier:      aws.String(strings.Join(subnets, ",")),
		HealthCheckGracePeriod: aws.Int32(300),
		LaunchTemplate:         &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("web"), Version: aws.String("$Latest")},
	}
}

// group creates a group through the SDK and returns its ARN.
func (h *harness) group(region string, in *autoscaling.CreateAutoScalingGroupInput) string {
	h.t.Helper()
	c := autoscaling.NewFromConfig(h.sim.Config(region))
	if _, err := c.CreateAutoScalingGroup(bg, in); err != nil {
		h.t.Fatal(err)
	}
	out, err := c.DescribeAutoScalingGroups(bg, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{aws.ToString(in.AutoScalingGroupName)}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		h.t.Fatalf("describe %s: %v", aws.ToString(in.AutoScalingGroupName), err)
	}
	return aws.ToString(out.AutoScalingGroups[0].AutoScalingGroupARN)
}

func azs(region string, n int) []string {
	out := make([]string, n)
	for i := range n {
		out[i] = fmt.Sprintf("%s%c", region, 'a'+i)
	}
	return out
}
