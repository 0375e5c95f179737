package awssim

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDB: tables, point-in-time recovery, TTL and tags (this file); the
// item API is in dynamodb_items.go, batch reads in dynamodb_batch.go,
// transactions in dynamodb_transact.go, expressions in dynamodb_expr.go and
// dynamodb_eval.go.

type dynamoState struct {
	s      *Sim
	tables map[string]*ddbTable // "region/name"

	// readLag is how far behind the last write an eventually consistent
	// read may be; 0 makes every read strongly consistent.
	readLag time.Duration
	// ttlDelay is how long after its TTL an expired item is deleted.
	ttlDelay time.Duration
	// unprocessed is the chance that BatchGetItem leaves a key unprocessed.
	unprocessed float64
}

// pitrLag is how far LatestRestorableDateTime trails the clock: "typically
// 5 minutes before the current time".
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PointInTimeRecoveryDescription.html
const pitrLag = 5 * time.Minute

type ddbTable struct {
	region, name, arn, id string
	pk, sk                string
	keySchema             []ddbtypes.KeySchemaElement
	attrDefs              []ddbtypes.AttributeDefinition
	status                ddbtypes.TableStatus
	created               time.Time
	billing               ddbtypes.BillingMode
	throughput            *ddbtypes.ProvisionedThroughput
	deletionProtection    bool
	tags                  map[string]string
	records               map[string]*ddbRecord
	ordered               []*ddbRecord // records in key order; nil when a key was added or removed

	pitrEnabled bool
	pitrSince   time.Time
	pitrDays    int32
	pitrStalled bool
	pitrFrozen  time.Time // LatestRestorableDateTime when the stall began

	ttlAttr    string
	ttlEnabled bool
	ttlChanged time.Time

	// bulkBytes and bulkItems are data the table holds besides its
	// records (SetDynamoDBTableData): counted, not stored.
	bulkBytes, bulkItems int64
}

// ddbRecord is one key's item. prev and writtenAt serve eventually
// consistent reads, which may still see the item as it was before the last
// write; a deleted item keeps its record (cur nil) until no read can see
// it any more.
type ddbRecord struct {
	key       ddbItem
	cur       ddbItem
	prev      ddbItem
	writtenAt time.Time
}

func newDynamoState(s *Sim) *dynamoState {
	return &dynamoState{s: s, tables: map[string]*ddbTable{}}
}

func (s *Sim) registerDynamoDB() {
	d := s.ddb
	handle(s, ServiceDynamoDB, "CreateTable", d.createTable)
	handle(s, ServiceDynamoDB, "DescribeTable", d.describeTable)
	handle(s, ServiceDynamoDB, "ListTables", d.listTables)
	handle(s, ServiceDynamoDB, "TagResource", d.tagResource)
	handle(s, ServiceDynamoDB, "UntagResource", d.untagResource)
	handle(s, ServiceDynamoDB, "ListTagsOfResource", d.listTagsOfResource)
	handle(s, ServiceDynamoDB, "UpdateContinuousBackups", d.updateContinuousBackups)
	handle(s, ServiceDynamoDB, "DescribeContinuousBackups", d.describeContinuousBackups)
	handle(s, ServiceDynamoDB, "UpdateTimeToLive", d.updateTimeToLive)
	handle(s, ServiceDynamoDB, "DescribeTimeToLive", d.describeTimeToLive)
	handle(s, ServiceDynamoDB, "PutItem", d.putItem)
	handle(s, ServiceDynamoDB, "GetItem", d.getItem)
	handle(s, ServiceDynamoDB, "BatchGetItem", d.batchGetItem)
	handle(s, ServiceDynamoDB, "UpdateItem", d.updateItem)
	handle(s, ServiceDynamoDB, "DeleteItem", d.deleteItem)
	handle(s, ServiceDynamoDB, "Query", d.query)
	handle(s, ServiceDynamoDB, "Scan", d.scan)
	handle(s, ServiceDynamoDB, "TransactWriteItems", d.transactWriteItems)
}

// ---- exported controls ----

// SetDynamoDBReadLag makes eventually consistent reads (GetItem, Query and
// Scan without ConsistentRead) see an item as it was before any write
// younger than d, as DynamoDB's eventually consistent reads "might not
// reflect the results of a recently completed write"
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html).
// The default, 0, makes every read strongly consistent.
func (s *Sim) SetDynamoDBReadLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ddb.readLag = max(d, 0)
}

// SetDynamoDBTTLDelay sets how long after the time in its TTL attribute an
// item is deleted. AWS deletes expired items "typically within a few days"
// and until then still returns them from reads, queries and scans, so
// readers must filter on the TTL attribute themselves
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html).
// The default, 0, deletes an item at the first reconcile after it expires;
// with a delay the expired item stays readable for d, as on AWS.
func (s *Sim) SetDynamoDBTTLDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ddb.ttlDelay = max(d, 0)
}

// StallDynamoDBPITR stops (stalled true) or resumes the advance of a
// table's point-in-time recovery: while stalled,
// DescribeContinuousBackups reports a LatestRestorableDateTime frozen at
// its value when the stall began, as a table whose continuous backups have
// fallen behind would. It fails if the table does not exist.
func (s *Sim) StallDynamoDBPITR(region, table string, stalled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ddb.tables[region+"/"+table]
	if t == nil {
		return fmt.Errorf("awssim: no DynamoDB table %q in %s", table, region)
	}
	if stalled && !t.pitrStalled {
		t.pitrFrozen = t.latestRestorable(s.now)
	}
	t.pitrStalled = stalled
	return nil
}

// DynamoDBItems returns copies of a table's items as a strongly consistent
// scan would, for assertions; nil if the table does not exist.
func (s *Sim) DynamoDBItems(region, table string) []map[string]ddbtypes.AttributeValue {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ddb.tables[region+"/"+table]
	if t == nil {
		return nil
	}
	var out []map[string]ddbtypes.AttributeValue
	for _, r := range t.sortedRecords() {
		if r.cur != nil {
			out = append(out, cloneItem(r.cur))
		}
	}
	return out
}

// ---- reconcile ----

func (d *dynamoState) reconcile() {
	now := d.s.now
	for _, key := range sortedKeys(d.tables) {
		t := d.tables[key]
		if t.ttlEnabled {
			d.expire(t, now)
		}
		for k, r := range t.records {
			if r.cur == nil && now.Sub(r.writtenAt) >= d.readLag {
				delete(t.records, k)
				t.ordered = nil
			}
		}
	}
}

// expire deletes the items whose TTL attribute, a number of epoch seconds,
// is in the past by at least the TTL delay. Items whose TTL is more than
// five years in the past, or is not a number, are left alone, as the TTL
// process ignores them.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html
func (d *dynamoState) expire(t *ddbTable, now time.Time) {
	for _, r := range t.sortedRecords() {
		if r.cur == nil {
			continue
		}
		n, ok := r.cur[t.ttlAttr].(*ddbtypes.AttributeValueMemberN)
		if !ok {
			continue
		}
		num, err := parseDDBNumber(n.Value)
		if err != nil {
			continue
		}
		expiry := time.Unix(0, int64(num.float()*1e9)).UTC()
		if expiry.Before(now.AddDate(-5, 0, 0)) || now.Before(expiry.Add(d.ttlDelay)) {
			continue
		}
		r.prev, r.cur, r.writtenAt = r.cur, nil, now
	}
}

// busy is false: nothing in DynamoDB waits for the clock to finish.
func (d *dynamoState) busy() bool { return false }

// ---- tables ----

var tableNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

// table finds a table by name or ARN. Item operations require it ACTIVE:
// ResourceNotFoundException is documented for a table that "might not be
// specified correctly, or its status might not be ACTIVE".
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#API_PutItem_Errors
func (d *dynamoState) table(r *Region, name string, needActive bool) (*ddbTable, error) {
	if strings.HasPrefix(name, "arn:") {
		name = name[strings.LastIndex(name, "/")+1:]
	}
	t := d.tables[r.Name+"/"+name]
	if t == nil || (needActive && t.status != ddbtypes.TableStatusActive) {
		return nil, &ddbtypes.ResourceNotFoundException{Message: aws.String(fmt.Sprintf("Requested resource not found: Table: %s not found", name))}
	}
	return t, nil
}

func (d *dynamoState) tableByARN(arn string) *ddbTable {
	for _, t := range d.tables {
		if t.arn == arn {
			return t
		}
	}
	return nil
}

// CreateTable makes an ACTIVE table at once. On AWS a table is CREATING
// for seconds first; here tables are made by the CDK app and CreateTable
// only seeds a simulated account, where that wait would buy nothing.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html
func (d *dynamoState) createTable(r *Region, in *dynamodb.CreateTableInput) (*dynamodb.CreateTableOutput, error) {
	name := aws.ToString(in.TableName)
	if !tableNameRE.MatchString(name) {
		return nil, ddbValidation("1 validation error detected: Value '%s' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255", name)
	}
	if d.tables[r.Name+"/"+name] != nil {
		return nil, &ddbtypes.ResourceInUseException{Message: aws.String("Table already exists: " + name)}
	}
	if len(in.GlobalSecondaryIndexes) > 0 || len(in.LocalSecondaryIndexes) > 0 {
		return nil, ddbValidation("awssim does not model secondary indexes (GlobalSecondaryIndexes, LocalSecondaryIndexes)")
	}
	t := &ddbTable{
		region: r.Name, name: name, status: ddbtypes.TableStatusActive, created: d.s.now,
		arn:     fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", r.Name, d.s.accountID, name),
		id:      d.s.uuid(),
		tags:    map[string]string{},
		records: map[string]*ddbRecord{},
		billing: in.BillingMode, throughput: in.ProvisionedThroughput,
		deletionProtection: aws.ToBool(in.DeletionProtectionEnabled),
	}
	types := map[string]ddbtypes.ScalarAttributeType{}
	for _, a := range in.AttributeDefinitions {
		types[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	for _, k := range in.KeySchema {
		name := aws.ToString(k.AttributeName)
		if _, ok := types[name]; !ok {
			return nil, ddbValidation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: %v", name, sortedKeys(types))
		}
		switch k.KeyType {
		case ddbtypes.KeyTypeHash:
			if t.pk != "" {
				return nil, ddbValidation("Invalid KeySchema: Some index key attribute have no definition")
			}
			t.pk = name
		case ddbtypes.KeyTypeRange:
			if t.sk != "" {
				return nil, ddbValidation("Invalid KeySchema: Some index key attribute have no definition")
			}
			t.sk = name
		}
	}
	if t.pk == "" {
		return nil, ddbValidation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	if len(types) != len(in.KeySchema) {
		return nil, ddbValidation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	switch in.BillingMode {
	case ddbtypes.BillingModePayPerRequest:
		if in.ProvisionedThroughput != nil {
			return nil, ddbValidation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
	default:
		t.billing = ddbtypes.BillingModeProvisioned
		if in.ProvisionedThroughput == nil {
			return nil, ddbValidation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
	}
	t.keySchema = slices.Clone(in.KeySchema)
	t.attrDefs = slices.Clone(in.AttributeDefinitions)
	for _, tag := range in.Tags {
		t.tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	d.tables[r.Name+"/"+name] = t
	return &dynamodb.CreateTableOutput{TableDescription: t.describe()}, nil
}

func (t *ddbTable) describe() *ddbtypes.TableDescription {
	count, size := t.bulkItems, t.bulkBytes
	for _, r := range t.records {
		if r.cur != nil {
			count++
			size += int64(itemSize(r.cur))
		}
	}
	pt := &ddbtypes.ProvisionedThroughputDescription{ReadCapacityUnits: aws.Int64(0), WriteCapacityUnits: aws.Int64(0), NumberOfDecreasesToday: aws.Int64(0)}
	if t.throughput != nil {
		pt.ReadCapacityUnits, pt.WriteCapacityUnits = t.throughput.ReadCapacityUnits, t.throughput.WriteCapacityUnits
	}
	return &ddbtypes.TableDescription{
		TableName: aws.String(t.name), TableArn: aws.String(t.arn), TableId: aws.String(t.id),
		TableStatus: t.status, CreationDateTime: aws.Time(t.created),
		KeySchema: slices.Clone(t.keySchema), AttributeDefinitions: slices.Clone(t.attrDefs),
		ItemCount: aws.Int64(count), TableSizeBytes: aws.Int64(size),
		BillingModeSummary:        &ddbtypes.BillingModeSummary{BillingMode: t.billing},
		ProvisionedThroughput:     pt,
		DeletionProtectionEnabled: aws.Bool(t.deletionProtection),
	}
}

// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html
func (d *dynamoState) describeTable(r *Region, in *dynamodb.DescribeTableInput) (*dynamodb.DescribeTableOutput, error) {
	t, err := d.table(r, aws.ToString(in.TableName), false)
	if err != nil {
		return nil, err
	}
	return &dynamodb.DescribeTableOutput{Table: t.describe()}, nil
}

// ListTables pages by table name: names after ExclusiveStartTableName, up
// to Limit (1–100, default 100), with LastEvaluatedTableName when more
// remain.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ListTables.html
func (d *dynamoState) listTables(r *Region, in *dynamodb.ListTablesInput) (*dynamodb.ListTablesOutput, error) {
	limit := 100
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 100 {
			return nil, ddbValidation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100", *in.Limit)
		}
		limit = int(*in.Limit)
	}
	var names []string
	for _, t := range d.tables {
		if t.region == r.Name {
			names = append(names, t.name)
		}
	}
	sort.Strings(names)
	start := aws.ToString(in.ExclusiveStartTableName)
	var out dynamodb.ListTablesOutput
	for _, n := range names {
		if start != "" && n <= start {
			continue
		}
		if len(out.TableNames) == limit {
			out.LastEvaluatedTableName = aws.String(out.TableNames[limit-1])
			break
		}
		out.TableNames = append(out.TableNames, n)
	}
	if out.TableNames == nil {
		out.TableNames = []string{}
	}
	return &out, nil
}

// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TagResource.html
func (d *dynamoState) tagResource(r *Region, in *dynamodb.TagResourceInput) (*dynamodb.TagResourceOutput, error) {
	t := d.tableByARN(aws.ToString(in.ResourceArn))
	if t == nil || t.region != r.Name {
		return nil, &ddbtypes.ResourceNotFoundException{Message: aws.String("Requested resource not found: ResourcArn: " + aws.ToString(in.ResourceArn) + " not found")}
	}
	for _, tag := range in.Tags {
		t.tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	if len(t.tags) > 50 {
		return nil, &ddbtypes.LimitExceededException{Message: aws.String("The number of tags exceeds the limit of 50")}
	}
	return &dynamodb.TagResourceOutput{}, nil
}

func (d *dynamoState) untagResource(r *Region, in *dynamodb.UntagResourceInput) (*dynamodb.UntagResourceOutput, error) {
	t := d.tableByARN(aws.ToString(in.ResourceArn))
	if t == nil || t.region != r.Name {
		return nil, &ddbtypes.ResourceNotFoundException{Message: aws.String("Requested resource not found: ResourcArn: " + aws.ToString(in.ResourceArn) + " not found")}
	}
	for _, k := range in.TagKeys {
		delete(t.tags, k)
	}
	return &dynamodb.UntagResourceOutput{}, nil
}

// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ListTagsOfResource.html
func (d *dynamoState) listTagsOfResource(r *Region, in *dynamodb.ListTagsOfResourceInput) (*dynamodb.ListTagsOfResourceOutput, error) {
	t := d.tableByARN(aws.ToString(in.ResourceArn))
	if t == nil || t.region != r.Name {
		return nil, &ddbtypes.ResourceNotFoundException{Message: aws.String("Requested resource not found: ResourcArn: " + aws.ToString(in.ResourceArn) + " not found")}
	}
	out := &dynamodb.ListTagsOfResourceOutput{Tags: []ddbtypes.Tag{}}
	for _, k := range sortedKeys(t.tags) {
		out.Tags = append(out.Tags, ddbtypes.Tag{Key: aws.String(k), Value: aws.String(t.tags[k])})
	}
	return out, nil
}

// ---- point-in-time recovery ----

// earliestRestorable is the start of the recovery window: PITR's start, or
// RecoveryPeriodInDays ago, whichever is later.
func (t *ddbTable) earliestRestorable(now time.Time) time.Time {
	earliest := now.AddDate(0, 0, -int(t.pitrDays))
	if t.pitrSince.After(earliest) {
		return t.pitrSince
	}
	return earliest
}

func (t *ddbTable) latestRestorable(now time.Time) time.Time {
	if t.pitrStalled {
		return t.pitrFrozen
	}
	latest := now.Add(-pitrLag)
	if e := t.earliestRestorable(now); latest.Before(e) {
		return e
	}
	return latest
}

func (t *ddbTable) continuousBackups(now time.Time) *ddbtypes.ContinuousBackupsDescription {
	// Continuous backups are always ENABLED on a table; point-in-time
	// recovery is the part the owner turns on and off.
	// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ContinuousBackupsDescription.html
	desc := &ddbtypes.ContinuousBackupsDescription{
		ContinuousBackupsStatus:        ddbtypes.ContinuousBackupsStatusEnabled,
		PointInTimeRecoveryDescription: &ddbtypes.PointInTimeRecoveryDescription{PointInTimeRecoveryStatus: ddbtypes.PointInTimeRecoveryStatusDisabled},
	}
	if t.pitrEnabled {
		desc.PointInTimeRecoveryDescription = &ddbtypes.PointInTimeRecoveryDescription{
			PointInTimeRecoveryStatus:  ddbtypes.PointInTimeRecoveryStatusEnabled,
			RecoveryPeriodInDays:       aws.Int32(t.pitrDays),
			EarliestRestorableDateTime: aws.Time(t.earliestRestorable(now)),
			LatestRestorableDateTime:   aws.Time(t.latestRestorable(now)),
		}
	}
	return desc
}

// UpdateContinuousBackups turns point-in-time recovery on or off.
// RecoveryPeriodInDays is 1–35 and defaults to 35.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateContinuousBackups.html
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PointInTimeRecoverySpecification.html
func (d *dynamoState) updateContinuousBackups(r *Region, in *dynamodb.UpdateContinuousBackupsInput) (*dynamodb.UpdateContinuousBackupsOutput, error) {
	t, err := d.table(r, aws.ToString(in.TableName), true)
	if err != nil {
		// The documented error for this operation is TableNotFoundException.
		return nil, &ddbtypes.TableNotFoundException{Message: aws.String("Table not found: " + aws.ToString(in.TableName))}
	}
	spec := in.PointInTimeRecoverySpecification
	enable := aws.ToBool(spec.PointInTimeRecoveryEnabled)
	days := int32(35)
	if spec.RecoveryPeriodInDays != nil {
		days = *spec.RecoveryPeriodInDays
		if !enable {
			return nil, ddbValidation("RecoveryPeriodInDays can only be specified when PointInTimeRecoveryEnabled is true")
		}
		if days < 1 || days > 35 {
			return nil, ddbValidation("1 validation error detected: Value '%d' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value between 1 and 35", days)
		}
	}
	now := d.s.now
	switch {
	case enable && !t.pitrEnabled:
		t.pitrEnabled, t.pitrSince, t.pitrDays = true, now, days
	case enable:
		t.pitrDays = days
	default:
		t.pitrEnabled, t.pitrStalled = false, false
	}
	return &dynamodb.UpdateContinuousBackupsOutput{ContinuousBackupsDescription: t.continuousBackups(now)}, nil
}

// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeContinuousBackups.html
func (d *dynamoState) describeContinuousBackups(r *Region, in *dynamodb.DescribeContinuousBackupsInput) (*dynamodb.DescribeContinuousBackupsOutput, error) {
	t, err := d.table(r, aws.ToString(in.TableName), false)
	if err != nil {
		return nil, &ddbtypes.TableNotFoundException{Message: aws.String("Table not found: " + aws.ToString(in.TableName))}
	}
	return &dynamodb.DescribeContinuousBackupsOutput{ContinuousBackupsDescription: t.continuousBackups(d.s.now)}, nil
}

// ---- time to live ----

// UpdateTimeToLive enables or disables TTL on one attribute. A second
// change within an hour is refused: "It can take up to one hour for the
// change to fully process. Any additional UpdateTimeToLive calls for the
// same table during this one hour duration result in a
// ValidationException."
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html
func (d *dynamoState) updateTimeToLive(r *Region, in *dynamodb.UpdateTimeToLiveInput) (*dynamodb.UpdateTimeToLiveOutput, error) {
	t, err := d.table(r, aws.ToString(in.TableName), true)
	if err != nil {
		return nil, err
	}
	spec := in.TimeToLiveSpecification
	enable, attr := aws.ToBool(spec.Enabled), aws.ToString(spec.AttributeName)
	switch {
	case enable && t.ttlEnabled:
		return nil, ddbValidation("TimeToLive is already enabled")
	case !enable && !t.ttlEnabled:
		return nil, ddbValidation("TimeToLive is already disabled")
	case !enable && attr != t.ttlAttr:
		return nil, ddbValidation("TimeToLive is active on a different AttributeName: current AttributeName is %s", t.ttlAttr)
	case !t.ttlChanged.IsZero() && d.s.now.Sub(t.ttlChanged) < time.Hour:
		return nil, ddbValidation("Time to live has been modified multiple times within a fixed interval")
	}
	t.ttlEnabled, t.ttlAttr, t.ttlChanged = enable, attr, d.s.now
	return &dynamodb.UpdateTimeToLiveOutput{TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{
		AttributeName: aws.String(attr), Enabled: aws.Bool(enable),
	}}, nil
}

// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTimeToLive.html
func (d *dynamoState) describeTimeToLive(r *Region, in *dynamodb.DescribeTimeToLiveInput) (*dynamodb.DescribeTimeToLiveOutput, error) {
	t, err := d.table(r, aws.ToString(in.TableName), false)
	if err != nil {
		return nil, err
	}
	desc := &ddbtypes.TimeToLiveDescription{TimeToLiveStatus: ddbtypes.TimeToLiveStatusDisabled}
	if t.ttlEnabled {
		desc = &ddbtypes.TimeToLiveDescription{TimeToLiveStatus: ddbtypes.TimeToLiveStatusEnabled, AttributeName: aws.String(t.ttlAttr)}
	}
	return &dynamodb.DescribeTimeToLiveOutput{TimeToLiveDescription: desc}, nil
}
