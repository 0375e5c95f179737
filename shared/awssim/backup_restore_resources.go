package awssim

import (
	"fmt"
	"slices"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// What restores make: a DynamoDB table from a table backup's snapshot, an
// RDS instance or Aurora cluster from a database's, each tagged as AWS
// Backup tags what a restore test made (the key IAM policies of restore
// testing validators condition on).

// restoreTestTag marks a resource a restore test made; its value is the
// restore job's id.
const restoreTestTag = "awsbackup-restore-test"

// ddbSnapshot is what a DynamoDB table's recovery point holds: its key
// schema and items, and the data the sim holds as a size only (see
// SetDynamoDBTableData).
type ddbSnapshot struct {
	keySchema            []ddbtypes.KeySchemaElement
	attrDefs             []ddbtypes.AttributeDefinition
	items                []ddbItem
	bulkBytes, bulkItems int64
}

// snapshotTable captures a table as a backup of it holds it.
func (d *dynamoState) snapshotTable(region, name string) *ddbSnapshot {
	t := d.tables[region+"/"+name]
	if t == nil {
		return nil
	}
	s := &ddbSnapshot{
		keySchema: slices.Clone(t.keySchema), attrDefs: slices.Clone(t.attrDefs),
		bulkBytes: t.bulkBytes, bulkItems: t.bulkItems,
	}
	for _, r := range t.sortedRecords() {
		if r.cur != nil {
			s.items = append(s.items, cloneItem(r.cur))
		}
	}
	return s
}

// emptied is the snapshot of a restore gone wrong: the table's shape
// without its data.
func (s *ddbSnapshot) emptied() *ddbSnapshot {
	if s == nil {
		return &ddbSnapshot{
			keySchema: []ddbtypes.KeySchemaElement{{AttributeName: strPtr("pk"), KeyType: ddbtypes.KeyTypeHash}},
			attrDefs:  []ddbtypes.AttributeDefinition{{AttributeName: strPtr("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		}
	}
	return &ddbSnapshot{keySchema: s.keySchema, attrDefs: s.attrDefs}
}

func strPtr(s string) *string { return &s }

// restoreTable makes an ACTIVE table holding a snapshot's items, as
// restoring a DynamoDB backup does ("a new table").
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Restore.Tutorial.html
func (d *dynamoState) restoreTable(region, name string, snap *ddbSnapshot, jobID string) *ddbTable {
	t := &ddbTable{
		region: region, name: name, status: ddbtypes.TableStatusActive, created: d.s.now,
		arn:       fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, d.s.accountID, name),
		id:        d.s.uuid(),
		tags:      map[string]string{restoreTestTag: jobID},
		records:   map[string]*ddbRecord{},
		billing:   ddbtypes.BillingModePayPerRequest,
		keySchema: slices.Clone(snap.keySchema), attrDefs: slices.Clone(snap.attrDefs),
		bulkBytes: snap.bulkBytes, bulkItems: snap.bulkItems,
	}
	for _, k := range t.keySchema {
		switch k.KeyType {
		case ddbtypes.KeyTypeHash:
			t.pk = *k.AttributeName
		case ddbtypes.KeyTypeRange:
			t.sk = *k.AttributeName
		}
	}
	for _, it := range snap.items {
		key := ddbItem{t.pk: it[t.pk]}
		if t.sk != "" {
			key[t.sk] = it[t.sk]
		}
		d.write(t, key, it)
	}
	d.tables[region+"/"+name] = t
	return t
}

// SetDynamoDBTableData makes a table hold bytes and items of data besides
// the items written through the API: a large table, whose size drives how
// long its backups' restores take, without holding its items.
func (s *Sim) SetDynamoDBTableData(region, table string, bytes, items int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ddb.tables[region+"/"+table]
	if t == nil {
		return fmt.Errorf("awssim: no DynamoDB table %s in %s", table, region)
	}
	if bytes < 0 || items < 0 {
		return fmt.Errorf("awssim: negative table data")
	}
	t.bulkBytes, t.bulkItems = bytes, items
	return nil
}

// restoreInstance makes an available RDS instance from a snapshot of the
// source instance; broken leaves it in incompatible-restore ("Amazon RDS
// can't restore the DB instance").
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status
func (x *rdsState) restoreInstance(region, name, sourceArn string, broken bool, jobID string) string {
	src := x.instances[region+"/"+resourceNameOf(sourceArn)]
	inst := &rdsInstance{
		region: region, id: name, arn: fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", region, x.s.accountID, name),
		resourceID: x.resourceID("db-"), class: "db.t4g.medium", engine: "postgres", status: "available",
		created: x.s.now, statusSince: x.s.now, tags: map[string]string{restoreTestTag: jobID},
	}
	if src != nil {
		inst.class, inst.engine, inst.version, inst.encrypted, inst.kmsKey = src.class, src.engine, src.version, src.encrypted, src.kmsKey
		inst.backupWindow, inst.maintWindow, inst.az = src.backupWindow, src.maintWindow, src.az
	}
	if inst.version == "" {
		inst.version = x.defaultVersion(inst.engine)
	}
	if broken {
		inst.status = "incompatible-restore"
	}
	inst.endpoint = fmt.Sprintf("%s.%s.%s.rds.amazonaws.com", name, x.s.nextID("c", 11), region)
	x.instances[region+"/"+name] = inst
	return inst.arn
}

// restoreCluster makes an available Aurora cluster from a snapshot of the
// source cluster; broken leaves it in incompatible-restore.
func (x *rdsState) restoreCluster(region, name, sourceArn string, broken bool, jobID string) string {
	src := x.clusters[region+"/"+resourceNameOf(sourceArn)]
	c := &rdsCluster{
		region: region, id: name, arn: fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s", region, x.s.accountID, name),
		resourceID: x.resourceID("cluster-"), engine: "aurora-postgresql", status: "available",
		created: x.s.now, statusSince: x.s.now, tags: map[string]string{restoreTestTag: jobID},
	}
	if src != nil {
		c.engine, c.version, c.encrypted, c.kmsKey, c.azs = src.engine, src.version, src.encrypted, src.kmsKey, slices.Clone(src.azs)
		c.backupWindow, c.maintWindow = src.backupWindow, src.maintWindow
	}
	if c.version == "" {
		c.version = x.defaultVersion(c.engine)
	}
	if broken {
		c.status = "incompatible-restore"
	}
	c.backups.retention = 1
	c.endpoint = fmt.Sprintf("%s.cluster-%s.%s.rds.amazonaws.com", name, x.s.nextID("c", 11), region)
	x.clusters[region+"/"+name] = c
	return c.arn
}
