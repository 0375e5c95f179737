package awssim

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDB's item API: PutItem, GetItem, UpdateItem, DeleteItem, Query and
// Scan, with expressions only. The legacy parameters (Expected,
// AttributeUpdates, KeyConditions, QueryFilter, ScanFilter,
// AttributesToGet, ConditionalOperator) are refused by name.

const (
	ddbMaxItemBytes = 400 * 1024 // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items
	ddbMaxPageBytes = 1 << 20    // Query and Scan stop at 1 MB: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html
)

func refuseLegacy(params map[string]bool) error {
	for _, name := range sortedKeys(params) {
		if params[name] {
			return ddbValidation("awssim does not model the legacy parameter %s; use expressions", name)
		}
	}
	return nil
}

// ---- keys ----

func (t *ddbTable) keyNames() []string {
	if t.sk == "" {
		return []string{t.pk}
	}
	return []string{t.pk, t.sk}
}

func (t *ddbTable) keyType(name string) ddbtypes.ScalarAttributeType {
	for _, a := range t.attrDefs {
		if aws.ToString(a.AttributeName) == name {
			return a.AttributeType
		}
	}
	return ""
}

// checkKeyAttr checks one key attribute's type and emptiness.
func (t *ddbTable) checkKeyAttr(name string, v ddbtypes.AttributeValue) error {
	want := string(t.keyType(name))
	if got := avType(v); got != want {
		return ddbValidation("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", name, want, got)
	}
	empty := false
	switch x := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		empty = x.Value == ""
	case *ddbtypes.AttributeValueMemberB:
		empty = len(x.Value) == 0
	}
	if empty {
		return ddbValidation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: %s", name)
	}
	return validateAV(v)
}

// itemKey extracts and checks the key of a whole item (PutItem).
func (t *ddbTable) itemKey(item ddbItem) (ddbItem, error) {
	key := ddbItem{}
	for _, name := range t.keyNames() {
		v, ok := item[name]
		if !ok {
			return nil, ddbValidation("One or more parameter values were invalid: Missing the key %s in the item", name)
		}
		if err := t.checkKeyAttr(name, v); err != nil {
			return nil, err
		}
		key[name] = v
	}
	return key, nil
}

// exactKey checks a Key parameter: exactly the key attributes.
func (t *ddbTable) exactKey(key ddbItem, what string) error {
	names := t.keyNames()
	if len(key) != len(names) {
		return ddbValidation("%sThe provided key element does not match the schema", what)
	}
	for _, name := range names {
		v, ok := key[name]
		if !ok {
			return ddbValidation("%sThe provided key element does not match the schema", what)
		}
		if err := t.checkKeyAttr(name, v); err != nil {
			return ddbValidation("%sThe provided key element does not match the schema", what)
		}
	}
	return nil
}

func (t *ddbTable) keyString(item ddbItem) string {
	var b strings.Builder
	for _, name := range t.keyNames() {
		v := item[name]
		var s string
		switch x := v.(type) {
		case *ddbtypes.AttributeValueMemberS:
			s = x.Value
		case *ddbtypes.AttributeValueMemberN:
			s = normNumber(x.Value)
		case *ddbtypes.AttributeValueMemberB:
			s = string(x.Value)
		}
		fmt.Fprintf(&b, "%s%d:%s|", avType(v), len(s), s)
	}
	return b.String()
}

// compareKeys orders items by partition key, then sort key.
func (t *ddbTable) compareKeys(a, b ddbItem) int {
	for _, name := range t.keyNames() {
		if c, _ := compareValues(a[name], b[name]); c != 0 {
			return c
		}
	}
	return 0
}

// sortedRecords returns the records in key order, sorting only after a key
// was added or removed.
func (t *ddbTable) sortedRecords() []*ddbRecord {
	if t.ordered == nil {
		t.ordered = make([]*ddbRecord, 0, len(t.records))
		for _, r := range t.records {
			t.ordered = append(t.ordered, r)
		}
		slices.SortFunc(t.ordered, func(a, b *ddbRecord) int { return t.compareKeys(a.key, b.key) })
	}
	return slices.Clone(t.ordered)
}

// visible is what a read sees of a record: the current item, or for an
// eventually consistent read soon after a write, the item before it.
func (d *dynamoState) visible(r *ddbRecord, consistent bool) ddbItem {
	if r == nil {
		return nil
	}
	if consistent || d.readLag == 0 || d.s.now.Sub(r.writtenAt) >= d.readLag {
		return r.cur
	}
	return r.prev
}

func (d *dynamoState) write(t *ddbTable, key ddbItem, item ddbItem) {
	ks := t.keyString(key)
	r := t.records[ks]
	if r == nil {
		r = &ddbRecord{key: cloneItem(key)}
		t.records[ks] = r
		t.ordered = nil
	}
	r.prev, r.cur, r.writtenAt = r.cur, cloneItem(item), d.s.now
}

// ---- request plumbing ----

// prepareCondition parses a write's condition and checks the placeholders.
func prepareCondition(expr *string, names map[string]string, values map[string]ddbtypes.AttributeValue, update *string) (*exprInput, *condition, error) {
	if expr == nil && update == nil {
		if len(names) > 0 {
			return nil, nil, ddbValidation("ExpressionAttributeNames can only be specified when using expressions")
		}
		if len(values) > 0 {
			return nil, nil, ddbValidation("ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null")
		}
	}
	for _, v := range values {
		if err := validateAV(v); err != nil {
			return nil, nil, err
		}
	}
	in := newExprInput(names, values)
	var c *condition
	if expr != nil {
		var err error
		if c, err = parseCondition(exprCondition, *expr, in); err != nil {
			return nil, nil, err
		}
	}
	return in, c, nil
}

func conditionFailed(old ddbItem, mode ddbtypes.ReturnValuesOnConditionCheckFailure) error {
	err := &ddbtypes.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	if mode == ddbtypes.ReturnValuesOnConditionCheckFailureAllOld && old != nil {
		err.Item = cloneItem(old)
	}
	return err
}

func checkReturnValues(rv ddbtypes.ReturnValue, allowed ...ddbtypes.ReturnValue) error {
	if rv == "" || rv == ddbtypes.ReturnValueNone || slices.Contains(allowed, rv) {
		return nil
	}
	return ddbValidation("Return values set to invalid value")
}

// ---- PutItem ----

// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html
func (d *dynamoState) putItem(r *Region, in *dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error) {
	t, err := d.table(r, aws.ToString(in.TableName), true)
	if err != nil {
		return nil, err
	}
	if err := refuseLegacy(map[string]bool{"Expected": len(in.Expected) > 0, "ConditionalOperator": in.ConditionalOperator != ""}); err != nil {
		return nil, err
	}
	if err := checkReturnValues(in.ReturnValues, ddbtypes.ReturnValueAllOld); err != nil {
		return nil, err
	}
	for _, v := range in.Item {
		if err := validateAV(v); err != nil {
			return nil, err
		}
	}
	key, err := t.itemKey(in.Item)
	if err != nil {
		return nil, err
	}
	if itemSize(in.Item) > ddbMaxItemBytes {
		return nil, ddbValidation("Item size has exceeded the maximum allowed size")
	}
	ex, cond, err := prepareCondition(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues, nil)
	if err != nil {
		return nil, err
	}
	if err := ex.checkAllUsed(); err != nil {
		return nil, err
	}
	old := d.visible(t.records[t.keyString(key)], true)
	if cond != nil && !cond.eval(old) {
		return nil, conditionFailed(old, in.ReturnValuesOnConditionCheckFailure)
	}
	d.write(t, key, in.Item)
	out := &dynamodb.PutItemOutput{}
	if in.ReturnValues == ddbtypes.ReturnValueAllOld && old != nil {
		out.Attributes = cloneItem(old)
	}
	return out, nil
}

// ---- GetItem ----

// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html
func (d *dynamoState) getItem(r *Region, in *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
	t, err := d.table(r, aws.ToString(in.TableName), true)
	if err != nil {
		return nil, err
	}
	if err := refuseLegacy(map[string]bool{"AttributesToGet": len(in.AttributesToGet) > 0}); err != nil {
		return nil, err
	}
	if err := t.exactKey(in.Key, ""); err != nil {
		return nil, err
	}
	ex := newExprInput(in.ExpressionAttributeNames, nil)
	var proj []docPath
	if in.ProjectionExpression != nil {
		if proj, err = parseProjection(*in.ProjectionExpression, ex); err != nil {
			return nil, err
		}
	} else if len(in.ExpressionAttributeNames) > 0 {
		return nil, ddbValidation("ExpressionAttributeNames can only be specified when using expressions")
	}
	if err := ex.checkAllUsed(); err != nil {
		return nil, err
	}
	item := d.visible(t.records[t.keyString(in.Key)], aws.ToBool(in.ConsistentRead))
	out := &dynamodb.GetItemOutput{}
	if item != nil {
		if proj != nil {
			out.Item = project(item, proj)
		} else {
			out.Item = cloneItem(item)
		}
	}
	return out, nil
}

// ---- UpdateItem ----

// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
func (d *dynamoState) updateItem(r *Region, in *dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
	t, err := d.table(r, aws.ToString(in.TableName), true)
	if err != nil {
		return nil, err
	}
	if err := refuseLegacy(map[string]bool{"Expected": len(in.Expected) > 0, "AttributeUpdates": len(in.AttributeUpdates) > 0,
		"ConditionalOperator": in.ConditionalOperator != ""}); err != nil {
		return nil, err
	}
	if err := checkReturnValues(in.ReturnValues, ddbtypes.ReturnValueAllOld, ddbtypes.ReturnValueAllNew,
		ddbtypes.ReturnValueUpdatedOld, ddbtypes.ReturnValueUpdatedNew); err != nil {
		return nil, err
	}
	if err := t.exactKey(in.Key, ""); err != nil {
		return nil, err
	}
	ex, cond, err := prepareCondition(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues, in.UpdateExpression)
	if err != nil {
		return nil, err
	}
	var actions []updateAction
	if in.UpdateExpression != nil {
		if actions, err = parseUpdate(*in.UpdateExpression, ex); err != nil {
			return nil, err
		}
	}
	if err := ex.checkAllUsed(); err != nil {
		return nil, err
	}
	old := d.visible(t.records[t.keyString(in.Key)], true)
	if cond != nil && !cond.eval(old) {
		return nil, conditionFailed(old, in.ReturnValuesOnConditionCheckFailure)
	}
	base := old
	if base == nil {
		base = cloneItem(in.Key)
	}
	item, err := applyUpdate(base, actions, t.keyNames())
	if err != nil {
		return nil, err
	}
	for _, v := range item {
		if err := validateAV(v); err != nil {
			return nil, err
		}
	}
	if itemSize(item) > ddbMaxItemBytes {
		return nil, ddbValidation("Item size to update has exceeded the maximum allowed size")
	}
	d.write(t, in.Key, item)

	out := &dynamodb.UpdateItemOutput{}
	var touched []docPath
	for _, a := range actions {
		touched = append(touched, a.path)
	}
	switch in.ReturnValues {
	case ddbtypes.ReturnValueAllOld:
		out.Attributes = cloneItem(old)
	case ddbtypes.ReturnValueAllNew:
		out.Attributes = cloneItem(item)
	case ddbtypes.ReturnValueUpdatedOld:
		if old != nil {
			out.Attributes = project(old, touched)
		}
	case ddbtypes.ReturnValueUpdatedNew:
		out.Attributes = project(item, touched)
	}
	return out, nil
}

// ---- DeleteItem ----

// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteItem.html
func (d *dynamoState) deleteItem(r *Region, in *dynamodb.DeleteItemInput) (*dynamodb.DeleteItemOutput, error) {
	t, err := d.table(r, aws.ToString(in.TableName), true)
	if err != nil {
		return nil, err
	}
	if err := refuseLegacy(map[string]bool{"Expected": len(in.Expected) > 0, "ConditionalOperator": in.ConditionalOperator != ""}); err != nil {
		return nil, err
	}
	if err := checkReturnValues(in.ReturnValues, ddbtypes.ReturnValueAllOld); err != nil {
		return nil, err
	}
	if err := t.exactKey(in.Key, ""); err != nil {
		return nil, err
	}
	ex, cond, err := prepareCondition(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues, nil)
	if err != nil {
		return nil, err
	}
	if err := ex.checkAllUsed(); err != nil {
		return nil, err
	}
	rec := t.records[t.keyString(in.Key)]
	old := d.visible(rec, true)
	if cond != nil && !cond.eval(old) {
		return nil, conditionFailed(old, in.ReturnValuesOnConditionCheckFailure)
	}
	out := &dynamodb.DeleteItemOutput{}
	if old != nil {
		rec.prev, rec.cur, rec.writtenAt = rec.cur, nil, d.s.now
		if in.ReturnValues == ddbtypes.ReturnValueAllOld {
			out.Attributes = cloneItem(old)
		}
	}
	return out, nil
}

// ---- Query and Scan ----

type readPage struct {
	items   []ddbItem
	count   int32
	scanned int32
	lek     ddbItem
}

type readSpec struct {
	consistent bool
	start      ddbItem
	limit      int
	filter     *condition
	proj       []docPath
	countOnly  bool
	descending bool
}

// readPlan parses what Query and Scan share: filter, projection, Select,
// Limit and ExclusiveStartKey.
func (d *dynamoState) readPlan(t *ddbTable, ex *exprInput, filter, projection *string, sel ddbtypes.Select,
	limit *int32, start ddbItem, consistent *bool) (readSpec, error) {
	spec := readSpec{consistent: aws.ToBool(consistent), start: start}
	var err error
	if filter != nil {
		if spec.filter, err = parseCondition(exprFilter, *filter, ex); err != nil {
			return spec, err
		}
	}
	if projection != nil {
		if spec.proj, err = parseProjection(*projection, ex); err != nil {
			return spec, err
		}
	}
	switch sel {
	case "", ddbtypes.SelectAllAttributes:
		if spec.proj != nil && sel == ddbtypes.SelectAllAttributes {
			return spec, ddbValidation("Cannot specify the AttributesToGet or ProjectionExpression when choosing to get ALL_ATTRIBUTES")
		}
	case ddbtypes.SelectCount:
		if spec.proj != nil {
			return spec, ddbValidation("Cannot specify the AttributesToGet or ProjectionExpression when choosing to get COUNT")
		}
		spec.countOnly = true
	case ddbtypes.SelectSpecificAttributes:
		if spec.proj == nil {
			return spec, ddbValidation("Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
		}
	case ddbtypes.SelectAllProjectedAttributes:
		return spec, ddbValidation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
	default:
		return spec, ddbValidation("1 validation error detected: Value '%s' at 'select' failed to satisfy constraint", sel)
	}
	if limit != nil {
		if *limit < 1 {
			return spec, ddbValidation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *limit)
		}
		spec.limit = int(*limit)
	}
	if start != nil {
		if err := t.exactKey(start, "The provided starting key is invalid: "); err != nil {
			return spec, err
		}
	}
	return spec, nil
}

// run evaluates records in order: Limit counts items read before the
// filter, and a page that stops at Limit (or at 1 MB) carries
// LastEvaluatedKey, even when nothing is left after it.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html
func (d *dynamoState) run(t *ddbTable, recs []*ddbRecord, spec readSpec, match func(ddbItem) bool) readPage {
	var pg readPage
	i := 0
	if spec.start != nil {
		// Resume after the start key in the direction of the read; the key
		// itself need not exist any more.
		for i < len(recs) {
			c := t.compareKeys(recs[i].key, spec.start)
			if spec.descending {
				c = -c
			}
			if c > 0 {
				break
			}
			i++
		}
	}
	bytesRead := 0
	for ; i < len(recs); i++ {
		item := d.visible(recs[i], spec.consistent)
		if item == nil || !match(item) {
			continue
		}
		pg.scanned++
		bytesRead += itemSize(item)
		if spec.filter == nil || spec.filter.eval(item) {
			pg.count++
			if !spec.countOnly {
				if spec.proj != nil {
					pg.items = append(pg.items, project(item, spec.proj))
				} else {
					pg.items = append(pg.items, cloneItem(item))
				}
			}
		}
		if (spec.limit > 0 && int(pg.scanned) == spec.limit) || bytesRead >= ddbMaxPageBytes {
			pg.lek = cloneItem(recs[i].key)
			break
		}
	}
	if pg.items == nil && !spec.countOnly {
		pg.items = []ddbItem{}
	}
	return pg
}

// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html
func (d *dynamoState) query(r *Region, in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
	t, err := d.table(r, aws.ToString(in.TableName), true)
	if err != nil {
		return nil, err
	}
	if err := refuseLegacy(map[string]bool{"KeyConditions": len(in.KeyConditions) > 0, "QueryFilter": len(in.QueryFilter) > 0,
		"AttributesToGet": len(in.AttributesToGet) > 0, "ConditionalOperator": in.ConditionalOperator != ""}); err != nil {
		return nil, err
	}
	if in.IndexName != nil {
		return nil, ddbValidation("The table does not have the specified index: %s", *in.IndexName)
	}
	if in.KeyConditionExpression == nil {
		return nil, ddbValidation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	for _, v := range in.ExpressionAttributeValues {
		if err := validateAV(v); err != nil {
			return nil, err
		}
	}
	ex := newExprInput(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	kc, err := parseKeyCondition(*in.KeyConditionExpression, ex, t.pk, t.sk)
	if err != nil {
		return nil, err
	}
	if err := t.checkKeyAttr(t.pk, kc.partition); err != nil {
		return nil, ddbValidation("One or more parameter values were invalid: Condition parameter type does not match schema type")
	}
	spec, err := d.readPlan(t, ex, in.FilterExpression, in.ProjectionExpression, in.Select, in.Limit, in.ExclusiveStartKey, in.ConsistentRead)
	if err != nil {
		return nil, err
	}
	if spec.filter != nil {
		if name, ok := referencesAny(spec.filter, t.keyNames()); ok {
			return nil, ddbValidation("Filter Expression can only contain non-primary key attributes: Primary key attribute: %s", name)
		}
	}
	if err := ex.checkAllUsed(); err != nil {
		return nil, err
	}
	spec.descending = in.ScanIndexForward != nil && !*in.ScanIndexForward
	recs := t.sortedRecords()
	if spec.descending {
		slices.Reverse(recs)
	}
	pg := d.run(t, recs, spec, func(item ddbItem) bool {
		return equalAV(item[t.pk], kc.partition) && (kc.sort == nil || kc.sort.eval(item))
	})
	return &dynamodb.QueryOutput{Items: pg.items, Count: pg.count, ScannedCount: pg.scanned, LastEvaluatedKey: pg.lek}, nil
}

func referencesAny(c *condition, names []string) (string, bool) {
	for _, o := range c.operands {
		for _, p := range operandPaths(o) {
			if contains(names, p[0].name) {
				return p[0].name, true
			}
		}
	}
	for _, sub := range c.sub {
		if n, ok := referencesAny(sub, names); ok {
			return n, true
		}
	}
	return "", false
}

func operandPaths(o *operand) []docPath {
	if o.kind == opPath {
		return []docPath{o.path}
	}
	var out []docPath
	for _, a := range o.args {
		out = append(out, operandPaths(a)...)
	}
	return out
}

// Scan reads the table in key order (DynamoDB's order is by partition-key
// hash; any fixed order is as good for callers that must not rely on it).
// Parallel scans split the keys by a hash of the partition key.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Scan.html
func (d *dynamoState) scan(r *Region, in *dynamodb.ScanInput) (*dynamodb.ScanOutput, error) {
	t, err := d.table(r, aws.ToString(in.TableName), true)
	if err != nil {
		return nil, err
	}
	if err := refuseLegacy(map[string]bool{"ScanFilter": len(in.ScanFilter) > 0, "AttributesToGet": len(in.AttributesToGet) > 0,
		"ConditionalOperator": in.ConditionalOperator != ""}); err != nil {
		return nil, err
	}
	if in.IndexName != nil {
		return nil, ddbValidation("The table does not have the specified index: %s", *in.IndexName)
	}
	segment, total := -1, 0
	if (in.Segment == nil) != (in.TotalSegments == nil) {
		return nil, ddbValidation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
	}
	if in.TotalSegments != nil {
		segment, total = int(*in.Segment), int(*in.TotalSegments)
		if total < 1 || total > 1000000 || segment < 0 || segment >= total {
			return nil, ddbValidation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", segment, total)
		}
	}
	for _, v := range in.ExpressionAttributeValues {
		if err := validateAV(v); err != nil {
			return nil, err
		}
	}
	ex := newExprInput(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	spec, err := d.readPlan(t, ex, in.FilterExpression, in.ProjectionExpression, in.Select, in.Limit, in.ExclusiveStartKey, in.ConsistentRead)
	if err != nil {
		return nil, err
	}
	if err := ex.checkAllUsed(); err != nil {
		return nil, err
	}
	pg := d.run(t, t.sortedRecords(), spec, func(item ddbItem) bool {
		if total == 0 {
			return true
		}
		h := fnv.New32a()
		h.Write([]byte(t.keyString(ddbItem{t.pk: item[t.pk]})))
		return int(h.Sum32()%uint32(total)) == segment
	})
	return &dynamodb.ScanOutput{Items: pg.items, Count: pg.count, ScannedCount: pg.scanned, LastEvaluatedKey: pg.lek}, nil
}
