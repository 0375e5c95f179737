package state

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// CheckState is what was last seen and last notified for one check on one
// resource.
type CheckState struct {
	Status     string
	Since      time.Time // when Status was first seen
	NotifiedAt time.Time // zero if this status was never notified
}

// ResourceFindings holds the check states of one resource: one item per
// resource, so one event costs one read and one write per resource however
// many checks it runs.
type ResourceFindings struct {
	Resource string
	Checks   map[string]CheckState
	version  int64
}

// How long finding states are remembered after their last change: a
// resource silent for this long starts afresh.
const findingMemory = 180 * 24 * time.Hour

func findingsKey(resource string) item { return key("finding#"+resource, "status") }

// LoadFindings reads the last known check states of resource (empty when
// none is known).
func (s *Store) LoadFindings(ctx context.Context, resource string) (ResourceFindings, error) {
	rf := ResourceFindings{Resource: resource, Checks: map[string]CheckState{}}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            findingsKey(resource),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return rf, fmt.Errorf("load findings of %s: %w", resource, err)
	}
	it := item(out.Item)
	// An expired item not yet deleted keeps its version, so the next save
	// replaces it, but its states are forgotten.
	rf.version = it.num("version")
	if len(it) == 0 || it.expired(s.now()) {
		return rf, nil
	}
	if m, ok := it["checks"].(*types.AttributeValueMemberM); ok {
		for check, v := range m.Value {
			cm, ok := v.(*types.AttributeValueMemberM)
			if !ok {
				continue
			}
			c := item(cm.Value)
			rf.Checks[check] = CheckState{Status: c.str("status"), Since: c.time("since"), NotifiedAt: c.time("notifiedAt")}
		}
	}
	return rf, nil
}

// SaveFindings writes rf back, only if nobody else wrote it since it was
// loaded; otherwise it returns ErrConflict.
func (s *Store) SaveFindings(ctx context.Context, rf ResourceFindings) error {
	checks := make(map[string]types.AttributeValue, len(rf.Checks))
	names := make([]string, 0, len(rf.Checks))
	for n := range rf.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := rf.Checks[n]
		m := item{"status": str(c.Status), "since": timestamp(c.Since)}
		if !c.NotifiedAt.IsZero() {
			m["notifiedAt"] = timestamp(c.NotifiedAt)
		}
		checks[n] = &types.AttributeValueMemberM{Value: m}
	}
	it := findingsKey(rf.Resource)
	it["resource"] = str(rf.Resource)
	it["checks"] = &types.AttributeValueMemberM{Value: checks}
	it["version"] = num(rf.version + 1)
	it[attrExpiresAt] = ttl(s.now().Add(findingMemory))
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: it}
	if rf.version == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(pk)")
	} else {
		in.ConditionExpression = aws.String("version = :v")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": num(rf.version)}
	}
	_, err := s.db.PutItem(ctx, in)
	if _, ok := isConditionFailed(err); ok {
		return fmt.Errorf("save findings of %s: %w", rf.Resource, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("save findings of %s: %w", rf.Resource, err)
	}
	return nil
}
