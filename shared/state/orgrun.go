package state

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Records of an organization sweep run (pk orgrun#<run>): what its list
// task put in scope, what each account-region's sweep found, and what the
// aggregate sent, each a JSON document the org-sweep function defines.
// They are what the run's tasks hand each other through the table rather
// than through Step Functions' 256 KiB payload; they expire after
// runRecordMemory.
const (
	runPrefix       = "orgrun#"
	attrDoc         = "doc"
	runRecordMemory = 7 * 24 * time.Hour
)

// PutRunRecord writes (or replaces) the record name of run.
func (s *Store) PutRunRecord(ctx context.Context, run, name string, doc []byte) error {
	it := key(runPrefix+run, name)
	it[attrDoc] = str(string(doc))
	it[attrExpiresAt] = ttl(s.now().Add(runRecordMemory))
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: it})
	if err != nil {
		return fmt.Errorf("record %s of run %s: %w", name, run, err)
	}
	return nil
}

// RunRecords reads the records of run whose names start with prefix ("" for
// all), by name. Reads are strongly consistent: the aggregate must see
// every result its children wrote before it started.
func (s *Store) RunRecords(ctx context.Context, run, prefix string) (map[string][]byte, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(runPrefix + run), ":prefix": str(prefix)},
		ConsistentRead:            aws.Bool(true),
	}
	if prefix == "" {
		in.KeyConditionExpression = aws.String("pk = :pk")
		delete(in.ExpressionAttributeValues, ":prefix")
	}
	out := map[string][]byte{}
	now := s.now()
	err := s.queryAll(ctx, in, func(it item) {
		if name := it.str(attrSK); !it.expired(now) && strings.HasPrefix(name, prefix) {
			out[name] = []byte(it.str(attrDoc))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read the records of run %s: %w", run, err)
	}
	return out, nil
}

// OwnRun names run as the one run of the scheduled event eventID and
// returns the run that owns the event: run itself, or the run an earlier
// delivery of the same event started (EventBridge delivers at least once,
// and each delivery it makes to Step Functions starts an execution). A
// retry of the owner's own task finds itself the owner.
func (s *Store) OwnRun(ctx context.Context, eventID, run string) (string, error) {
	it := key(runPrefix+"event#"+eventID, "owner")
	it["run"] = str(run)
	it[attrExpiresAt] = ttl(s.now().Add(runRecordMemory))
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.table),
		Item:                                it,
		ConditionExpression:                 aws.String("attribute_not_exists(pk) OR #run = :run"),
		ExpressionAttributeNames:            map[string]string{"#run": "run"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":run": str(run)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		return item(ccf.Item).str("run"), nil
	}
	if err != nil {
		return "", fmt.Errorf("take event %s for run %s: %w", eventID, run, err)
	}
	return run, nil
}
