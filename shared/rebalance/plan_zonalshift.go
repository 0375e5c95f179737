package rebalance

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/selfheal/selfheal/shared/state"
)

// Planning for groups enrolled in ARC zonal shift: the evacuation is a
// zonal shift of the group away from the AZ, which the group itself obeys
// (it launches nothing there), instead of taking the AZ's subnets out.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-zonal-shift.html

// Shift is an active ARC zonal shift (or autoshift) of a group, as
// ListManagedResources reports it.
type Shift struct {
	ID string // "" for an autoshift, which has none
	// Type is ARC's shift type: ZONAL_SHIFT (customer-initiated: a
	// person's, or selfheal's own), PRACTICE_RUN, FIS_EXPERIMENT or
	// ZONAL_AUTOSHIFT.
	Type    string
	AZ      string // the AZ's name in this account
	AZID    string
	Comment string
	Start   time.Time
	Expiry  time.Time // zero for an autoshift
	Applied bool      // the one in effect, when several are active
}

// ARC shift types.
const (
	ShiftCustomer    = "ZONAL_SHIFT"
	ShiftPracticeRun = "PRACTICE_RUN"
	ShiftFIS         = "FIS_EXPERIMENT"
	ShiftAutoshift   = "ZONAL_AUTOSHIFT"
)

// describe says what a shift is, for humans.
func (s Shift) describe() string {
	what := map[string]string{
		ShiftCustomer: "manual zonal shift", ShiftPracticeRun: "zonal autoshift practice run",
		ShiftFIS: "AWS FIS experiment's zonal shift", ShiftAutoshift: "ARC zonal autoshift",
	}[s.Type]
	if what == "" {
		what = "zonal shift of type " + s.Type
	}
	if s.ID != "" {
		what += " " + s.ID
	}
	if s.Comment != "" {
		what += fmt.Sprintf(" (%q)", s.Comment)
	}
	if !s.Expiry.IsZero() {
		what += " until " + s.Expiry.UTC().Format(time.RFC3339)
	}
	return what
}

// ShiftOpKind is one ARC call of a plan.
type ShiftOpKind string

// Zonal shift operations.
const (
	// ShiftStart starts the shift of an evacuation (StartZonalShift) and
	// records its id on the evacuation's record.
	ShiftStart ShiftOpKind = "start"
	// ShiftAdopt records on the evacuation's record the shift a crashed
	// attempt started but could not record: no ARC call.
	ShiftAdopt ShiftOpKind = "adopt"
	// ShiftExtend gives a shift that still holds a new expiry
	// (UpdateZonalShift).
	ShiftExtend ShiftOpKind = "extend"
	// ShiftCancel ends a shift whose evacuation is restored
	// (CancelZonalShift).
	ShiftCancel ShiftOpKind = "cancel"
)

// ShiftOp is one zonal shift operation on a group.
type ShiftOp struct {
	Op   ShiftOpKind
	AZ   string
	AZID string
	// ID is the shift's id (adopt, extend, cancel).
	ID string
	// Expiry is when the shift ends if nothing is done (extend, cancel).
	Expiry time.Time
	// Record is the ledger record the shift belongs to; for the start of a
	// new evacuation, the one in GroupPlan.Record.
	Record state.Evacuation
}

// Writes reports whether the operation calls ARC.
func (o ShiftOp) Writes() bool { return o.Op != ShiftAdopt }

// Held is a restore someone else's zonal shift holds back, to remember as
// said.
type Held struct {
	Record  state.Evacuation
	ShiftID string
}

// commentPrefix starts the comment of every shift selfheal starts,
// followed by the id of the event that caused it: a crash between starting
// a shift and recording it leaves a shift the retry recognizes as its own.
const commentPrefix = "selfheal "

// shiftComment is the comment of the shift of an evacuation, within ARC's
// 128 characters.
func shiftComment(r state.Evacuation, title string) string {
	c := commentPrefix + r.EventID + ": " + title
	if len(c) > 128 {
		c = c[:125] + "..."
	}
	return c
}

// byShift reports whether new evacuations of g are zonal shifts: the policy
// allows it, the group is enrolled, and it holds no subnet evacuation
// (those finish the way they started).
func (pl *planner) byShift(g Group, records []state.Evacuation) bool {
	return pl.p.ZonalShift.Enabled && g.ZonalShiftEnabled &&
		!slices.ContainsFunc(records, func(r state.Evacuation) bool { return !r.ByZonalShift() })
}

// shifts returns g's active shifts: selfheal's own (by id, or by the
// comment of a shift a crash left unrecorded) and everybody else's.
func (pl *planner) shifts(g Group, records []state.Evacuation) (own map[string]Shift, others []Shift) {
	own = map[string]Shift{}
	for _, s := range pl.in.Shifts[g.ARN] {
		mine := false
		// A shift of selfheal's whose comment someone changed
		// (UpdateZonalShift) is theirs now: selfheal neither extends nor
		// cancels it.
		if strings.HasPrefix(s.Comment, commentPrefix) {
			for _, r := range records {
				if r.ByZonalShift() && (s.ID == r.ZonalShiftID && s.ID != "" ||
					r.ZonalShiftID == "" && s.Type == ShiftCustomer && strings.HasPrefix(s.Comment, commentPrefix+r.EventID+":")) {
					own[r.AZ], mine = s, true
				}
			}
		}
		if !mine {
			others = append(others, s)
		}
	}
	return own, others
}

// own returns selfheal's active shift for a record. Without ARC's answer
// (Input.Shifts nil) the ledger's word is taken: a cancel of a shift that
// already ended is harmless, a record dropped with its shift still active
// is not.
func (pl *planner) own(own map[string]Shift, r state.Evacuation) (Shift, bool) {
	if s, ok := own[r.AZ]; ok {
		return s, true
	}
	if pl.in.Shifts == nil && r.ZonalShiftID != "" {
		return Shift{ID: r.ZonalShiftID, Type: ShiftCustomer, AZ: r.AZ, AZID: r.AZID, Expiry: r.ZonalShiftExpiry}, true
	}
	return Shift{}, false
}

// holdShift makes the current signal one more holder of a zonal-shift
// evacuation already standing.
func (pl *planner) holdShift(gp *GroupPlan, r state.Evacuation) {
	sig := pl.in.Signal
	if slices.Contains(r.Holders, sig.Key) {
		return
	}
	gp.Hold = append(gp.Hold, r.AZ)
	gp.Skips = append(gp.Skips, Skip{What: SkippedEvacuate, AZs: []string{r.AZ}, Reason: SkipAlreadyEvacuated,
		Detail: fmt.Sprintf("shifted away by zonal shift %s since %s, held by %s", orNone(r.ZonalShiftID),
			r.CreatedAt.UTC().Format(time.RFC3339), strings.Join(r.Holders, ", "))})
}

func orNone(id string) string {
	if id == "" {
		return "(starting)"
	}
	return id
}

// evacuateByShift moves an enrolled group out of the signal's AZs with a
// zonal shift: the same limits as a subnet evacuation, minus what a shift
// does not touch (subnets, an instance refresh, which Auto Scaling extends
// through a shift), plus ARC's: one customer-initiated shift per resource,
// and a person's shift or FIS experiment on the group wins.
func (pl *planner) evacuateByShift(gp *GroupPlan, g Group, records []state.Evacuation) []state.Evacuation {
	sig := pl.in.Signal
	own, others := pl.shifts(g, records)
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
	slices.Sort(touched)
	var fresh []string
	for _, az := range touched {
		r, recorded := byAZ[az]
		if !recorded {
			fresh = append(fresh, az)
			continue
		}
		s, active := pl.own(own, r)
		taken := r.ZonalShiftID != "" && slices.ContainsFunc(others, func(o Shift) bool { return o.ID == r.ZonalShiftID })
		switch {
		case taken:
			// Someone took selfheal's shift over: it holds, theirs now.
			pl.holdShift(gp, r)
		case r.ZonalShiftID == "" && active:
			// Started by an attempt that crashed before recording it.
			gp.Shifts = append(gp.Shifts, ShiftOp{Op: ShiftAdopt, AZ: az, AZID: r.AZID, ID: s.ID, Expiry: s.Expiry, Record: r})
			pl.holdShift(gp, r)
		case r.ZonalShiftID == "":
			// Recorded, never started: finish it.
			if pl.plan.Breaker.Blocked {
				gp.Skips = append(gp.Skips, Skip{What: SkippedEvacuate, AZs: []string{az}, Reason: SkipBreakerOpen,
					Detail: "the circuit breaker is open: no writes until it closes"})
				continue
			}
			id := cmp.Or(r.AZID, pl.in.ZoneIDs[az])
			if id == "" {
				gp.Skips = append(gp.Skips, Skip{What: SkippedEvacuate, AZs: []string{az}, Reason: SkipAZIDUnknown,
					Detail: fmt.Sprintf("the id of %s, which ARC names AZs by, is not known; selfheal does not guess", az)})
				continue
			}
			gp.Evacuate = append(gp.Evacuate, az)
			gp.Shifts = append(gp.Shifts, ShiftOp{Op: ShiftStart, AZ: az, AZID: id, Record: r})
			gp.Count = append(gp.Count, state.BreakerEvacuation{At: r.CreatedAt, Group: g.Name, AZ: az})
			if !slices.Contains(r.Holders, sig.Key) {
				gp.Hold = append(gp.Hold, az)
			}
		case active:
			pl.holdShift(gp, r)
		default:
			// Someone cancelled selfheal's shift, or it expired: do not
			// fight them.
			if !slices.Contains(r.Holders, sig.Key) {
				gp.Hold = append(gp.Hold, az)
			}
			gp.Skips = append(gp.Skips, Skip{What: SkippedEvacuate, AZs: []string{az}, Reason: SkipShiftEnded,
				Detail: fmt.Sprintf("selfheal's zonal shift %s away from %s is no longer active (cancelled by someone, or expired); selfheal does not start it again", r.ZonalShiftID, az)})
		}
	}
	if len(fresh) == 0 {
		return records
	}
	skip := func(reason SkipReason, detail string) []state.Evacuation {
		gp.Skips = append(gp.Skips, Skip{What: SkippedEvacuate, AZs: fresh, Reason: reason, Detail: detail})
		return records
	}
	azs := g.AZs
	if len(azs) == 1 {
		return skip(SkipSingleAZ, fmt.Sprintf("the group spans only %s: there is nowhere to move it; give it subnets in other AZs", azs[0]))
	}
	healthy := diff(diff(azs, fresh), sig.AZs)
	if need := max(pl.p.MinHealthyAZs, 1); len(healthy) < need {
		return skip(SkipMinHealthyAZs, fmt.Sprintf("shifting away from %s would leave %d healthy AZ(s)%s; the policy needs at least %d",
			strings.Join(fresh, ", "), len(healthy), listed(healthy), need))
	}
	if n := len(records) + len(fresh); n > pl.p.MaxEvacuatedAZs {
		return skip(SkipMaxEvacuatedAZs, fmt.Sprintf("the group would be out of %d AZs at once; the policy allows %d", n, pl.p.MaxEvacuatedAZs))
	}
	if n := len(records) + len(fresh); n > 1 {
		return skip(SkipMaxEvacuatedAZs, fmt.Sprintf("the group would be shifted away from %d AZs at once; ARC applies one zonal shift to a resource at a time", n))
	}
	for _, s := range others {
		if s.Type == ShiftCustomer || s.Type == ShiftFIS {
			// A person's shift or experiment: theirs to end, and starting
			// one of selfheal's would cancel an experiment.
			// https://docs.aws.amazon.com/r53recovery/latest/dg/arc-zonal-autoshift.how-it-works.precedence.html
			return skip(SkipHeldByZonalShift, fmt.Sprintf("a %s holds the group away from %s; selfheal does not start a shift of its own over it",
				s.describe(), s.AZ))
		}
	}
	ids := make([]string, len(fresh))
	for i, az := range fresh {
		if ids[i] = pl.in.ZoneIDs[az]; ids[i] == "" {
			return skip(SkipAZIDUnknown, fmt.Sprintf("the id of %s, which ARC names AZs by, is not known; selfheal does not guess", az))
		}
	}
	if pl.evacuated >= pl.p.MaxGroupsPerEvent {
		return skip(SkipBlastRadius, fmt.Sprintf("%d groups were already evacuated for this event; the policy allows %d", pl.evacuated, pl.p.MaxGroupsPerEvent))
	}
	if pl.plan.Breaker.Blocked {
		return skip(SkipBreakerOpen, "the circuit breaker is open: no writes until it closes")
	}
	if len(fresh) > pl.budget {
		pl.plan.Breaker.Change = BreakerOpen
		pl.plan.Breaker.Blocked = true
		pl.plan.Breaker.Until = pl.in.Now.Add(pl.p.Breaker.Window.Duration)
		pl.plan.Breaker.Reason = fmt.Sprintf("shifting %s away from %s would make more than %d evacuations within %s",
			g.Name, strings.Join(fresh, ", "), pl.p.Breaker.MaxEvacuations, pl.p.Breaker.Window.Duration)
		return skip(SkipBreakerOpen, pl.plan.Breaker.Reason)
	}
	pl.budget -= len(fresh)
	pl.evacuated++
	gp.Evacuate = append(gp.Evacuate, fresh...)
	slices.Sort(gp.Evacuate)
	for i, az := range fresh {
		r := state.Evacuation{
			Group: g.Name, GroupARN: g.ARN, AZ: az,
			// Kept for humans reading the ledger; a shift changes neither.
			OriginalSubnets: g.SubnetIDs(), OriginalMaxSize: g.MaxSize, MaxSize: g.MaxSize,
			AZRebalanceSuspended: g.AZRebalanceSuspended,
			Holders:              []string{sig.Key},
			EventID:              sig.EventID,
			CreatedAt:            pl.in.Now,
			Method:               state.MethodZonalShift,
			AZID:                 ids[i],
		}
		gp.Record = append(gp.Record, r)
		gp.Count = append(gp.Count, state.BreakerEvacuation{At: pl.in.Now, Group: g.Name, AZ: az})
		gp.Shifts = append(gp.Shifts, ShiftOp{Op: ShiftStart, AZ: az, AZID: ids[i], Record: r})
	}
	return append(records, gp.Record...)
}

// extend gives each zonal shift that still holds a new expiry once less
// than half of rebalance.zonalShift.expiresIn is left: a shift outlives
// its signal by at most that long if selfheal stops, and never ends while
// the signal holds if it runs (the schedule invokes it every few minutes).
// An open breaker does not stop it: letting a shift lapse would be a
// restore.
func (pl *planner) extend(gp *GroupPlan, g Group, remaining []state.Evacuation) {
	own, _ := pl.shifts(g, remaining)
	ttl := pl.p.ZonalShift.ExpiresIn.Duration
	for _, r := range remaining {
		s, active := pl.own(own, r)
		if !r.ByZonalShift() || r.ZonalShiftID == "" || !active || s.ID != r.ZonalShiftID {
			continue
		}
		if s.Expiry.Sub(pl.in.Now) >= ttl/2 {
			continue
		}
		gp.Shifts = append(gp.Shifts, ShiftOp{Op: ShiftExtend, AZ: r.AZ, AZID: r.AZID, ID: s.ID, Expiry: s.Expiry, Record: r})
	}
}

// cancel ends the zonal shifts of restored evacuations that are still
// active. One that already ended (expired, or cancelled by someone) only
// has its record cleared.
func (pl *planner) cancel(gp *GroupPlan, g Group, restore []state.Evacuation) {
	own, _ := pl.shifts(g, restore)
	for _, r := range restore {
		if s, active := pl.own(own, r); r.ByZonalShift() && active {
			gp.Shifts = append(gp.Shifts, ShiftOp{Op: ShiftCancel, AZ: r.AZ, AZID: r.AZID, ID: s.ID, Expiry: s.Expiry, Record: r})
		}
	}
}

// heldByOthers reports whether someone else's zonal shift holds r's AZ
// away for the group, so that its restore must wait: said once per shift
// (the record remembers it), logged after that.
func (pl *planner) heldByOthers(gp *GroupPlan, g Group, records []state.Evacuation, r state.Evacuation) bool {
	_, others := pl.shifts(g, records)
	for _, s := range others {
		if s.AZ != r.AZ {
			continue
		}
		quiet := r.HeldBy == heldKey(s)
		gp.Skips = append(gp.Skips, Skip{What: SkippedRestore, AZs: []string{r.AZ}, Reason: SkipHeldByZonalShift, Quiet: quiet,
			Detail: fmt.Sprintf("a %s holds %s away for the group; selfheal restores capacity there once it ends", s.describe(), r.AZ)})
		if !quiet && !pl.plan.DryRun {
			gp.Held = append(gp.Held, Held{Record: r, ShiftID: heldKey(s)})
		}
		return true
	}
	return false
}

// heldKey names a shift in the ledger: its id, or for an autoshift, which
// has none, its type and start.
func heldKey(s Shift) string {
	if s.ID != "" {
		return s.ID
	}
	return s.Type + "@" + s.Start.UTC().Format(time.RFC3339)
}
