package rebalance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/state"
)

// Input is everything the planner decides from. It is plain data: the
// planner reads no clock and calls nothing.
type Input struct {
	Now    time.Time
	Policy config.Policy
	Signal Signal
	// Groups are every group of the region, in or out of scope.
	Groups []Group
	// Ledger holds the evacuation records of in-scope groups, by group name.
	Ledger map[string][]state.Evacuation
	// Signals are the records of the signals that hold evacuations (and of
	// Signal itself, already updated with this event). A holder with no
	// record here counts as active: the planner never restores on missing
	// knowledge.
	Signals map[string]state.Signal
	Breaker state.Breaker
	// Shifts are the active ARC zonal shifts (and autoshifts) of the
	// groups enrolled in zonal shift, by group ARN: selfheal's own, people's,
	// practice runs, FIS experiments. Read when a plan may start, extend or
	// restore around them; nil otherwise.
	Shifts map[string][]Shift
	// ZoneIDs maps the region's AZ names to their ids, which ARC names AZs
	// by; nil when no zonal shift is to be started.
	ZoneIDs map[string]string
}

// Plan is what to do about one signal. Groups lists, by name, every group
// with something to do or to report.
type Plan struct {
	Signal  Signal
	DryRun  bool
	Groups  []GroupPlan
	Breaker BreakerPlan
	// NeedRefresh names groups the planner would evacuate but whose
	// instance refresh status is unknown: look it up and plan again. A plan
	// with NeedRefresh is not executable.
	NeedRefresh []string
}

// BreakerChange is what a plan does to the circuit breaker.
type BreakerChange string

// Breaker changes.
const (
	BreakerKeep  BreakerChange = ""
	BreakerOpen  BreakerChange = "open"
	BreakerClose BreakerChange = "close"
)

// BreakerPlan is the breaker part of a plan.
type BreakerPlan struct {
	Change BreakerChange
	Until  time.Time // when an opened breaker closes by itself
	Reason string
	// Blocked is true when the breaker is (or becomes) open for this plan:
	// no Auto Scaling write is planned after that point.
	Blocked bool
	// Create: the breaker's state item must be created before the first
	// evacuation is counted.
	Create bool
}

// GroupPlan is what happens to one group.
type GroupPlan struct {
	Group string
	ARN   string
	// InScope is false for groups outside the opt-in scope, which only ever
	// get skips.
	InScope bool
	// Current is the group as observed; Target what it should become.
	// The executor changes only what differs, so running a plan twice
	// changes nothing the second time.
	Current Config
	Target  Config
	// Evacuate are the AZs moved out of now; Restore the AZs put back.
	Evacuate []string
	Restore  []string
	// Hold are already evacuated AZs that this signal now also holds.
	Hold []string
	// Moving is how many live instances the evacuation replaces.
	Moving int
	// Record are the ledger records to write before the group is changed
	// (new evacuations); Clear those to delete once it is restored.
	Record []state.Evacuation
	Clear  []state.Evacuation
	// Count are the evacuations to count against the breaker, also before
	// the group is changed. They are keyed by their record, so an
	// evacuation finished after a crash is counted once.
	Count []state.BreakerEvacuation
	// MaxSizeKept explains a restore that leaves MaxSize as it is.
	MaxSizeKept string
	// Imbalance is set when the group's AZ counts are uneven with
	// AZRebalance suspended.
	Imbalance *Imbalance
	Skips     []Skip
	// Shifts are the ARC zonal shift calls: a start for each AZ evacuated
	// by zonal shift, extensions of the shifts that still hold, the
	// cancel of each restored one.
	Shifts []ShiftOp
	// Held are restores someone's zonal shift holds back, newly: the
	// ledger remembers each was said, so it is said once.
	Held []Held
	// ImpairedZoneHealthCheck is the group's behaviour in a shifted-away
	// AZ, for the report of a zonal shift.
	ImpairedZoneHealthCheck string
}

// Config is the part of a group the rebalancer changes.
type Config struct {
	Subnets              []string // VPCZoneIdentifier, in order
	MaxSize              int32
	AZRebalanceSuspended bool
	EvacuatedTag         string // TagEvacuatedFrom's value, "" for no tag
}

// Equal reports whether two configurations are the same.
func (c Config) Equal(o Config) bool {
	return slices.Equal(c.Subnets, o.Subnets) && c.MaxSize == o.MaxSize &&
		c.AZRebalanceSuspended == o.AZRebalanceSuspended && c.EvacuatedTag == o.EvacuatedTag
}

// Changes reports whether the plan changes the group.
func (g GroupPlan) Changes() bool { return !g.Current.Equal(g.Target) }

// Imbalance is a group whose in-service counts differ by more than one
// across its AZs while AZRebalance is suspended by someone else.
type Imbalance struct {
	Counts map[string]int
	// Resume: AZRebalance is resumed (policy "resume"); otherwise reported.
	Resume bool
}

// SkipReason says why the rebalancer did not do something.
type SkipReason string

// Skip reasons.
const (
	SkipNotOptedIn        SkipReason = "not-opted-in"
	SkipExcluded          SkipReason = "excluded"
	SkipSingleAZ          SkipReason = "single-az"
	SkipMinHealthyAZs     SkipReason = "min-healthy-azs"
	SkipMaxEvacuatedAZs   SkipReason = "max-evacuated-azs"
	SkipRefreshInProgress SkipReason = "instance-refresh"
	SkipAlreadyEvacuated  SkipReason = "already-evacuated"
	SkipBlastRadius       SkipReason = "max-groups-per-event"
	SkipBreakerOpen       SkipReason = "breaker-open"
	SkipReAdded           SkipReason = "az-re-added"
	SkipSubnetAZUnknown   SkipReason = "subnet-az-unknown"
	// SkipHeldByZonalShift: a zonal shift someone else started (a person's
	// shift, a practice run, an FIS experiment, an autoshift) holds the AZ
	// away for the group.
	SkipHeldByZonalShift SkipReason = "held-by-zonal-shift"
	// SkipShiftEnded: selfheal's zonal shift ended (someone cancelled it,
	// or it expired) while its signal still held.
	SkipShiftEnded  SkipReason = "zonal-shift-ended"
	SkipAZIDUnknown SkipReason = "az-id-unknown"
)

// Skipped is what was not done.
type Skipped string

// What a skip is about.
const (
	SkippedEvacuate Skipped = "evacuate"
	SkippedRestore  Skipped = "restore"
	SkippedResume   Skipped = "resume"
)

// Skip is one thing not done, and why.
type Skip struct {
	What   Skipped
	AZs    []string
	Reason SkipReason
	Detail string // the numbers behind the reason, for humans
	// Quiet skips were notified before and are only logged now.
	Quiet bool
}

// Scope is whether selfheal may touch a group.
type Scope int

// Scopes.
const (
	InScope Scope = iota
	NotOptedIn
	Excluded
)

// ScopeOf applies the policy's opt-in and exclude tags: the exclude tag
// wins whatever its value.
func ScopeOf(tags map[string]string, p config.Policy) Scope {
	if _, ok := tags[p.ExcludeTagKey]; ok && p.ExcludeTagKey != "" {
		return Excluded
	}
	if v, ok := tags[p.OptInTag.Key]; !ok || v != p.OptInTag.Value {
		return NotOptedIn
	}
	return InScope
}

// Active reports whether a signal holds its AZs impaired at now. A
// recovered alarm holds until it has stayed OK for the recovery hysteresis;
// launch failures hold until the failure window and the hysteresis have
// passed since the last one.
func Active(sig state.Signal, now time.Time, p config.Rebalance) bool {
	switch sourceOf(sig.Key) {
	case SourceAlarm:
		return sig.Impaired || now.Sub(sig.Since) < p.RecoveryHysteresis.Duration
	case SourceLaunchFailures:
		return sig.Impaired && now.Before(sig.LastEvidence.Add(p.LaunchFailureWindow.Duration+p.RecoveryHysteresis.Duration))
	}
	return sig.Impaired
}

// Build plans what to do about in.Signal. It is a pure function of in.
func Build(in Input) Plan {
	pl := planner{in: in, p: in.Policy.Rebalance}
	pl.plan = Plan{Signal: in.Signal, DryRun: in.Policy.DryRun}
	pl.breaker()
	groups := slices.Clone(in.Groups)
	slices.SortFunc(groups, func(a, b Group) int { return strings.Compare(a.Name, b.Name) })
	for _, g := range groups {
		gp, ok := pl.group(g)
		if ok {
			pl.plan.Groups = append(pl.plan.Groups, gp)
		}
	}
	return pl.plan
}

type planner struct {
	in        Input
	p         config.Rebalance
	plan      Plan
	budget    int // evacuations the breaker still allows
	evacuated int // groups evacuated by this plan
}

func (pl *planner) breaker() {
	b := pl.in.Breaker
	switch {
	case b.Status == state.BreakerOpen && pl.in.Now.Before(b.OpenUntil):
		pl.plan.Breaker.Blocked = true
		return
	case b.Status == state.BreakerOpen:
		// Its time is up: close it, and the count starts again.
		pl.plan.Breaker.Change = BreakerClose
		pl.budget = pl.p.Breaker.MaxEvacuations
		return
	}
	pl.budget = pl.p.Breaker.MaxEvacuations - len(b.Evacuations)
	pl.plan.Breaker.Create = !b.Exists
}

func (pl *planner) impair() bool { return pl.in.Signal.Effect == EffectImpair }

// active reports whether the signal key holds an evacuation.
func (pl *planner) active(key string) bool {
	sig, ok := pl.in.Signals[key]
	if !ok {
		return true
	}
	return Active(sig, pl.in.Now, pl.p)
}

func (pl *planner) group(g Group) (GroupPlan, bool) {
	gp := GroupPlan{Group: g.Name, ARN: g.ARN, ImpairedZoneHealthCheck: g.ImpairedZoneHealthCheck}
	gp.Current = Config{
		Subnets: g.SubnetIDs(), MaxSize: g.MaxSize,
		AZRebalanceSuspended: g.AZRebalanceSuspended, EvacuatedTag: g.Tags[TagEvacuatedFrom],
	}
	gp.Target = gp.Current
	gp.Target.Subnets = slices.Clone(gp.Current.Subnets)

	switch ScopeOf(g.Tags, pl.in.Policy) {
	case NotOptedIn:
		return pl.outOfScope(gp, g, SkipNotOptedIn)
	case Excluded:
		return pl.outOfScope(gp, g, SkipExcluded)
	}
	gp.InScope = true
	blocked := pl.plan.Breaker.Blocked

	// Records of an older group that had the same name are not this
	// group's: ignore them.
	var records []state.Evacuation
	for _, r := range pl.in.Ledger[g.Name] {
		if r.GroupARN == "" || r.GroupARN == g.ARN {
			records = append(records, r)
		}
	}

	remaining := pl.restore(&gp, g, records)
	if pl.impair() {
		remaining = pl.evacuate(&gp, g, remaining)
	} else if pl.in.Signal.Effect == EffectRecover && len(remaining) == 0 && len(gp.Restore) == 0 {
		pl.imbalance(&gp, g)
	}
	pl.extend(&gp, g, remaining)
	gp.Target.EvacuatedTag = tagValue(remaining)
	if blocked {
		// An open breaker stops every Auto Scaling write, the tag too.
		gp.Target = gp.Current
	}
	keep := gp.Changes() || len(gp.Skips) > 0 || len(gp.Hold) > 0 || len(gp.Record) > 0 ||
		len(gp.Clear) > 0 || gp.Imbalance != nil || len(gp.Shifts) > 0 || len(gp.Held) > 0
	return gp, keep
}

// outOfScope reports a group the signal's AZs touch but selfheal may not
// change. It is never changed, only mentioned.
func (pl *planner) outOfScope(gp GroupPlan, g Group, reason SkipReason) (GroupPlan, bool) {
	if !pl.impair() {
		return gp, false
	}
	azs := intersect(g.AZs, pl.in.Signal.AZs)
	if len(azs) == 0 {
		return gp, false
	}
	detail := fmt.Sprintf("the group is not tagged %s=%s", pl.in.Policy.OptInTag.Key, pl.in.Policy.OptInTag.Value)
	if reason == SkipExcluded {
		detail = fmt.Sprintf("the group is tagged %s", pl.in.Policy.ExcludeTagKey)
	}
	gp.Skips = append(gp.Skips, Skip{What: SkippedEvacuate, AZs: azs, Reason: reason, Detail: detail})
	return gp, true
}

// restore puts back the evacuations no active signal holds any more, and
// returns the records that stay.
func (pl *planner) restore(gp *GroupPlan, g Group, records []state.Evacuation) []state.Evacuation {
	var restore, remaining []state.Evacuation
	for _, r := range records {
		held := slices.ContainsFunc(r.Holders, pl.active)
		// This very signal is about to hold it too.
		if pl.impair() && slices.Contains(pl.in.Signal.AZs, r.AZ) && pl.active(pl.in.Signal.Key) {
			held = true
		}
		switch {
		case held:
			remaining = append(remaining, r)
		case pl.heldByOthers(gp, g, records, r):
			remaining = append(remaining, r)
		default:
			restore = append(restore, r)
		}
	}
	if len(restore) == 0 {
		return remaining
	}
	azs := make([]string, len(restore))
	for i, r := range restore {
		azs[i] = r.AZ
	}
	if pl.plan.Breaker.Blocked {
		gp.Skips = append(gp.Skips, Skip{What: SkippedRestore, AZs: azs, Reason: SkipBreakerOpen,
			Detail: "the circuit breaker is open: no Auto Scaling writes until it closes"})
		return records
	}
	gp.Restore = azs
	gp.Clear = restore
	pl.cancel(gp, g, restore)

	// What follows undoes subnet evacuations; a zonal shift changed no
	// setting of the group.
	bySubnets := func(r state.Evacuation) bool { return !r.ByZonalShift() }
	subRestore := slices.DeleteFunc(slices.Clone(restore), func(r state.Evacuation) bool { return r.ByZonalShift() })
	var removed []string
	for _, r := range subRestore {
		removed = append(removed, r.RemovedSubnets...)
	}
	if len(subRestore) > 0 {
		gp.Target.Subnets = addBack(gp.Target.Subnets, removed, subRestore[0].OriginalSubnets)
	}

	if len(subRestore) > 0 && !slices.ContainsFunc(remaining, bySubnets) {
		// MaxSize goes back only if it is still what selfheal set, and
		// never below the desired capacity (that would shrink the group).
		owned := int32(0)
		for _, r := range records {
			if bySubnets(r) {
				owned = max(owned, r.MaxSize)
			}
		}
		orig := subRestore[0].OriginalMaxSize
		switch {
		case g.MaxSize != owned:
			gp.MaxSizeKept = fmt.Sprintf("MaxSize is %d, not the %d selfheal set: someone changed it, so it stays", g.MaxSize, owned)
		case g.DesiredCapacity > orig:
			gp.Target.MaxSize = g.DesiredCapacity
			gp.MaxSizeKept = fmt.Sprintf("MaxSize goes to %d, not the original %d: the desired capacity grew to %d meanwhile", g.DesiredCapacity, orig, g.DesiredCapacity)
		default:
			gp.Target.MaxSize = orig
		}
	}

	// The group must even out into the restored AZs, which AZRebalance
	// does. If its owner had suspended it before the evacuation, the
	// policy decides.
	if g.AZRebalanceSuspended {
		ownerSuspended := slices.ContainsFunc(restore, func(r state.Evacuation) bool { return r.AZRebalanceSuspended })
		resume := !ownerSuspended || pl.p.ImbalanceAction == config.ImbalanceResume
		if resume {
			gp.Target.AZRebalanceSuspended = false
		}
		if ownerSuspended {
			gp.Imbalance = &Imbalance{Counts: g.inServiceByAZ(groupAZsAfter(g, restore)), Resume: resume}
		}
	}
	return remaining
}

// evacuate moves the group out of the signal's AZs where it may, and
// returns the records that stand afterwards.
func (pl *planner) evacuate(gp *GroupPlan, g Group, records []state.Evacuation) []state.Evacuation {
	if pl.byShift(g, records) {
		return pl.evacuateByShift(gp, g, records)
	}
	sig := pl.in.Signal
	byAZ := map[string]state.Evacuation{}
	for _, r := range records {
		byAZ[r.AZ] = r
	}
	touched := intersect(g.AZs, sig.AZs)
	for _, r := range records {
		if slices.Contains(sig.AZs, r.AZ) && !slices.Contains(touched, r.AZ) {
			touched = append(touched, r.AZ)
		}
	}
	if len(touched) == 0 {
		return records
	}
	slices.Sort(touched)
	subnetAZs, known := g.subnetAZs()
	if !known {
		gp.Skips = append(gp.Skips, Skip{What: SkippedEvacuate, AZs: touched, Reason: SkipSubnetAZUnknown,
			Detail: "the AZ of some of the group's subnets could not be looked up; selfheal does not guess"})
		return records
	}
	// The AZs the group spans once this plan's restores are done.
	azs := slices.Clone(subnetAZs)
	for _, r := range gp.Clear {
		if !slices.Contains(azs, r.AZ) {
			azs = append(azs, r.AZ)
		}
	}
	slices.Sort(azs)

	var fresh, complete, finished []string
	for _, az := range touched {
		r, recorded := byAZ[az]
		present := slices.Contains(azs, az)
		switch {
		case recorded && r.ByZonalShift():
			// Out of the AZ by a zonal shift of a group no longer
			// enrolled: held like any evacuation, never completed by
			// subnets.
			pl.holdShift(gp, r)
		case recorded && !present && r.EventID == sig.EventID:
			// This event's own evacuation, left unfinished by a failed
			// attempt after the group update: what is left is the tag.
			finished = append(finished, az)
		case recorded && !present:
			// Already out of this AZ: this signal holds it too.
			if !slices.Contains(r.Holders, sig.Key) {
				gp.Hold = append(gp.Hold, az)
				gp.Skips = append(gp.Skips, Skip{What: SkippedEvacuate, AZs: []string{az}, Reason: SkipAlreadyEvacuated,
					Detail: fmt.Sprintf("evacuated since %s, held by %s", r.CreatedAt.UTC().Format(time.RFC3339), strings.Join(r.Holders, ", "))})
			}
		case recorded && tagHas(gp.Current.EvacuatedTag, az):
			// Ledger and tag say evacuated, yet the AZ is back: someone put
			// it back by hand. Do not fight them.
			if !slices.Contains(r.Holders, sig.Key) {
				gp.Hold = append(gp.Hold, az)
			}
			gp.Skips = append(gp.Skips, Skip{What: SkippedEvacuate, AZs: []string{az}, Reason: SkipReAdded,
				Detail: "selfheal evacuated this AZ and someone has put it back since; selfheal leaves it"})
		case recorded:
			// Recorded but not carried out (a crash between the ledger write
			// and the group update): finish it.
			complete = append(complete, az)
			if !slices.Contains(r.Holders, sig.Key) {
				gp.Hold = append(gp.Hold, az)
			}
		case present:
			fresh = append(fresh, az)
		}
	}
	move := append(slices.Clone(complete), fresh...)
	slices.Sort(move)
	if len(move) == 0 {
		if len(finished) > 0 {
			gp.Evacuate = finished
			for _, az := range finished {
				gp.Target.MaxSize = max(gp.Target.MaxSize, byAZ[az].MaxSize)
			}
		}
		return records
	}
	skip := func(reason SkipReason, detail string) []state.Evacuation {
		gp.Skips = append(gp.Skips, Skip{What: SkippedEvacuate, AZs: move, Reason: reason, Detail: detail})
		return records
	}

	if len(azs) == 1 {
		return skip(SkipSingleAZ, fmt.Sprintf("the group spans only %s: there is nowhere to move it; give it subnets in other AZs", azs[0]))
	}
	healthy := diff(diff(azs, move), sig.AZs)
	if need := max(pl.p.MinHealthyAZs, 1); len(healthy) < need {
		return skip(SkipMinHealthyAZs, fmt.Sprintf("evacuating %s would leave %d healthy AZ(s)%s; the policy needs at least %d",
			strings.Join(move, ", "), len(healthy), listed(healthy), need))
	}
	if n := len(records) + len(fresh); n > pl.p.MaxEvacuatedAZs {
		return skip(SkipMaxEvacuatedAZs, fmt.Sprintf("the group would be out of %d AZs at once; the policy allows %d", n, pl.p.MaxEvacuatedAZs))
	}
	if pl.evacuated >= pl.p.MaxGroupsPerEvent {
		return skip(SkipBlastRadius, fmt.Sprintf("%d groups were already evacuated for this event; the policy allows %d", pl.evacuated, pl.p.MaxGroupsPerEvent))
	}
	switch g.Refresh {
	case RefreshInProgress:
		return skip(SkipRefreshInProgress, "an instance refresh is replacing the group's instances; selfheal does not change a group mid-refresh")
	case RefreshUnknown:
		// Counted against the blast radius as if it went ahead, so that the
		// look-up covers exactly the groups this plan could change.
		pl.plan.NeedRefresh = append(pl.plan.NeedRefresh, g.Name)
		pl.evacuated++
		return records
	}
	if pl.plan.Breaker.Blocked {
		return skip(SkipBreakerOpen, "the circuit breaker is open: no Auto Scaling writes until it closes")
	}
	if len(fresh) > pl.budget {
		pl.plan.Breaker.Change = BreakerOpen
		pl.plan.Breaker.Blocked = true
		pl.plan.Breaker.Until = pl.in.Now.Add(pl.p.Breaker.Window.Duration)
		pl.plan.Breaker.Reason = fmt.Sprintf("evacuating %s from %s would make more than %d evacuations within %s",
			g.Name, strings.Join(fresh, ", "), pl.p.Breaker.MaxEvacuations, pl.p.Breaker.Window.Duration)
		return skip(SkipBreakerOpen, pl.plan.Breaker.Reason)
	}
	pl.budget -= len(fresh)
	pl.evacuated++

	before := gp.Target
	gp.Evacuate = append(slices.Clone(move), finished...)
	slices.Sort(gp.Evacuate)
	gp.Moving = g.liveIn(move)
	removedIn := func(az string) []string {
		var ids []string
		for _, s := range g.Subnets {
			if s.AZ == az {
				ids = append(ids, s.ID)
			}
		}
		return ids
	}
	gp.Target.Subnets = slices.DeleteFunc(slices.Clone(before.Subnets), func(id string) bool {
		return slices.ContainsFunc(g.Subnets, func(s Subnet) bool { return s.ID == id && slices.Contains(move, s.AZ) })
	})
	// Room to launch every replacement before the old instances go: the
	// desired capacity plus what moves. A group whose MaxSize equals its
	// desired capacity could otherwise replace only one at a time.
	gp.Target.MaxSize = max(before.MaxSize, g.DesiredCapacity+int32(gp.Moving))
	for _, az := range append(complete, finished...) {
		gp.Target.MaxSize = max(gp.Target.MaxSize, byAZ[az].MaxSize)
	}

	// The original configuration is the group before selfheal touched it:
	// an evacuation still standing already knows it.
	orig := state.Evacuation{OriginalSubnets: before.Subnets, OriginalMaxSize: before.MaxSize, AZRebalanceSuspended: before.AZRebalanceSuspended}
	if len(records) > 0 {
		orig = records[0]
	}
	for _, az := range complete {
		gp.Count = append(gp.Count, state.BreakerEvacuation{At: byAZ[az].CreatedAt, Group: g.Name, AZ: az})
	}
	for _, az := range fresh {
		gp.Count = append(gp.Count, state.BreakerEvacuation{At: pl.in.Now, Group: g.Name, AZ: az})
		gp.Record = append(gp.Record, state.Evacuation{
			Group: g.Name, GroupARN: g.ARN, AZ: az,
			RemovedSubnets:       removedIn(az),
			OriginalSubnets:      slices.Clone(orig.OriginalSubnets),
			OriginalMaxSize:      orig.OriginalMaxSize,
			MaxSize:              gp.Target.MaxSize,
			AZRebalanceSuspended: orig.AZRebalanceSuspended,
			Holders:              []string{sig.Key},
			EventID:              sig.EventID,
			CreatedAt:            pl.in.Now,
		})
	}
	return append(records, gp.Record...)
}

// imbalance applies the rebalance rule to a group the recovery touches
// that selfheal holds no evacuation of.
func (pl *planner) imbalance(gp *GroupPlan, g Group) {
	if !g.AZRebalanceSuspended || len(intersect(g.AZs, pl.in.Signal.AZs)) == 0 {
		return
	}
	counts := g.inServiceByAZ(g.AZs)
	lo, hi := -1, 0
	for _, n := range counts {
		if lo < 0 || n < lo {
			lo = n
		}
		hi = max(hi, n)
	}
	if hi-lo <= 1 {
		return
	}
	resume := pl.p.ImbalanceAction == config.ImbalanceResume
	gp.Imbalance = &Imbalance{Counts: counts, Resume: resume}
	if !resume {
		return
	}
	if pl.plan.Breaker.Blocked {
		gp.Imbalance.Resume = false
		gp.Skips = append(gp.Skips, Skip{What: SkippedResume, Reason: SkipBreakerOpen,
			Detail: "the circuit breaker is open: no Auto Scaling writes until it closes"})
		return
	}
	gp.Target.AZRebalanceSuspended = false
}

// groupAZsAfter is the AZs a group spans once restore is done.
func groupAZsAfter(g Group, restore []state.Evacuation) []string {
	azs := slices.Clone(g.AZs)
	for _, r := range restore {
		if !slices.Contains(azs, r.AZ) {
			azs = append(azs, r.AZ)
		}
	}
	slices.Sort(azs)
	return azs
}

// addBack returns current with the subnets of removed added back, in the
// order they had in original; subnets in neither keep their place at the
// end. Putting back exactly what was taken also keeps a change someone made
// meanwhile, and another AZ still evacuated stays out.
func addBack(current, removed, original []string) []string {
	want := func(id string) bool { return slices.Contains(current, id) || slices.Contains(removed, id) }
	out := make([]string, 0, len(current)+len(removed))
	for _, id := range original {
		if want(id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, id := range current {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, id := range removed {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func tagValue(records []state.Evacuation) string {
	azs := make([]string, 0, len(records))
	for _, r := range records {
		if !slices.Contains(azs, r.AZ) {
			azs = append(azs, r.AZ)
		}
	}
	slices.Sort(azs)
	return strings.Join(azs, ",")
}

func tagHas(tag, az string) bool { return slices.Contains(strings.Split(tag, ","), az) }

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func listed(azs []string) string {
	if len(azs) == 0 {
		return ""
	}
	return " (" + strings.Join(azs, ", ") + ")"
}
