package awssim

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDB's batch reads: BatchGetItem.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html

const (
	// "If you request more than 100 items, BatchGetItem returns a
	// ValidationException with the message "Too many items requested for
	// the BatchGetItem call.""
	ddbMaxBatchGetKeys = 100
	// "A single operation can retrieve up to 16 MB of data"; beyond it the
	// rest of the keys come back as UnprocessedKeys.
	ddbMaxBatchGetBytes = 16 << 20
)

// SetDynamoDBUnprocessedKeys makes BatchGetItem leave each requested key
// unprocessed with probability p (0–1), drawn from the sim's seeded
// generator, as DynamoDB does when a table's throughput is exceeded, a
// partition is asked for more than 1 MB or a read fails inside the
// service: the call succeeds and returns those keys in UnprocessedKeys
// for the caller to retry. When no key of a call is processed, the call
// fails with ProvisionedThroughputExceededException, which the SDK
// retries, as AWS does when "none of the items can be processed". The
// default, 0, processes every key up to the 16 MB response limit.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
func (s *Sim) SetDynamoDBUnprocessedKeys(p float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ddb.unprocessed = min(max(p, 0), 1)
}

// batchGetTable is one table's part of a BatchGetItem request, checked.
type batchGetTable struct {
	name string // as the request named it: UnprocessedKeys answer in kind
	t    *ddbTable
	in   ddbtypes.KeysAndAttributes
	proj []docPath
}

// BatchGetItem reads up to 100 items by key from one or more tables, each
// as GetItem would (projection, consistency), in no particular order. What
// the call could not read — beyond 16 MB of response, or keys the sim was
// told to leave unprocessed — comes back in UnprocessedKeys, in the same
// form as RequestItems. A request of more than 100 keys, a key given twice
// ("Provided list of item keys contains duplicates", as AWS answers
// although the page does not list it), a table named twice (by name and by
// ARN) or a key that does not match the schema is a ValidationException.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
func (d *dynamoState) batchGetItem(r *Region, in *dynamodb.BatchGetItemInput) (*dynamodb.BatchGetItemOutput, error) {
	if len(in.RequestItems) == 0 {
		return nil, ddbValidation("1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	total := 0
	for _, ka := range in.RequestItems {
		total += len(ka.Keys)
	}
	if total > ddbMaxBatchGetKeys {
		return nil, ddbValidation("Too many items requested for the BatchGetItem call")
	}
	tables, err := d.batchGetTables(r, in.RequestItems)
	if err != nil {
		return nil, err
	}

	out := &dynamodb.BatchGetItemOutput{
		Responses:       map[string][]map[string]ddbtypes.AttributeValue{},
		UnprocessedKeys: map[string]ddbtypes.KeysAndAttributes{},
	}
	processed, size := 0, 0
	for _, bt := range tables {
		consistent := aws.ToBool(bt.in.ConsistentRead)
		// Keys in the table's key order, not the request's: DynamoDB "does
		// not return items in any particular order".
		keys := slices.Clone(bt.in.Keys)
		slices.SortFunc(keys, bt.t.compareKeys)
		items := []ddbItem{}
		var left []ddbItem
		for _, k := range keys {
			if d.unprocessed > 0 && d.s.rng.Float64() < d.unprocessed {
				left = append(left, cloneItem(k))
				continue
			}
			item := d.visible(bt.t.records[bt.t.keyString(k)], consistent)
			switch {
			case item == nil:
			case bt.proj != nil:
				item = project(item, bt.proj)
			default:
				item = cloneItem(item)
			}
			n := itemSize(item)
			if size+n > ddbMaxBatchGetBytes {
				left = append(left, cloneItem(k))
				continue
			}
			size += n
			processed++
			if item != nil {
				items = append(items, item)
			}
		}
		if len(left) < len(keys) {
			out.Responses[bt.name] = items
		}
		if len(left) > 0 {
			ka := bt.in
			ka.Keys = left
			out.UnprocessedKeys[bt.name] = ka
		}
	}
	if processed == 0 {
		// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html:
		// "If none of the items can be processed due to insufficient
		// provisioned throughput on all of the tables in the request, then
		// BatchGetItem returns a ProvisionedThroughputExceededException."
		return nil, &ddbtypes.ProvisionedThroughputExceededException{Message: aws.String(
			"The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.")}
	}
	return out, nil
}

// batchGetTables checks every table's part of a request before anything
// is read, as AWS refuses a request as a whole.
func (d *dynamoState) batchGetTables(r *Region, req map[string]ddbtypes.KeysAndAttributes) ([]batchGetTable, error) {
	seen := map[*ddbTable]bool{}
	var out []batchGetTable
	for _, name := range sortedKeys(req) {
		ka := req[name]
		t, err := d.table(r, name, true)
		if err != nil {
			return nil, err
		}
		if seen[t] {
			// "Each table name or ARN can be used only once per BatchGetItem request."
			return nil, ddbValidation("Provided list of tables contains duplicates: %s", t.name)
		}
		seen[t] = true
		if err := refuseLegacy(map[string]bool{"AttributesToGet": len(ka.AttributesToGet) > 0}); err != nil {
			return nil, err
		}
		if len(ka.Keys) == 0 {
			return nil, ddbValidation("1 validation error detected: Value '[]' at 'requestItems.%s.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1", name)
		}
		keys := map[string]bool{}
		for _, k := range ka.Keys {
			if err := t.exactKey(k, ""); err != nil {
				return nil, err
			}
			ks := t.keyString(k)
			if keys[ks] {
				return nil, ddbValidation("Provided list of item keys contains duplicates")
			}
			keys[ks] = true
		}
		bt := batchGetTable{name: name, t: t, in: ka}
		ex := newExprInput(ka.ExpressionAttributeNames, nil)
		if ka.ProjectionExpression != nil {
			if bt.proj, err = parseProjection(*ka.ProjectionExpression, ex); err != nil {
				return nil, err
			}
		} else if len(ka.ExpressionAttributeNames) > 0 {
			return nil, ddbValidation("ExpressionAttributeNames can only be specified when using expressions")
		}
		if err := ex.checkAllUsed(); err != nil {
			return nil, err
		}
		out = append(out, bt)
	}
	return out, nil
}
