package awssim

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDB's transactional writes: TransactWriteItems.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html

const (
	// "The actions are completed atomically so that either all of them
	// succeed, or all of them fail. They are defined by the following
	// objects … up to 100 action requests."
	ddbMaxTransactItems = 100
	// "The aggregate size of the items in the transaction cannot exceed
	// 4 MB."
	ddbMaxTransactBytes = 4 << 20
)

// transactWrite is one action of a transaction, checked and decided but
// not applied.
type transactWrite struct {
	t      *ddbTable
	key    ddbItem
	item   ddbItem // the item after the action; nil deletes it
	check  bool    // a ConditionCheck: nothing is written
	failed bool    // its condition did not hold
	old    ddbItem
	mode   ddbtypes.ReturnValuesOnConditionCheckFailure
}

// TransactWriteItems applies up to 100 Put, Update, Delete and
// ConditionCheck actions all or none. Every action is checked as its
// single-item operation would be (a malformed one fails the whole request
// with a ValidationException, as does a second action on the same item:
// "Transaction request cannot include multiple operations on one item");
// then every condition is evaluated against the items as they are, and if
// any fails nothing is written and the call fails with
// TransactionCanceledException, whose CancellationReasons give each
// action's code in request order ("ConditionalCheckFailed" with the old
// item when asked for, else "None"). ClientRequestToken idempotency is not
// modelled: a retried request is applied again, which is why callers make
// their actions conditional.
func (d *dynamoState) transactWriteItems(r *Region, in *dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
	n := len(in.TransactItems)
	if n == 0 || n > ddbMaxTransactItems {
		return nil, ddbValidation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to %d and greater than or equal to 1", ddbMaxTransactItems)
	}
	writes := make([]transactWrite, 0, n)
	seen := map[string]bool{}
	size := 0
	for i, ti := range in.TransactItems {
		w, err := d.prepareTransactWrite(r, ti)
		if err != nil {
			return nil, err
		}
		id := w.t.region + "/" + w.t.name + "/" + w.t.keyString(w.key)
		if seen[id] {
			return nil, ddbValidation("Transaction request cannot include multiple operations on one item")
		}
		seen[id] = true
		if w.item != nil {
			size += itemSize(w.item)
		}
		if size > ddbMaxTransactBytes {
			return nil, ddbValidation("Transaction request cannot exceed the aggregate size of 4 MB (at action %d)", i)
		}
		writes = append(writes, w)
	}
	reasons := make([]ddbtypes.CancellationReason, n)
	var codes []string
	cancelled := false
	for i, w := range writes {
		if !w.failed {
			reasons[i] = ddbtypes.CancellationReason{Code: aws.String("None")}
			codes = append(codes, "None")
			continue
		}
		cancelled = true
		reasons[i] = ddbtypes.CancellationReason{Code: aws.String("ConditionalCheckFailed"), Message: aws.String("The conditional request failed")}
		if w.mode == ddbtypes.ReturnValuesOnConditionCheckFailureAllOld && w.old != nil {
			reasons[i].Item = cloneItem(w.old)
		}
		codes = append(codes, "ConditionalCheckFailed")
	}
	if cancelled {
		return nil, &ddbtypes.TransactionCanceledException{
			Message:             aws.String(fmt.Sprintf("Transaction cancelled, please refer cancellation reasons for specific reasons [%s]", strings.Join(codes, ", "))),
			CancellationReasons: reasons,
		}
	}
	for _, w := range writes {
		switch {
		case w.check:
		case w.item == nil:
			if rec := w.t.records[w.t.keyString(w.key)]; rec != nil && rec.cur != nil {
				rec.prev, rec.cur, rec.writtenAt = rec.cur, nil, d.s.now
			}
		default:
			d.write(w.t, w.key, w.item)
		}
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

// prepareTransactWrite checks one action as its single-item operation
// does and decides its outcome against the current item.
func (d *dynamoState) prepareTransactWrite(r *Region, ti ddbtypes.TransactWriteItem) (transactWrite, error) {
	set := 0
	for _, present := range []bool{ti.Put != nil, ti.Update != nil, ti.Delete != nil, ti.ConditionCheck != nil} {
		if present {
			set++
		}
	}
	if set != 1 {
		return transactWrite{}, ddbValidation("TransactItems can only contain one of Check, Put, Update or Delete")
	}
	var (
		table    *string
		key      ddbItem
		condExpr *string
		update   *string
		names    map[string]string
		values   map[string]ddbtypes.AttributeValue
		mode     ddbtypes.ReturnValuesOnConditionCheckFailure
	)
	switch {
	case ti.Put != nil:
		p := ti.Put
		table, condExpr, names, values, mode = p.TableName, p.ConditionExpression, p.ExpressionAttributeNames, p.ExpressionAttributeValues, p.ReturnValuesOnConditionCheckFailure
	case ti.Update != nil:
		u := ti.Update
		table, key, condExpr, update, names, values, mode = u.TableName, u.Key, u.ConditionExpression, u.UpdateExpression, u.ExpressionAttributeNames, u.ExpressionAttributeValues, u.ReturnValuesOnConditionCheckFailure
		if update == nil {
			return transactWrite{}, ddbValidation("1 validation error detected: Value null at 'transactItems.update.updateExpression' failed to satisfy constraint: Member must not be null")
		}
	case ti.Delete != nil:
		x := ti.Delete
		table, key, condExpr, names, values, mode = x.TableName, x.Key, x.ConditionExpression, x.ExpressionAttributeNames, x.ExpressionAttributeValues, x.ReturnValuesOnConditionCheckFailure
	case ti.ConditionCheck != nil:
		c := ti.ConditionCheck
		table, key, condExpr, names, values, mode = c.TableName, c.Key, c.ConditionExpression, c.ExpressionAttributeNames, c.ExpressionAttributeValues, c.ReturnValuesOnConditionCheckFailure
		if condExpr == nil {
			return transactWrite{}, ddbValidation("1 validation error detected: Value null at 'transactItems.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null")
		}
	}
	t, err := d.table(r, aws.ToString(table), true)
	if err != nil {
		return transactWrite{}, err
	}
	if ti.Put != nil {
		for _, v := range ti.Put.Item {
			if err := validateAV(v); err != nil {
				return transactWrite{}, err
			}
		}
		if key, err = t.itemKey(ti.Put.Item); err != nil {
			return transactWrite{}, err
		}
		if itemSize(ti.Put.Item) > ddbMaxItemBytes {
			return transactWrite{}, ddbValidation("Item size has exceeded the maximum allowed size")
		}
	} else if err := t.exactKey(key, ""); err != nil {
		return transactWrite{}, err
	}
	ex, cond, err := prepareCondition(condExpr, names, values, update)
	if err != nil {
		return transactWrite{}, err
	}
	var actions []updateAction
	if update != nil {
		if actions, err = parseUpdate(*update, ex); err != nil {
			return transactWrite{}, err
		}
	}
	if err := ex.checkAllUsed(); err != nil {
		return transactWrite{}, err
	}
	old := d.visible(t.records[t.keyString(key)], true)
	w := transactWrite{t: t, key: key, old: old, mode: mode, failed: cond != nil && !cond.eval(old)}
	switch {
	case ti.Put != nil:
		w.item = cloneItem(ti.Put.Item)
	case ti.Update != nil:
		base := old
		if base == nil {
			base = cloneItem(key)
		}
		if w.item, err = applyUpdate(base, actions, t.keyNames()); err != nil {
			return transactWrite{}, err
		}
		if itemSize(w.item) > ddbMaxItemBytes {
			return transactWrite{}, ddbValidation("Item size to update has exceeded the maximum allowed size")
		}
	case ti.ConditionCheck != nil:
		w.check = true
	}
	return w, nil
}
