package state

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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
	// Open marks a problem that was notified and has not been seen good
	// since: the resource's open failures are what digests list until they
	// resolve. The fields below describe it; they are kept only while open.
	Open     bool
	First    time.Time // when it turned bad (kept across bad statuses)
	Notified int       // messages sent about it
	Severity string
	Summary  string // as last notified
}

// ResourceFindings holds the check states of one resource: one item per
// resource, so one event costs one read (a hundredth of a BatchGetItem)
// and at most one write per resource however many checks it runs.
type ResourceFindings struct {
	Resource string
	Checks   map[string]CheckState
	// What a digest says of the resource, kept with its open failures.
	ResourceType string
	Account      string
	Region       string
	Protected    Protected
	version      int64
	loadedOpen   map[string]CheckState // the open checks as loaded
}

// Protected is the resource a recovery point, copy or job protects.
type Protected struct {
	Type, Name, ARN string
}

// How long finding states are remembered after their last save: a
// resource whose states were not saved for this long starts afresh. Its
// callers save a resource only when its states change, so this counts
// from the last change; a problem still failing changes at each reminder.
const findingMemory = 180 * 24 * time.Hour

const findingsPrefix = "finding#"

func (s *Store) findingsKey(resource string) item {
	return key(s.scoped(findingsPrefix+resource), "status")
}

// LoadFindings reads the last known check states of resource (empty when
// none is known).
func (s *Store) LoadFindings(ctx context.Context, resource string) (ResourceFindings, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            s.findingsKey(resource),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return ResourceFindings{Resource: resource, Checks: map[string]CheckState{}}, fmt.Errorf("load findings of %s: %w", resource, err)
	}
	return s.decodeFindings(resource, out.Item), nil
}

// Batched reads: BatchGetItem takes at most 100 keys, and may answer only
// part of them (UnprocessedKeys), which the caller retries after a pause.
// The SDK's retryer already handles throttling of the whole call; these
// attempts are for partial answers only.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
const (
	batchGetKeys     = 100
	batchGetAttempts = 8
	batchGetBackoff  = 10 * time.Millisecond // doubled after each partial answer
	batchGetMaxPause = 250 * time.Millisecond
)

// LoadFindingsBatch reads the last known check states of resources, as
// LoadFindings does for one, with one BatchGetItem per 100 resources
// (strongly consistent, as LoadFindings). Every resource asked for is in
// the result, empty when none is known; a resource named twice is read
// once.
func (s *Store) LoadFindingsBatch(ctx context.Context, resources []string) (map[string]ResourceFindings, error) {
	out := make(map[string]ResourceFindings, len(resources))
	var unique []string
	for _, r := range resources {
		if _, ok := out[r]; !ok {
			out[r] = ResourceFindings{Resource: r, Checks: map[string]CheckState{}}
			unique = append(unique, r)
		}
	}
	for chunk := range slices.Chunk(unique, batchGetKeys) {
		if err := s.loadFindingsChunk(ctx, chunk, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loadFindingsChunk reads up to 100 resources into out, asking again for
// the keys DynamoDB left unprocessed.
func (s *Store) loadFindingsChunk(ctx context.Context, resources []string, out map[string]ResourceFindings) error {
	keys := make([]map[string]types.AttributeValue, len(resources))
	for i, r := range resources {
		keys[i] = s.findingsKey(r)
	}
	pending := map[string]types.KeysAndAttributes{s.table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
	pause := batchGetBackoff
	for attempt := 1; ; attempt++ {
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
		if err != nil {
			return fmt.Errorf("load findings of %d resources (%s, …): %w", len(resources), resources[0], err)
		}
		for _, it := range res.Responses[s.table] {
			resource, ok := strings.CutPrefix(item(it).str(attrPK), s.scoped(findingsPrefix))
			if _, asked := out[resource]; ok && asked {
				out[resource] = s.decodeFindings(resource, it)
			}
		}
		left := len(res.UnprocessedKeys[s.table].Keys)
		if left == 0 {
			return nil
		}
		if attempt == batchGetAttempts {
			return fmt.Errorf("load findings of %d resources (%s, …): %d still unprocessed after %d attempts",
				len(resources), resources[0], left, attempt)
		}
		pending = map[string]types.KeysAndAttributes{s.table: res.UnprocessedKeys[s.table]}
		if err := s.sleep(ctx, pause); err != nil {
			return fmt.Errorf("load findings of %d resources (%s, …): %w", len(resources), resources[0], err)
		}
		pause = min(2*pause, batchGetMaxPause)
	}
}

// decodeFindings reads a findings item (nil when there is none).
func (s *Store) decodeFindings(resource string, raw map[string]types.AttributeValue) ResourceFindings {
	rf := ResourceFindings{Resource: resource, Checks: map[string]CheckState{}}
	it := item(raw)
	// An expired item not yet deleted keeps its version, so the next save
	// replaces it, but its states are forgotten.
	rf.version = it.num("version")
	if len(it) == 0 || it.expired(s.now()) {
		return rf
	}
	rf.ResourceType, rf.Account, rf.Region, rf.Protected = describedResource(it)
	if m, ok := it["checks"].(*types.AttributeValueMemberM); ok {
		for check, v := range m.Value {
			cm, ok := v.(*types.AttributeValueMemberM)
			if !ok {
				continue
			}
			c := item(cm.Value)
			rf.Checks[check] = CheckState{
				Status: c.str("status"), Since: c.time("since"), NotifiedAt: c.time("notifiedAt"),
				Open: c.bool("open"), First: c.time("first"), Notified: int(c.num("notified")),
				Severity: c.str("severity"), Summary: c.str("summary"),
			}
		}
	}
	rf.loadedOpen = openChecks(rf.Checks)
	return rf
}

// SaveFindings writes rf back, only if nobody else wrote it since it was
// loaded; otherwise it returns ErrConflict. When its open failures changed,
// the resource's entry in the open-failures index is written in the same
// transaction, so the index never disagrees with the states (see
// OpenFailures).
func (s *Store) SaveFindings(ctx context.Context, rf ResourceFindings) error {
	return s.persist(ctx, rf.Resource, func() error { return s.saveFindings(ctx, rf) })
}

func (s *Store) saveFindings(ctx context.Context, rf ResourceFindings) error {
	it := s.findingsItem(rf)
	var cond *string
	var values map[string]types.AttributeValue
	if rf.version == 0 {
		cond = aws.String("attribute_not_exists(pk)")
	} else {
		cond = aws.String("version = :v")
		values = map[string]types.AttributeValue{":v": num(rf.version)}
	}
	open := openChecks(rf.Checks)
	if sameOpen(rf.loadedOpen, open) {
		_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(s.table), Item: it, ConditionExpression: cond, ExpressionAttributeValues: values,
		})
		if _, ok := isConditionFailed(err); ok {
			return fmt.Errorf("save findings of %s: %w", rf.Resource, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("save findings of %s: %w", rf.Resource, err)
		}
		return nil
	}
	index := types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table), Key: s.openKey(rf.Resource)}}
	if len(open) > 0 {
		index = types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: s.openItem(rf, open)}}
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.table), Item: it, ConditionExpression: cond, ExpressionAttributeValues: values}},
		index,
	}})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) && len(cancelled.CancellationReasons) > 0 &&
		aws.ToString(cancelled.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		return fmt.Errorf("save findings of %s: %w", rf.Resource, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("save findings of %s and its open failures: %w", rf.Resource, err)
	}
	return nil
}

func (s *Store) findingsItem(rf ResourceFindings) item {
	checks := make(map[string]types.AttributeValue, len(rf.Checks))
	for _, n := range slices.Sorted(maps.Keys(rf.Checks)) {
		c := rf.Checks[n]
		m := item{"status": str(c.Status), "since": timestamp(c.Since)}
		if !c.NotifiedAt.IsZero() {
			m["notifiedAt"] = timestamp(c.NotifiedAt)
		}
		if c.Open {
			m["open"] = boolean(true)
			m["first"] = timestamp(c.First)
			m["notified"] = num(int64(c.Notified))
			m["severity"] = str(c.Severity)
			m["summary"] = str(c.Summary)
		}
		checks[n] = &types.AttributeValueMemberM{Value: m}
	}
	it := s.findingsKey(rf.Resource)
	it["resource"] = str(rf.Resource)
	it["checks"] = &types.AttributeValueMemberM{Value: checks}
	it["version"] = num(rf.version + 1)
	it[attrExpiresAt] = ttl(s.now().Add(findingMemory))
	describeResource(it, rf)
	return it
}

// describeResource keeps on an item what a digest says of its resource.
func describeResource(it item, rf ResourceFindings) {
	for k, v := range map[string]string{
		"resourceType": rf.ResourceType, "account": rf.Account, "region": rf.Region,
		"protectedType": rf.Protected.Type, "protectedName": rf.Protected.Name, "protectedArn": rf.Protected.ARN,
	} {
		if v != "" {
			it[k] = str(v)
		}
	}
}

// describedResource reads what describeResource kept.
func describedResource(it item) (resourceType, account, region string, p Protected) {
	return it.str("resourceType"), it.str("account"), it.str("region"),
		Protected{Type: it.str("protectedType"), Name: it.str("protectedName"), ARN: it.str("protectedArn")}
}
