package sweep

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/selfheal/selfheal/shared/awsapi"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
)

// regionScan is what the audit read in one region: plain observed state,
// converted by shared/compliance from the list calls that carry it.
type regionScan struct {
	region string

	mu        sync.Mutex
	vaults    []compliance.VaultState
	points    []compliance.RecoveryPointState
	plans     []planScan
	protected []compliance.ProtectedResourceState
	pitr      []pitrScan
	groups    []compliance.GroupState
	// exists holds the ARNs of the tables, DB instances and clusters
	// listed; listed says which of those listings finished, so a resource
	// missing from it is known to be gone.
	exists map[string]bool
	listed map[compliance.PITRKind]bool
	// inventory holds, per resource type, the ARNs of what the run listed;
	// inventoried says which of those listings finished, so that a
	// resource of that type missing from one is known to be gone (its
	// open failures resolve).
	inventory   map[string]map[string]bool
	inventoried map[string]bool
}

// Resource types the sweep lists every one of, in each region.
const (
	typeTable     = "AWS::DynamoDB::Table"
	typeInstance  = "AWS::RDS::DBInstance"
	typeCluster   = "AWS::RDS::DBCluster"
	typeGroup     = compliance.TypeAutoScalingGroup
	typeVault     = compliance.TypeBackupVault
	typePoint     = compliance.TypeRecoveryPoint
	typeBackupPln = compliance.TypeBackupPlan
)

// list records what a listing of resourceType found, and whether it
// finished.
func (s *regionScan) list(resourceType string, arns []string, complete bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.inventory[resourceType]
	if set == nil {
		set = map[string]bool{}
		s.inventory[resourceType] = set
	}
	for _, a := range arns {
		set[a] = true
	}
	s.inventoried[resourceType] = complete
}

// gone reports whether the run listed every resource of resourceType in
// the region and resource was not among them.
func (s *regionScan) gone(resourceType, resource string) bool {
	return s.inventoried[resourceType] && !s.inventory[resourceType][resource]
}

func newRegionScan(region string) *regionScan {
	return &regionScan{region: region, exists: map[string]bool{}, listed: map[compliance.PITRKind]bool{},
		inventory: map[string]map[string]bool{}, inventoried: map[string]bool{}}
}

type planScan struct {
	plan      compliance.PlanState
	schedules []compliance.RuleSchedule
}

// pitrScan is a resource's point-in-time recovery and when it was read:
// freshness is judged against the time of the read, not the end of a
// sweep that may have taken minutes.
type pitrScan struct {
	state compliance.PITRState
	at    time.Time
}

func (s *regionScan) add(fn func(s *regionScan)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

// reader makes one region's reads: one client per service, at most
// concurrency calls in flight per service, none once the audit's time is
// up.
type reader struct {
	region, account string
	policy          config.Policy
	b               *budget
	led             *ledger
	now             func() time.Time
	concurrency     int
	scan            *regionScan

	backup BackupAPI
	ddb    DynamoDBAPI
	rds    RDSAPI
	asg    AutoScalingAPI
	// One semaphore per service.
	backupSem, ddbSem, rdsSem, asgSem chan struct{}
}

// scan reads every region at once, each with its own clients.
func (s *Processor) scan(ctx context.Context, b *budget, led *ledger, account string) []*regionScan {
	n := max(s.policy.Sweep.Concurrency, 1)
	out := make([]*regionScan, len(s.regions))
	var wg sync.WaitGroup
	for i, region := range s.regions {
		r := &reader{
			region: region, account: account, policy: s.policy, b: b, led: led, now: s.now, concurrency: n,
			scan:   newRegionScan(region),
			backup: s.backup.For(region), ddb: s.ddb.For(region), rds: s.rds.For(region), asg: s.asg.For(region),
			backupSem: make(chan struct{}, n), ddbSem: make(chan struct{}, n),
			rdsSem: make(chan struct{}, n), asgSem: make(chan struct{}, n),
		}
		out[i] = r.scan
		wg.Go(func() { r.run(ctx) })
	}
	wg.Wait()
	return out
}

func (r *reader) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, s := range []struct {
		part part
		read func(context.Context)
	}{
		{partVaults, r.vaultsAndPoints}, {partPlans, r.plans}, {partProtected, r.protectedResources},
		{partTables, r.tables}, {partInstances, r.instances}, {partClusters, r.clusters}, {partGroups, r.groups},
	} {
		wg.Go(func() { r.led.protect(r.region, s.part, "", func() { s.read(ctx) }) })
	}
	wg.Wait()
}

// call makes one AWS call: not once the audit's time is up, and at most
// the service's concurrency at once.
func call[T any](ctx context.Context, r *reader, sem chan struct{}, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	if r.b.auditOver() {
		return zero, errOutOfTime
	}
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	defer func() { <-sem }()
	return fn(ctx)
}

// each runs fn on every item, at most n at once. Once time is up, fn's
// calls fail at once and record what they left out.
func each[T any](n int, items []T, fn func(T)) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, it := range items {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(it)
		})
	}
	wg.Wait()
}

// vaultsAndPoints lists the vaults (ListBackupVaults carries their lock)
// and then the recovery points of each (the list carries lifecycle and
// encryption): no describe call per vault or recovery point.
func (r *reader) vaultsAndPoints(ctx context.Context) {
	var vaults []compliance.VaultState
	complete := true
	p := backup.NewListBackupVaultsPaginator(r.backup, &backup.ListBackupVaultsInput{MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := call(ctx, r, r.backupSem, func(ctx context.Context) (*backup.ListBackupVaultsOutput, error) { return p.NextPage(ctx) })
		if err != nil {
			r.led.unlisted(r.region, partVaults, err)
			complete = false
			break
		}
		for _, m := range page.BackupVaultList {
			vaults = append(vaults, compliance.VaultFromListMember(m))
		}
	}
	r.led.listed(r.region, partVaults, len(vaults), complete)
	r.scan.add(func(s *regionScan) { s.vaults = vaults })
	arns := make([]string, len(vaults))
	for i, v := range vaults {
		arns[i] = v.ARN
	}
	r.scan.list(typeVault, arns, complete)
	var (
		mu        sync.Mutex
		points    []string
		allListed = complete
	)
	each(r.concurrency, vaults, func(v compliance.VaultState) {
		listed := false
		r.led.protect(r.region, partPoints, v.Name, func() {
			var found []string
			found, listed = r.recoveryPoints(ctx, v)
			mu.Lock()
			points = append(points, found...)
			mu.Unlock()
		})
		if !listed {
			mu.Lock()
			allListed = false
			mu.Unlock()
		}
	})
	r.scan.list(typePoint, points, allListed)
}

// recoveryPoints lists a vault's recovery points; it returns their ARNs,
// and whether the listing finished.
func (r *reader) recoveryPoints(ctx context.Context, v compliance.VaultState) ([]string, bool) {
	var points []compliance.RecoveryPointState
	listed := true
	p := backup.NewListRecoveryPointsByBackupVaultPaginator(r.backup, &backup.ListRecoveryPointsByBackupVaultInput{
		BackupVaultName: aws.String(v.Name), MaxResults: aws.Int32(1000),
	})
	for p.HasMorePages() {
		page, err := call(ctx, r, r.backupSem, func(ctx context.Context) (*backup.ListRecoveryPointsByBackupVaultOutput, error) {
			return p.NextPage(ctx)
		})
		if compliance.IsNotFound(err) {
			break // deleted since it was listed: nothing left to check
		}
		if err != nil {
			r.led.missed(r.region, partPoints, v.Name, err)
			listed = false
			break
		}
		for _, m := range page.RecoveryPoints {
			points = append(points, compliance.RecoveryPointFromListMember(m))
		}
	}
	r.led.saw(r.region, partPoints, len(points))
	r.scan.add(func(s *regionScan) { s.points = append(s.points, points...) })
	arns := make([]string, len(points))
	for i, p := range points {
		arns[i] = p.ARN
	}
	return arns, listed
}

// plans lists the plans and reads each: no list carries a plan's rules.
func (r *reader) plans(ctx context.Context) {
	var ids, arns []string
	complete := true
	p := backup.NewListBackupPlansPaginator(r.backup, &backup.ListBackupPlansInput{MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := call(ctx, r, r.backupSem, func(ctx context.Context) (*backup.ListBackupPlansOutput, error) { return p.NextPage(ctx) })
		if err != nil {
			r.led.unlisted(r.region, partPlans, err)
			complete = false
			break
		}
		for _, m := range page.BackupPlansList {
			ids = append(ids, aws.ToString(m.BackupPlanId))
			arns = append(arns, aws.ToString(m.BackupPlanArn))
		}
	}
	r.led.listed(r.region, partPlans, 0, complete)
	r.scan.list(typeBackupPln, arns, complete)
	each(r.concurrency, ids, func(id string) { r.led.protect(r.region, partPlans, id, func() { r.plan(ctx, id) }) })
}

// plan reads one plan.
func (r *reader) plan(ctx context.Context, id string) {
	out, err := call(ctx, r, r.backupSem, func(ctx context.Context) (*backup.GetBackupPlanOutput, error) {
		return r.backup.GetBackupPlan(ctx, &backup.GetBackupPlanInput{BackupPlanId: aws.String(id)})
	})
	switch {
	case compliance.IsNotFound(err):
		return // deleted since it was listed
	case err != nil:
		r.led.missed(r.region, partPlans, id, err)
		return
	}
	ps := planScan{plan: compliance.PlanFromOutput(out), schedules: compliance.RuleSchedules(out)}
	r.led.saw(r.region, partPlans, 1)
	r.scan.add(func(s *regionScan) { s.plans = append(s.plans, ps) })
}

// protectedResources lists what AWS Backup has backed up, with the time
// of each resource's latest backup.
func (r *reader) protectedResources(ctx context.Context) {
	var list []compliance.ProtectedResourceState
	complete := true
	p := backup.NewListProtectedResourcesPaginator(r.backup, &backup.ListProtectedResourcesInput{MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := call(ctx, r, r.backupSem, func(ctx context.Context) (*backup.ListProtectedResourcesOutput, error) { return p.NextPage(ctx) })
		if err != nil {
			r.led.unlisted(r.region, partProtected, err)
			complete = false
			break
		}
		for _, m := range page.Results {
			list = append(list, compliance.ProtectedResourceFromListMember(m))
		}
	}
	r.led.listed(r.region, partProtected, len(list), complete)
	r.scan.add(func(s *regionScan) { s.protected = list })
}

// tables reads the point-in-time recovery of every table in scope,
// whether AWS Backup protects it or not. ListTables names tables only, so
// each costs a DescribeContinuousBackups (and a ListTagsOfResource when
// the policy scopes PITR by tag).
func (r *reader) tables(ctx context.Context) {
	var names []string
	p := dynamodb.NewListTablesPaginator(r.ddb, &dynamodb.ListTablesInput{Limit: aws.Int32(100)})
	complete := true
	for p.HasMorePages() {
		page, err := call(ctx, r, r.ddbSem, func(ctx context.Context) (*dynamodb.ListTablesOutput, error) { return p.NextPage(ctx) })
		if err != nil {
			r.led.unlisted(r.region, partTables, err)
			complete = false
			break
		}
		names = append(names, page.TableNames...)
	}
	r.led.listed(r.region, partTables, 0, complete)
	arns := make([]string, len(names))
	for i, n := range names {
		arns[i] = r.tableARN(n)
	}
	r.scan.add(func(s *regionScan) {
		for _, a := range arns {
			s.exists[a] = true
		}
		s.listed[compliance.PITRDynamoDB] = complete
	})
	r.scan.list(typeTable, arns, complete)
	// A restore test's table lives for its validation window: its PITR is
	// no one's concern.
	names = slices.DeleteFunc(names, compliance.IsRestoreTestResource)
	each(r.concurrency, names, func(name string) { r.led.protect(r.region, partTables, name, func() { r.table(ctx, name) }) })
}

// table reads one table's point-in-time recovery.
func (r *reader) table(ctx context.Context, name string) {
	tableARN := r.tableARN(name)
	if in, err := r.tableInScope(ctx, tableARN); err != nil || !in {
		if err != nil && !compliance.IsNotFound(err) {
			r.led.missed(r.region, partTables, name, err)
		}
		return
	}
	out, err := call(ctx, r, r.ddbSem, func(ctx context.Context) (*dynamodb.DescribeContinuousBackupsOutput, error) {
		return r.ddb.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(name)})
	})
	switch {
	case compliance.IsNotFound(err):
		return // deleted since it was listed
	case err != nil:
		r.led.missed(r.region, partTables, name, err)
		return
	}
	st := compliance.PITRFromContinuousBackups(pitrBase(tableARN, "DynamoDB"), out.ContinuousBackupsDescription)
	at := r.now()
	r.led.saw(r.region, partTables, 1)
	r.scan.add(func(s *regionScan) { s.pitr = append(s.pitr, pitrScan{st, at}) })
}

// tableARN names a table of the region: ListTables gives names only.
func (r *reader) tableARN(name string) string {
	return arn.ARN{Partition: awsapi.Partition(r.region), Service: "dynamodb", Region: r.region, AccountID: r.account, Resource: "table/" + name}.String()
}

// tableInScope reads a table's tags when the policy scopes PITR by tag.
func (r *reader) tableInScope(ctx context.Context, tableARN string) (bool, error) {
	scope := r.policy.PITR.ScopeTag
	if scope.Key == "" {
		return true, nil
	}
	var token *string
	for {
		out, err := call(ctx, r, r.ddbSem, func(ctx context.Context) (*dynamodb.ListTagsOfResourceOutput, error) {
			return r.ddb.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String(tableARN), NextToken: token})
		})
		if err != nil {
			return false, err
		}
		for _, t := range out.Tags {
			if inScope(scope, aws.ToString(t.Key), aws.ToString(t.Value)) {
				return true, nil
			}
		}
		if token = out.NextToken; token == nil {
			return false, nil
		}
	}
}

// inScope: the tag is the policy's scope tag; an empty value in the
// policy matches any value.
func inScope(scope config.Tag, key, value string) bool {
	return key == scope.Key && (scope.Value == "" || value == scope.Value)
}

func tagsInScope[T any](scope config.Tag, tags []T, kv func(T) (string, string)) bool {
	if scope.Key == "" {
		return true
	}
	return slices.ContainsFunc(tags, func(t T) bool { k, v := kv(t); return inScope(scope, k, v) })
}

func rdsTag(t rdstypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) }

// restoreTest reports a database a restore test made: AWS Backup tags what
// restore testing restores with awsbackup-restore-test, and deletes it
// after the validation window.
func restoreTest(tags []rdstypes.Tag) bool {
	return slices.ContainsFunc(tags, func(t rdstypes.Tag) bool { return aws.ToString(t.Key) == compliance.RestoreTestTag })
}

// instances reads every DB instance: DescribeDBInstances carries the
// retention, the latest restorable time and the tags. Aurora members are
// left to their cluster, which holds their backups.
func (r *reader) instances(ctx context.Context) {
	var found []pitrScan
	complete := true
	var seen []string
	p := rds.NewDescribeDBInstancesPaginator(r.rds, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := call(ctx, r, r.rdsSem, func(ctx context.Context) (*rds.DescribeDBInstancesOutput, error) { return p.NextPage(ctx) })
		if err != nil {
			r.led.unlisted(r.region, partInstances, err)
			complete = false
			break
		}
		at := r.now()
		for _, db := range page.DBInstances {
			a := aws.ToString(db.DBInstanceArn)
			seen = append(seen, a)
			if db.DBClusterIdentifier != nil || !tagsInScope(r.policy.PITR.ScopeTag, db.TagList, rdsTag) || restoreTest(db.TagList) {
				continue
			}
			found = append(found, pitrScan{compliance.PITRFromDBInstance(pitrBase(a, "RDS"), db), at})
		}
	}
	r.led.listed(r.region, partInstances, len(found), complete)
	r.scan.add(func(s *regionScan) {
		for _, a := range seen {
			s.exists[a] = true
		}
		s.listed[compliance.PITRRDSInstance] = complete
		s.pitr = append(s.pitr, found...)
	})
	r.scan.list(typeInstance, seen, complete)
}

// clusters reads every Aurora (and Multi-AZ) DB cluster. DocumentDB and
// Neptune clusters share the API but are neither.
func (r *reader) clusters(ctx context.Context) {
	var found []pitrScan
	complete := true
	var seen []string
	p := rds.NewDescribeDBClustersPaginator(r.rds, &rds.DescribeDBClustersInput{MaxRecords: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := call(ctx, r, r.rdsSem, func(ctx context.Context) (*rds.DescribeDBClustersOutput, error) { return p.NextPage(ctx) })
		if err != nil {
			r.led.unlisted(r.region, partClusters, err)
			complete = false
			break
		}
		at := r.now()
		for _, c := range page.DBClusters {
			a := aws.ToString(c.DBClusterArn)
			seen = append(seen, a)
			engine := aws.ToString(c.Engine)
			if engine == "docdb" || engine == "neptune" || !tagsInScope(r.policy.PITR.ScopeTag, c.TagList, rdsTag) || restoreTest(c.TagList) {
				continue
			}
			found = append(found, pitrScan{compliance.PITRFromDBCluster(pitrBase(a, "Aurora"), c), at})
		}
	}
	r.led.listed(r.region, partClusters, len(found), complete)
	r.scan.add(func(s *regionScan) {
		for _, a := range seen {
			s.exists[a] = true
		}
		s.listed[compliance.PITRAurora] = complete
		s.pitr = append(s.pitr, found...)
	})
	r.scan.list(typeCluster, seen, complete)
}

func pitrBase(resourceARN, backupType string) compliance.PITRState {
	return compliance.PITRState{
		ResourceARN:  resourceARN,
		ResourceType: compliance.ResourceType(backupType, resourceARN),
		Kind:         compliance.PITRKindOf(resourceARN, backupType),
	}
}

// groups reads every Auto Scaling group: DescribeAutoScalingGroups carries
// all the posture checks look at.
func (r *reader) groups(ctx context.Context) {
	var groups []compliance.GroupState
	complete := true
	p := autoscaling.NewDescribeAutoScalingGroupsPaginator(r.asg, &autoscaling.DescribeAutoScalingGroupsInput{MaxRecords: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := call(ctx, r, r.asgSem, func(ctx context.Context) (*autoscaling.DescribeAutoScalingGroupsOutput, error) {
			return p.NextPage(ctx)
		})
		if err != nil {
			r.led.unlisted(r.region, partGroups, err)
			complete = false
			break
		}
		for _, g := range page.AutoScalingGroups {
			groups = append(groups, groupState(g))
		}
	}
	r.led.listed(r.region, partGroups, len(groups), complete)
	r.scan.add(func(s *regionScan) { s.groups = groups })
	arns := make([]string, len(groups))
	for i, g := range groups {
		arns[i] = g.ARN
	}
	r.scan.list(typeGroup, arns, complete)
}

// groupState converts a group as DescribeAutoScalingGroups shows it.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AutoScalingGroup.html
func groupState(g astypes.AutoScalingGroup) compliance.GroupState {
	s := compliance.GroupState{
		ARN:             aws.ToString(g.AutoScalingGroupARN),
		Name:            aws.ToString(g.AutoScalingGroupName),
		MinSize:         aws.ToInt32(g.MinSize),
		MaxSize:         aws.ToInt32(g.MaxSize),
		DesiredCapacity: aws.ToInt32(g.DesiredCapacity),
		AZs:             slices.Sorted(slices.Values(g.AvailabilityZones)),
		Instances:       map[string]int{},
		GracePeriod:     time.Duration(aws.ToInt32(g.HealthCheckGracePeriod)) * time.Second,
		TargetGroups:    g.TargetGroupARNs,
		LoadBalancers:   g.LoadBalancerNames,
		Suspended:       map[string]string{},
		Tags:            map[string]string{},
	}
	for _, t := range strings.Split(aws.ToString(g.HealthCheckType), ",") {
		if t = strings.TrimSpace(t); t != "" {
			s.HealthCheckTypes = append(s.HealthCheckTypes, t)
		}
	}
	for _, in := range g.Instances {
		if live(in.LifecycleState) {
			s.Instances[aws.ToString(in.AvailabilityZone)]++
		}
	}
	for _, p := range g.SuspendedProcesses {
		s.Suspended[aws.ToString(p.ProcessName)] = aws.ToString(p.SuspensionReason)
	}
	for _, t := range g.Tags {
		s.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if ip := g.AvailabilityZoneImpairmentPolicy; ip != nil {
		s.ImpairmentPolicy = &compliance.ImpairmentPolicy{
			ZonalShiftEnabled:               aws.ToBool(ip.ZonalShiftEnabled),
			ImpairedZoneHealthCheckBehavior: string(ip.ImpairedZoneHealthCheckBehavior),
		}
	}
	return s
}

// live: in service, or launching into it; not on its way out, in standby
// or in a warm pool.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-lifecycle.html
func live(s astypes.LifecycleState) bool {
	return s == astypes.LifecycleStateInService || strings.HasPrefix(string(s), "Pending")
}
