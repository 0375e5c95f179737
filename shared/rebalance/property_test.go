package rebalance_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/rebalance"
	"github.com/selfheal/selfheal/shared/state"
)

// propertyCases is how many random accounts the property test plans for.
const propertyCases = 5000

// TestPlannerInvariants plans for random accounts — groups of every shape,
// existing evacuations (some cut short by a crash), signals in every state,
// any policy and breaker — and checks what the planner promises for every
// one of them:
//
//   - a group's capacity is never planned below what it was: MaxSize never
//     below the desired capacity, which is never changed, and room for every
//     replacement when it evacuates;
//   - it never evacuates the last healthy AZ, nor leaves fewer than
//     minHealthyAZs healthy;
//   - no group is ever out of more than maxEvacuatedAZs;
//   - a group out of scope is never touched;
//   - and around them: evacuations only of the signal's AZs, at most
//     maxGroupsPerEvent groups, never past the breaker, nothing under an open
//     breaker, restores only of what no active signal holds, and a restore
//     puts back exactly the subnets it took.
//
// Both kinds of evacuation are drawn: groups enrolled in ARC zonal shift
// (some with shifts of people, practice runs, FIS experiments and
// autoshifts on them) get zonal shifts, and for those it also checks that a
// shift is started only for an enrolled group, never over a person's shift
// or experiment, at most one per group; that it changes no setting of the
// group; that only selfheal's own shifts are extended or cancelled, and
// only cancelled with their restore; and that no restore goes ahead while
// someone else's shift holds the AZ.
func TestPlannerInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(20260304, 6))
	seen := map[string]int{}
	for i := range propertyCases {
		c := randomCase(rng)
		plan := buildWithRefreshes(c.in, rng)
		for _, v := range checkInvariants(c, plan) {
			t.Errorf("case %d: %s\nsignal %+v\npolicy %+v\nbreaker %+v", i, v, c.in.Signal, c.in.Policy.Rebalance, c.in.Breaker)
		}
		tally(seen, plan)
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("%d cases: %v", propertyCases, seen)
	// The generator must reach every branch worth checking, or the test
	// proves little.
	for _, k := range []string{"evacuate", "restore", "hold", "complete", "breaker-opened",
		"zonal-shift", "zonal-extend", "zonal-cancel", "zonal-restore-ended", "zonal-complete", string(rebalance.SkipHeldByZonalShift),
		string(rebalance.SkipSingleAZ), string(rebalance.SkipMinHealthyAZs), string(rebalance.SkipMaxEvacuatedAZs),
		string(rebalance.SkipRefreshInProgress), string(rebalance.SkipBlastRadius), string(rebalance.SkipBreakerOpen),
		string(rebalance.SkipNotOptedIn), string(rebalance.SkipExcluded)} {
		if seen[k] < 10 {
			t.Errorf("only %d cases exercised %s", seen[k], k)
		}
	}
}

type propertyCase struct {
	in      rebalance.Input
	subnets map[string]string // subnet → AZ
}

// buildWithRefreshes plans as the processor does: it looks up the refresh
// status of the groups the planner asks about, and plans again.
func buildWithRefreshes(in rebalance.Input, rng *rand.Rand) rebalance.Plan {
	in.Groups = slices.Clone(in.Groups)
	for {
		p := rebalance.Build(in)
		if len(p.NeedRefresh) == 0 {
			return p
		}
		for _, name := range p.NeedRefresh {
			i := slices.IndexFunc(in.Groups, func(g rebalance.Group) bool { return g.Name == name })
			in.Groups[i].Refresh = []rebalance.RefreshStatus{rebalance.RefreshNone, rebalance.RefreshNone, rebalance.RefreshInProgress}[rng.IntN(3)]
		}
	}
}

var holderKeys = []string{"health#h1", "health#h2", "alarm#a1", "alarm#a2", "autoshift#use1-az1", "launchfail#us-east-1#x"}

func randomCase(rng *rand.Rand) propertyCase {
	nAZ := 2 + rng.IntN(5)
	var azs []string
	for i := range nAZ {
		azs = append(azs, fmt.Sprintf("us-east-1%c", 'a'+i))
	}
	pick := func(from []string, n int) []string {
		out := slices.Clone(from)
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		out = out[:min(n, len(out))]
		slices.Sort(out)
		return out
	}

	policy := config.DefaultPolicy()
	r := &policy.Rebalance
	r.MinHealthyAZs = []int{1, 1, 2, 2, 3}[rng.IntN(5)]
	r.MaxGroupsPerEvent = 1 + rng.IntN(4)
	r.MaxEvacuatedAZs = 1 + rng.IntN(2)
	r.Breaker.MaxEvacuations = 1 + rng.IntN(6)
	r.ImbalanceAction = []config.ImbalanceAction{config.ImbalanceReport, config.ImbalanceResume}[rng.IntN(2)]
	policy.DryRun = rng.IntN(10) == 0
	r.ZonalShift.Enabled = rng.IntN(8) > 0

	c := propertyCase{subnets: map[string]string{}}
	sig := rebalance.Signal{
		Key: holderKeys[rng.IntN(len(holderKeys))], EventID: "evt-now", At: now,
		AZs: pick(azs, 1+rng.IntN(3)),
	}
	switch rng.IntN(20) {
	case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11:
		sig.Effect = rebalance.EffectImpair
	case 12, 13, 14, 15, 16:
		sig.Effect = rebalance.EffectRecover
	default:
		sig.Key, sig.Effect, sig.AZs = "schedule#tick", rebalance.EffectNone, nil
	}
	c.in = rebalance.Input{
		Now: now, Policy: policy, Signal: sig,
		Ledger: map[string][]state.Evacuation{}, Signals: map[string]state.Signal{},
		Shifts: map[string][]rebalance.Shift{}, ZoneIDs: map[string]string{},
	}
	for i, az := range azs {
		if rng.IntN(30) > 0 { // now and then an id is missing
			c.in.ZoneIDs[az] = fmt.Sprintf("use1-az%d", (i+1)%nAZ+1)
		}
	}
	for _, k := range holderKeys {
		if rng.IntN(6) == 0 {
			continue // no record: counts as active
		}
		s := state.Signal{Key: k, Impaired: rng.IntN(2) == 0, Since: now.Add(-time.Duration(rng.IntN(30)) * time.Minute)}
		s.LastEvidence = s.Since
		c.in.Signals[k] = s
	}
	if sig.Effect != rebalance.EffectNone {
		c.in.Signals[sig.Key] = state.Signal{Key: sig.Key, Impaired: sig.Effect == rebalance.EffectImpair, Since: now, LastEvidence: now}
	}

	nGroups := 1 + rng.IntN(6)
	for gi := range nGroups {
		g := rebalance.Group{
			Name: fmt.Sprintf("g%d", gi), ARN: fmt.Sprintf("arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:%d:autoScalingGroupName/g%d", gi, gi),
			Tags: map[string]string{},
		}
		switch rng.IntN(10) {
		case 0:
		case 1:
			g.Tags["selfheal:managed"] = "true"
			g.Tags["selfheal:exclude"] = "yes"
		default:
			g.Tags["selfheal:managed"] = "true"
		}
		spans := pick(azs, 1+rng.IntN(min(4, nAZ)))
		for _, az := range spans {
			for k := range 1 + rng.IntN(2) {
				id := fmt.Sprintf("subnet-%s-%s-%d", g.Name, az, k)
				c.subnets[id] = az
				g.Subnets = append(g.Subnets, rebalance.Subnet{ID: id, AZ: az})
			}
		}
		rng.Shuffle(len(g.Subnets), func(i, j int) { g.Subnets[i], g.Subnets[j] = g.Subnets[j], g.Subnets[i] })
		g.DesiredCapacity = int32(rng.IntN(13))
		g.MinSize = int32(rng.IntN(int(g.DesiredCapacity) + 1))
		g.MaxSize = g.DesiredCapacity + int32(rng.IntN(4))
		g.AZRebalanceSuspended = rng.IntN(5) == 0
		g.Refresh = []rebalance.RefreshStatus{rebalance.RefreshUnknown, rebalance.RefreshNone, rebalance.RefreshInProgress}[rng.IntN(3)]
		g.ZonalShiftEnabled = rng.IntN(2) == 0
		if g.ZonalShiftEnabled && rng.IntN(2) == 0 {
			c.zonalGroup(rng, &g, spans, pick)
			c.in.Groups = append(c.in.Groups, g)
			continue
		}

		// Some groups are already out of some AZs, and a third of those
		// evacuations were cut short by a crash after the ledger write.
		var records []state.Evacuation
		if len(spans) > 1 && rng.IntN(3) == 0 {
			out := pick(spans, 1+rng.IntN(min(r.MaxEvacuatedAZs, len(spans)-1)))
			orig := g.SubnetIDs()
			origMax := g.MaxSize
			crashed := rng.IntN(3) == 0
			raised := g.DesiredCapacity + int32(rng.IntN(4))
			if raised < g.MaxSize {
				raised = g.MaxSize
			}
			for _, az := range out {
				var removed []string
				for _, s := range g.Subnets {
					if s.AZ == az {
						removed = append(removed, s.ID)
					}
				}
				records = append(records, state.Evacuation{
					Group: g.Name, GroupARN: g.ARN, AZ: az, RemovedSubnets: removed,
					OriginalSubnets: orig, OriginalMaxSize: origMax, MaxSize: raised,
					Holders: pick(holderKeys, 1+rng.IntN(2)), EventID: "evt-old", CreatedAt: now.Add(-time.Hour),
				})
			}
			if !crashed {
				g.Subnets = slices.DeleteFunc(g.Subnets, func(s rebalance.Subnet) bool { return slices.Contains(out, s.AZ) })
				g.MaxSize = raised
				if rng.IntN(5) > 0 {
					g.Tags[rebalance.TagEvacuatedFrom] = joinAZs(out)
				}
			} else {
				records = records[:1]
			}
			c.in.Ledger[g.Name] = records
		}
		for _, s := range g.Subnets {
			if !slices.Contains(g.AZs, s.AZ) {
				g.AZs = append(g.AZs, s.AZ)
			}
		}
		slices.Sort(g.AZs)
		// Instances: the desired capacity spread over the group's AZs, some
		// still pending, a few on their way out.
		for k := range int(g.DesiredCapacity) + rng.IntN(3) {
			life := "InService"
			switch rng.IntN(8) {
			case 0:
				life = "Pending"
			case 1:
				life = "Terminating"
			}
			g.Instances = append(g.Instances, rebalance.Instance{ID: fmt.Sprintf("i-%s-%d", g.Name, k), AZ: g.AZs[rng.IntN(len(g.AZs))], Lifecycle: life, Healthy: true})
		}
		c.in.Groups = append(c.in.Groups, g)
	}

	c.in.Breaker = state.Breaker{Status: state.BreakerClosed, Exists: rng.IntN(5) > 0}
	if c.in.Breaker.Exists {
		for k := range rng.IntN(7) {
			c.in.Breaker.Evacuations = append(c.in.Breaker.Evacuations, state.BreakerEvacuation{At: now.Add(-time.Duration(k+1) * time.Minute)})
		}
		switch rng.IntN(10) {
		case 0:
			c.in.Breaker.Status, c.in.Breaker.OpenUntil = state.BreakerOpen, now.Add(time.Duration(1+rng.IntN(60))*time.Minute)
		case 1:
			c.in.Breaker.Status, c.in.Breaker.OpenUntil = state.BreakerOpen, now.Add(-time.Minute)
		}
	}
	return c
}

// zonalGroup gives an enrolled group zonal-shift evacuations (a third cut
// short by a crash before the shift was started or recorded) and the
// shifts ARC reports on it: selfheal's own, mostly active, and now and
// then someone else's.
func (c *propertyCase) zonalGroup(rng *rand.Rand, g *rebalance.Group, spans []string, pick func([]string, int) []string) {
	for _, s := range g.Subnets {
		if !slices.Contains(g.AZs, s.AZ) {
			g.AZs = append(g.AZs, s.AZ)
		}
	}
	slices.Sort(g.AZs)
	for k := range int(g.DesiredCapacity) {
		g.Instances = append(g.Instances, rebalance.Instance{ID: fmt.Sprintf("i-%s-%d", g.Name, k), AZ: g.AZs[rng.IntN(len(g.AZs))], Lifecycle: "InService", Healthy: true})
	}
	shift := func(typ, az, id, comment string) rebalance.Shift {
		return rebalance.Shift{ID: id, Type: typ, AZ: az, AZID: c.in.ZoneIDs[az], Comment: comment,
			Start: now.Add(-time.Hour), Expiry: now.Add(time.Duration(rng.IntN(60)) * time.Minute)}
	}
	if len(spans) > 1 && rng.IntN(2) == 0 {
		az := spans[rng.IntN(len(spans))]
		rec := state.Evacuation{
			Group: g.Name, GroupARN: g.ARN, AZ: az, OriginalSubnets: g.SubnetIDs(), OriginalMaxSize: g.MaxSize, MaxSize: g.MaxSize,
			Holders: pick(holderKeys, 1+rng.IntN(2)), EventID: "evt-old", CreatedAt: now.Add(-time.Hour),
			Method: state.MethodZonalShift, AZID: c.in.ZoneIDs[az], ZonalShiftID: "zs-" + g.Name,
		}
		own := shift(rebalance.ShiftCustomer, az, rec.ZonalShiftID, "selfheal evt-old: AWS Health")
		switch rng.IntN(6) {
		case 0: // crashed before StartZonalShift
			rec.ZonalShiftID = ""
		case 1: // crashed after it, before the record
			rec.ZonalShiftID, own.ID = "", "zs-unrecorded-"+g.Name
			c.in.Shifts[g.ARN] = append(c.in.Shifts[g.ARN], own)
		case 2: // ended: cancelled by someone, or expired
		case 3: // taken over by a person
			own.Comment = "on-call: holding"
			c.in.Shifts[g.ARN] = append(c.in.Shifts[g.ARN], own)
		default:
			c.in.Shifts[g.ARN] = append(c.in.Shifts[g.ARN], own)
		}
		rec.ZonalShiftExpiry = own.Expiry
		c.in.Ledger[g.Name] = []state.Evacuation{rec}
		if rng.IntN(5) > 0 {
			g.Tags[rebalance.TagEvacuatedFrom] = az
		}
	}
	if rng.IntN(3) == 0 {
		typ := []string{rebalance.ShiftCustomer, rebalance.ShiftPracticeRun, rebalance.ShiftFIS, rebalance.ShiftAutoshift}[rng.IntN(4)]
		if typ == rebalance.ShiftCustomer && len(c.in.Shifts[g.ARN]) > 0 {
			typ = rebalance.ShiftAutoshift // ARC has one customer shift per resource
		}
		id := "other-" + g.Name
		if typ == rebalance.ShiftAutoshift {
			id = ""
		}
		c.in.Shifts[g.ARN] = append(c.in.Shifts[g.ARN], shift(typ, spans[rng.IntN(len(spans))], id, "a person's"))
	}
}

func joinAZs(azs []string) string {
	out := ""
	for i, az := range azs {
		if i > 0 {
			out += ","
		}
		out += az
	}
	return out
}

func checkInvariants(c propertyCase, plan rebalance.Plan) []string {
	var bad []string
	fail := func(g, format string, args ...any) { bad = append(bad, g+": "+fmt.Sprintf(format, args...)) }
	in, r := c.in, c.in.Policy.Rebalance
	groups := map[string]rebalance.Group{}
	for _, g := range in.Groups {
		groups[g.Name] = g
	}
	openBefore := in.Breaker.Status == state.BreakerOpen && now.Before(in.Breaker.OpenUntil)
	budget := r.Breaker.MaxEvacuations - len(in.Breaker.Evacuations)
	if in.Breaker.Status == state.BreakerOpen && !openBefore {
		budget = r.Breaker.MaxEvacuations
	}
	evacuatedGroups, fresh := 0, 0

	for _, gp := range plan.Groups {
		g := groups[gp.Group]
		bad = append(bad, checkZonalShifts(c, g, gp, plan, openBefore)...)
		// Out of scope: never touched.
		if rebalance.ScopeOf(g.Tags, in.Policy) != rebalance.InScope {
			if gp.InScope || gp.Changes() || len(gp.Record)+len(gp.Clear)+len(gp.Hold)+len(gp.Count)+len(gp.Evacuate)+len(gp.Restore) > 0 || gp.Imbalance != nil {
				fail(gp.Group, "out of scope, yet planned %+v", gp)
			}
			continue
		}
		if !slices.Equal(gp.Current.Subnets, g.SubnetIDs()) || gp.Current.MaxSize != g.MaxSize {
			fail(gp.Group, "current config %+v is not the group as observed", gp.Current)
		}
		// Capacity: MaxSize never below the desired capacity; room for the
		// replacements of an evacuation; never a lower MaxSize on the way out.
		if gp.Target.MaxSize < g.DesiredCapacity {
			fail(gp.Group, "MaxSize %d below desired %d", gp.Target.MaxSize, g.DesiredCapacity)
		}
		if len(gp.Record) > 0 || removesSubnets(gp) {
			// (A restore in the same plan may give back a MaxSize raised
			// earlier; the room check below still holds.)
			if gp.Target.MaxSize < g.MaxSize && len(gp.Clear) == 0 {
				fail(gp.Group, "evacuation lowers MaxSize %d → %d", g.MaxSize, gp.Target.MaxSize)
			}
			if gp.Target.MaxSize < g.DesiredCapacity+int32(gp.Moving) {
				fail(gp.Group, "MaxSize %d has no room for %d replacements over desired %d", gp.Target.MaxSize, gp.Moving, g.DesiredCapacity)
			}
		}
		if len(gp.Target.Subnets) == 0 {
			fail(gp.Group, "planned with no subnet at all")
		}
		// Never the last healthy AZ; minHealthyAZs kept by an evacuation.
		if removesSubnets(gp) {
			healthy := map[string]bool{}
			for _, id := range gp.Target.Subnets {
				if az := c.subnets[id]; !slices.Contains(in.Signal.AZs, az) {
					healthy[az] = true
				}
			}
			if len(healthy) < max(1, r.MinHealthyAZs) {
				fail(gp.Group, "evacuation leaves %d healthy AZs (min %d): %v", len(healthy), r.MinHealthyAZs, gp.Target.Subnets)
			}
			for _, id := range gp.Current.Subnets {
				if !slices.Contains(gp.Target.Subnets, id) && !slices.Contains(in.Signal.AZs, c.subnets[id]) {
					fail(gp.Group, "removes subnet %s of %s, which the signal does not impair", id, c.subnets[id])
				}
			}
			if in.Signal.Effect != rebalance.EffectImpair {
				fail(gp.Group, "removes subnets on a %s signal", in.Signal.Effect)
			}
		}
		// maxEvacuatedAZs.
		after := len(in.Ledger[g.Name]) - len(gp.Clear) + len(gp.Record)
		if after > r.MaxEvacuatedAZs {
			fail(gp.Group, "out of %d AZs after the plan (max %d)", after, r.MaxEvacuatedAZs)
		}
		for _, az := range gp.Evacuate {
			if !slices.Contains(in.Signal.AZs, az) {
				fail(gp.Group, "evacuates %s, not an AZ of the signal %v", az, in.Signal.AZs)
			}
		}
		if len(gp.Record) > 0 || removesSubnets(gp) {
			evacuatedGroups++
		}
		fresh += len(gp.Record)
		// An open breaker stops every write.
		if openBefore && (gp.Changes() || len(gp.Record)+len(gp.Clear) > 0) {
			fail(gp.Group, "planned changes under an open breaker: %+v", gp)
		}
		// Restores: only what no active signal holds; exactly what was taken.
		for _, rec := range gp.Clear {
			for _, h := range rec.Holders {
				s, ok := in.Signals[h]
				if !ok || rebalance.Active(s, now, r) {
					fail(gp.Group, "restores %s though %s still holds it", rec.AZ, h)
				}
			}
			if in.Signal.Effect == rebalance.EffectImpair && slices.Contains(in.Signal.AZs, rec.AZ) {
				fail(gp.Group, "restores %s on a signal that impairs it", rec.AZ)
			}
			for _, id := range rec.RemovedSubnets {
				if !slices.Contains(gp.Target.Subnets, id) {
					fail(gp.Group, "restore of %s leaves out subnet %s", rec.AZ, id)
				}
			}
		}
		if len(gp.Clear) > 0 && len(gp.Record) == 0 && !removesSubnets(gp) {
			var want []string
			want = append(want, gp.Current.Subnets...)
			for _, rec := range gp.Clear {
				want = append(want, rec.RemovedSubnets...)
			}
			if !sameSet(want, gp.Target.Subnets) {
				fail(gp.Group, "restore gives subnets %v, want exactly %v", gp.Target.Subnets, want)
			}
		}
	}
	if evacuatedGroups > r.MaxGroupsPerEvent {
		fail("plan", "%d groups evacuated, max %d per event", evacuatedGroups, r.MaxGroupsPerEvent)
	}
	if fresh > max(budget, 0) {
		fail("plan", "%d new evacuations with a breaker budget of %d", fresh, budget)
	}
	if openBefore && plan.Breaker.Change != rebalance.BreakerKeep {
		fail("plan", "changes an open breaker before its time: %+v", plan.Breaker)
	}
	return bad
}

// checkZonalShifts checks what a plan does with ARC zonal shifts.
func checkZonalShifts(c propertyCase, g rebalance.Group, gp rebalance.GroupPlan, plan rebalance.Plan, openBefore bool) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, gp.Group+": "+fmt.Sprintf(format, args...)) }
	in := c.in
	records := in.Ledger[g.Name]
	mine := map[string]bool{}
	for _, r := range records {
		if r.ZonalShiftID != "" {
			mine[r.ZonalShiftID] = true
		}
		// A shift a crash left unrecorded is known by its comment.
		for _, s := range in.Shifts[g.ARN] {
			if r.ZonalShiftID == "" && strings.HasPrefix(s.Comment, "selfheal "+r.EventID+":") {
				mine[s.ID] = true
			}
		}
	}
	var people []rebalance.Shift // shifts a person started on the group
	for _, s := range in.Shifts[g.ARN] {
		if !mine[s.ID] && !strings.HasPrefix(s.Comment, "selfheal ") && (s.Type == rebalance.ShiftCustomer || s.Type == rebalance.ShiftFIS) {
			people = append(people, s)
		}
	}
	shifted := 0 // after the plan; a restore's cancel comes before any start
	for _, r := range records {
		if r.ByZonalShift() && !slices.ContainsFunc(gp.Clear, func(c state.Evacuation) bool { return c.AZ == r.AZ }) {
			shifted++
		}
	}
	for _, op := range gp.Shifts {
		switch op.Op {
		case rebalance.ShiftStart:
			if !slices.ContainsFunc(records, func(r state.Evacuation) bool { return r.AZ == op.AZ }) {
				shifted++
			}
			switch {
			case !g.ZonalShiftEnabled || !in.Policy.Rebalance.ZonalShift.Enabled && len(records) == 0:
				fail("starts a zonal shift of a group not enrolled (or with zonal shifts off)")
			case in.Signal.Effect != rebalance.EffectImpair || !slices.Contains(in.Signal.AZs, op.AZ):
				fail("starts a zonal shift away from %s on a %s signal of %v", op.AZ, in.Signal.Effect, in.Signal.AZs)
			case openBefore:
				fail("starts a zonal shift under an open breaker")
			case op.AZID == "" || op.AZID != in.ZoneIDs[op.AZ] && op.AZID != op.Record.AZID:
				fail("starts a zonal shift away from %s with AZ id %q", op.AZ, op.AZID)
			}
			if len(people) > 0 && op.Record.ZonalShiftID == "" && !slices.ContainsFunc(records, func(r state.Evacuation) bool { return r.AZ == op.AZ }) {
				fail("starts a zonal shift over %s %s", people[0].Type, people[0].ID)
			}
			healthy := diff(diff(g.AZs, []string{op.AZ}), in.Signal.AZs)
			if !slices.ContainsFunc(records, func(r state.Evacuation) bool { return r.AZ == op.AZ }) && len(healthy) < max(1, in.Policy.Rebalance.MinHealthyAZs) {
				fail("shifts away from %s leaving %d healthy AZs (min %d)", op.AZ, len(healthy), in.Policy.Rebalance.MinHealthyAZs)
			}
		case rebalance.ShiftExtend, rebalance.ShiftCancel:
			if !mine[op.ID] {
				fail("%ss zonal shift %s, which is not selfheal's", op.Op, op.ID)
			}
			cleared := slices.ContainsFunc(gp.Clear, func(r state.Evacuation) bool { return r.AZ == op.AZ })
			if op.Op == rebalance.ShiftCancel && !cleared {
				fail("cancels zonal shift %s without restoring %s", op.ID, op.AZ)
			}
			if op.Op == rebalance.ShiftExtend && cleared {
				fail("extends zonal shift %s of a restored evacuation", op.ID)
			}
		}
	}
	if shifted > 1 {
		fail("%d zonal shifts of one group at once", shifted)
	}
	// A zonal shift changes no setting of the group.
	bySubnets := func(r state.Evacuation) bool { return !r.ByZonalShift() }
	if len(gp.Shifts) > 0 && !slices.ContainsFunc(records, bySubnets) && !slices.ContainsFunc(gp.Record, bySubnets) &&
		(!slices.Equal(gp.Current.Subnets, gp.Target.Subnets) || gp.Current.MaxSize != gp.Target.MaxSize) {
		fail("a zonal shift plan changes subnets %v → %v or MaxSize %d → %d", gp.Current.Subnets, gp.Target.Subnets, gp.Current.MaxSize, gp.Target.MaxSize)
	}
	// No restore while someone else's shift holds the AZ.
	for _, r := range gp.Clear {
		for _, s := range in.Shifts[g.ARN] {
			if s.AZ == r.AZ && !(mine[s.ID] && strings.HasPrefix(s.Comment, "selfheal ")) && !strings.HasPrefix(s.Comment, "selfheal evt-old:") {
				fail("restores %s while %s %s holds it", r.AZ, s.Type, s.ID)
			}
		}
	}
	if plan.DryRun && len(gp.Held) > 0 {
		fail("dry-run remembers holds: %+v", gp.Held)
	}
	return bad
}

func removesSubnets(gp rebalance.GroupPlan) bool {
	for _, id := range gp.Current.Subnets {
		if !slices.Contains(gp.Target.Subnets, id) {
			return true
		}
	}
	return false
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func tally(seen map[string]int, p rebalance.Plan) {
	if p.Breaker.Change == rebalance.BreakerOpen {
		seen["breaker-opened"]++
	}
	for _, gp := range p.Groups {
		if len(gp.Record) > 0 {
			seen["evacuate"]++
		}
		if len(gp.Evacuate) > 0 && len(gp.Record) == 0 && removesSubnets(gp) {
			seen["complete"]++
		}
		if len(gp.Restore) > 0 {
			seen["restore"]++
		}
		if len(gp.Hold) > 0 {
			seen["hold"]++
		}
		for _, s := range gp.Skips {
			seen[string(s.Reason)]++
		}
		for _, op := range gp.Shifts {
			switch op.Op {
			case rebalance.ShiftStart:
				if op.Record.ZonalShiftID == "" && len(gp.Record) == 0 {
					seen["zonal-complete"]++
				} else {
					seen["zonal-shift"]++
				}
			case rebalance.ShiftExtend:
				seen["zonal-extend"]++
			case rebalance.ShiftCancel:
				seen["zonal-cancel"]++
			}
		}
		for _, r := range gp.Clear {
			if r.ByZonalShift() && len(gp.Shifts) == 0 {
				seen["zonal-restore-ended"]++
			}
		}
	}
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
