package awssim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"time"
)

// DefaultAccountID is the account the sim plays unless told otherwise.
const DefaultAccountID = "123456789012"

// DefaultStart is the sim clock's start unless told otherwise: a fixed
// instant, so runs are reproducible.
var DefaultStart = time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)

// DefaultTick is the step [Sim.Advance] reconciles at.
const DefaultTick = 10 * time.Second

// Sim is one simulated AWS account. It is safe for concurrent use: one lock
// serializes every call, control and reconcile step, which is also what
// makes a run deterministic for a given seed and call order.
type Sim struct {
	mu sync.Mutex

	accountID string
	now       time.Time
	tick      time.Duration
	seed      uint64
	rng       *rand.Rand

	regions     map[string]*Region
	regionNames []string // sorted
	azCount     int

	ops   map[opKey]opFunc
	calls []Call
	// observe, when set, gets each call instead of the log (scale.go);
	// observed counts them.
	observe  func(Call)
	observed int
	emitted  []EmittedEvent
	drained  int
	faults   []*faultRule
	limits   map[opKey]*tokenBucket

	callLatency time.Duration

	ec2    *ec2State
	asg    *asgState
	sns    *snsState
	sqs    *sqsState
	cw     *cloudwatchState
	backup *backupState
	ddb    *dynamoState
	rds    *rdsState
	health *healthState
	arc    *arcState

	// w is what the accounts of the organization share (accounts.go);
	// a Sim alone is an organization of one.
	w *world
	// caller is who signed the call being answered (under mu).
	caller principal
}

// Option configures a Sim at creation.
type Option func(*Sim)

// WithSeed makes every random choice of the sim (ids, jitter, fault draws)
// follow seed: the same seed and the same calls give the same run.
func WithSeed(seed uint64) Option { return func(s *Sim) { s.seed = seed } }

// WithStart sets the sim clock's starting instant.
func WithStart(t time.Time) Option { return func(s *Sim) { s.now = t.UTC() } }

// WithAccountID sets the account id.
func WithAccountID(id string) Option { return func(s *Sim) { s.accountID = id } }

// WithTick sets the reconcile step of [Sim.Advance].
func WithTick(d time.Duration) Option { return func(s *Sim) { s.tick = d } }

// WithCallLatency makes every call attempt take d of sim time, so that rate
// limits and long sweeps cost sim time as they cost real time on AWS.
func WithCallLatency(d time.Duration) Option { return func(s *Sim) { s.callLatency = d } }

// WithRegions replaces the default regions (us-east-1, us-west-2,
// eu-west-1) with the given ones.
func WithRegions(names ...string) Option {
	return func(s *Sim) { s.regionNames = append([]string(nil), names...) }
}

// WithAZCount sets how many AZs each region has (default 3, at most 6).
func WithAZCount(n int) Option { return func(s *Sim) { s.azCount = min(max(n, 1), 6) } }

// New makes a simulated account.
func New(opts ...Option) *Sim {
	s := &Sim{
		accountID: DefaultAccountID,
		now:       DefaultStart,
		tick:      DefaultTick,
		seed:      1,
		ops:       map[opKey]opFunc{},
		limits:    map[opKey]*tokenBucket{},
		azCount:   3,
		regions:   map[string]*Region{},
	}
	WithRegions("us-east-1", "us-west-2", "eu-west-1")(s)
	for _, o := range opts {
		o(s)
	}
	s.rng = rand.New(rand.NewPCG(s.seed, s.seed^0x5e1f4ea1))
	s.w = newWorld(s)
	sort.Strings(s.regionNames)
	s.regionNames = slices.Compact(s.regionNames)
	for _, n := range s.regionNames {
		s.regions[n] = s.newRegion(n)
	}

	s.ec2 = newEC2State(s)
	s.asg = newASGState(s)
	s.sns = newSNSState(s)
	s.sqs = newSQSState(s)
	s.cw = newCloudWatchState(s)
	s.backup = newBackupState(s)
	s.ddb = newDynamoState(s)
	s.rds = newRDSState(s)
	s.health = newHealthState(s)
	s.arc = newARCState(s)

	s.registerEC2()
	s.registerAutoScaling()
	s.registerSNS()
	s.registerSQS()
	s.registerCloudWatch()
	s.registerBackup()
	s.registerDynamoDB()
	s.registerRDS()
	s.registerHealth()
	s.registerARCZonalShift()
	s.registerSTS()
	s.registerOrganizations()
	return s
}

// AccountID is the simulated account's id.
func (s *Sim) AccountID() string { return s.accountID }

// Now is the sim clock.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// Advance moves the clock forward by d in ticks, letting every service do
// what AWS would do on its own in that time (launch instances, run backup
// schedules, finish jobs, expire items) at each tick.
func (s *Sim) Advance(d time.Duration) {
	s.mu.Lock()
	s.advanceLocked(d)
	s.mu.Unlock()
	s.advanceMembers()
}

// Sleep is time.Sleep for code running on the sim: it advances the clock
// by d (the world moves on meanwhile, as in Advance) and returns at once,
// or the context's error if it is done.
func (s *Sim) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	s.Advance(d)
	return nil
}

// AdvanceTo moves the clock forward to t (no-op if t is not after now).
func (s *Sim) AdvanceTo(t time.Time) {
	s.mu.Lock()
	if t.After(s.now) {
		s.advanceLocked(t.Sub(s.now))
	}
	s.mu.Unlock()
	s.advanceMembers()
}

// Settle advances the clock in ticks until no service has work in flight
// (instances pending, jobs running, …) or max has passed; it returns the
// sim time spent.
func (s *Sim) Settle(maxWait time.Duration) time.Duration {
	s.mu.Lock()
	start := s.now
	for s.now.Sub(start) < maxWait && s.busyLocked() {
		s.advanceLocked(s.tick)
	}
	spent := s.now.Sub(start)
	s.mu.Unlock()
	s.advanceMembers()
	return spent
}

func (s *Sim) advanceLocked(d time.Duration) {
	end := s.now.Add(d)
	for s.now.Before(end) {
		step := s.tick
		if rest := end.Sub(s.now); rest < step {
			step = rest
		}
		s.now = s.now.Add(step)
		s.reconcileLocked()
	}
}

// reconcileLocked runs every service's own behaviour for the current
// instant. Order matters and is fixed: instances change state first, then
// the groups that own them react, then the data services.
func (s *Sim) reconcileLocked() {
	s.ec2.reconcile()
	s.arc.reconcile() // shifts that end this tick free their AZ for the groups
	s.asg.reconcile()
	s.sqs.reconcile()
	s.backup.reconcile()
	s.ddb.reconcile()
	s.rds.reconcile()
	s.health.reconcile()
}

func (s *Sim) busyLocked() bool {
	return s.ec2.busy() || s.asg.busy() || s.backup.busy() || s.ddb.busy() || s.rds.busy() || s.health.busy()
}

// nextID returns a deterministic identifier: prefix followed by hexDigits
// hex digits drawn from the seeded generator.
func (s *Sim) nextID(prefix string, hexDigits int) string {
	const hex = "0123456789abcdef"
	b := make([]byte, hexDigits)
	for i := range b {
		b[i] = hex[s.rng.IntN(16)]
	}
	return prefix + string(b)
}

// uuid returns a deterministic version-4-shaped UUID.
func (s *Sim) uuid() string {
	h := s.nextID("", 32)
	return fmt.Sprintf("%s-%s-4%s-a%s-%s", h[0:8], h[8:12], h[13:16], h[17:20], h[20:32])
}

// Regions lists the account's regions, sorted.
func (s *Sim) Regions() []string {
	return append([]string(nil), s.regionNames...)
}
