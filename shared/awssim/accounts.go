package awssim

import (
	"fmt"
	"regexp"
	"sync"
	"time"
)

// Accounts: one Sim is one account. An organization is a management (or
// hub) account's Sim with member accounts linked to it, each a Sim of its
// own with its own regions, resources, call log and rate limits, all on
// the hub's clock. A call reaches the account whose credentials signed it:
// STS AssumeRole (sts.go) issues temporary keys for a role of a member,
// and the hub's middleware, which every client built from its Config runs,
// reads the signing key of each request and hands the call to that
// member's Sim. Code under test therefore reaches a member exactly as on
// AWS: assume the role, sign with what came back.

// world is what the accounts of one organization share: which accounts
// there are, the keys STS issued, every account's roles and the
// organization's structure. Its lock is always the innermost: it is taken
// with or without a Sim's, and no Sim's lock is taken while it is held.
type world struct {
	mu      sync.Mutex
	hub     *Sim
	members map[string]*Sim
	keys    map[string]principal
	roles   map[string]map[string]*role // account → name → role
	org     *organization
}

func newWorld(hub *Sim) *world {
	return &world{hub: hub, members: map[string]*Sim{}, keys: map[string]principal{}, roles: map[string]map[string]*role{}}
}

// principal is who holds a set of keys: an account and the IAM role (or
// user) the keys act as, until when.
type principal struct {
	account string
	arn     string
	expires time.Time // zero: never (long-term keys)
}

// defaultAccessKey signs the calls of Config: the account's own principal.
const defaultAccessKey = "AKIASIMULATED0000000"

// DefaultPrincipal is the role Config's credentials act as, in account:
// the identity selfheal's functions have unless a test says otherwise.
func DefaultPrincipal(account string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/selfheal", account)
}

// AddMember links a new account to this one (the organization's hub) and
// returns its Sim. The member starts on the hub's clock, with the hub's
// regions and AZ count unless opts say otherwise, and a seed derived from
// the hub's, so a run replays. The hub's Advance moves every member with
// it. It panics on an id that is not 12 digits or already linked: a
// mistake in a test, not a condition to handle.
func (s *Sim) AddMember(accountID string, opts ...Option) *Sim {
	if s.w.hub != s {
		panic("awssim: members are added to the organization's hub")
	}
	if !accountIDPattern.MatchString(accountID) {
		panic(fmt.Sprintf("awssim: %q is not an account id", accountID))
	}
	s.mu.Lock()
	base := []Option{
		WithAccountID(accountID), WithStart(s.now), WithTick(s.tick), WithCallLatency(s.callLatency),
		WithRegions(s.regionNames...), WithAZCount(s.azCount),
	}
	s.mu.Unlock()
	s.w.mu.Lock()
	if _, dup := s.w.members[accountID]; dup || accountID == s.accountID {
		s.w.mu.Unlock()
		panic(fmt.Sprintf("awssim: account %s is already in the organization", accountID))
	}
	base = append(base, WithSeed(s.seed^(uint64(len(s.w.members)+1)*0x9e3779b97f4a7c15)))
	s.w.mu.Unlock()
	m := New(append(base, opts...)...)
	m.w = s.w
	s.w.mu.Lock()
	s.w.members[accountID] = m
	if s.w.org != nil {
		s.w.org.join(accountID, s.w.org.rootID, m.now)
	}
	s.w.mu.Unlock()
	return m
}

var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// Member returns a linked member account's Sim.
func (s *Sim) Member(accountID string) (*Sim, bool) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	m, ok := s.w.members[accountID]
	return m, ok
}

// Members lists the linked member accounts' ids, sorted.
func (s *Sim) Members() []string {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	return sortedKeys(s.w.members)
}

// accountSim is the Sim of an account of the organization, nil if none.
func (s *Sim) accountSim(id string) *Sim {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	if id == s.w.hub.accountID {
		return s.w.hub
	}
	return s.w.members[id]
}

// advanceMembers brings every member to the hub's instant, reconciling
// it there. No lock is held: each member takes its own.
func (s *Sim) advanceMembers() {
	if s.w.hub != s {
		return
	}
	now := s.Now()
	s.w.mu.Lock()
	members := make([]*Sim, 0, len(s.w.members))
	for _, id := range sortedKeys(s.w.members) {
		members = append(members, s.w.members[id])
	}
	s.w.mu.Unlock()
	for _, m := range members {
		m.AdvanceTo(now)
	}
}

// credentialsOf finds who holds an access key, among the hub's own keys
// and those its STS issued.
func (s *Sim) credentialsOf(accessKey string) (principal, bool) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	p, ok := s.w.keys[accessKey]
	return p, ok
}

func (s *Sim) registerKey(key string, p principal) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	s.w.keys[key] = p
}

// route answers one call in the account whose key signed it: this Sim, or
// a member. Keys of a member expire as STS said. Member calls run on the
// hub's clock: the member catches up to it first, and the hub to the
// member after, so time only moves forward for both.
func (s *Sim) route(accessKey, service, operation, region string, input any, attempt int) (any, error) {
	if accessKey == "" || accessKey == defaultAccessKey {
		return s.answer(principal{account: s.accountID, arn: DefaultPrincipal(s.accountID)}, service, operation, region, input, attempt)
	}
	p, ok := s.credentialsOf(accessKey)
	if !ok {
		return nil, apiError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	now := s.Now()
	if !p.expires.IsZero() && !now.Before(p.expires) {
		return nil, apiError(400, "ExpiredToken", "The security token included in the request is expired")
	}
	target := s.accountSim(p.account)
	if target == nil {
		return nil, apiError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	if target == s {
		return s.answer(p, service, operation, region, input, attempt)
	}
	target.AdvanceTo(now)
	out, err := target.answer(p, service, operation, region, input, attempt)
	later := target.Now()
	s.mu.Lock()
	if later.After(s.now) {
		s.now = later
	}
	s.mu.Unlock()
	return out, err
}
