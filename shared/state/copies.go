package state

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// CopyStatus is where an expected cross-region copy stands.
type CopyStatus string

// Expected copy statuses.
const (
	CopyOpen      CopyStatus = "OPEN"      // recorded, not yet seen complete or fail
	CopyCompleted CopyStatus = "COMPLETED" // a copy job to the expected vault completed
	CopyFailed    CopyStatus = "FAILED"    // a copy job to the expected vault failed
	CopyOverdue   CopyStatus = "OVERDUE"   // the deadline passed while open (reported once)
)

// ExpectedCopy is a cross-region copy a completed backup job should lead
// to, by a deadline.
type ExpectedCopy struct {
	SourceRecoveryPointARN   string
	DestinationVaultARN      string
	ResourceARN              string
	BackupJobID              string
	BackedUpAt               time.Time // when the backup job completed: the deadline counts from it
	Deadline                 time.Time
	RecordedAt               time.Time
	Status                   CopyStatus
	CopyJobID                string // the job that closed it, if any
	DestinationRecoveryPoint string
	ClosedAt                 time.Time
}

// A closed copy is remembered long enough that a late or repeated event
// cannot reopen it.
const closedCopyMemory = 30 * 24 * time.Hour

const copyPK = "copy"

func copySK(sourceRP, destVault string) string { return sourceRP + "|" + destVault }

// ExpectCopy records an expected copy. It changes nothing when the copy is
// already recorded — open, or already closed by a copy event that arrived
// first (EventBridge does not order events) — and reports what is there.
func (s *Store) ExpectCopy(ctx context.Context, c ExpectedCopy) (ExpectedCopy, error) {
	it := key(s.scoped(copyPK), copySK(c.SourceRecoveryPointARN, c.DestinationVaultARN))
	it["sourceRecoveryPoint"] = str(c.SourceRecoveryPointARN)
	it["destinationVault"] = str(c.DestinationVaultARN)
	it["resource"] = str(c.ResourceARN)
	it["backupJob"] = str(c.BackupJobID)
	it["deadline"] = timestamp(c.Deadline)
	if !c.BackedUpAt.IsZero() {
		it["backedUpAt"] = timestamp(c.BackedUpAt)
	}
	it["recordedAt"] = timestamp(s.now())
	it["status"] = str(string(CopyOpen))
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.table),
		Item:                                it,
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		return decodeCopy(ccf.Item), nil
	}
	if err != nil {
		return ExpectedCopy{}, fmt.Errorf("record expected copy of %s: %w", c.SourceRecoveryPointARN, err)
	}
	return decodeCopy(it), nil
}

// CloseCopy records the outcome of a copy job (CopyCompleted or
// CopyFailed). A copy that was never expected is recorded closed, so the
// expectation arriving later does not open it. changed is false when the
// copy was already closed by an earlier event (a redelivery): report nothing
// new then.
func (s *Store) CloseCopy(ctx context.Context, sourceRP, destVault string, status CopyStatus, copyJobID, destRP string) (prev ExpectedCopy, changed bool, err error) {
	now := s.now()
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table),
		Key:       key(s.scoped(copyPK), copySK(sourceRP, destVault)),
		UpdateExpression: aws.String("SET #status = :status, copyJob = :job, destinationRecoveryPoint = :destRP, closedAt = :now, " +
			"sourceRecoveryPoint = :src, destinationVault = :dest, expiresAt = :exp"),
		// Open (or overdue: a copy can land after its deadline) → closed;
		// never one closed status over another.
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR #status = :open OR #status = :overdue"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":status": str(string(status)), ":job": str(copyJobID), ":destRP": str(destRP),
			":now": timestamp(now), ":src": str(sourceRP), ":dest": str(destVault),
			":exp": ttl(now.Add(closedCopyMemory)), ":open": str(string(CopyOpen)), ":overdue": str(string(CopyOverdue)),
		},
		ReturnValues:                        types.ReturnValueAllOld,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		return decodeCopy(ccf.Item), false, nil
	}
	if err != nil {
		return ExpectedCopy{}, false, fmt.Errorf("close expected copy of %s: %w", sourceRP, err)
	}
	return decodeCopy(out.Attributes), true, nil
}

// OverdueCopies lists the copies still open after their deadline.
func (s *Store) OverdueCopies(ctx context.Context) ([]ExpectedCopy, error) {
	return s.queryCopies(ctx, "#status = :open AND deadline < :now", ":open")
}

// OutstandingCopies lists the copies still missing after their deadline:
// open ones past it, and those already marked overdue, until a copy job
// closes them.
func (s *Store) OutstandingCopies(ctx context.Context) ([]ExpectedCopy, error) {
	return s.queryCopies(ctx, "(#status = :open AND deadline < :now) OR #status = :overdue", ":open", ":overdue")
}

// queryCopies lists the expected copies the filter keeps; statuses names
// the status placeholders it uses (:open, :overdue), with :now the time.
func (s *Store) queryCopies(ctx context.Context, filter string, statuses ...string) ([]ExpectedCopy, error) {
	now := s.now()
	values := map[string]types.AttributeValue{":now": timestamp(now)}
	for _, st := range statuses {
		values[st] = str(map[string]string{":open": string(CopyOpen), ":overdue": string(CopyOverdue)}[st])
	}
	var out []ExpectedCopy
	in := s.wholePartition(s.scoped(copyPK))
	in.FilterExpression, in.ExpressionAttributeNames = aws.String(filter), map[string]string{"#status": "status"}
	maps.Copy(in.ExpressionAttributeValues, values)
	err := s.queryAll(ctx, in, func(it item) {
		if !it.expired(now) {
			out = append(out, decodeCopy(it))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("query expected copies: %w", err)
	}
	return out, nil
}

// MarkCopyOverdue moves an open copy to overdue. It returns false when the
// copy is no longer open (closed meanwhile, or marked by an earlier run):
// the caller reports the overdue copy only when this returns true, so it is
// reported exactly once.
func (s *Store) MarkCopyOverdue(ctx context.Context, sourceRP, destVault string) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(s.scoped(copyPK), copySK(sourceRP, destVault)),
		UpdateExpression:         aws.String("SET #status = :overdue, overdueAt = :now, expiresAt = :exp"),
		ConditionExpression:      aws.String("#status = :open"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":overdue": str(string(CopyOverdue)), ":open": str(string(CopyOpen)), ":now": timestamp(s.now()),
			":exp": ttl(s.now().Add(closedCopyMemory)),
		},
	})
	if _, ok := isConditionFailed(err); ok {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mark copy of %s overdue: %w", sourceRP, err)
	}
	return true, nil
}

func decodeCopy(m map[string]types.AttributeValue) ExpectedCopy {
	it := item(m)
	if len(it) == 0 {
		return ExpectedCopy{}
	}
	return ExpectedCopy{
		SourceRecoveryPointARN:   it.str("sourceRecoveryPoint"),
		DestinationVaultARN:      it.str("destinationVault"),
		ResourceARN:              it.str("resource"),
		BackupJobID:              it.str("backupJob"),
		BackedUpAt:               it.time("backedUpAt"),
		Deadline:                 it.time("deadline"),
		RecordedAt:               it.time("recordedAt"),
		Status:                   CopyStatus(it.str("status")),
		CopyJobID:                it.str("copyJob"),
		DestinationRecoveryPoint: it.str("destinationRecoveryPoint"),
		ClosedAt:                 it.time("closedAt"),
	}
}
