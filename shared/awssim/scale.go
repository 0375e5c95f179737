package awssim

import (
	"fmt"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Controls for benchmarks of organizations too large to hold in memory at
// once: a member built on its own clock and linked in when it is needed,
// released after; a table's items dropped; calls observed, not kept.

// WithCallObserver hands every call attempt to observe as it is answered
// (under the sim's lock: observe must not call the sim) instead of keeping
// it in the call log, which stays empty; CallCount still counts them.
func WithCallObserver(observe func(Call)) Option {
	return func(s *Sim) { s.observe = observe }
}

// ReplaceMember links m, built on its own (New with the member's account
// id), in place of the member of the same id: the organization, its roles
// and the keys it was issued stay; m's resources, calls and limits are the
// member's from now on. m's clock must not be ahead of the hub's; it is
// brought to the hub's instant.
func (s *Sim) ReplaceMember(m *Sim) error {
	if s.w.hub != s {
		return fmt.Errorf("awssim: members are replaced through the organization's hub")
	}
	if m.Now().After(s.Now()) {
		return fmt.Errorf("awssim: member %s is ahead of the hub's clock", m.accountID)
	}
	s.w.mu.Lock()
	if _, ok := s.w.members[m.accountID]; !ok {
		s.w.mu.Unlock()
		return fmt.Errorf("awssim: no member %s to replace", m.accountID)
	}
	m.w = s.w
	s.w.members[m.accountID] = m
	s.w.mu.Unlock()
	m.AdvanceTo(s.Now())
	return nil
}

// DropDynamoDBItems forgets the items of a table whose key drop accepts,
// without a call (no latency, no log, no stream): what a benchmark no
// longer needs. It returns how many were dropped.
func (s *Sim) DropDynamoDBItems(region, table string, drop func(key map[string]ddbtypes.AttributeValue) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ddb.tables[region+"/"+table]
	if t == nil {
		return 0
	}
	n := 0
	for k, r := range t.records {
		if drop(r.key) {
			delete(t.records, k)
			n++
		}
	}
	if n > 0 {
		t.ordered = nil
	}
	return n
}
