package state

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// OpenFailure is a problem that was notified and has not been seen good
// since, wherever it was found (an event or a sweep): what a digest must
// count until it resolves.
type OpenFailure struct {
	Check        string
	Resource     string
	ResourceType string
	Account      string
	Region       string
	Protected    Protected
	Status       string
	Severity     string
	Summary      string    // as last notified
	First        time.Time // when it turned bad
	LastNotified time.Time
	Notified     int // messages sent about it
}

// The open-failures index: one item per resource with open failures, a
// copy of the open checks of its findings item written in the same
// transaction (SaveFindings). Resources are spread over a few partitions
// so that a first sweep writing thousands of them does not crowd one
// partition; a digest reads them all back with one query per partition.
const (
	openPrefix = "open#"
	openShards = 8
)

func openShard(resource string) int {
	h := fnv.New32a()
	h.Write([]byte(resource))
	return int(h.Sum32() % openShards)
}

func (s *Store) openKey(resource string) item {
	return key(s.scoped(openPrefix+strconv.Itoa(openShard(resource))), resource)
}

// openChecks picks the open checks of a resource.
func openChecks(checks map[string]CheckState) map[string]CheckState {
	out := map[string]CheckState{}
	for n, c := range checks {
		if c.Open {
			out[n] = c
		}
	}
	return out
}

// sameOpen reports whether two sets of open checks say the same.
func sameOpen(a, b map[string]CheckState) bool {
	return maps.EqualFunc(a, b, func(x, y CheckState) bool {
		return x.Status == y.Status && x.Severity == y.Severity && x.Summary == y.Summary &&
			x.First.Equal(y.First) && x.NotifiedAt.Equal(y.NotifiedAt) && x.Notified == y.Notified
	})
}

func (s *Store) openItem(rf ResourceFindings, open map[string]CheckState) item {
	checks := make(map[string]types.AttributeValue, len(open))
	for n, c := range open {
		checks[n] = &types.AttributeValueMemberM{Value: item{
			"status": str(c.Status), "severity": str(c.Severity), "summary": str(c.Summary),
			"first": timestamp(c.First), "lastNotified": timestamp(c.NotifiedAt), "notified": num(int64(c.Notified)),
		}}
	}
	it := s.openKey(rf.Resource)
	it["checks"] = &types.AttributeValueMemberM{Value: checks}
	it[attrExpiresAt] = ttl(s.now().Add(findingMemory))
	describeResource(it, rf)
	return it
}

// OpenFailures lists every open failure of the Store's account (the
// deployment's own, or a member's: ForAccount), ordered by resource and
// check: one strongly consistent query per partition of
// the index, paginated.
func (s *Store) OpenFailures(ctx context.Context) ([]OpenFailure, error) {
	now := s.now()
	var out []OpenFailure
	for shard := range openShards {
		err := s.queryAll(ctx, s.wholePartition(s.scoped(openPrefix+strconv.Itoa(shard))), func(it item) {
			out = append(out, decodeOpen(it, now)...)
		})
		if err != nil {
			return nil, fmt.Errorf("read open failures: %w", err)
		}
	}
	slices.SortFunc(out, func(a, b OpenFailure) int {
		return cmp.Or(cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.Check, b.Check))
	})
	return out, nil
}

func decodeOpen(it item, now time.Time) []OpenFailure {
	if it.expired(now) {
		return nil
	}
	m, ok := it["checks"].(*types.AttributeValueMemberM)
	if !ok {
		return nil
	}
	base := OpenFailure{Resource: it.str(attrSK)}
	base.ResourceType, base.Account, base.Region, base.Protected = describedResource(it)
	out := make([]OpenFailure, 0, len(m.Value))
	for check, v := range m.Value {
		cm, ok := v.(*types.AttributeValueMemberM)
		if !ok {
			continue
		}
		c := item(cm.Value)
		f := base
		f.Check, f.Status, f.Severity, f.Summary = check, c.str("status"), c.str("severity"), c.str("summary")
		f.First, f.LastNotified, f.Notified = c.time("first"), c.time("lastNotified"), int(c.num("notified"))
		out = append(out, f)
	}
	return out
}
