package awssim

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// RDS and Aurora: DB instances and Aurora DB clusters with their automated
// backups, which are what point-in-time restore depends on.
//
// Automated backups follow the RDS user guide: a backup when the database
// becomes available, then transaction logs shipped every five minutes, so
// LatestRestorableTime trails the clock by up to five minutes; the restore
// window reaches back BackupRetentionPeriod days; a retention of 0 turns
// automated backups, and with them point-in-time restore, off.
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIT.html
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html

const (
	// rdsLogInterval: "RDS uploads transaction logs for DB instances to
	// Amazon S3 every 5 minutes."
	rdsLogInterval = 5 * time.Minute
	// rdsCreateTime is how long a new instance or cluster stays
	// "creating"; AWS takes several minutes.
	rdsCreateTime = 5 * time.Minute
)

type rdsState struct {
	s         *Sim
	instances map[string]*rdsInstance // "region/id"
	clusters  map[string]*rdsCluster  // "region/id"
}

// rdsBackups is the automated backup state of an instance or a cluster.
type rdsBackups struct {
	retention  int32
	pending    *int32    // a retention change waiting for the maintenance window
	first      time.Time // first backup of the current retention; zero when off
	lastUpload time.Time // last transaction-log upload
	stalled    bool
}

func (b *rdsBackups) on() bool { return !b.first.IsZero() }

func (b *rdsBackups) start(now time.Time) { b.first, b.lastUpload = now, now }

func (b *rdsBackups) stop() { b.first, b.lastUpload = time.Time{}, time.Time{} }

// ship uploads the logs due since the last upload, unless shipping stalls.
func (b *rdsBackups) ship(now time.Time) {
	if !b.on() || b.stalled {
		return
	}
	for now.Sub(b.lastUpload) >= rdsLogInterval {
		b.lastUpload = b.lastUpload.Add(rdsLogInterval)
	}
}

// setRetention applies a retention: 0 deletes the automated backups,
// non-zero from 0 takes a first backup now.
func (b *rdsBackups) setRetention(days int32, now time.Time) {
	switch {
	case days == 0:
		b.stop()
	case !b.on():
		b.start(now)
	}
	b.retention, b.pending = days, nil
}

func (b *rdsBackups) earliest(now time.Time) *time.Time {
	if !b.on() {
		return nil
	}
	e := now.AddDate(0, 0, -int(b.retention))
	if b.first.After(e) {
		e = b.first
	}
	return aws.Time(e)
}

func (b *rdsBackups) latest() *time.Time {
	if !b.on() {
		return nil
	}
	return aws.Time(b.lastUpload)
}

type rdsInstance struct {
	region, id, arn, resourceID string
	class, engine, version      string
	status                      string
	created, statusSince        time.Time
	az, secondaryAZ             string
	multiAZ                     bool
	clusterID                   string
	encrypted                   bool
	kmsKey                      string
	backupWindow, maintWindow   string
	endpoint                    string
	tags                        map[string]string
	backups                     rdsBackups // unused for Aurora members: the cluster keeps them
}

type rdsCluster struct {
	region, id, arn, resourceID string
	engine, version             string
	status                      string
	created, statusSince        time.Time
	azs                         []string
	encrypted                   bool
	kmsKey                      string
	backupWindow, maintWindow   string
	endpoint                    string
	tags                        map[string]string
	backups                     rdsBackups
}

func newRDSState(s *Sim) *rdsState {
	return &rdsState{s: s, instances: map[string]*rdsInstance{}, clusters: map[string]*rdsCluster{}}
}

func (s *Sim) registerRDS() {
	x := s.rds
	handle(s, ServiceRDS, "CreateDBInstance", x.createDBInstance)
	handle(s, ServiceRDS, "CreateDBCluster", x.createDBCluster)
	handle(s, ServiceRDS, "DescribeDBInstances", x.describeDBInstances)
	handle(s, ServiceRDS, "DescribeDBClusters", x.describeDBClusters)
	handle(s, ServiceRDS, "DescribeDBInstanceAutomatedBackups", x.describeAutomatedBackups)
	handle(s, ServiceRDS, "ModifyDBInstance", x.modifyDBInstance)
	handle(s, ServiceRDS, "ModifyDBCluster", x.modifyDBCluster)
	handle(s, ServiceRDS, "ListTagsForResource", x.listTagsForResource)
	handle(s, ServiceRDS, "AddTagsToResource", x.addTagsToResource)
}

// StallRDSLogShipping stops (stalled true) or resumes the upload of
// transaction logs of a DB instance or Aurora cluster, by identifier.
// While stalled, LatestRestorableTime stays where it was and falls behind
// the clock; on resuming, the backlog is uploaded at the next reconcile.
func (s *Sim) StallRDSLogShipping(region, identifier string, stalled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := strings.ToLower(identifier)
	if c := s.rds.clusters[region+"/"+id]; c != nil {
		c.backups.stalled = stalled
		return nil
	}
	if in := s.rds.instances[region+"/"+id]; in != nil {
		if in.clusterID != "" {
			return fmt.Errorf("awssim: %s is a member of Aurora cluster %s, whose backups the cluster keeps", id, in.clusterID)
		}
		in.backups.stalled = stalled
		return nil
	}
	return fmt.Errorf("awssim: no RDS instance or cluster %q in %s", identifier, region)
}

// ---- reconcile ----

func (x *rdsState) reconcile() {
	now := x.s.now
	for _, k := range sortedKeys(x.clusters) {
		c := x.clusters[k]
		if c.status == "creating" && now.Sub(c.statusSince) >= rdsCreateTime {
			c.status, c.statusSince = "available", now
			c.backups.start(now)
		}
		c.backups.ship(now)
	}
	for _, k := range sortedKeys(x.instances) {
		in := x.instances[k]
		if in.status == "creating" && now.Sub(in.statusSince) >= rdsCreateTime {
			in.status, in.statusSince = "available", now
			if in.clusterID == "" && in.backups.retention > 0 {
				in.backups.start(now)
			}
		}
		// A retention change that turns backups on or off waits for the
		// maintenance window unless applied immediately.
		if in.backups.pending != nil && inMaintenanceWindow(in.maintWindow, now) {
			x.applyRetention(in, *in.backups.pending)
		}
		in.backups.ship(now)
	}
}

func (x *rdsState) busy() bool {
	for _, c := range x.clusters {
		if c.status == "creating" {
			return true
		}
	}
	for _, in := range x.instances {
		if in.status == "creating" {
			return true
		}
	}
	return false
}

// ---- validation helpers ----

func rdsInvalid(format string, args ...any) error {
	return apiError(http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf(format, args...))
}

func rdsCombination(format string, args ...any) error {
	return apiError(http.StatusBadRequest, "InvalidParameterCombination", fmt.Sprintf(format, args...))
}

// RDS identifiers: a letter, then letters, digits and single hyphens, at
// most 63 characters, stored in lower case.
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html
var rdsIdentifierRE = regexp.MustCompile(`^[a-zA-Z](?:-?[a-zA-Z0-9])*$`)

func rdsIdentifier(kind, id string) (string, error) {
	if len(id) < 1 || len(id) > 63 || !rdsIdentifierRE.MatchString(id) {
		return "", rdsInvalid("The parameter %s is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.", kind)
	}
	return strings.ToLower(id), nil
}

var maintenanceWindowRE = regexp.MustCompile(`^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$`)

var weekdays = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// inMaintenanceWindow reports whether now (UTC) falls in a window of the
// form ddd:hh24:mi-ddd:hh24:mi.
func inMaintenanceWindow(window string, now time.Time) bool {
	m := maintenanceWindowRE.FindStringSubmatch(strings.ToLower(window))
	if m == nil {
		return false
	}
	minuteOfWeek := func(day, h, mi string) int {
		var hh, mm int
		fmt.Sscanf(h+" "+mi, "%d %d", &hh, &mm)
		return weekdays[day]*1440 + hh*60 + mm
	}
	start, end := minuteOfWeek(m[1], m[2], m[3]), minuteOfWeek(m[4], m[5], m[6])
	now = now.UTC()
	t := int(now.Weekday())*1440 + now.Hour()*60 + now.Minute()
	if start <= end {
		return t >= start && t < end
	}
	return t >= start || t < end
}

func isAurora(engine string) bool { return strings.HasPrefix(engine, "aurora") }

func (x *rdsState) defaultVersion(engine string) string {
	switch engine {
	case "postgres":
		return "16.4"
	case "aurora-postgresql":
		return "16.4"
	case "aurora-mysql":
		return "8.0.mysql_aurora.3.08.0"
	case "mariadb":
		return "10.11.9"
	}
	return "8.0.39"
}

func (x *rdsState) resourceID(prefix string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 26)
	for i := range b {
		b[i] = alphabet[x.s.rng.IntN(len(alphabet))]
	}
	return prefix + string(b)
}

func tagMap(tags []rdstypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func tagList(m map[string]string) []rdstypes.Tag {
	out := []rdstypes.Tag{}
	for _, k := range sortedKeys(m) {
		out = append(out, rdstypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// ---- create ----

// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html
func (x *rdsState) createDBCluster(r *Region, in *rds.CreateDBClusterInput) (*rds.CreateDBClusterOutput, error) {
	id, err := rdsIdentifier("DBClusterIdentifier", aws.ToString(in.DBClusterIdentifier))
	if err != nil {
		return nil, err
	}
	engine := aws.ToString(in.Engine)
	if !isAurora(engine) {
		return nil, rdsInvalid("awssim models Aurora DB clusters only (aurora-mysql, aurora-postgresql), not engine %s", engine)
	}
	if x.clusters[r.Name+"/"+id] != nil {
		return nil, &rdstypes.DBClusterAlreadyExistsFault{Message: aws.String("DB Cluster already exists")}
	}
	// "Default: 1. Constraints: Must be a value from 1 to 35."
	retention := int32(1)
	if in.BackupRetentionPeriod != nil {
		retention = *in.BackupRetentionPeriod
		if retention < 1 || retention > 35 {
			return nil, rdsInvalid("Invalid backup retention period: %d. Valid values are 1 to 35 days for Aurora DB clusters.", retention)
		}
	}
	azs := slices.Clone(in.AvailabilityZones)
	for _, az := range azs {
		if _, ok := r.az(az); !ok {
			return nil, rdsInvalid("Availability zone '%s' is unavailable in this region", az)
		}
	}
	if len(azs) == 0 {
		for _, az := range r.AZs {
			azs = append(azs, az.Name)
		}
	}
	c := &rdsCluster{
		region: r.Name, id: id, engine: engine,
		arn:        fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s", r.Name, x.s.accountID, id),
		resourceID: x.resourceID("cluster-"),
		version:    aws.ToString(in.EngineVersion),
		status:     "creating", created: x.s.now, statusSince: x.s.now,
		azs:          azs,
		encrypted:    aws.ToBool(in.StorageEncrypted),
		backupWindow: aws.ToString(in.PreferredBackupWindow), maintWindow: aws.ToString(in.PreferredMaintenanceWindow),
		tags:    tagMap(in.Tags),
		backups: rdsBackups{retention: retention},
	}
	if c.version == "" {
		c.version = x.defaultVersion(engine)
	}
	x.fillDefaults(r, &c.kmsKey, c.encrypted, &c.backupWindow, &c.maintWindow)
	c.endpoint = fmt.Sprintf("%s.cluster-%s.%s.rds.amazonaws.com", id, x.s.nextID("c", 11), r.Name)
	x.clusters[r.Name+"/"+id] = c
	return &rds.CreateDBClusterOutput{DBCluster: x.describeCluster(c)}, nil
}

func (x *rdsState) fillDefaults(r *Region, kms *string, encrypted bool, backupWindow, maintWindow *string) {
	if encrypted && *kms == "" {
		*kms = fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", r.Name, x.s.accountID, x.s.uuid())
	}
	if *backupWindow == "" {
		*backupWindow = "03:00-03:30"
	}
	if *maintWindow == "" {
		*maintWindow = "sun:05:00-sun:05:30"
	}
}

// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html
func (x *rdsState) createDBInstance(r *Region, in *rds.CreateDBInstanceInput) (*rds.CreateDBInstanceOutput, error) {
	id, err := rdsIdentifier("DBInstanceIdentifier", aws.ToString(in.DBInstanceIdentifier))
	if err != nil {
		return nil, err
	}
	if x.instances[r.Name+"/"+id] != nil {
		return nil, &rdstypes.DBInstanceAlreadyExistsFault{Message: aws.String("DB instance already exists")}
	}
	engine := aws.ToString(in.Engine)
	inst := &rdsInstance{
		region: r.Name, id: id, engine: engine,
		arn:        fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", r.Name, x.s.accountID, id),
		resourceID: x.resourceID("db-"),
		class:      aws.ToString(in.DBInstanceClass),
		version:    aws.ToString(in.EngineVersion),
		status:     "creating", created: x.s.now, statusSince: x.s.now,
		multiAZ:      aws.ToBool(in.MultiAZ),
		encrypted:    aws.ToBool(in.StorageEncrypted),
		kmsKey:       aws.ToString(in.KmsKeyId),
		backupWindow: aws.ToString(in.PreferredBackupWindow), maintWindow: aws.ToString(in.PreferredMaintenanceWindow),
		tags: tagMap(in.Tags),
	}
	if isAurora(engine) {
		// Aurora instances join a cluster, which owns storage and backups.
		cid := strings.ToLower(aws.ToString(in.DBClusterIdentifier))
		c := x.clusters[r.Name+"/"+cid]
		switch {
		case cid == "":
			return nil, rdsCombination("DBClusterIdentifier is required for an instance of engine %s", engine)
		case c == nil:
			return nil, &rdstypes.DBClusterNotFoundFault{Message: aws.String(fmt.Sprintf("DBCluster %s not found.", cid))}
		case c.engine != engine:
			return nil, rdsCombination("The engine name requested for your DB instance (%s) doesn't match the engine name of your DB cluster (%s).", engine, c.engine)
		case in.BackupRetentionPeriod != nil:
			// "Amazon Aurora: Not applicable. The retention period for
			// automated backups is managed by the DB cluster."
			return nil, rdsCombination("The requested DB Instance will be a member of a DB Cluster. Set backup retention period for the DB Cluster.")
		case in.MultiAZ != nil:
			return nil, rdsCombination("The requested DB Instance will be a member of a DB Cluster. You don't need to set MultiAZ.")
		}
		inst.clusterID, inst.version, inst.encrypted, inst.kmsKey = cid, c.version, c.encrypted, c.kmsKey
	} else {
		if in.DBClusterIdentifier != nil {
			return nil, rdsCombination("awssim models DB cluster membership for Aurora engines only, not %s", engine)
		}
		// "Default: 1 … Must be a value from 0 to 35."
		inst.backups.retention = 1
		if in.BackupRetentionPeriod != nil {
			inst.backups.retention = *in.BackupRetentionPeriod
			if inst.backups.retention < 0 || inst.backups.retention > 35 {
				return nil, rdsInvalid("Invalid backup retention period: %d. Valid values are 0 to 35 days.", inst.backups.retention)
			}
		}
	}
	if inst.version == "" {
		inst.version = x.defaultVersion(engine)
	}
	switch az := aws.ToString(in.AvailabilityZone); {
	case az != "" && inst.multiAZ:
		return nil, rdsCombination("Requesting a specific availability zone is not valid for Multi-AZ instances.")
	case az != "":
		if _, ok := r.az(az); !ok {
			return nil, rdsInvalid("Cannot find version or availability zone: %s", az)
		}
		inst.az = az
	default:
		inst.az = r.AZs[x.s.rng.IntN(len(r.AZs))].Name
	}
	if inst.multiAZ && len(r.AZs) > 1 {
		for _, az := range r.AZs {
			if az.Name != inst.az {
				inst.secondaryAZ = az.Name
				break
			}
		}
	}
	x.fillDefaults(r, &inst.kmsKey, inst.encrypted, &inst.backupWindow, &inst.maintWindow)
	inst.endpoint = fmt.Sprintf("%s.%s.%s.rds.amazonaws.com", id, x.s.nextID("c", 11), r.Name)
	x.instances[r.Name+"/"+id] = inst
	return &rds.CreateDBInstanceOutput{DBInstance: x.describeInstance(inst)}, nil
}

// ---- describe ----

func (x *rdsState) describeInstance(in *rdsInstance) *rdstypes.DBInstance {
	out := &rdstypes.DBInstance{
		DBInstanceIdentifier: aws.String(in.id), DBInstanceArn: aws.String(in.arn), DbiResourceId: aws.String(in.resourceID),
		DBInstanceClass: aws.String(in.class), Engine: aws.String(in.engine), EngineVersion: aws.String(in.version),
		DBInstanceStatus: aws.String(in.status), InstanceCreateTime: aws.Time(in.created),
		AvailabilityZone: aws.String(in.az), MultiAZ: aws.Bool(in.multiAZ),
		StorageEncrypted: aws.Bool(in.encrypted), PreferredBackupWindow: aws.String(in.backupWindow),
		PreferredMaintenanceWindow: aws.String(in.maintWindow),
		TagList:                    tagList(in.tags),
		PendingModifiedValues:      &rdstypes.PendingModifiedValues{},
	}
	if in.status != "creating" {
		port := int32(3306)
		if strings.Contains(in.engine, "postgres") {
			port = 5432
		}
		out.Endpoint = &rdstypes.Endpoint{Address: aws.String(in.endpoint), Port: aws.Int32(port)}
	}
	if in.secondaryAZ != "" {
		out.SecondaryAvailabilityZone = aws.String(in.secondaryAZ)
	}
	if in.kmsKey != "" {
		out.KmsKeyId = aws.String(in.kmsKey)
	}
	if in.clusterID != "" {
		out.DBClusterIdentifier = aws.String(in.clusterID)
		if c := x.clusters[in.region+"/"+in.clusterID]; c != nil {
			out.BackupRetentionPeriod = aws.Int32(c.backups.retention)
		}
		return out
	}
	out.BackupRetentionPeriod = aws.Int32(in.backups.retention)
	out.LatestRestorableTime = in.backups.latest()
	if in.backups.pending != nil {
		out.PendingModifiedValues.BackupRetentionPeriod = aws.Int32(*in.backups.pending)
	}
	return out
}

func (x *rdsState) describeCluster(c *rdsCluster) *rdstypes.DBCluster {
	out := &rdstypes.DBCluster{
		DBClusterIdentifier: aws.String(c.id), DBClusterArn: aws.String(c.arn), DbClusterResourceId: aws.String(c.resourceID),
		Engine: aws.String(c.engine), EngineVersion: aws.String(c.version), EngineMode: aws.String("provisioned"),
		Status: aws.String(c.status), ClusterCreateTime: aws.Time(c.created),
		AvailabilityZones:      slices.Clone(c.azs),
		BackupRetentionPeriod:  aws.Int32(c.backups.retention),
		EarliestRestorableTime: c.backups.earliest(x.s.now), LatestRestorableTime: c.backups.latest(),
		StorageEncrypted: aws.Bool(c.encrypted), PreferredBackupWindow: aws.String(c.backupWindow),
		PreferredMaintenanceWindow: aws.String(c.maintWindow),
		Endpoint:                   aws.String(c.endpoint),
		ReaderEndpoint:             aws.String(strings.Replace(c.endpoint, ".cluster-", ".cluster-ro-", 1)),
		TagList:                    tagList(c.tags),
		DBClusterMembers:           []rdstypes.DBClusterMember{},
	}
	if c.kmsKey != "" {
		out.KmsKeyId = aws.String(c.kmsKey)
	}
	// The first member is the writer; the cluster is Multi-AZ when its
	// instances span more than one AZ.
	azs := map[string]bool{}
	for _, k := range sortedKeys(x.instances) {
		in := x.instances[k]
		if in.region != c.region || in.clusterID != c.id {
			continue
		}
		azs[in.az] = true
		out.DBClusterMembers = append(out.DBClusterMembers, rdstypes.DBClusterMember{
			DBInstanceIdentifier: aws.String(in.id), IsClusterWriter: aws.Bool(len(out.DBClusterMembers) == 0),
			DBClusterParameterGroupStatus: aws.String("in-sync"), PromotionTier: aws.Int32(1),
		})
	}
	out.MultiAZ = aws.Bool(len(azs) > 1)
	return out
}

// rdsFilter matches RDS filters: values within a filter are ORed, filters
// are ANDed; identifier filters take identifiers or ARNs. Unknown filter
// names are refused.
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstances.html
func rdsFilter(filters []rdstypes.Filter, fields map[string][]string) (bool, error) {
	for _, f := range filters {
		name := aws.ToString(f.Name)
		have, ok := fields[name]
		if !ok {
			return false, rdsInvalid("Unrecognized filter name: %s", name)
		}
		if !slices.ContainsFunc(f.Values, func(v string) bool { return slices.Contains(have, v) }) {
			return false, nil
		}
	}
	return true, nil
}

// rdsPage pages with Marker and MaxRecords (20–100, default 100).
func rdsPage[T any](items []T, maxRecords *int32, marker *string) ([]T, *string, error) {
	if maxRecords != nil && (*maxRecords < 20 || *maxRecords > 100) {
		return nil, nil, rdsInvalid("Invalid value %d for MaxRecords. Must be between 20 and 100", *maxRecords)
	}
	return page(items, maxRecords, marker, 100, 100, "InvalidParameterValue")
}

func idOrARN(s string) string {
	if strings.HasPrefix(s, "arn:") {
		return strings.ToLower(s[strings.LastIndex(s, ":")+1:])
	}
	return strings.ToLower(s)
}

// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstances.html
func (x *rdsState) describeDBInstances(r *Region, in *rds.DescribeDBInstancesInput) (*rds.DescribeDBInstancesOutput, error) {
	want := ""
	if in.DBInstanceIdentifier != nil {
		want = idOrARN(*in.DBInstanceIdentifier)
		if x.instances[r.Name+"/"+want] == nil {
			return nil, &rdstypes.DBInstanceNotFoundFault{Message: aws.String(fmt.Sprintf("DBInstance %s not found.", *in.DBInstanceIdentifier))}
		}
	}
	var matched []rdstypes.DBInstance
	for _, k := range sortedKeys(x.instances) {
		inst := x.instances[k]
		if inst.region != r.Name || (want != "" && inst.id != want) {
			continue
		}
		fields := map[string][]string{
			"db-instance-id":  {inst.id, inst.arn},
			"dbi-resource-id": {inst.resourceID},
			"engine":          {inst.engine},
			"db-cluster-id":   {},
		}
		if inst.clusterID != "" {
			fields["db-cluster-id"] = []string{inst.clusterID, fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s", r.Name, x.s.accountID, inst.clusterID)}
		}
		ok, err := rdsFilter(in.Filters, fields)
		if err != nil {
			return nil, err
		}
		if ok {
			matched = append(matched, *x.describeInstance(inst))
		}
	}
	pg, next, err := rdsPage(matched, in.MaxRecords, in.Marker)
	if err != nil {
		return nil, err
	}
	return &rds.DescribeDBInstancesOutput{DBInstances: pg, Marker: next}, nil
}

// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusters.html
func (x *rdsState) describeDBClusters(r *Region, in *rds.DescribeDBClustersInput) (*rds.DescribeDBClustersOutput, error) {
	want := ""
	if in.DBClusterIdentifier != nil {
		want = idOrARN(*in.DBClusterIdentifier)
		if x.clusters[r.Name+"/"+want] == nil {
			return nil, &rdstypes.DBClusterNotFoundFault{Message: aws.String(fmt.Sprintf("DBCluster %s not found.", *in.DBClusterIdentifier))}
		}
	}
	var matched []rdstypes.DBCluster
	for _, k := range sortedKeys(x.clusters) {
		c := x.clusters[k]
		if c.region != r.Name || (want != "" && c.id != want) {
			continue
		}
		ok, err := rdsFilter(in.Filters, map[string][]string{
			"db-cluster-id":          {c.id, c.arn},
			"db-cluster-resource-id": {c.resourceID},
			"engine":                 {c.engine},
		})
		if err != nil {
			return nil, err
		}
		if ok {
			matched = append(matched, *x.describeCluster(c))
		}
	}
	pg, next, err := rdsPage(matched, in.MaxRecords, in.Marker)
	if err != nil {
		return nil, err
	}
	return &rds.DescribeDBClustersOutput{DBClusters: pg, Marker: next}, nil
}

// DescribeDBInstanceAutomatedBackups reports the restore window of DB
// instances with automated backups (Aurora members have none of their
// own: the cluster reports its window).
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstanceAutomatedBackups.html
func (x *rdsState) describeAutomatedBackups(r *Region, in *rds.DescribeDBInstanceAutomatedBackupsInput) (*rds.DescribeDBInstanceAutomatedBackupsOutput, error) {
	var matched []rdstypes.DBInstanceAutomatedBackup
	for _, k := range sortedKeys(x.instances) {
		inst := x.instances[k]
		if inst.region != r.Name || inst.clusterID != "" || !inst.backups.on() {
			continue
		}
		if in.DBInstanceIdentifier != nil && idOrARN(*in.DBInstanceIdentifier) != inst.id {
			continue
		}
		if in.DbiResourceId != nil && *in.DbiResourceId != inst.resourceID {
			continue
		}
		ok, err := rdsFilter(in.Filters, map[string][]string{
			"db-instance-id": {inst.id, inst.arn}, "dbi-resource-id": {inst.resourceID},
			"engine": {inst.engine}, "status": {"active"},
		})
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		matched = append(matched, rdstypes.DBInstanceAutomatedBackup{
			DBInstanceArn: aws.String(inst.arn), DBInstanceIdentifier: aws.String(inst.id), DbiResourceId: aws.String(inst.resourceID),
			DBInstanceAutomatedBackupsArn: aws.String(fmt.Sprintf("arn:aws:rds:%s:%s:auto-backup:ab-%s", r.Name, x.s.accountID, strings.ToLower(strings.TrimPrefix(inst.resourceID, "db-")))),
			Engine:                        aws.String(inst.engine), EngineVersion: aws.String(inst.version), Region: aws.String(r.Name),
			AvailabilityZone: aws.String(inst.az), BackupRetentionPeriod: aws.Int32(inst.backups.retention),
			Encrypted: aws.Bool(inst.encrypted), InstanceCreateTime: aws.Time(inst.created), Status: aws.String("active"),
			RestoreWindow: &rdstypes.RestoreWindow{EarliestTime: inst.backups.earliest(x.s.now), LatestTime: inst.backups.latest()},
		})
	}
	pg, next, err := rdsPage(matched, in.MaxRecords, in.Marker)
	if err != nil {
		return nil, err
	}
	return &rds.DescribeDBInstanceAutomatedBackupsOutput{DBInstanceAutomatedBackups: pg, Marker: next}, nil
}

// ---- modify ----

// ModifyDBInstance changes the backup retention (and Multi-AZ). "Changing
// this parameter can result in an outage if you change from 0 to a non-zero
// value or from a non-zero value to 0. These changes are applied during the
// next maintenance window unless the ApplyImmediately parameter is
// enabled"; other retention changes apply at once.
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html
func (x *rdsState) modifyDBInstance(r *Region, in *rds.ModifyDBInstanceInput) (*rds.ModifyDBInstanceOutput, error) {
	id := idOrARN(aws.ToString(in.DBInstanceIdentifier))
	inst := x.instances[r.Name+"/"+id]
	if inst == nil {
		return nil, &rdstypes.DBInstanceNotFoundFault{Message: aws.String(fmt.Sprintf("DBInstance %s not found.", aws.ToString(in.DBInstanceIdentifier)))}
	}
	if inst.status != "available" {
		return nil, &rdstypes.InvalidDBInstanceStateFault{Message: aws.String(fmt.Sprintf("Database instance is not in available state: %s", inst.status))}
	}
	if in.BackupRetentionPeriod != nil {
		days := *in.BackupRetentionPeriod
		switch {
		case inst.clusterID != "":
			return nil, rdsCombination("The requested DB Instance is a member of a DB Cluster. Set backup retention period for the DB Cluster.")
		case days < 0 || days > 35:
			return nil, rdsInvalid("Invalid backup retention period: %d. Valid values are 0 to 35 days.", days)
		case (days == 0) != (inst.backups.retention == 0) && !aws.ToBool(in.ApplyImmediately):
			inst.backups.pending = aws.Int32(days)
		default:
			x.applyRetention(inst, days)
		}
	}
	if in.MultiAZ != nil {
		if inst.clusterID != "" {
			return nil, rdsCombination("The requested DB Instance is a member of a DB Cluster. You don't need to set MultiAZ.")
		}
		inst.multiAZ = *in.MultiAZ
		inst.secondaryAZ = ""
		if inst.multiAZ {
			for _, az := range r.AZs {
				if az.Name != inst.az {
					inst.secondaryAZ = az.Name
					break
				}
			}
		}
	}
	if in.PreferredMaintenanceWindow != nil {
		if !maintenanceWindowRE.MatchString(strings.ToLower(*in.PreferredMaintenanceWindow)) {
			return nil, rdsInvalid("Invalid maintenance window: %s. Format: ddd:hh24:mi-ddd:hh24:mi", *in.PreferredMaintenanceWindow)
		}
		inst.maintWindow = strings.ToLower(*in.PreferredMaintenanceWindow)
	}
	return &rds.ModifyDBInstanceOutput{DBInstance: x.describeInstance(inst)}, nil
}

// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html
func (x *rdsState) modifyDBCluster(r *Region, in *rds.ModifyDBClusterInput) (*rds.ModifyDBClusterOutput, error) {
	id := idOrARN(aws.ToString(in.DBClusterIdentifier))
	c := x.clusters[r.Name+"/"+id]
	if c == nil {
		return nil, &rdstypes.DBClusterNotFoundFault{Message: aws.String(fmt.Sprintf("DBCluster %s not found.", aws.ToString(in.DBClusterIdentifier)))}
	}
	if c.status != "available" {
		return nil, &rdstypes.InvalidDBClusterStateFault{Message: aws.String(fmt.Sprintf("DB cluster is not in available state: %s", c.status))}
	}
	if in.BackupRetentionPeriod != nil {
		days := *in.BackupRetentionPeriod
		// Aurora cannot turn automated backups off: "Must be a value from
		// 1 to 35".
		if days < 1 || days > 35 {
			return nil, rdsInvalid("Invalid backup retention period: %d. Valid values are 1 to 35 days for Aurora DB clusters.", days)
		}
		c.backups.setRetention(days, x.s.now)
	}
	if in.PreferredMaintenanceWindow != nil {
		c.maintWindow = strings.ToLower(*in.PreferredMaintenanceWindow)
	}
	return &rds.ModifyDBClusterOutput{DBCluster: x.describeCluster(c)}, nil
}

// ---- tags ----

func (x *rdsState) tagsOf(r *Region, arn string) (map[string]string, error) {
	parts := strings.Split(arn, ":")
	if len(parts) == 7 && parts[3] == r.Name {
		switch parts[5] {
		case "db":
			if in := x.instances[r.Name+"/"+parts[6]]; in != nil {
				return in.tags, nil
			}
			return nil, &rdstypes.DBInstanceNotFoundFault{Message: aws.String(fmt.Sprintf("DBInstance %s not found.", parts[6]))}
		case "cluster":
			if c := x.clusters[r.Name+"/"+parts[6]]; c != nil {
				return c.tags, nil
			}
			return nil, &rdstypes.DBClusterNotFoundFault{Message: aws.String(fmt.Sprintf("DBCluster %s not found.", parts[6]))}
		}
	}
	return nil, rdsInvalid("Invalid resource name: %s", arn)
}

// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ListTagsForResource.html
func (x *rdsState) listTagsForResource(r *Region, in *rds.ListTagsForResourceInput) (*rds.ListTagsForResourceOutput, error) {
	if len(in.Filters) > 0 {
		return nil, rdsInvalid("awssim does not model filters on ListTagsForResource")
	}
	tags, err := x.tagsOf(r, aws.ToString(in.ResourceName))
	if err != nil {
		return nil, err
	}
	return &rds.ListTagsForResourceOutput{TagList: tagList(tags)}, nil
}

// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_AddTagsToResource.html
func (x *rdsState) addTagsToResource(r *Region, in *rds.AddTagsToResourceInput) (*rds.AddTagsToResourceOutput, error) {
	tags, err := x.tagsOf(r, aws.ToString(in.ResourceName))
	if err != nil {
		return nil, err
	}
	for _, t := range in.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return &rds.AddTagsToResourceOutput{}, nil
}
