package gameday

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/selfheal/selfheal/cmd/selfheal/internal/bus"
	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/orgsweep"
)

// Options change how a scenario runs without changing the scenario.
type Options struct {
	// Seed overrides the scenario's seed (0 keeps it; a scenario without
	// one runs with seed 1).
	Seed uint64
	// Faults are injected once the state is seeded, for the whole run.
	Faults []awssim.Fault
	// Duplicates delivers every event this many times (0 and 1 mean
	// once), interleaved with the other events of the same tick, as
	// EventBridge's at-least-once delivery may.
	Duplicates int
	// Log receives the functions' own output (one JSON log line and one
	// EMF record per invocation), as CloudWatch Logs would; nil drops it.
	Log io.Writer
	// AccountID is the simulated account's id (awssim.DefaultAccountID
	// when empty): invoking a captured event adopts its account.
	AccountID string
}

// World is a seeded simulated account with selfheal deployed on it: a
// single account, or an organization's hub with its member accounts.
type World struct {
	Sim      *awssim.Sim
	Env      *simenv.Env
	Scenario *scenario.Scenario
	// Start is the timeline's zero: the sim time once the state settled.
	Start time.Time
	// CallBase is how many calls seeding made; the run's calls come after.
	CallBase int

	log      io.Writer
	deployed map[string]*deployed
	bus      *bus.Bus
	// accounts are the hub's own (first) and the members', by scenario
	// order.
	accounts []*account
	health   map[string]raisedIssue // issue id → where it was raised
	ids      *rand.Rand             // ids of the events the game day makes
	// orgSweep is the organization sweep's definition, in a hub.
	orgSweep string
}

// account is one simulated account of the game day and what seeding made
// in it.
type account struct {
	id        string
	sim       *awssim.Sim
	state     scenario.State
	callBase  int
	groups    map[string]seededGroup // by region/name
	arns      map[string]string      // "kind region/name" → ARN
	vaultARNs map[string]string      // region/name → ARN
}

type raisedIssue struct {
	in  *account
	arn string
}

func newAccount(id string, sim *awssim.Sim, st scenario.State) *account {
	return &account{id: id, sim: sim, state: st, groups: map[string]seededGroup{}, arns: map[string]string{}, vaultARNs: map[string]string{}}
}

type seededGroup struct {
	Name, Region string
	Subnets      []string
}

// deployed is one function as Lambda would hold it: built once, its
// output captured per invocation.
type deployed struct {
	fn       Function
	boundary *handler.Boundary
	// tasks is a state machine's function (org-sweep): invoked
	// synchronously with a task's payload, it answers one.
	tasks TaskHandler
	out   *capture
	arn   string
}

// ReadEvent reads an event file: a sample of the catalogue by its path
// (e.g. "aws.backup/backup-job-state-change--failed.json"), else a file,
// relative to dir when not absolute.
func ReadEvent(path, dir string) ([]byte, error) {
	if data, err := events.Sample(path); err == nil {
		return data, nil
	}
	p := path
	if !filepath.IsAbs(p) {
		if dir == "" {
			return nil, fmt.Errorf("no sample %q in the event catalogue", path)
		}
		p = filepath.Join(dir, p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no sample %q in the event catalogue and no file %s", path, p)
		}
		return nil, fmt.Errorf("read event: %w", err)
	}
	return data, nil
}

// Build creates the simulated account (and, for a scenario with
// accounts, the organization it is the hub of), deploys selfheal on it
// and seeds the scenario's state. The sim clock then stands at the
// timeline's zero.
func Build(ctx context.Context, sc *scenario.Scenario, opts Options) (*World, error) {
	seed := sc.Seed
	if opts.Seed != 0 {
		seed = opts.Seed
	}
	if seed == 0 {
		seed = 1
	}
	// An account whose vaults were locked days ago starts that much
	// earlier: seeding ages it to the game day's start (see seedVaults).
	vaults := sc.State.Vaults
	for _, a := range sc.Accounts {
		vaults = append(slices.Clone(vaults), a.State.Vaults...)
	}
	start := awssim.DefaultStart.Add(-time.Duration(oldestLock(vaults)) * 24 * time.Hour)
	simOpts := []awssim.Option{awssim.WithSeed(seed), awssim.WithStart(start),
		awssim.WithRegions(sc.State.Regions...), awssim.WithAZCount(sc.State.AZCount)}
	if opts.AccountID != "" {
		simOpts = append(simOpts, awssim.WithAccountID(opts.AccountID))
	}
	sim := awssim.New(simOpts...)
	sim.SetSupportPlan(awssim.SupportPlan(sc.State.SupportPlan))
	w := &World{
		Sim: sim, Scenario: sc, log: opts.Log, deployed: map[string]*deployed{}, health: map[string]raisedIssue{},
		ids:      rand.New(rand.NewPCG(seed, 0x9a3eda7)),
		accounts: []*account{newAccount(sim.AccountID(), sim, sc.State)},
	}
	env, err := simenv.New(ctx, sim, sc.Region, sc.Policy)
	if err != nil {
		return nil, fmt.Errorf("deploy selfheal on the sim: %w", err)
	}
	if len(sc.Accounts) > 0 {
		if env.Config.Organization, err = w.organize(); err != nil {
			return nil, err
		}
	}
	// The functions load their configuration exactly as in Lambda: from
	// the environment the CDK app sets.
	if env.Config, err = loadConfig(env.Config); err != nil {
		return nil, err
	}
	w.Env = env
	if w.bus, err = newBus(); err != nil {
		return nil, err
	}
	for _, f := range w.Functions() {
		if err := w.deploy(f); err != nil {
			return nil, err
		}
	}
	if err := w.seed(ctx); err != nil {
		return nil, fmt.Errorf("seed the scenario's state: %w", err)
	}
	// Let launches, and anything else the seeding started, finish: the
	// timeline starts from a steady account. What seeding emitted happened
	// before the game day and is not delivered.
	w.settle(time.Hour)
	for _, a := range w.accounts {
		a.sim.DrainEvents()
		a.callBase = a.sim.CallCount()
		for _, f := range opts.Faults {
			a.sim.InjectFault(f)
		}
	}
	w.Start = sim.Now()
	w.CallBase = sim.CallCount()
	return w, nil
}

// settle lets every account finish what it has in flight, on the hub's
// clock.
func (w *World) settle(maxWait time.Duration) {
	for _, a := range w.accounts[1:] {
		a.sim.Settle(maxWait)
	}
	w.Sim.Settle(maxWait)
	latest := w.Sim.Now()
	for _, a := range w.accounts[1:] {
		if t := a.sim.Now(); t.After(latest) {
			latest = t
		}
	}
	w.Sim.AdvanceTo(latest)
}

func newBus() (*bus.Bus, error) {
	patterns, err := events.Patterns()
	if err != nil {
		return nil, err
	}
	return bus.New(patterns, FunctionNames()...)
}

// loadConfig runs the Lambdas' own configuration loading on the
// environment a deployment would have.
func loadConfig(c config.Config) (config.Config, error) {
	policy, err := c.Policy.JSON()
	if err != nil {
		return config.Config{}, err
	}
	env := map[string]string{
		config.EnvRegion: c.Region, config.EnvPolicy: policy, config.EnvTopicARN: c.TopicARN,
		config.EnvTableName: c.TableName, config.EnvQueueURL: c.QueueURL, config.EnvRegions: strings.Join(c.Regions, ","),
	}
	if c.Organization != nil {
		if env[config.EnvOrganization], err = c.Organization.JSON(); err != nil {
			return config.Config{}, err
		}
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		return config.Config{}, fmt.Errorf("load the deployment's configuration: %w", err)
	}
	return cfg, nil
}

func (w *World) deploy(f Function) error {
	out := &capture{tee: w.log}
	env := *w.Env
	env.Config.ReservedConcurrency = f.ReservedConcurrency
	deps := env.Deps(f.Name, out)
	d := &deployed{fn: f, out: out, arn: fmt.Sprintf("arn:aws:lambda:%s:%s:function:selfheal-%s", w.Env.Region, w.Sim.AccountID(), f.Name)}
	if f.Tasks != nil {
		tasks, err := f.Tasks(deps)
		if err != nil {
			return fmt.Errorf("deploy %s: %w", f.Name, err)
		}
		d.tasks = tasks
		if w.orgSweep, err = orgsweep.Definition(orgsweep.Tasks{ListAccounts: d.arn, SweepAccount: d.arn, Aggregate: d.arn}, *w.Env.Config.Organization); err != nil {
			return err
		}
	} else {
		d.boundary = deps.BoundaryFor(f.New, f.Kinds...)
	}
	w.deployed[f.Name] = d
	return nil
}

func key(region, name string) string { return region + "/" + name }

// groupKey names a group of the account among every account's.
func (a *account) groupKey(region, name string) string { return a.id + "/" + key(region, name) }

// seed creates the scenario's state in every account: groups and alarms
// with the sim's seeding controls, everything else through the real SDK
// clients, as a user's infrastructure code would.
func (w *World) seed(ctx context.Context) error {
	if err := w.seedVaults(ctx); err != nil {
		return err
	}
	for _, a := range w.accounts {
		if err := a.seed(ctx); err != nil {
			if a.sim != w.Sim {
				return fmt.Errorf("account %s: %w", a.id, err)
			}
			return err
		}
	}
	return nil
}

func (a *account) seed(ctx context.Context) error {
	st := a.state
	for _, g := range st.Groups {
		if err := a.seedGroup(ctx, g); err != nil {
			return err
		}
	}
	for _, t := range st.Tables {
		if err := a.seedTable(ctx, t); err != nil {
			return err
		}
		if err := a.seedTableData(ctx, t); err != nil {
			return err
		}
	}
	for _, d := range st.DBInstances {
		out, err := rds.NewFromConfig(a.sim.Config(d.Region)).CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
			DBInstanceIdentifier: aws.String(d.ID), Engine: aws.String(d.Engine), DBInstanceClass: aws.String("db.m7g.large"),
			AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("admin"), MasterUserPassword: aws.String("game-day-only"),
			BackupRetentionPeriod: aws.Int32(int32(d.BackupRetentionDays)), StorageEncrypted: aws.Bool(true),
			Tags: rdsTags(d.Tags),
		})
		if err != nil {
			return fmt.Errorf("create DB instance %s: %w", d.ID, err)
		}
		a.arns["dbInstance "+key(d.Region, d.ID)] = aws.ToString(out.DBInstance.DBInstanceArn)
	}
	for _, d := range st.DBClusters {
		out, err := rds.NewFromConfig(a.sim.Config(d.Region)).CreateDBCluster(ctx, &rds.CreateDBClusterInput{
			DBClusterIdentifier: aws.String(d.ID), Engine: aws.String(d.Engine),
			MasterUsername: aws.String("admin"), MasterUserPassword: aws.String("game-day-only"),
			BackupRetentionPeriod: aws.Int32(int32(d.BackupRetentionDays)), StorageEncrypted: aws.Bool(true),
			Tags: rdsTags(d.Tags),
		})
		if err != nil {
			return fmt.Errorf("create DB cluster %s: %w", d.ID, err)
		}
		a.arns["dbCluster "+key(d.Region, d.ID)] = aws.ToString(out.DBCluster.DBClusterArn)
	}
	for _, p := range st.Plans {
		if err := a.seedPlan(ctx, p); err != nil {
			return err
		}
	}
	for _, al := range st.Alarms {
		if err := a.seedAlarm(al); err != nil {
			return err
		}
	}
	for _, p := range st.RestoreTestingPlans {
		if err := a.seedRestoreTestingPlan(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

func (a *account) seedGroup(ctx context.Context, g scenario.Group) error {
	var subnets []string
	for _, az := range g.AZs {
		subnets = append(subnets, a.sim.SubnetIn(g.Region, az))
	}
	var tags []astypes.Tag
	for _, k := range sortedKeys(g.Tags) {
		tags = append(tags, astypes.Tag{
			Key: aws.String(k), Value: aws.String(g.Tags[k]), PropagateAtLaunch: aws.Bool(true),
			ResourceId: aws.String(g.Name), ResourceType: aws.String("auto-scaling-group"),
		})
	}
	in := &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(g.Name),
		LaunchTemplate:       &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String(g.Name), Version: aws.String("$Latest")},
		MinSize:              aws.Int32(int32(g.Min)), MaxSize: aws.Int32(int32(g.Max)), DesiredCapacity: aws.Int32(int32(g.Desired)),
		VPCZoneIdentifier: aws.String(strings.Join(subnets, ",")),
		HealthCheckType:   aws.String("EC2"),
		Tags:              tags,
	}
	if g.HealthCheckGracePeriod > 0 {
		in.HealthCheckGracePeriod = aws.Int32(int32(g.HealthCheckGracePeriod / time.Second))
	}
	if g.ZonalShift != "" {
		in.AvailabilityZoneImpairmentPolicy = &astypes.AvailabilityZoneImpairmentPolicy{
			ZonalShiftEnabled: aws.Bool(true), ImpairedZoneHealthCheckBehavior: astypes.ImpairedZoneHealthCheckBehavior(g.ZonalShift),
		}
	}
	if err := a.sim.CreateGroup(g.Region, in); err != nil {
		return fmt.Errorf("create group %s: %w", g.Name, err)
	}
	if len(g.SuspendedProcesses) > 0 {
		_, err := autoscaling.NewFromConfig(a.sim.Config(g.Region)).SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{
			AutoScalingGroupName: aws.String(g.Name), ScalingProcesses: g.SuspendedProcesses,
		})
		if err != nil {
			return fmt.Errorf("suspend processes of group %s: %w", g.Name, err)
		}
	}
	a.groups[key(g.Region, g.Name)] = seededGroup{Name: g.Name, Region: g.Region, Subnets: subnets}
	return nil
}

func oldestLock(vaults []scenario.Vault) int {
	days := 0
	for _, v := range vaults {
		if v.Lock != nil {
			days = max(days, v.Lock.LockedDaysAgo)
		}
	}
	return days
}

// seedVaults creates the vaults, the oldest locks first: the clock moves
// forward to each lock's day, so a compliance-mode lock set long enough
// ago is past its grace time when the game day starts, as in a real
// account. Nothing else exists yet, so aging costs microseconds a tick.
func (w *World) seedVaults(ctx context.Context) error {
	type inAccount struct {
		a *account
		v scenario.Vault
	}
	var order []inAccount
	for _, a := range w.accounts {
		for _, v := range a.state.Vaults {
			order = append(order, inAccount{a, v})
		}
	}
	lockedAgo := func(v scenario.Vault) int {
		if v.Lock == nil {
			return 0
		}
		return v.Lock.LockedDaysAgo
	}
	slices.SortStableFunc(order, func(a, b inAccount) int { return lockedAgo(b.v) - lockedAgo(a.v) })
	for _, x := range order {
		w.Sim.AdvanceTo(awssim.DefaultStart.Add(-time.Duration(lockedAgo(x.v)) * 24 * time.Hour))
		if err := x.a.seedVault(ctx, x.v); err != nil {
			return err
		}
	}
	w.Sim.AdvanceTo(awssim.DefaultStart)
	return nil
}

func (a *account) seedVault(ctx context.Context, v scenario.Vault) error {
	client := backup.NewFromConfig(a.sim.Config(v.Region))
	out, err := client.CreateBackupVault(ctx, &backup.CreateBackupVaultInput{BackupVaultName: aws.String(v.Name)})
	if err != nil {
		return fmt.Errorf("create vault %s in %s: %w", v.Name, v.Region, err)
	}
	a.vaultARNs[key(v.Region, v.Name)] = aws.ToString(out.BackupVaultArn)
	if v.Lock == nil {
		return nil
	}
	in := &backup.PutBackupVaultLockConfigurationInput{BackupVaultName: aws.String(v.Name)}
	if v.Lock.MinRetentionDays > 0 {
		in.MinRetentionDays = aws.Int64(int64(v.Lock.MinRetentionDays))
	}
	if v.Lock.MaxRetentionDays > 0 {
		in.MaxRetentionDays = aws.Int64(int64(v.Lock.MaxRetentionDays))
	}
	if v.Lock.ChangeableForDays > 0 {
		in.ChangeableForDays = aws.Int64(int64(v.Lock.ChangeableForDays))
	}
	if _, err := client.PutBackupVaultLockConfiguration(ctx, in); err != nil {
		return fmt.Errorf("lock vault %s in %s: %w", v.Name, v.Region, err)
	}
	return nil
}

func (a *account) seedTable(ctx context.Context, t scenario.Table) error {
	client := dynamodb.NewFromConfig(a.sim.Config(t.Region))
	var tags []ddbtypes.Tag
	for _, k := range sortedKeys(t.Tags) {
		tags = append(tags, ddbtypes.Tag{Key: aws.String(k), Value: aws.String(t.Tags[k])})
	}
	out, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(t.Name),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		Tags:                 tags,
	})
	if err != nil {
		return fmt.Errorf("create table %s in %s: %w", t.Name, t.Region, err)
	}
	a.arns["table "+key(t.Region, t.Name)] = aws.ToString(out.TableDescription.TableArn)
	if !t.PITR {
		return nil
	}
	spec := &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}
	if t.RecoveryPeriodDays > 0 {
		spec.RecoveryPeriodInDays = aws.Int32(int32(t.RecoveryPeriodDays))
	}
	_, err = client.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{
		TableName: aws.String(t.Name), PointInTimeRecoverySpecification: spec,
	})
	if err != nil {
		return fmt.Errorf("enable PITR on table %s: %w", t.Name, err)
	}
	return nil
}

func (a *account) seedPlan(ctx context.Context, p scenario.Plan) error {
	client := backup.NewFromConfig(a.sim.Config(p.Region))
	in := &backup.CreateBackupPlanInput{BackupPlan: &backuptypes.BackupPlanInput{BackupPlanName: aws.String(p.Name), Rules: a.planRules(p.Rules)}}
	out, err := client.CreateBackupPlan(ctx, in)
	if err != nil {
		return fmt.Errorf("create backup plan %s: %w", p.Name, err)
	}
	a.arns["plan "+key(p.Region, p.Name)] = aws.ToString(out.BackupPlanId)
	var resources []string
	for _, t := range p.Tables {
		resources = append(resources, a.arns["table "+key(p.Region, t)])
	}
	for _, d := range p.DBInstances {
		resources = append(resources, a.arns["dbInstance "+key(p.Region, d)])
	}
	for _, d := range p.DBClusters {
		resources = append(resources, a.arns["dbCluster "+key(p.Region, d)])
	}
	resources = append(resources, p.ARNs...)
	_, err = client.CreateBackupSelection(ctx, &backup.CreateBackupSelectionInput{
		BackupPlanId: out.BackupPlanId,
		BackupSelection: &backuptypes.BackupSelection{
			SelectionName: aws.String(p.Name + "-resources"),
			IamRoleArn:    aws.String(fmt.Sprintf("arn:aws:iam::%s:role/service-role/AWSBackupDefaultServiceRole", a.sim.AccountID())),
			Resources:     resources,
		},
	})
	if err != nil {
		return fmt.Errorf("select the resources of plan %s: %w", p.Name, err)
	}
	return nil
}

func (a *account) seedAlarm(al scenario.Alarm) error {
	in := &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(al.Name), Namespace: aws.String("AWS/ApplicationELB"),
		MetricName: aws.String("HTTPCode_Target_5XX_Count"), Statistic: cwtypes.StatisticSum,
		Period: aws.Int32(60), EvaluationPeriods: aws.Int32(3), Threshold: aws.Float64(10),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
	}
	if al.AZ != "" {
		in.Dimensions = []cwtypes.Dimension{{Name: aws.String("AvailabilityZone"), Value: aws.String(al.AZ)}}
	}
	for _, k := range sortedKeys(al.Tags) {
		in.Tags = append(in.Tags, cwtypes.Tag{Key: aws.String(k), Value: aws.String(al.Tags[k])})
	}
	if err := a.sim.PutMetricAlarm(al.Region, in); err != nil {
		return fmt.Errorf("create alarm %s: %w", al.Name, err)
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

func rdsTags(m map[string]string) []rdstypes.Tag {
	var out []rdstypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, rdstypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// resourceARN resolves a step's resource reference ("" for any).
func (a *account) resourceARN(r scenario.Resource) string {
	switch r.Kind {
	case "":
		return ""
	case "resourceArn":
		return r.Name
	}
	return a.arns[r.Kind+" "+key(r.Region, r.Name)]
}

// newEventID is a deterministic, UUID-shaped id for the events the game
// day itself makes (scheduled events, failure records) and for Lambda's
// request ids.
func (w *World) newEventID() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(w.ids.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
