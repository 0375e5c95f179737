package state

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// RestoreTest is what one restore test of a protected resource came to: a
// restore job an AWS Backup restore testing plan started, the validation of
// what it restored, and the recovery time and point it measured.
type RestoreTest struct {
	// ResourceARN is the protected resource the tested recovery point was
	// made of; ResourceType its CloudFormation type.
	ResourceARN  string
	ResourceType string
	RestoreJobID string
	// RecoveryPointARN was restored into CreatedResourceARN.
	RecoveryPointARN   string
	CreatedResourceARN string
	// Succeeded: the job completed and the restored resource was
	// validated. Message says why not, or what the validation saw.
	Succeeded bool
	Message   string
	// At is when the test ended: the job's completion, or for a job that
	// failed without one, the time of its event. Tests sort by it.
	At time.Time
	// JobCreated is when the restore job was created; RecoveryPointCreated
	// when the restored recovery point was.
	JobCreated           time.Time
	RecoveryPointCreated time.Time
	// ValidatedAt is when selfheal validated the restored resource (zero
	// for a test that failed before).
	ValidatedAt time.Time
	// RTO is the restore job's creation → its completion, counted once
	// the validation found the restored resource usable; RPO is
	// RecoveryPointCreated → JobCreated. Each zero when not measured.
	RTO, RPO time.Duration
	// RTOTarget and RPOTarget are the targets the test was judged by.
	RTOTarget, RPOTarget time.Duration
}

// Restore tests are kept longer than any recovery.maxUntested allows (365
// days), so the sweep never forgets a test it counts.
const restoreTestMemory = 400 * 24 * time.Hour

const (
	restorePK   = "restore"
	protectedPK = "protected"
)

// restoreSK orders tests by when they ended: fixed-width UTC time, then the
// job id (two tests may end in the same millisecond).
func restoreSK(at time.Time, jobID string) string {
	return at.UTC().Format(skTime) + "#" + jobID
}

const skTime = "2006-01-02T15:04:05.000Z"

// RecordRestoreTest records a restore test once per job: a redelivered
// event finds the first record and gets it back with created false, so the
// measurements it reports are those first made.
func (s *Store) RecordRestoreTest(ctx context.Context, t RestoreTest) (RestoreTest, bool, error) {
	it := key(s.scoped(restorePK), restoreSK(t.At, t.RestoreJobID))
	it["resource"] = str(t.ResourceARN)
	it["resourceType"] = str(t.ResourceType)
	it["restoreJob"] = str(t.RestoreJobID)
	it["recoveryPoint"] = str(t.RecoveryPointARN)
	it["createdResource"] = str(t.CreatedResourceARN)
	it["succeeded"] = boolean(t.Succeeded)
	it["message"] = str(t.Message)
	it["at"] = timestamp(t.At)
	for k, v := range map[string]time.Time{"jobCreated": t.JobCreated, "recoveryPointCreated": t.RecoveryPointCreated, "validatedAt": t.ValidatedAt} {
		if !v.IsZero() {
			it[k] = timestamp(v)
		}
	}
	for k, v := range map[string]time.Duration{"rtoMs": t.RTO, "rpoMs": t.RPO, "rtoTargetMs": t.RTOTarget, "rpoTargetMs": t.RPOTarget} {
		it[k] = num(v.Milliseconds())
	}
	it[attrExpiresAt] = ttl(t.At.Add(restoreTestMemory))
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.table),
		Item:                                it,
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		return decodeRestoreTest(ccf.Item), false, nil
	}
	if err != nil {
		return RestoreTest{}, false, fmt.Errorf("record restore test %s of %s: %w", t.RestoreJobID, t.ResourceARN, err)
	}
	return decodeRestoreTest(it), true, nil
}

// RestoreTests lists the restore tests that ended at or after since,
// oldest first.
func (s *Store) RestoreTests(ctx context.Context, since time.Time) ([]RestoreTest, error) {
	now := s.now()
	var out []RestoreTest
	err := s.queryAll(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND sk >= :since"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(s.scoped(restorePK)), ":since": str(since.UTC().Format(skTime)),
		},
		ConsistentRead: aws.Bool(true),
	}, func(it item) {
		if !it.expired(now) {
			out = append(out, decodeRestoreTest(it))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("query restore tests: %w", err)
	}
	return out, nil
}

func decodeRestoreTest(m map[string]types.AttributeValue) RestoreTest {
	it := item(m)
	if len(it) == 0 {
		return RestoreTest{}
	}
	ms := func(k string) time.Duration { return time.Duration(it.num(k)) * time.Millisecond }
	return RestoreTest{
		ResourceARN: it.str("resource"), ResourceType: it.str("resourceType"), RestoreJobID: it.str("restoreJob"),
		RecoveryPointARN: it.str("recoveryPoint"), CreatedResourceARN: it.str("createdResource"),
		Succeeded: it.bool("succeeded"), Message: it.str("message"), At: it.time("at"),
		JobCreated: it.time("jobCreated"), RecoveryPointCreated: it.time("recoveryPointCreated"), ValidatedAt: it.time("validatedAt"),
		RTO: ms("rtoMs"), RPO: ms("rpoMs"), RTOTarget: ms("rtoTargetMs"), RPOTarget: ms("rpoTargetMs"),
	}
}

// ProtectedSince lists, per protected resource ARN, since when selfheal
// knows it is protected: the earliest evidence the sweep recorded with
// MarkProtected.
func (s *Store) ProtectedSince(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := s.queryAll(ctx, s.wholePartition(s.scoped(protectedPK)), func(it item) { out[it.str(attrSK)] = it.time("since") })
	if err != nil {
		return nil, fmt.Errorf("query protected resources: %w", err)
	}
	return out, nil
}

// MarkProtected records since when a resource is known to be protected,
// unless a mark is there already (the earlier one stands). One small item
// per resource ever protected, without expiry: a recovery point outlives
// the first evidence of protection when its retention is short, and
// forgetting it would make an untested resource look new again.
func (s *Store) MarkProtected(ctx context.Context, resourceARN string, since time.Time) error {
	it := key(s.scoped(protectedPK), resourceARN)
	it["since"] = timestamp(since)
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                it,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if _, ok := isConditionFailed(err); ok {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mark %s protected: %w", resourceARN, err)
	}
	return nil
}
