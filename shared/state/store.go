package state

import (
	"context"
	"errors"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute names of the key design; see the package documentation.
const (
	attrPK        = "pk"
	attrSK        = "sk"
	attrExpiresAt = "expiresAt"
)

// TTLAttribute is the table's time-to-live attribute (epoch seconds).
const TTLAttribute = attrExpiresAt

// Store reads and writes the state table.
type Store struct {
	db    DynamoDBAPI
	table string
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	// scope is the member account whose records this Store keeps apart
	// (ForAccount); "" for the deployment's own account.
	scope string

	mu       *sync.Mutex
	stashSeq *int // orders messages stashed within one clock instant
}

// New returns a Store on table. now is the clock (time.Now in Lambda, the
// sim clock in tests).
func New(db DynamoDBAPI, table string, now func() time.Time, opts ...Option) *Store {
	s := &Store{db: db, table: table, now: now, sleep: Sleep, mu: &sync.Mutex{}, stashSeq: new(int)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// ForAccount is the Store of a member account of an organization: the
// same table, with the records of what selfheal does, expects and found
// in that account — evacuation ledger, AZ signals, launch-failure
// evidence, circuit breaker, expected copies, findings and their
// open-failures index — under keys of its own, so two accounts' groups,
// AZ names or breakers never mix and each account's open failures are
// read without the others'. Event claims and the outbox stay the
// deployment's: the boundary holds them whichever account an event is
// from.
func (s *Store) ForAccount(account string) *Store {
	c := *s
	c.scope = account
	return &c
}

// scoped is a partition key in the Store's account.
func (s *Store) scoped(pk string) string {
	if s.scope == "" {
		return pk
	}
	return "account#" + s.scope + "#" + pk
}

// Option changes how a Store waits.
type Option func(*Store)

// WithSleep makes the Store pause between its own retries with sleep
// instead of a timer (the simulated account's clock in tests and game
// days).
func WithSleep(sleep func(context.Context, time.Duration) error) Option {
	return func(s *Store) { s.sleep = sleep }
}

// Sleep waits d, or until ctx is done: the pause of a Store in Lambda.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Jitter spreads a pause of d over [d/2, d), decorrelating the retries of
// callers that failed together. It is a pure function of key and attempt,
// so a run replays exactly, while two keys (two events, two deliveries)
// pause differently.
func Jitter(d time.Duration, key string, attempt int) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(key))
	h.Write([]byte{byte(attempt), byte(attempt >> 8)})
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(h.Sum64()%uint64(half))
}

// The store's own retry budget for the writes that record what already
// happened (a done-mark, the findings a published message reported): on top
// of the SDK's attempts for each try, because losing one of them repeats
// work or a message on the next delivery or sweep.
const (
	persistAttempts = 4
	persistPause    = 200 * time.Millisecond // doubled after each failed try, jittered
)

// persist runs write up to persistAttempts times, pausing between tries on
// the store's clock, within ctx. A refused condition (ErrConflict or
// ConditionalCheckFailed) is an answer, not a fault, and is not retried.
func (s *Store) persist(ctx context.Context, key string, write func() error) error {
	pause := persistPause
	for attempt := 1; ; attempt++ {
		err := write()
		if err == nil || errors.Is(err, ErrConflict) || attempt == persistAttempts || ctx.Err() != nil {
			return err
		}
		if _, refused := isConditionFailed(err); refused {
			return err
		}
		if serr := s.sleep(ctx, Jitter(pause, key, attempt)); serr != nil {
			return err
		}
		pause *= 2
	}
}

// wholePartition asks for every item of partition pk, strongly consistent.
func (s *Store) wholePartition(pk string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
		ConsistentRead:            aws.Bool(true),
	}
}

// queryAll runs in page by page and hands each item to each; callers wrap
// the error with what they were reading.
func (s *Store) queryAll(ctx context.Context, in *dynamodb.QueryInput, each func(item)) error {
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			each(item(it))
		}
	}
	return nil
}

// ErrConflict means another invocation changed the same record between our
// read and our write: the caller's decision is stale and must be retaken.
var ErrConflict = errors.New("state changed concurrently")

type item map[string]types.AttributeValue

func key(pk, sk string) item { return item{attrPK: str(pk), attrSK: str(sk)} }

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func boolean(v bool) types.AttributeValue { return &types.AttributeValueMemberBOOL{Value: v} }

// timestamp stores an instant as epoch milliseconds: sortable, comparable in
// condition expressions, exact to what we need.
func timestamp(t time.Time) types.AttributeValue { return num(t.UnixMilli()) }

func ttl(t time.Time) types.AttributeValue { return num(t.Unix()) }

func (i item) str(k string) string {
	if v, ok := i[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func (i item) num(k string) int64 {
	if v, ok := i[k].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return 0
}

func (i item) bool(k string) bool {
	v, ok := i[k].(*types.AttributeValueMemberBOOL)
	return ok && v.Value
}

func (i item) time(k string) time.Time {
	ms := i.num(k)
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func (i item) strs(k string) []string {
	v, ok := i[k].(*types.AttributeValueMemberL)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(v.Value))
	for _, e := range v.Value {
		if s, ok := e.(*types.AttributeValueMemberS); ok {
			out = append(out, s.Value)
		}
	}
	return out
}

func list(vs []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(vs))
	for i, v := range vs {
		l[i] = str(v)
	}
	return &types.AttributeValueMemberL{Value: l}
}

// expired reports whether an item's TTL has passed. DynamoDB deletes
// expired items only eventually and returns them until then, so readers
// must filter them out.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html
func (i item) expired(now time.Time) bool {
	exp := i.num(attrExpiresAt)
	return exp != 0 && exp <= now.Unix()
}

func isConditionFailed(err error) (*types.ConditionalCheckFailedException, bool) {
	var ccf *types.ConditionalCheckFailedException
	return ccf, errors.As(err, &ccf)
}
